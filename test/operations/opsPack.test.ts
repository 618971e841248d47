import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { testServer } from '../fixtures/testServers';
import {
  createOrdersToPostgres,
  createTopic,
  killProcessGroup,
  orderMessages,
  produce,
  REPO_ROOT,
  rowCounts,
  separateProcessesEnv,
  spawnRuntime,
  startDataPlane,
  until,
} from '../dataplane/dataplaneFixtures';
import { namesOf, templateLabels } from './promqlNames';

/**
 * The operations pack (deploy/) against a real platform: an API and a runtime in processes of
 * their own, a Kafka → PostgreSQL pipeline running so the per-pipeline families have series.
 * Every metric and label the Grafana dashboard and the Prometheus rules use must be on the
 * /metrics of one of them.
 */

/** Labels Prometheus attaches to every series it scrapes, and its own per-target metric. */
const TARGET_LABELS = new Set(['job', 'instance']);
const PROMETHEUS_METRICS: Readonly<Record<string, readonly string[]>> = { up: [] };
/**
 * Families that have no series in a healthy run, with the labels their code gives them
 * (runtime/metrics/runtimeMetrics.ts): a quarantine takes three crashes of one subscription.
 */
const LABELS_WITHOUT_SERIES: Readonly<Record<string, readonly string[]>> = {
  popsink_worker_quarantined: ['subscription_id'],
  popsink_pipeline_in_error: ['pipeline_id'],
};

/** Metric name → the label names its samples carry, from Prometheus text; a family declared without samples maps to none. */
function exposedLabels(text: string): Map<string, Set<string>> {
  const exposed = new Map<string, Set<string>>();
  const labelsOf = (name: string) => exposed.get(name) ?? exposed.set(name, new Set()).get(name) ?? new Set<string>();
  for (const line of text.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (declared?.[1] !== undefined) {
      labelsOf(declared[1]);
      if (declared[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) labelsOf(`${declared[1]}${suffix}`);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (sample?.[1] === undefined) continue;
    const labels = labelsOf(sample[1]);
    for (const match of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(match[1] ?? '');
    labels.add('__sampled__');
  }
  return exposed;
}

/** Where an expression comes from, what it is, and the template texts that print its labels. */
interface Usage {
  readonly where: string;
  readonly expr: string;
  readonly templates: readonly string[];
}

function dashboardUsages(): Usage[] {
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/grafana/popsink-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets?: { expr: string; legendFormat?: string }[]; panels?: unknown[] }[];
    templating: { list: { name: string; query?: string | { query: string } }[] };
  };
  const usages: Usage[] = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `dashboard panel "${panel.title}"`,
      expr: target.expr,
      templates: [target.legendFormat ?? ''],
    })),
  );
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'object' ? variable.query.query : undefined;
    const labelValues = query === undefined ? null : /^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(query);
    if (labelValues?.[1] !== undefined)
      usages.push({ where: `dashboard variable $${variable.name}`, expr: `${labelValues[1]}{${labelValues[2]}!=""}`, templates: [] });
  }
  return usages;
}

