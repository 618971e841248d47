import type { TestFn } from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';
import { testServer } from '../fixtures/testServers';
import { tempDir } from '../commands/commandFixtures';
import { ADMIN, asRecord, JWT_SECRET, startApi, type Api } from '../http/apiFixtures';

export const DATAPLANE_RETENTION_MS = 3_600_000;

/**
 * Registers a suite's data plane: started before its tests, stopped after them. The returned
 * function gives the running world to each test.
 */
export function useDataPlane(test: TestFn): () => { api: Api; token: string; teamId: string } {
  let world: { api: Api; token: string; teamId: string } | undefined;
  test.before(async () => {
    world = await startDataPlane();
  });
  test.after.always(async () => {
    await world?.api.stop();
  });
  return () => {
    if (world === undefined) throw new Error('the data plane did not start');
    return world;
  };
}

/** The platform with its runtime (forked workers), signed in as the superuser, with a team. */
export async function startDataPlane(env: Record<string, string> = {}): Promise<{ api: Api; token: string; teamId: string }> {
  const api = await startApi({ env: { POPSINK_ROLE: 'all', POPSINK_RETRY_WINDOW_SECONDS: '3', ...env } });
  const token = await api.login(ADMIN.email, ADMIN.password);
  // The env keeps what the platform creates for an hour: topics it creates must say so.
  const envBody = {
    name: `dp-${randomUUID().slice(0, 8)}`,
    use_retention: true,
    retention_configuration: { retention_ms: DATAPLANE_RETENTION_MS, retention_bytes: null },
  };
  const envId = String(asRecord((await api.request('POST', '/envs/', { token, json: envBody })).body)['id']);
  await api.request('PATCH', '/users/me', { token, json: { current_env_id: envId } });
  const team = await api.request('POST', '/teams/', { token, json: { name: `dp-team-${randomUUID().slice(0, 8)}`, env_id: envId } });
  if (team.status !== 201) throw new Error(`team: ${team.status} ${JSON.stringify(team.body)}`);
  return { api, token, teamId: String(asRecord(team.body)['id']) };
}

export const kafkaOf = (brokers: string) =>
  new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, clientId: 'popsink-tests' });

/**
 * Creates a topic and waits until each of its partitions has a leader. kafkajs's own
 * `waitForLeaders` gives up when the broker's metadata does not list the new topic yet
 * (UNKNOWN_TOPIC_OR_PARTITION, seen under load), so the metadata is polled here instead.
 */
