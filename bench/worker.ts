/**
 * Benchmark of a subscription worker (runtime/worker/subscriptionWorker.ts) on the real Kafka and
 * PostgreSQL of scripts/services, in this process, beside bare kafkajs / pg loops doing the same
 * transport without the platform.
 *
 *   npx tsx bench/worker.ts [--messages N] [--rate R] [--seconds S]
 *
 * Brokers come from TEST_KAFKA_BROKERS and the server from TEST_PG_URL; either one unset is
 * started with scripts/services/{kafka,postgres}.sh (and left running, as scripts/test.sh would
 * not be). Prints figures only; everything created (topics, groups, tables) is removed at the end.
 *
 *   A  Kafka → Kafka over N seeded messages (3 partitions): baseline = kafkajs eachBatch →
 *      producer.send of the same values (idempotent, acks all, as the worker's target) → commit;
 *      ours = the worker with KAFKA_TARGET and a 10-column mapper.
 *   B  Kafka → PostgreSQL over the same messages: baseline = eachBatch → JSON.parse, the 10 fields
 *      picked by hand → one multi-row INSERT … ON CONFLICT (id) DO UPDATE → commit; ours = the
 *      worker with POSTGRES_TARGET.
 *   R  Kafka → PostgreSQL over the same messages into a table whose CHECK refuses 1% of them
 *      (ids ending in 42), with an error table: the worker isolates the refused rows (halving the
 *      batches that fail) and writes them to the error table; ratio against ours of B.
 *   L  Latency Kafka → PostgreSQL at a steady R msg/s for S s: p50 / p99 as the worker's own
 *      metrics report them (message timestamp → target ack), and measured apart from the worker:
 *      the send time of each id against the row's `landed_at` (a column defaulting to
 *      clock_timestamp(), i.e. the INSERT inside the target's transaction, just before COMMIT).
 *
 * Each throughput run is a fresh consumer group reading the topic from the start; it is timed from
 * the group join (the worker's `live` report, the consumer's GROUP_JOIN event) to the last row
 * written. The worker's end is seen through its metrics reports (every 100 ms here), so its time
 * may be up to 100 ms long. `cpu` is this process's CPU time over the run (the broker and the
 * server run on the same machine and compete for its cores).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { validateMapperConfig } from '../domain/mapper/mapperSpec';
import type { LatencySummary, WorkerMetrics } from '../runtime/observability/workerReport';
import { startSubscriptionWorker } from '../runtime/worker/subscriptionWorker';
import { DEFAULT_FEED, type WorkerConnector, type WorkerSpec } from '../runtime/worker/workerSpec';
import { postgresTestConfig } from '../test/fixtures/postgresConfig';

// --- options and servers

/** `200k`, `1.5m`, `2e5`, `200_000`. */
function amount(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const match = /^([\d.e]+)([km]?)$/.exec(raw.replaceAll('_', '').toLowerCase());
  const value = match ? Number(match[1]) * ({ '': 1, k: 1e3, m: 1e6 } as const)[match[2] as '' | 'k' | 'm'] : NaN;
  if (!(value > 0)) throw new Error(`${flag}: not a positive number: ${raw}`);
  return Math.round(value);
}
const { values: args } = parseArgs({ options: { messages: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } } });
const MESSAGES = amount('--messages', args.messages, 200_000);
const RATE = amount('--rate', args.rate, 2000);
const SECONDS = amount('--seconds', args.seconds, 20);

