/**
 * Density of one runtime: N Kafka → PostgreSQL pipelines on one platform process started as
 * `npm start` runs it (the built dist/main.js, embedded stores, role all).
 *
 *   npm run bench:scale -- --pipelines N [--messages M] [--processes P]
 *
 * Creates N topics with M messages each (default 100), one source and one target connector, and
 * N pipelines through the API (each its own topic, via datamodel_source_topic, and its own
 * table), starts them all, and prints: seconds until every pipeline is live, until every row
 * landed, the resident memory of the platform's process tree (total and per pipeline, read from
 * /proc), the worker processes' event-loop lag p99 (from /metrics) and the process count.
 * Brokers from TEST_KAFKA_BROKERS, PostgreSQL from TEST_PG_URL (started by scripts/services when
 * unset). Everything it creates is removed at the end.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { postgresTestConfig } from '../test/fixtures/postgresConfig';
import { procFile, processTree } from '../test/fixtures/processTree';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: { pipelines: { type: 'string', default: '100' }, messages: { type: 'string', default: '100' }, processes: { type: 'string' } },
});
const PIPELINES = Number(args.pipelines);
const MESSAGES = Number(args.messages);
const progress = (line: string) => process.stderr.write(`${line}\n`);

const serviceUrl = (service: string): string =>
  execFileSync('bash', [`scripts/services/${service}.sh`, 'start'], { cwd: ROOT, encoding: 'utf8' }).trim();
process.env['TEST_KAFKA_BROKERS'] ||= serviceUrl('kafka');
process.env['TEST_PG_URL'] ||= serviceUrl('postgres');
const BROKERS = process.env['TEST_KAFKA_BROKERS'];
const kafka = new Kafka({ brokers: BROKERS.split(','), logLevel: logLevel.NOTHING, clientId: 'bench-scale' });
const pool = new pg.Pool({ connectionString: process.env['TEST_PG_URL'], max: 4 });

const RUN = randomUUID().slice(0, 8);
const topics = Array.from({ length: PIPELINES }, (_, i) => `bench-scale-${RUN}-${i}`);
const tables = Array.from({ length: PIPELINES }, (_, i) => `bench_scale_${RUN}_${i}`);
const PORT = 18_000 + Math.floor(Math.random() * 1000);
const BASE = `http://127.0.0.1:${PORT}/api`;
const ADMIN = { email: 'bench@example.com', password: 'bench-password-1' };

/** Resident memory (kB) of a process and every descendant, and how many they are. */
function treeOf(root: number): { rssKb: number; processes: number } {
  const pids = processTree(root);
  const rssKb = pids.reduce((total, pid) => total + Number(/VmRSS:\s+(\d+)/.exec(procFile(pid, 'status') ?? '')?.[1] ?? 0), 0);
  return { rssKb, processes: pids.length };
}

async function api(method: string, path: string, token: string | undefined, body?: unknown): Promise<unknown> {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? undefined : JSON.parse(text);
}

const idOf = (body: unknown): string => String((body as { id: unknown }).id);

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(500);
  }
}

async function rowsLanded(): Promise<number> {
  let total = 0;
  for (let start = 0; start < tables.length; start += 200) {
    const union = tables
      .slice(start, start + 200)
      .map((table) => `SELECT count(*) AS n FROM "${table}"`)
      .join(' UNION ALL ');
    const existing = (
      await pool.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_name = ANY($1)', [
        tables.slice(start, start + 200),
      ])
    ).rows.length;
    if (existing < Math.min(200, tables.length - start)) return total;
    total += (await pool.query<{ n: string }>(`SELECT sum(n)::bigint AS n FROM (${union}) AS counts`)).rows.reduce(
      (sum, row) => sum + Number(row.n),
      0,
    );
  }
  return total;
}

/** The largest p99 event-loop lag of the worker processes, from the platform's /metrics. */
async function eventLoopLagP99Ms(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
  const values = [...text.matchAll(/^popsink_worker_process_event_loop_lag_p99_seconds\{[^}]*\} (\S+)$/gm)].map(
    (match) => Number(match[1]) * 1000,
  );
  return values.length === 0 ? NaN : Math.max(...values);
}

let platform: ChildProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'popsink-bench-scale-'));

