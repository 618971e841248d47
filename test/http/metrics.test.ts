import test from 'ava';
import { randomUUID } from 'node:crypto';
import { mongoReadStore } from '../../projections/readstore/mongoReadStore';
import { observabilityStore } from '../../runtime/observability/observabilityStore';
import type { WorkerMetrics } from '../../runtime/observability/workerReport';
import { asRecord, startApi, type Api } from './apiFixtures';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

interface Parsed {
  readonly types: Map<string, string>;
  readonly samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Prometheus text format 0.0.4, strictly: every line a comment, a TYPE / HELP, or a sample of a declared family. */
function parsePrometheus(text: string): Parsed {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type !== null) {
      if (types.has(type[1] ?? '')) throw new Error(`TYPE twice for ${type[1]}`);
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const sample = SAMPLE.exec(line);
    if (sample === null) throw new Error(`not a Prometheus line: ${line}`);
    const [, name = '', rawLabels = '', rawValue = ''] = sample;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let match = LABEL.exec(rawLabels); match !== null; match = LABEL.exec(rawLabels)) {
      labels[match[1] ?? ''] = (match[2] ?? '').replaceAll('\\n', '\n').replaceAll('\\"', '"').replaceAll('\\\\', '\\');
      consumed = LABEL.lastIndex;
    }
    if (consumed !== rawLabels.length) throw new Error(`malformed labels: ${line}`);
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    // Prometheus parses values as Go floats, NaN in any case (prom-client writes `Nan`).
    if (Number.isNaN(value) && rawValue.toLowerCase() !== 'nan') throw new Error(`malformed value: ${line}`);
    const family = name.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(name) && types.get(family) !== 'histogram') throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

const rootOf = (api: Api): string => api.url.replace(/\/api$/, '');

