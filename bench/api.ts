// API throughput: authenticated team and pipeline routes on the embedded platform (and, with
// POPSINK_MONGO_URL, the pipeline routes again on MongoDB read models), beside a bare Koa JSON
// route measured in the same run, and the ratio between them.
// Usage: npm run bench:api [-- --seconds 10 --connections 10 --sync full|normal --pipelines 10000 --mongo-pipelines 2000]
import autocannon from 'autocannon';
import Koa from 'koa';
import { MongoClient } from 'mongodb';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../config';
import { startPlatform, type RunningPlatform } from '../platform';
import { jsonLogger } from '../infrastructure/logger';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    load: { type: 'string' },
    sync: { type: 'string', default: 'full' },
    pipelines: { type: 'string', default: '10000' },
    'mongo-pipelines': { type: 'string', default: '2000' },
    'seed-concurrency': { type: 'string', default: '8' },
  },
});
const duration = Number(values.seconds);
const connections = Number(values.connections);
const seedConcurrency = Number(values['seed-concurrency']);
const mongoUrl = process.env['POPSINK_MONGO_URL']?.trim() || undefined;

/** Pipelines seeded per team for the list routes: two teams, every 200th name holds `xyz`, 60 per team started. */
const LIST_TEAMS = 2;
const MARK_EVERY = 200;
const STARTED_PER_TEAM = 60;

interface Figures {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly completed: number;
  readonly seconds: number;
}

/**
 * The load generator runs in a child process (this same file, in `--load` mode), so that it
 * does not share the server's event loop; on 2 cores each gets one.
 */
async function generate(target: LoadTarget): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), ['--load', JSON.stringify({ duration, connections, ...target })], {
    execArgv: ['--import', 'tsx'],
  });
  return new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (message) => resolve(message as LoadResult));
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
}

/** Requests sent to a GET route before it is measured, so that every route is measured with its code optimised by the JIT. */
const WARM_UP_REQUESTS = 3000;

async function measure(name: string, target: LoadTarget): Promise<Figures> {
  if (target.method === undefined) await generate({ ...target, amount: WARM_UP_REQUESTS });
  const { rps, p50, p99, errors } = await generate(target);
  return { name, rps, p50, p99, errors };
}

interface LoadTarget {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** JSON bodies: request n sends templates[n % length] with a unique `name` (`{prefix}-{n}`, `{prefix}-xyz-{n}` every markEvery-th). */
  readonly bodies?: { readonly templates: readonly Record<string, unknown>[]; readonly prefix: string; readonly markEvery?: number };
  /** A fixed number of requests instead of a duration. */
  readonly amount?: number;
  readonly connections?: number;
}

async function generateLoad(spec: LoadTarget & { duration: number; connections: number }): Promise<void> {
  let n = 0;
  const bodies = spec.bodies;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.duration }),
    ...(spec.method ? { method: spec.method } : {}),
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(bodies
      ? {
          requests: [
            {
              setupRequest: (request) => {
                const i = n++;
                const mark = bodies.markEvery !== undefined && i % bodies.markEvery === 0 ? '-xyz' : '';
                return {
                  ...request,
                  body: JSON.stringify({ ...bodies.templates[i % bodies.templates.length], name: `${bodies.prefix}${mark}-${i}` }),
                };
              },
            },
          ],
        }
      : {}),
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  const reply: LoadResult = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    completed: result['2xx'],
    seconds: result.duration,
  };
  process.send?.(reply);
}