async function main(): Promise<void> {
  console.log(
    `scale bench: ${PIPELINES} pipelines × ${MESSAGES} messages; load average at start ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' / ')}`,
  );
  const admin = kafka.admin();
  await admin.connect();
  // Leaders are polled rather than awaited by createTopics, whose wait gives up when the metadata lags behind.
  for (let start = 0; start < topics.length; start += 100)
    await admin.createTopics({
      topics: topics.slice(start, start + 100).map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: false,
    });
  const led = async () => {
    let count = 0;
    for (let start = 0; start < topics.length; start += 100) {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.slice(start, start + 100) }).catch(() => ({ topics: [] }));
      count += found.filter((topic) => topic.partitions.every((partition) => partition.leader >= 0)).length;
    }
    return count;
  };
  await waitFor('topic leaders', led, (count) => count === topics.length, 120_000);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.sendBatch({
    acks: -1,
    topicMessages: topics.map((topic) => ({
      topic,
      messages: Array.from({ length: MESSAGES }, (_, id) => ({ value: JSON.stringify({ id, name: `row-${id}`, amount: id / 10 }) })),
    })),
  });
  await producer.disconnect();
  progress(`${topics.length} topics seeded`);

  execFileSync('node', ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  platform = spawn('node', ['--enable-source-maps', 'dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      POPSINK_DATA_DIR: dataDir,
      POPSINK_ADMIN_EMAIL: ADMIN.email,
      POPSINK_ADMIN_PASSWORD: ADMIN.password,
      POPSINK_LOG_LEVEL: 'warn',
      POPSINK_SQLITE_SYNCHRONOUS: 'normal',
      // The embedded read store, as `npm start`: a MongoDB database would hold another run's read models.
      POPSINK_MONGO_URL: '',
      POPSINK_EVENTSTORE_URL: '',
      ...(args.processes === undefined ? {} : { POPSINK_WORKER_PROCESSES: args.processes }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const rootPid = platform.pid ?? 0;
  await waitFor(
    'the API',
    () =>
      fetch(`${BASE}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
    (ok) => ok,
    60_000,
  );
  const login = await fetch(`${BASE}/auth/jwt/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: ADMIN.email, password: ADMIN.password }),
  });
  const token = String(((await login.json()) as { access_token: unknown }).access_token);
  const envId = idOf(await api('POST', '/envs/', token, { name: `scale-${RUN}` }));
  await api('PATCH', '/users/me', token, { current_env_id: envId });
  const teamId = idOf(await api('POST', '/teams/', token, { name: `scale-${RUN}`, env_id: envId }));
  const sourceId = idOf(
    await api('POST', '/connectors/', token, {
      name: `scale-source-${RUN}`,
      team_id: teamId,
      connector_type: 'KAFKA_SOURCE',
      config: { topic: topics[0], bootstrap_servers: BROKERS, security_protocol: 'PLAINTEXT' },
    }),
  );
  const targetId = idOf(
    await api('POST', '/connectors/', token, {
      name: `scale-target-${RUN}`,
      team_id: teamId,
      connector_type: 'POSTGRES_TARGET',
      config: postgresTestConfig({ host: new URL(process.env['TEST_PG_URL'] ?? '').hostname }),
    }),
  );
  const mapper = [
    { key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false },
    { key: 'name', path: '$.name', cast: 'string' },
    { key: 'amount', path: '$.amount', cast: 'float' },
  ];
  const created = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < PIPELINES; i += 1) {
    const body = {
      name: `scale-${RUN}-${i}`,
      team_id: teamId,
      existing_source_id: sourceId,
      existing_target_id: targetId,
      datamodel_source_topic: topics[i],
      subscription_target_table_name: tables[i],
      subscription_backfill: true,
      subscription_mapper_config: mapper,
    };
    ids.push(idOf(await api('POST', '/pipelines/', token, body)));
  }
  progress(`${PIPELINES} pipelines created in ${((performance.now() - created) / 1000).toFixed(1)} s`);

  const started = performance.now();
  for (let start = 0; start < ids.length; start += 20)
    await Promise.all(ids.slice(start, start + 20).map((id) => api('POST', `/pipelines/${id}/start`, token)));
  const liveCount = async () =>
    Number(((await api('GET', `/pipelines/?state=live&team_id=${teamId}&limit=1`, token)) as { total: unknown }).total);
  await waitFor('every pipeline live', liveCount, (n) => n === PIPELINES, 600_000);
  const liveSeconds = (performance.now() - started) / 1000;
  progress(`all live after ${liveSeconds.toFixed(1)} s`);
  await waitFor('every row', rowsLanded, (n) => n === PIPELINES * MESSAGES, 600_000);
  const landedSeconds = (performance.now() - started) / 1000;
  await sleep(3000);
  const tree = treeOf(rootPid);
  const lag = await eventLoopLagP99Ms();

  console.log(`all ${PIPELINES} live          ${liveSeconds.toFixed(1)} s after the start commands`);
  console.log(`all ${(PIPELINES * MESSAGES).toLocaleString('en-US')} rows landed  ${landedSeconds.toFixed(1)} s after the start commands`);
  console.log(
    `resident memory       ${(tree.rssKb / 1024).toFixed(0)} MB for the process tree, ${(tree.rssKb / 1024 / PIPELINES).toFixed(2)} MB per pipeline`,
  );
  console.log(`processes             ${tree.processes} (the platform and its worker processes)`);
  console.log(`event-loop lag p99    ${lag.toFixed(1)} ms (the worst worker process, last 2 s)`);
  console.log(
    `load average at end ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' / ')}`,
  );
}

async function cleanUp(): Promise<void> {
  if (platform !== undefined && platform.exitCode === null) {
    const exited = new Promise((resolve) => platform?.once('exit', resolve));
    platform.kill('SIGTERM');
    await Promise.race([exited, sleep(60_000)]);
  }
  rmSync(dataDir, { recursive: true, force: true });
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  await admin
    .deleteTopics({ topics: topics.filter((topic) => existing.has(topic)) })
    .catch((error: unknown) => progress(`cleanup: topics: ${String(error)}`));
  await admin.disconnect();
  for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool.end();
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  progress(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  await cleanUp();
}