/** The variable's value, or the URL the service script prints once it started the server. */
function server(variable: string, script: string): string {
  const given = process.env[variable];
  if (given !== undefined && given !== '') return given;
  const path = fileURLToPath(new URL(`../scripts/services/${script}`, import.meta.url));
  const url = execFileSync('bash', [path, 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  process.env[variable] = url;
  return url;
}
const BROKERS = server('TEST_KAFKA_BROKERS', 'kafka.sh');
server('TEST_PG_URL', 'postgres.sh');
const PG_CONFIG = postgresTestConfig();

const kafka = new Kafka({ brokers: BROKERS.split(','), clientId: 'popsink-bench', logLevel: logLevel.NOTHING });
const pool = new pg.Pool({ ...PG_CONFIG, port: Number(PG_CONFIG.port), max: 2 });
const RUN = randomUUID().slice(0, 8);
const progress = (line: string) => process.stderr.write(`${line}\n`);

// --- what is cleaned up at the end

const created = { topics: [] as string[], groups: [] as string[], tables: [] as string[] };
const names = {
  topic: (what: string) => remember(created.topics, `bench-worker-${RUN}-${what}`),
  group: (what: string) => remember(created.groups, `bench-worker-${RUN}-${what}`),
  table: (what: string) => remember(created.tables, `bench_worker_${RUN}_${what}`),
};
function remember(list: string[], name: string): string {
  list.push(name);
  return name;
}

async function cleanUp(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  await admin.deleteGroups(created.groups).catch((error: unknown) => progress(`cleanup: consumer groups: ${String(error)}`));
  await admin
    .deleteTopics({ topics: created.topics.filter((topic) => existing.has(topic)) })
    .catch((error: unknown) => progress(`cleanup: topics: ${String(error)}`));
  await admin.disconnect();
  for (const table of created.tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool.end();
}

// --- messages, mapper, table

const pad2 = (n: number) => String(n).padStart(2, '0');
/** An order of about ten fields, nested, with values that need the casts (numbers in text, "false"). */
const orderOf = (id: number) => ({
  id,
  customer: {
    id: String(5000 + (id % 1000)),
    name: `Customer ${id % 1000}`,
    address: { street: `${id % 300} Main St`, city: 'Lyon', country: id % 3 === 0 ? 'FR' : 'DE' },
  },
  amount: (id * 13.37) % 1000,
  quantity: String(1 + (id % 5)),
  captured: id % 5 === 0 ? 'false' : true,
  created_at: `2025-${pad2((id % 12) + 1)}-${pad2((id % 28) + 1)} ${pad2(id % 24)}:${pad2(id % 60)}:${pad2((id * 7) % 60)}`,
  day: `2025-${pad2((id % 12) + 1)}-${pad2((id % 28) + 1)}`,
  items: [{ sku: `SKU-${id}`, quantity: 1, price: 9.99 }],
  channel: 'web',
  meta: { trace_id: `t-${id}`, tags: ['a', 'b'] },
});

const validated = validateMapperConfig(
  [
    { key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false },
    { key: 'customer_id', path: '$.customer.id', cast: 'int' },
    { key: 'customer_name', path: '$.customer.name', cast: 'string' },
    { key: 'country', path: '$.customer.address.country', cast: 'string' },
    { key: 'amount', path: '$.amount', cast: 'float' },
    { key: 'quantity', path: '$.quantity', cast: 'int' },
    { key: 'captured', path: '$.captured', cast: 'bool' },
    { key: 'created_at', path: '$.created_at', cast: 'datetime', cast_format: '%Y-%m-%d %H:%M:%S' },
    { key: 'day', path: '$.day', cast: 'date' },
    { key: 'first_sku', path: '$.items[0].sku', cast: 'string' },
  ],
  ['bench'],
);
if (isLeft(validated)) throw new Error(JSON.stringify(validated.left));
const MAPPER = validated.right;

/** The table the worker would create for MAPPER, made by hand (with `extra` columns after it). */
const createTable = (table: string, extra = '') =>
  pool.query(
    `CREATE TABLE "${table}" (id bigint PRIMARY KEY, customer_id bigint, customer_name text, country text, amount double precision,
       quantity bigint, captured boolean, created_at timestamptz, day date, first_sku text${extra})`,
  );

/** The row of the bare PostgreSQL loop: the fields picked by hand, the casts left to the server. */
function bareRow(value: Buffer): unknown[] {
  const o = JSON.parse(value.toString('utf8'));
  return [
    o.id,
    o.customer.id,
    o.customer.name,
    o.customer.address.country,
    o.amount,
    o.quantity,
    o.captured,
    o.created_at,
    o.day,
    o.items[0].sku,
  ];
}
const BARE_COLUMNS = ['id', 'customer_id', 'customer_name', 'country', 'amount', 'quantity', 'captured', 'created_at', 'day', 'first_sku'];
function bareUpsert(table: string, rows: readonly unknown[][]): [string, unknown[]] {
  const width = BARE_COLUMNS.length;
  const tuples = rows.map((_, r) => `(${BARE_COLUMNS.map((_, c) => `$${r * width + c + 1}`).join(', ')})`);
  const updates = BARE_COLUMNS.slice(1).map((name) => `${name} = EXCLUDED.${name}`);
  return [
    `INSERT INTO "${table}" (${BARE_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`,
    rows.flat(),
  ];
}

// --- kafka helpers

async function createTopics(...topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  await admin.disconnect();
}

async function messagesIn(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
}

async function seed(topic: string, count: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let start = 0; start < count; start += 5000) {
    const ids = Array.from({ length: Math.min(5000, count - start) }, (_, i) => start + i);
    await producer.send({ topic, acks: -1, messages: ids.map((id) => ({ value: JSON.stringify(orderOf(id)) })) });
  }
  await producer.disconnect();
}

// --- runs

interface Run {
  readonly label: string;
  readonly count: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly check: string;
}

const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/**
 * A bare consumer (the worker's consumer settings) handing each batch to `deliver`, then
 * committing its offsets; timed from the group join to `expected` messages delivered.
 */
async function bareRun(
  label: string,
  topic: string,
  expected: number,
  deliver: (messages: KafkaMessage[]) => Promise<void>,
  check: () => Promise<string>,
): Promise<Run> {
  const consumer: Consumer = kafka.consumer({
    groupId: names.group(label.replaceAll(/\W+/g, '-')),
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  let joinedAt = 0;
  let cpuAtJoin = process.cpuUsage();
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt = performance.now();
    cpuAtJoin = process.cpuUsage();
  });
  let delivered = 0;
  let finished: () => void = () => undefined;
  const allDelivered = new Promise<void>((resolve) => (finished = resolve));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
      if (batch.messages.length === 0) return;
      await deliver(batch.messages);
      const last = batch.lastOffset();
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      resolveOffset(last);
      delivered += batch.messages.length;
      if (delivered >= expected) finished();
      await heartbeat();
    },
  });
  await allDelivered;
  const seconds = (performance.now() - joinedAt) / 1000;
  const cpuSeconds = cpuSince(cpuAtJoin);
  await consumer.disconnect();
  return { label, count: expected, seconds, cpuSeconds, check: await check() };
}