async function bareKoa(): Promise<{ url: string; close: () => void }> {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = { id: 'f029bc1a-5196-4c56-919e-23615c44ed66', name: 'Data Engineering Team', description: 'ETL', env_id: 'x' };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

if (values.load !== undefined) {
  await generateLoad(JSON.parse(values.load) as LoadTarget & { duration: number; connections: number });
  process.exit(0);
}

interface Bench {
  readonly platform: RunningPlatform;
  readonly api: string;
  readonly close: () => Promise<void>;
}

/** A platform (API role only: no worker runs for the pipelines started here) in a fresh data dir. */
async function benchPlatform(mongo?: { url: string; database: string }): Promise<Bench> {
  const dataDir = mkdtempSync(join(tmpdir(), 'popsink-bench-api-'));
  const platform = await startPlatform(
    readConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      POPSINK_ROLE: 'api',
      POPSINK_DATA_DIR: dataDir,
      POPSINK_LOG_LEVEL: 'error',
      POPSINK_SQLITE_SYNCHRONOUS: values.sync,
      ...(mongo ? { POPSINK_MONGO_URL: mongo.url, POPSINK_MONGO_DATABASE: mongo.database } : {}),
    }),
    jsonLogger(() => undefined),
  );
  let closed = false;
  return {
    platform,
    api: `http://127.0.0.1:${platform.port}/api`,
    close: async () => {
      if (closed) return;
      closed = true;
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Registers and logs in a user who owns one env; answers the request headers. */
async function signUp(api: string, email: string): Promise<Record<string, string>> {
  await json(`${api}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'bench-password' }),
  });
  const login = await json(`${api}/auth/jwt/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `username=${encodeURIComponent(email)}&password=bench-password`,
  });
  const headers = { authorization: `Bearer ${String(login['access_token'])}`, 'content-type': 'application/json' };
  await json(`${api}/envs/`, { method: 'POST', headers, body: JSON.stringify({ name: `env-${randomUUID().slice(0, 8)}` }) });
  return headers;
}

/** A team with a Kafka source and a PostgreSQL target (bogus hosts: nothing connects); answers a pipeline body that reuses them. */
async function pipelineTeam(api: string, headers: Record<string, string>, name: string): Promise<Record<string, unknown>> {
  const post = (path: string, body: unknown) => json(`${api}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const teamId = String((await post('/teams/', { name }))['id']);
  const source = await post('/connectors/', {
    name: `${name}-kafka`,
    team_id: teamId,
    connector_type: 'KAFKA_SOURCE',
    config: { topic: 'orders', bootstrap_servers: 'kafka.invalid:9092' },
  });
  const target = await post('/connectors/', {
    name: `${name}-pg`,
    team_id: teamId,
    connector_type: 'POSTGRES_TARGET',
    config: { host: 'pg.invalid', port: '5432', database: 'dw', user: 'etl', password: 'etl-pass' },
  });
  return {
    team_id: teamId,
    existing_source_id: source['id'],
    existing_target_id: target['id'],
    subscription_target_table_name: 'orders',
    subscription_mapper_config: [
      { key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false },
      { key: 'status', path: '$.status', cast: 'string', primary_key: false, nullable: true },
    ],
  };
}

interface PipelineFigures {
  readonly rows: Figures[];
  readonly seeded: { readonly pipelines: number; readonly seconds: number; readonly errors: number; readonly started: number };
}

/**
 * Seeds `count` pipelines over two teams through POST /api/pipelines/ (`seedConcurrency`
 * connections), starts a few in each team, then measures the two list queries on the first
 * team, then create-pipeline (in a third team, so the lists ran over exactly `count`).
 */
async function pipelineRows(bench: Bench, label: string, count: number): Promise<PipelineFigures> {
  const { api } = bench;
  const headers = await signUp(api, `pipelines-${randomUUID().slice(0, 8)}@example.com`);
  const templates: Record<string, unknown>[] = [];
  for (let i = 0; i < LIST_TEAMS; i++) templates.push(await pipelineTeam(api, headers, `list-team-${i}`));
  const createTemplate = await pipelineTeam(api, headers, 'create-team');

  process.stderr.write(`${label}: seeding ${count} pipelines (${seedConcurrency} concurrent)...\n`);
  const seed = await generate({
    url: `${api}/pipelines/`,
    method: 'POST',
    headers,
    bodies: { templates, prefix: 'seed', markEvery: MARK_EVERY },
    amount: count,
    connections: seedConcurrency,
  });
  const total = Number((await json(`${api}/pipelines/count-status`, { headers }))['all']);
  if (total !== count) process.stderr.write(`${label}: ${total} pipelines after seeding ${count} (${seed.errors} errors)\n`);

  // From the middle of each team's list (newest first), so the started ones are neither the newest nor the oldest.
  const skip = Math.max(0, Math.floor(count / LIST_TEAMS / 2) - STARTED_PER_TEAM / 2);
  let started = 0;
  for (const template of templates) {
    const page = await json(`${api}/pipelines/?team_id=${String(template['team_id'])}&limit=${STARTED_PER_TEAM}&skip=${skip}`, { headers });
    for (const item of page['items'] as { id: string }[]) {
      const response = await fetch(`${api}/pipelines/${item.id}/start`, { method: 'POST', headers });
      if (response.status !== 202) throw new Error(`start ${item.id}: ${response.status} ${await response.text()}`);
      started++;
    }
  }
  const teamId = String(templates[0]?.['team_id']);
  const building = Number((await json(`${api}/pipelines/count-status?team_id=${teamId}`, { headers }))['building']);
  const marked = Number((await json(`${api}/pipelines/?team_id=${teamId}&search=xyz&limit=1`, { headers }))['total']);
  process.stderr.write(
    `${label}: ${total} pipelines in ${seed.seconds.toFixed(1)} s; team 0 has ${building} building, ${marked} named *xyz*\n`,
  );

  const onePipeline = (
    (await json(`${api}/pipelines/?team_id=${teamId}&limit=1&skip=${skip}`, { headers }))['items'] as { id: string }[]
  )[0];
  const rows = [
    await measure(`${label}: GET /api/pipelines/{id}`, { url: `${api}/pipelines/${String(onePipeline?.id)}`, headers }),
    await measure(`${label}: GET ?state=building&team_id&limit=50`, {
      url: `${api}/pipelines/?state=building&team_id=${teamId}&limit=50`,
      headers,
    }),
    await measure(`${label}: GET ?team_id&search=xyz`, { url: `${api}/pipelines/?team_id=${teamId}&search=xyz`, headers }),
    await measure(`${label}: POST /api/pipelines/`, {
      url: `${api}/pipelines/`,
      method: 'POST',
      headers,
      bodies: { templates: [createTemplate], prefix: `create-${randomUUID().slice(0, 8)}` },
    }),
  ];
  return { rows, seeded: { pipelines: total, seconds: seed.seconds, errors: seed.errors, started } };
}

const row = (f: Figures, baseline: Figures): string =>
  `${f.name.padEnd(47)} ${f.rps.toFixed(0).padStart(7)} ${String(f.p50).padStart(9)} ${String(f.p99).padStart(8)} ${String(f.errors).padStart(8)}   ${(f.rps / baseline.rps).toFixed(3)}x`;

const seededLine = (label: string, s: PipelineFigures['seeded']): string =>
  `${label}: seeded ${s.pipelines} pipelines in ${LIST_TEAMS} teams through POST /api/pipelines/ (${seedConcurrency} concurrent) in ${s.seconds.toFixed(1)} s = ` +
  `${(s.pipelines / s.seconds).toFixed(0)} pipelines/s, ${s.errors} errors; ${s.started} started (${STARTED_PER_TEAM} per team), 1 in ${MARK_EVERY} named *xyz*`;

const embedded = await benchPlatform();
const bare = await bareKoa();
const mongoDatabase = `bench_api_${randomUUID().replaceAll('-', '')}`;
try {
  const { api } = embedded;
  const headers = await signUp(api, 'bench@example.com');
  const team = await json(`${api}/teams/`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench-team' }) });

  const baseline = await measure('bare Koa JSON route', { url: bare.url });
  const get = await measure('GET /api/teams/{id}', { url: `${api}/teams/${String(team['id'])}`, headers });
  const pipelines = await pipelineRows(embedded, 'embedded', Number(values.pipelines));
  // Last: it leaves thousands of teams behind, which every visibility check of the memory store scans.
  const post = await measure('POST /api/teams/', {
    url: `${api}/teams/`,
    method: 'POST',
    headers,
    bodies: { templates: [{}], prefix: `team-${randomUUID().slice(0, 8)}` },
  });
  await embedded.close();

  let mongo: PipelineFigures | undefined;
  if (mongoUrl !== undefined) {
    const onMongo = await benchPlatform({ url: mongoUrl, database: mongoDatabase });
    try {
      mongo = await pipelineRows(onMongo, 'mongodb', Number(values['mongo-pipelines']));
    } finally {
      await onMongo.close();
    }
  }

  console.log(
    `${duration}s per run, ${connections} connections, load generator in a child process, embedded store synchronous=${values.sync}, POPSINK_ROLE=api\n`,
  );
  console.log(seededLine('embedded', pipelines.seeded));
  if (mongo) console.log(`${seededLine('mongodb', mongo.seeded)} (capped by --mongo-pipelines)`);
  else console.log('mongodb: skipped (POPSINK_MONGO_URL unset)');
  console.log(`\n${'route'.padEnd(47)}   req/s     p50 ms   p99 ms   errors   ratio to bare`);
  for (const f of [baseline, get, post, ...pipelines.rows, ...(mongo?.rows ?? [])]) console.log(row(f, baseline));
  const search = pipelines.rows.find((f) => f.name.includes('search'));
  const create = pipelines.rows.find((f) => f.name.includes('POST'));
  const getPipeline = pipelines.rows.find((f) => f.name.includes('{id}'));
  const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');
  console.log(
    `\naims: authenticated GETs (team, pipeline) >= 0.5x the bare route: ${verdict(Math.min(get.rps, getPipeline?.rps ?? 0) / baseline.rps >= 0.5)}; ` +
      `search list p50 < 5 ms: ${verdict((search?.p50 ?? Infinity) < 5)}; create pipeline p99 < 20 ms: ${verdict((create?.p99 ?? Infinity) < 20)}`,
  );
} finally {
  bare.close();
  await embedded.close();
  if (mongoUrl !== undefined) {
    const client = await MongoClient.connect(mongoUrl);
    await client
      .db(mongoDatabase)
      .dropDatabase()
      .finally(() => client.close());
  }
}