function ruleUsages(): Usage[] {
  const rules = parse(readFileSync(join(REPO_ROOT, 'deploy/prometheus/popsink-alerts.yml'), 'utf8')) as {
    groups: {
      name: string;
      rules: { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
    }[];
  };
  return rules.groups.flatMap((group) =>
    group.rules.map((rule) => ({
      where: `alert ${rule.alert}`,
      expr: rule.expr,
      templates: [...Object.values(rule.annotations ?? {}), ...Object.values(rule.labels ?? {})],
    })),
  );
}

/** Every metric or label an expression uses that neither scrape exposes, in words. */
function missingNames(usage: Usage, exposed: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const names = namesOf(usage.expr);
  const missing: string[] = [];
  const labelsOf = (metric: string): ReadonlySet<string> | undefined => {
    const prometheus = PROMETHEUS_METRICS[metric];
    if (prometheus !== undefined) return new Set(prometheus);
    const scraped = exposed.get(metric);
    if (scraped === undefined || scraped.has('__sampled__')) return scraped;
    return new Set(LABELS_WITHOUT_SERIES[metric] ?? []);
  };
  const inExpression = new Set<string>();
  for (const { metric, labels } of names.selectors) {
    const known = labelsOf(metric);
    if (known === undefined) {
      missing.push(`${usage.where}: metric ${metric === '' ? '(a selector without a metric name)' : metric} is not exposed`);
      continue;
    }
    known.forEach((label) => inExpression.add(label));
    for (const label of labels.filter((name) => !known.has(name) && !TARGET_LABELS.has(name)))
      missing.push(`${usage.where}: ${metric} has no label ${label}`);
  }
  for (const label of [...names.groupingLabels, ...usage.templates.flatMap(templateLabels)]) {
    if (!inExpression.has(label) && !TARGET_LABELS.has(label)) missing.push(`${usage.where}: label ${label} is on none of its metrics`);
  }
  return missing;
}

const children: ChildProcess[] = [];
test.after.always(async () => {
  await Promise.all(children.map((child) => killProcessGroup(child)));
});

test('every metric and label of the Grafana dashboard and the alert rules is on /metrics of a running API and runtime', async (t) => {
  const usages = [...dashboardUsages(), ...ruleUsages()];
  t.true(usages.length >= 20, `${usages.length} expressions`);
  // The names the issue asks the pack to cover are there.
  const used = new Set(usages.flatMap(({ expr }) => namesOf(expr).selectors.map(({ metric }) => metric)));
  for (const metric of [
    'popsink_pipeline_messages_in_total',
    'popsink_pipeline_lag_messages',
    'popsink_pipeline_latency_seconds',
    'popsink_pipeline_errors_total',
    'popsink_worker_restarts_total',
    'popsink_http_request_duration_seconds_bucket',
    'popsink_runtime_worker_live',
    'up',
  ]) {
    t.true(used.has(metric), metric);
  }

  const shared = separateProcessesEnv();
  const world = await startDataPlane({ ...shared, POPSINK_ROLE: 'api' });
  t.teardown(() => world.api.stop());
  const output: string[] = [];
  const runtime = spawnRuntime({ ...shared, POPSINK_LOG_LEVEL: 'info', POPSINK_WORKER_PROCESSES: '1' }, output);
  children.push(runtime);
  const startedLine = await until(
    'the runtime started',
    async () =>
      output
        .join('')
        .split('\n')
        .find((line) => line.includes('popsink runtime started')),
    (line) => line !== undefined,
    60_000,
  );
  const probes = `http://127.0.0.1:${String((JSON.parse(startedLine ?? '{}') as { probesPort?: number }).probesPort)}`;

  const brokers = testServer('TEST_KAFKA_BROKERS');
  const suffix = randomUUID().slice(0, 8);
  const topic = `opspack-${suffix}`;
  const table = `opspack_${suffix}`;
  await createTopic(brokers, topic, 1);
  // Some invalid messages, so the error counter moves too.
  await produce(brokers, topic, orderMessages(500, 50).values);
  const { pipelineId } = await createOrdersToPostgres(world, { brokers, topic, table });
  t.is((await world.api.request('POST', `/pipelines/${pipelineId}/start`, { token: world.token })).status, 202);
  await until(
    'the valid rows in PostgreSQL',
    () => rowCounts(table),
    ({ ids }) => ids === 490,
    90_000,
  );

  const api = world.api.url.replace(/\/api$/, '');
  const scrape = async () => {
    const texts = await Promise.all([`${api}/metrics`, `${probes}/metrics`].map((url) => fetch(url).then((response) => response.text())));
    const exposed = new Map<string, Set<string>>();
    for (const [name, labels] of texts.flatMap((text) => [...exposedLabels(text)]))
      exposed.set(name, new Set([...(exposed.get(name) ?? []), ...labels]));
    return { texts, missing: usages.flatMap((usage) => missingNames(usage, exposed)) };
  };
  // The runtime reports its workers' metrics every few seconds: wait until the pipeline has its series.
  const scraped = await until('every name of the pack on /metrics', scrape, ({ missing }) => missing.length === 0, 60_000).catch(() =>
    scrape(),
  );
  t.deepEqual(scraped.missing, [], scraped.missing.join('\n'));
  const [apiText = '', runtimeText = ''] = scraped.texts;
  t.regex(apiText, new RegExp(`popsink_pipeline_messages_in_total\\{pipeline_id="${pipelineId}"\\} \\d+`));
  t.regex(runtimeText, new RegExp(`popsink_runtime_worker_live\\{pipeline_id="${pipelineId}",subscription_id="[^"]+"\\} 1`));
});

test('the example Prometheus configuration loads the rules and scrapes the jobs the rules and the dashboard name', (t) => {
  const config = parse(readFileSync(join(REPO_ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: { job_name: string }[];
  };
  t.deepEqual(config.rule_files, ['popsink-alerts.yml']);
  const jobs = config.scrape_configs.map((job) => job.job_name).sort();
  t.deepEqual(jobs, ['popsink-api', 'popsink-runtime']);
  const rulesJobs = [...readFileSync(join(REPO_ROOT, 'deploy/prometheus/popsink-alerts.yml'), 'utf8').matchAll(/job="([^"]+)"/g)].map(
    (match) => match[1],
  );
  t.true(rulesJobs.length > 0 && rulesJobs.every((job) => job !== undefined && jobs.includes(job)), rulesJobs.join(', '));
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/grafana/popsink-dashboard.json'), 'utf8')) as {
    templating: { list: { name: string; query?: unknown }[] };
  };
  const defaults = dashboard.templating.list.filter((variable) => variable.name.endsWith('_job')).map((variable) => variable.query);
  t.deepEqual(defaults.sort(), jobs);
});

test('the PromQL reader tells metrics from functions, keywords, labels and variables', (t) => {
  const names = namesOf(
    'histogram_quantile(0.95, sum by (le, route) (rate(popsink_http_request_duration_seconds_bucket{job=~"$api_job", route!="/metrics"}[$__rate_interval]))) > bool 0.5 and on(instance) up offset 5m',
  );
  t.deepEqual(names.selectors, [
    { metric: 'popsink_http_request_duration_seconds_bucket', labels: ['job', 'route'] },
    { metric: 'up', labels: [] },
  ]);
  t.deepEqual(names.groupingLabels, ['le', 'route', 'instance']);
  t.deepEqual(namesOf('max by (pipeline_id) (delta(popsink_pipeline_lag_messages[10m:1m])) / 1e9').selectors, [
    { metric: 'popsink_pipeline_lag_messages', labels: [] },
  ]);
  t.deepEqual(templateLabels('{{pipeline_id}} q{{quantile}}; {{ $labels.instance }} {{ $value | humanize }}'), [
    'pipeline_id',
    'quantile',
    'instance',
  ]);
});

test('the check names a metric, a matcher label, a grouping label and a template label that are not exposed', (t) => {
  const exposed = exposedLabels('# HELP popsink_yes A gauge.\n# TYPE popsink_yes gauge\npopsink_yes{pipeline_id="p"} 1\n');
  const usage = {
    where: 'panel "x"',
    expr: 'max by (pipeline_id, stage) (popsink_yes{state="error"}) + popsink_no',
    templates: ['{{reason}} {{instance}}'],
  };
  t.deepEqual(missingNames(usage, exposed), [
    'panel "x": popsink_yes has no label state',
    'panel "x": metric popsink_no is not exposed',
    'panel "x": label stage is on none of its metrics',
    'panel "x": label reason is on none of its metrics',
  ]);
});