const connector = (type: WorkerConnector['type'], config: Record<string, unknown>): WorkerConnector => ({ type, config });
const KAFKA_TARGET = connector('KAFKA_TARGET', { bootstrap_server: BROKERS });
const { host, port, database, user, password } = PG_CONFIG;
const POSTGRES_TARGET = connector('POSTGRES_TARGET', { host, port, database, user, password });

/**
 * The worker in this process on `topic` (a fresh group, backfill), writing `tableName` of
 * `target`, until its metrics say `expected` rows went out: timed from its `live` report.
 */
async function workerRun(
  label: string,
  topic: string,
  target: WorkerConnector,
  tableName: string,
  expected: number,
  check: () => Promise<string>,
  options: { onLive?: () => Promise<void>; errorTable?: string } = {},
): Promise<Run & { metrics: WorkerMetrics }> {
  const spec: WorkerSpec = {
    pipelineId: `bench-${RUN}`,
    subscriptionId: `bench-${RUN}-${label.replaceAll(/\W+/g, '-')}`,
    version: 1,
    source: connector('KAFKA_SOURCE', { topic, bootstrap_servers: BROKERS }),
    topic,
    groupId: names.group(label.replaceAll(/\W+/g, '-')),
    backfill: true,
    target,
    tableName,
    mapper: MAPPER,
    errorTable: options.errorTable === undefined ? null : { target, name: options.errorTable },
    transactionalId: null,
    feed: DEFAULT_FEED,
    retryWindowMs: 30_000,
    retention: null,
    labels: { datamodelId: 'bench', connectorIds: [] },
  };
  let liveAt = 0;
  let cpuAtLive = process.cpuUsage();
  let latest: WorkerMetrics | undefined;
  let endAt = 0;
  let cpuSeconds = 0;
  let settle: (error?: Error) => void = () => undefined;
  const reached = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
  const worker = startSubscriptionWorker(
    spec,
    (report) => {
      switch (report.type) {
        case 'live':
          liveAt = performance.now();
          cpuAtLive = process.cpuUsage();
          break;
        case 'metrics':
          latest = report.metrics;
          // Counted once a batch is written and committed, rejected messages included.
          if (report.metrics.messages_in >= expected && endAt === 0) {
            endAt = performance.now();
            cpuSeconds = cpuSince(cpuAtLive);
            settle();
          }
          break;
        case 'failed':
          settle(new Error(`${label}: worker failed: ${report.code}: ${report.reason}`));
          break;
        case 'log':
          if (report.level === 'warn' || report.level === 'error') progress(`  ${label} worker ${report.level}: ${report.message}`);
          break;
      }
    },
    { metricsIntervalMs: 100 },
  );
  try {
    while (liveAt === 0) await sleep(20);
    await options.onLive?.();
    await reached;
  } finally {
    await worker.stop();
  }
  return { label, count: expected, seconds: (endAt - liveAt) / 1000, cpuSeconds, check: await check(), metrics: latest as WorkerMetrics };
}