async function scrape(api: Api, headers: Record<string, string> = {}): Promise<Parsed> {
  const res = await fetch(`${rootOf(api)}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  if (!(res.headers.get('content-type') ?? '').startsWith('text/plain; version=0.0.4'))
    throw new Error(`content type ${res.headers.get('content-type')}`);
  return parsePrometheus(await res.text());
}

const valueOf = (parsed: Parsed, name: string, labels: Record<string, string> = {}): number | undefined =>
  parsed.samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    ?.value;

let api: Api | undefined;
const apiOf = (): Api => {
  if (api === undefined) throw new Error('the API did not start');
  return api;
};

test.before(async () => {
  // The runtime too (no pipeline runs, so no worker): its restart counter is exposed.
  api = await startApi({ env: { POPSINK_ROLE: 'all' } });
});
test.after.always(async () => {
  await api?.stop();
});

test('GET /metrics: Prometheus text with request durations by route template, never a raw URL, id or token', async (t) => {
  const current = apiOf();
  const email = `metrics-${randomUUID().slice(0, 8)}@example.com`;
  await current.register(email);
  const token = await current.login(email);
  const env = asRecord((await current.request('POST', '/envs/', { token, json: { name: `env-${randomUUID()}` } })).body);
  const envId = String(env['id']);
  t.is((await current.request('GET', `/envs/${envId}`, { token })).status, 200);
  t.is((await current.request('GET', `/envs/${randomUUID()}`, { token })).status, 404);
  t.is((await current.request('GET', `/no-such-route/${randomUUID()}?token=${token}`)).status, 404);
  t.is((await current.request('GET', '/envs/')).status, 401);

  const parsed = await scrape(current);
  t.is(parsed.types.get('popsink_http_request_duration_seconds'), 'histogram');
  const byRoute = (route: string, status: string) =>
    valueOf(parsed, 'popsink_http_request_duration_seconds_count', { method: 'GET', route, status });
  t.is(byRoute('/api/envs/:id', '2xx'), 1);
  t.is(byRoute('/api/envs/:id', '4xx'), 1);
  t.is(byRoute('/api/envs', '4xx'), 1);
  t.is(valueOf(parsed, 'popsink_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '4xx' }), 1);
  t.true(
    (valueOf(parsed, 'popsink_http_request_duration_seconds_count', { method: 'POST', route: '/api/auth/jwt/login', status: '2xx' }) ??
      0) >= 1,
  );
  const infBucket = valueOf(parsed, 'popsink_http_request_duration_seconds_bucket', {
    method: 'GET',
    route: '/api/envs/:id',
    status: '2xx',
    le: '+Inf',
  });
  t.is(infBucket, 1);

  for (const sample of parsed.samples) {
    for (const value of Object.values(sample.labels)) {
      t.false(UUID.test(value), `${sample.name}: an id in a label: ${value}`);
      t.false(value.includes(token) || value.includes('?'), `${sample.name}: a token or query in a label: ${value}`);
    }
  }
  for (const sample of parsed.samples.filter((s) => s.name.startsWith('popsink_http_'))) {
    t.true(sample.labels['route'] === 'unmatched' || sample.labels['route']?.startsWith('/'), sample.labels['route']);
    t.regex(sample.labels['status'] ?? '', /^[1-5]xx$/);
  }

  // The projection lag: gauges present, and none once the read models caught up.
  t.is(parsed.types.get('popsink_projection_lag_events'), 'gauge');
  t.is(valueOf(parsed, 'popsink_projection_lag_events'), 0);
  t.true((valueOf(parsed, 'popsink_projection_position') ?? -1) > 0);
  t.is(parsed.types.get('popsink_worker_restarts_total'), 'counter');
  t.is(valueOf(parsed, 'popsink_worker_restarts_total'), 0);
  for (const family of [
    'popsink_pipeline_messages_in_total',
    'popsink_pipeline_messages_out_total',
    'popsink_pipeline_errors_total',
    'popsink_pipeline_lag_messages',
  ]) {
    t.truthy(parsed.types.get(family), family);
  }

  // The scrape itself is timed under its own route, and /metrics is not under /api.
  t.is(
    valueOf(await scrape(current), 'popsink_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '2xx' }),
    1,
  );
  t.is((await fetch(`${current.url}/metrics`)).status, 404);
});

test('every log line written while serving a request carries its id', async (t) => {
  const current = apiOf();
  const email = `reset-${randomUUID().slice(0, 8)}@example.com`;
  await current.register(email);
  const res = await fetch(`${current.url}/auth/forgot-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'trace-42' },
    body: JSON.stringify({ email }),
  });
  t.is(res.status, 202);
  t.is(res.headers.get('x-request-id'), 'trace-42');
  const line = current.logs.find((logged) => logged['message'] === 'password reset requested' && logged['email'] === email);
  t.is(line?.['requestId'], 'trace-42');

  // An id the client did not send (or sent malformed) is generated, and answered.
  const generated = await fetch(`${current.url}/livez`, { headers: { 'x-request-id': 'bad id with spaces' } });
  t.regex(generated.headers.get('x-request-id') ?? '', UUID);
  // A malformed body is refused before the routers, still with an id.
  const malformed = await fetch(`${current.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{',
  });
  t.is(malformed.status, 422);
  t.regex(malformed.headers.get('x-request-id') ?? '', UUID);
});

test('POPSINK_METRICS_TOKEN: /metrics answers only a request bearing it', async (t) => {
  const secret = `metrics-token-${randomUUID()}`;
  const guarded = await startApi({ env: { POPSINK_METRICS_TOKEN: secret } });
  t.teardown(() => guarded.stop());
  t.is((await fetch(`${rootOf(guarded)}/metrics`)).status, 401);
  t.is((await fetch(`${rootOf(guarded)}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const parsed = await scrape(guarded, { authorization: `Bearer ${secret}` });
  t.is(parsed.types.get('popsink_projection_lag_events'), 'gauge');
  // An API-only process has no supervisor: no restart counter that would always read 0.
  t.is(parsed.types.get('popsink_worker_restarts_total'), undefined);
  t.false(JSON.stringify(guarded.logs).includes(secret));
});