export async function createTopic(brokers: string, topic: string, numPartitions: number): Promise<void> {
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }] });
    await until(
      `leaders for the ${numPartitions} partitions of ${topic}`,
      () =>
        admin.fetchTopicMetadata({ topics: [topic] }).then(
          ({ topics }) => topics[0]?.partitions.filter((partition) => partition.leader >= 0).length ?? 0,
          () => 0,
        ),
      (led) => led === numPartitions,
      30_000,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Produces values in batches (keys null, partitions round-robin by kafkajs), with the current time as timestamp. */
export async function produce(brokers: string, topic: string, values: readonly string[], batchSize = 5000): Promise<void> {
  const producer = kafkaOf(brokers).producer();
  await producer.connect();
  for (let i = 0; i < values.length; i += batchSize) {
    await producer.send({ topic, acks: -1, messages: values.slice(i, i + batchSize).map((value) => ({ value })) });
  }
  await producer.disconnect();
}

/** Polls `read` until `done` holds of its value, or fails after `timeoutMs` naming the last value. */
export async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

/**
 * `count` messages, every `invalidEvery`-th one invalid in turn: not JSON, missing its
 * non-nullable name, an amount that is no number. Ids are 0..count-1.
 */
export function orderMessages(count: number, invalidEvery: number): { values: string[]; valid: number; invalid: number } {
  const values: string[] = [];
  let invalid = 0;
  for (let id = 0; id < count; id += 1) {
    if (id % invalidEvery === invalidEvery - 1) {
      const kind = invalid % 3;
      values.push(
        kind === 0
          ? `{not json ${id}`
          : kind === 1
            ? JSON.stringify({ id, amount: 1.5 })
            : JSON.stringify({ id, name: `n${id}`, amount: 'abc' }),
      );
      invalid += 1;
    } else {
      values.push(JSON.stringify({ id, name: `customer-${id}`, amount: id / 100, meta: { source: 'e2e' } }));
    }
  }
  return { values, valid: count - invalid, invalid };
}

export const ORDER_MAPPER = [
  { key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false },
  { key: 'name', path: '$.name', cast: 'string', nullable: false },
  { key: 'amount', path: '$.amount', cast: 'float', nullable: true },
  { key: 'source', path: '$.meta.source', cast: 'string', nullable: true },
];

/** Runs `bash scripts/services/<service>.sh <command>` (start, stop, ...) and returns its stdout. */
export function serviceScript(
  service: 'kafka' | 'postgres' | 'ferretdb',
  command: string,
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [`scripts/services/${service}.sh`, command],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 180_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${service}.sh ${command}: ${error.message}\n${stderr}`));
        else resolve(stdout.trim());
      },
    );
  });
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Creates (not starts) a Kafka → PostgreSQL pipeline of ORDER_MAPPER rows with an error table; returns its id and its datamodel's. */
export async function createOrdersToPostgres(
  world: { api: Api; token: string; teamId: string },
  options: { brokers: string; topic: string; table: string },
): Promise<{ pipelineId: string; datamodelId: string }> {
  const { teamId } = world;
  const { brokers, topic, table } = options;
  return createPipeline(world, {
    name: `${table}-pipeline`,
    team_id: teamId,
    source_name: `${table}-source`,
    source_type: 'KAFKA_SOURCE',
    source_config: { topic, bootstrap_servers: brokers, security_protocol: 'PLAINTEXT' },
    target_name: `${table}-target`,
    target_type: 'POSTGRES_TARGET',
    target_config: postgresTestConfig(),
    subscription_target_table_name: table,
    subscription_backfill: true,
    subscription_mapper_config: ORDER_MAPPER,
    subscription_error_table_enabled: true,
    subscription_error_table_name: `${table}_errors`,
  });
}

/** Rows of a table in the test PostgreSQL: total and distinct ids; -1 while unreadable (no table yet, server down). */
export const rowCounts = (table: string): Promise<{ rows: number; ids: number }> =>
  admin(async (client) => {
    const row = (await client.query(`SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM "public"."${table}"`)).rows[0] as {
      rows: string;
      ids: string;
    };
    return { rows: Number(row.rows), ids: Number(row.ids) };
  }).catch(() => ({ rows: -1, ids: -1 }));

/** GET /pipelines/{id}: its state and error_reason. */
export async function pipelineState(
  world: { api: Api; token: string },
  pipelineId: string,
): Promise<{ state: unknown; error_reason: unknown }> {
  const body = asRecord((await world.api.request('GET', `/pipelines/${pipelineId}`, { token: world.token })).body);
  return { state: body['state'], error_reason: body['error_reason'] };
}

/** A 3-partition topic on the test broker and a (not started) pipeline from it to a new PostgreSQL table, both named after `label`. */
export async function ordersTopicAndPipeline(
  world: { api: Api; token: string; teamId: string },
  label: string,
): Promise<{ brokers: string; topic: string; table: string; pipelineId: string; datamodelId: string }> {
  const brokers = testServer('TEST_KAFKA_BROKERS');
  testServer('TEST_PG_URL');
  const suffix = randomUUID().slice(0, 8);
  const topic = `${label}-${suffix}`.replaceAll('_', '-');
  const table = `${label}_${suffix}`.replaceAll('-', '_');
  await createTopic(brokers, topic, 3);
  return { brokers, topic, table, ...(await createOrdersToPostgres(world, { brokers, topic, table })) };
}

/**
 * What an API in this process and runtimes in their own OS processes share: one data dir (the
 * SQLite event store), one MongoDB database (read models, runtime metrics and logs), one secret
 * key and one JWT secret.
 */
export function separateProcessesEnv(): Record<string, string> {
  const mongoUrl = process.env['POPSINK_MONGO_URL'] ?? '';
  if (mongoUrl === '') throw new Error('POPSINK_MONGO_URL is not set: export POPSINK_MONGO_URL=$(bash scripts/services/ferretdb.sh start)');
  return {
    POPSINK_DATA_DIR: tempDir(),
    POPSINK_MONGO_URL: mongoUrl,
    POPSINK_MONGO_DATABASE: `outage_${randomUUID().replaceAll('-', '')}`,
    POPSINK_SECRET_KEY: randomBytes(32).toString('base64'),
    POPSINK_JWT_SECRET: JWT_SECRET,
    POPSINK_RETRY_WINDOW_SECONDS: '5',
  };
}

/**
 * `node --import tsx main.ts` (or, `compiled`, the built `node dist/main.js`) as a runtime
 * (POPSINK_ROLE runtime) in a process group of its own, its worker processes with it, its probes
 * on a free port; its recent output chunks are kept in `output`.
 */
export function spawnRuntime(env: Record<string, string>, output: string[] = [], options: { compiled?: boolean } = {}): ChildProcess {
  const child = spawn(
    process.execPath,
    options.compiled === true ? ['--enable-source-maps', 'dist/main.js'] : ['--import', 'tsx', 'main.ts'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, POPSINK_LOG_LEVEL: 'warn', ...env, POPSINK_ROLE: 'runtime', PORT: '0', POPSINK_RUNTIME_PORT: '0' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

/** Signals a spawned runtime's whole process group (its workers too) and waits for the runtime to exit. */
export async function killProcessGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.pid === undefined) return;
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
  await exited;
}

/** Creates (not starts) a Kafka → Kafka pipeline of ORDER_MAPPER rows (consumed as group `groupId` when given), with an error topic; returns its id and its datamodel's. */
export async function createOrdersToKafka(
  world: { api: Api; token: string; teamId: string },
  options: { brokers: string; source: string; target: string; groupId?: string; exactlyOnce: boolean },
): Promise<{ pipelineId: string; datamodelId: string }> {
  const { brokers, source, target } = options;
  const connector = (side: 'src' | 'dst', type: 'KAFKA_SOURCE' | 'KAFKA_TARGET', config: Record<string, string>) => ({
    [`${side === 'src' ? 'source' : 'target'}_name`]: `${target}-${side}`,
    [`${side === 'src' ? 'source' : 'target'}_type`]: type,
    [`${side === 'src' ? 'source' : 'target'}_config`]: config,
  });
  const json = {
    name: `${target}-pipeline`,
    team_id: world.teamId,
    ...connector('src', 'KAFKA_SOURCE', { topic: source, bootstrap_servers: brokers }),
    ...connector('dst', 'KAFKA_TARGET', { bootstrap_server: brokers }),
    subscription_target_table_name: target,
    ...(options.groupId === undefined ? {} : { subscription_consumer_id: options.groupId }),
    subscription_backfill: true,
    subscription_mapper_config: ORDER_MAPPER,
    subscription_exactly_once: options.exactlyOnce,
    subscription_error_table_enabled: true,
    subscription_error_table_name: `${target}-errors`,
  };
  return createPipeline(world, json);
}

/** POST /pipelines/ as the world's user: the created pipeline's id and its datamodel's. */
export async function createPipeline(
  world: { api: Api; token: string },
  json: Record<string, unknown>,
): Promise<{ pipelineId: string; datamodelId: string }> {
  const created = await world.api.request('POST', '/pipelines/', { token: world.token, json });
  if (created.status !== 201) throw new Error(`create pipeline: ${created.status} ${JSON.stringify(created.body)}`);
  const pipeline = asRecord(created.body);
  return { pipelineId: String(pipeline['id']), datamodelId: String(pipeline['datamodel_id']) };
}

/** What a read_committed consumer has seen of a topic whose keys are the ids 0..size-1. */
export interface TopicTally {
  /** Messages seen (aborted transactions and their markers excluded). */
  readonly total: number;
  /** Distinct ids among them. */
  readonly distinct: number;
  /** Keys that are no id in 0..size-1. */
  readonly foreign: number;
  /** The highest offset seen, by partition. */
  readonly lastOffsets: ReadonlyMap<number, string>;
  stop(): Promise<void>;
}

/** Starts a read_committed consumer (a group of its own) tallying a topic from its beginning; the topic must exist. */
export async function tallyTopic(brokers: string, topic: string, size: number): Promise<TopicTally> {
  const seen = new Uint8Array(size);
  const lastOffsets = new Map<number, string>();
  const counts = { total: 0, distinct: 0, foreign: 0 };
  const consumer = kafkaOf(brokers).consumer({ groupId: `tally-${randomUUID()}`, readUncommitted: false, maxBytes: 32 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        counts.total += 1;
        const id = Number(message.key?.toString('utf8') ?? NaN);
        if (!Number.isInteger(id) || id < 0 || id >= size) counts.foreign += 1;
        else if ((seen[id] = Math.min(255, (seen[id] ?? 0) + 1)) === 1) counts.distinct += 1;
      }
      if (batch.messages.length > 0) lastOffsets.set(batch.partition, batch.lastOffset());
    },
  });
  return {
    get total() {
      return counts.total;
    },
    get distinct() {
      return counts.distinct;
    },
    get foreign() {
      return counts.foreign;
    },
    lastOffsets,
    stop: () => consumer.disconnect(),
  };
}

/** A topic's end offsets (markers of transactions included) and a group's committed offsets on it, by partition; -1 where the group has none. */
export async function topicProgress(
  brokers: string,
  topic: string,
  groupId: string,
): Promise<{ partition: number; end: number; committed: number }[]> {
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map((group?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]));
    return ends.map(({ partition, high }) => ({ partition, end: Number(high), committed: committed.get(partition) ?? -1 }));
  } finally {
    await admin.disconnect();
  }
}