const countRows = async (table: string) => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`)).rows[0]?.n);
const rowsCheck = (table: string, expected: number) => async () => {
  const n = await countRows(table);
  return `${n.toLocaleString('en-US')} rows${n === expected ? '' : ' (!)'}`;
};
const topicCheck = (topic: string, expected: number) => async () => {
  const n = await messagesIn(topic);
  return `${n.toLocaleString('en-US')} messages${n === expected ? '' : ' (!)'}`;
};

/** Produces `rate` messages a second for `seconds` into `topic`, each stamped with its send time. */
async function steadyProducer(topic: string, rate: number, seconds: number, sentAt: Map<number, number>): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  const start = Date.now();
  const total = rate * seconds;
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) * rate) / 1000)) - sent;
    if (due > 0) {
      const now = Date.now();
      const ids = Array.from({ length: due }, (_, i) => sent + i);
      for (const id of ids) sentAt.set(id, now);
      await producer.send({ topic, acks: -1, messages: ids.map((id) => ({ value: JSON.stringify(orderOf(id)), timestamp: String(now) })) });
      sent += due;
    }
    await sleep(5);
  }
  await producer.disconnect();
}

function percentiles(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = values.sort((a, b) => a - b);
  const rank = (fraction: number) => sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? NaN;
  return { p50: rank(0.5), p99: rank(0.99), max: rank(1) };
}

// --- main

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rateOf = (run: Run) => run.count / run.seconds;

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  console.log(`worker bench: ${fmt(MESSAGES)} messages, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
  console.log(
    `load average at start ${loadAtStart.map((n) => n.toFixed(2)).join(' / ')} (1 / 5 / 15 min); Kafka ${BROKERS}, PostgreSQL ${PG_CONFIG.host}:${PG_CONFIG.port}`,
  );

  const source = names.topic('source');
  const bareOut = names.topic('bare-out');
  const workerOut = names.topic('worker-out');
  await createTopics(source, bareOut, workerOut);
  const seedStart = performance.now();
  await seed(source, MESSAGES);
  progress(`seeded ${fmt(MESSAGES)} messages in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  // A: Kafka → Kafka
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const bareA = await bareRun(
    'A bare kafkajs passthrough',
    source,
    MESSAGES,
    async (messages) => {
      await producer.send({ topic: bareOut, acks: -1, messages: messages.map(({ value }) => ({ value })) });
    },
    topicCheck(bareOut, MESSAGES),
  );
  await producer.disconnect();
  progress(`${bareA.label}: ${bareA.seconds.toFixed(2)} s`);
  const oursA = await workerRun('A worker KAFKA_TARGET', source, KAFKA_TARGET, workerOut, MESSAGES, topicCheck(workerOut, MESSAGES));
  progress(`${oursA.label}: ${oursA.seconds.toFixed(2)} s`);

  // B: Kafka → PostgreSQL
  const bareTable = names.table('bare');
  const workerTable = names.table('worker');
  await createTable(bareTable);
  const bareB = await bareRun(
    'B bare pg upsert',
    source,
    MESSAGES,
    async (messages) => {
      const rows = messages.map(({ value }) => bareRow(value as Buffer));
      for (let start = 0; start < rows.length; start += 6000) await pool.query(...bareUpsert(bareTable, rows.slice(start, start + 6000)));
    },
    rowsCheck(bareTable, MESSAGES),
  );
  progress(`${bareB.label}: ${bareB.seconds.toFixed(2)} s`);
  const oursB = await workerRun(
    'B worker POSTGRES_TARGET',
    source,
    POSTGRES_TARGET,
    workerTable,
    MESSAGES,
    rowsCheck(workerTable, MESSAGES),
  );
  progress(`${oursB.label}: ${oursB.seconds.toFixed(2)} s`);

  // R: Kafka → PostgreSQL, 1% of the rows refused by the table
  const rejectTable = names.table('rejects');
  const rejectErrors = names.table('rejects_errors');
  await createTable(rejectTable, ', CHECK (id % 100 <> 42)');
  const refused = Math.floor((MESSAGES + 57) / 100);
  const oursR = await workerRun(
    'R worker 1% rejected rows',
    source,
    POSTGRES_TARGET,
    rejectTable,
    MESSAGES,
    async () => `${await rowsCheck(rejectTable, MESSAGES - refused)()}, ${await rowsCheck(rejectErrors, refused)()} in the error table`,
    {
      errorTable: rejectErrors,
    },
  );
  progress(`${oursR.label}: ${oursR.seconds.toFixed(2)} s`);

  // L: latency at a steady rate
  const latencyTopic = names.topic('latency');
  const latencyTable = names.table('latency');
  await createTopics(latencyTopic);
  await createTable(latencyTable, ', landed_at timestamptz DEFAULT clock_timestamp()');
  const total = RATE * SECONDS;
  const sentAt = new Map<number, number>();
  progress(`latency: ${fmt(RATE)} msg/s for ${SECONDS} s`);
  const latency = await workerRun(
    'L worker POSTGRES_TARGET',
    latencyTopic,
    POSTGRES_TARGET,
    latencyTable,
    total,
    rowsCheck(latencyTable, total),
    { onLive: () => steadyProducer(latencyTopic, RATE, SECONDS, sentAt) },
  );
  const landed = await pool.query<{ id: string; landed: number }>(
    `SELECT id, extract(epoch FROM landed_at) * 1000 AS landed FROM "${latencyTable}"`,
  );
  const measured = percentiles(landed.rows.map((row) => Number(row.landed) - (sentAt.get(Number(row.id)) ?? NaN)).filter(Number.isFinite));
  const reported: LatencySummary = latency.metrics.latency;

  console.log('');
  console.log(
    `${'run'.padEnd(30)}${'messages'.padStart(10)}${'wall s'.padStart(8)}${'cpu s'.padStart(8)}${'msg/s'.padStart(10)}${'ratio'.padStart(8)}  target holds`,
  );
  const line = (run: Run, baseline?: Run) =>
    console.log(
      `${run.label.padEnd(30)}${fmt(run.count).padStart(10)}${run.seconds.toFixed(2).padStart(8)}${run.cpuSeconds.toFixed(2).padStart(8)}${fmt(rateOf(run)).padStart(10)}${(baseline ? `${(rateOf(run) / rateOf(baseline)).toFixed(2)}×` : '').padStart(8)}  ${run.check}`,
    );
  line(bareA);
  line(oursA, bareA);
  line(bareB);
  line(oursB, bareB);
  line(oursR, oursB);
  console.log('');
  const ms = (n: number | null) => (n === null ? '-' : `${n.toFixed(0)} ms`);
  console.log(
    `L  Kafka → PostgreSQL at ${fmt(RATE)} msg/s for ${SECONDS} s (${fmt(total)} messages; ${latency.check}), drained ${latency.seconds.toFixed(1)} s after live:`,
  );
  console.log(
    `   worker metrics (timestamp → target ack, ${reported.count} samples): p50 ${ms(reported.p50_ms)}, p95 ${ms(reported.p95_ms)}, p99 ${ms(reported.p99_ms)}, max ${ms(reported.max_ms)}`,
  );
  console.log(
    `   measured apart (send → row inserted, ${landed.rows.length} rows):      p50 ${ms(measured.p50)}, p99 ${ms(measured.p99)}, max ${ms(measured.max)}`,
  );
  console.log(
    `load average at end ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' / ')}`,
  );
}

let cleaning: Promise<void> | undefined;
const cleanUpOnce = () =>
  (cleaning ??= cleanUp().catch((error: unknown) => {
    progress(`cleanup failed: ${String(error)}`);
  }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanUpOnce().finally(() => process.exit(130));
  });
}
try {
  await main();
} catch (error) {
  process.exitCode = 1;
  progress(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  await cleanUpOnce();
}