const mongoUrl = process.env['POPSINK_MONGO_URL'];
if (mongoUrl === undefined || mongoUrl === '') {
  test('per-pipeline metrics: POPSINK_MONGO_URL is set', (t) =>
    t.fail('POPSINK_MONGO_URL is not set: run the suite with `npm test`, which starts FerretDB'));
} else {
  test('per-pipeline messages in / out / errors and lag, read from what the runtimes reported', async (t) => {
    const shared = await startApi({ mongoUrl });
    t.teardown(() => shared.stop());
    const readStore = await mongoReadStore(mongoUrl, { database: shared.mongoDatabase ?? '' });
    t.teardown(() => readStore.close());
    const email = `pipes-${randomUUID().slice(0, 8)}@example.com`;
    await shared.register(email);
    const token = await shared.login(email);
    await shared.request('POST', '/envs/', { token, json: { name: `env-${randomUUID()}` } });
    const teamId = String(asRecord((await shared.request('POST', '/teams/', { token, json: { name: 'Metered' } })).body)['id']);
    const created = async (path: string, json: Record<string, unknown>) => {
      const res = await shared.request('POST', path, { token, json: { team_id: teamId, ...json } });
      if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return asRecord(res.body);
    };
    const source = String(
      (
        await created('/connectors/', {
          name: 'm-src',
          connector_type: 'KAFKA_SOURCE',
          config: { topic: 'events', bootstrap_servers: '127.0.0.1:9' },
        })
      )['id'],
    );
    const target = String(
      (await created('/connectors/', { name: 'm-dst', connector_type: 'KAFKA_TARGET', config: { bootstrap_server: '127.0.0.1:9' } }))['id'],
    );
    const pipeline = await created('/pipelines/', {
      name: `p-${randomUUID().slice(0, 8)}`,
      existing_source_id: source,
      existing_target_id: target,
    });
    const pipelineId = String(pipeline['id']);

    const before = await scrape(shared);
    t.is(valueOf(before, 'popsink_pipeline_messages_in_total', { pipeline_id: pipelineId }), undefined);

    // Two runtimes report on two subscriptions of the pipeline, as the supervisor's flush writes them.
    const key = { pipelineId, datamodelId: String(pipeline['datamodel_id']), connectorIds: [source, target] };
    const metrics = (messages: number, lag: number): WorkerMetrics => ({
      messages_in: messages,
      messages_out: messages - 1,
      errors: 1,
      latency: { window_s: 60, count: messages, p50_ms: 12, p95_ms: 30, p99_ms: 40, max_ms: 40 },
      partitions: [{ partition: 0, offset: String(messages), lag }],
      last_message_at: new Date().toISOString(),
    });
    for (const [runtimeId, messages, lag] of [
      ['runtime-1', 10, 3],
      ['runtime-2', 5, 7],
    ] as const) {
      const runtime = observabilityStore(readStore, { runtimeId });
      runtime.recordMetrics({ ...key, subscriptionId: randomUUID() }, metrics(messages, lag));
      await runtime.flush();
    }

    const after = await scrape(shared);
    const labels = { pipeline_id: pipelineId };
    t.is(valueOf(after, 'popsink_pipeline_messages_in_total', labels), 15);
    t.is(valueOf(after, 'popsink_pipeline_messages_out_total', labels), 13);
    t.is(valueOf(after, 'popsink_pipeline_errors_total', labels), 2);
    t.is(valueOf(after, 'popsink_pipeline_lag_messages', labels), 7);
    t.is(valueOf(after, 'popsink_pipeline_latency_seconds', { ...labels, quantile: '0.99' }), 0.04);
    // The same figures as the API's own answer.
    t.like(asRecord((await shared.request('GET', `/pipelines/${pipelineId}/latency-informations`, { token })).body), {
      messages_in: 15,
      messages_out: 13,
      errors: 2,
      lag_total: 7,
    });
    // Pipeline series are labelled by the pipeline id only: nothing of its connectors' config.
    for (const sample of after.samples.filter((s) => s.name.startsWith('popsink_pipeline_'))) {
      t.deepEqual(
        Object.keys(sample.labels).filter((label) => label !== 'quantile'),
        ['pipeline_id'],
      );
    }
  });
}
