import test from 'ava';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { validateMapperConfig } from '../../domain/mapper/mapperSpec';
import type { WorkerReport } from '../../runtime/observability/workerReport';
import { workerPool, type WorkerPool } from '../../runtime/worker/workerPool';
import type { WorkerHandle } from '../../runtime/worker/workerHandle';
import { DEFAULT_FEED, type WorkerSpec } from '../../runtime/worker/workerSpec';
import { createTopic, kafkaOf, until } from '../dataplane/dataplaneFixtures';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';
import { testServer } from '../fixtures/testServers';

/**
 * The runtime's worker pool with real workers on the real Kafka and PostgreSQL: a pool process
 * SIGKILLed mid-stream costs only its own subscriptions a restart (nothing lost), and a
 * subscription that keeps crashing is quarantined in a process of its own while its neighbour
 * never stops. The test restarts crashed workers as the supervisor does.
 */

const CRASHING_ENTRY = fileURLToPath(new URL('../fixtures/crashingPoolProcess.ts', import.meta.url));
const mapper = validateMapperConfig(
  [
    { key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false },
    { key: 'name', path: '$.name', cast: 'string' },
  ],
  ['test'],
);
if (mapper._tag === 'Left') throw new Error('mapper');

interface Subscription {
  readonly id: string;
  readonly topic: string;
  readonly table: string;
}

async function subscription(label: string): Promise<Subscription> {
  const suffix = randomUUID().slice(0, 8);
  const sub = { id: `${label}-${suffix}`, topic: `pool-${label}-${suffix}`, table: `pool_${label.replaceAll('-', '_')}_${suffix}` };
  await createTopic(testServer('TEST_KAFKA_BROKERS'), sub.topic, 1);
  // landed_at: when each row was written, to see who kept writing while a process was down.
  await admin((client) =>
    client.query(
      `CREATE TABLE "public"."${sub.table}" (id bigint PRIMARY KEY, name text, landed_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    ),
  );
  return sub;
}

const specOf = ({ id, topic, table }: Subscription): WorkerSpec => ({
  pipelineId: `pipeline-${id}`,
  subscriptionId: id,
  version: 1,
  source: { type: 'KAFKA_SOURCE', config: { topic, bootstrap_servers: testServer('TEST_KAFKA_BROKERS') } },
  topic,
  groupId: `group-${id}`,
  backfill: true,
  target: { type: 'POSTGRES_TARGET', config: { ...postgresTestConfig() } },
  tableName: table,
  mapper: mapper.right,
  errorTable: null,
  transactionalId: null,
  feed: DEFAULT_FEED,
  retryWindowMs: 30_000,
  retention: null,
  labels: { datamodelId: 'test', connectorIds: [] },
});

/** Runs the subscription's worker on the pool, restarting it after a crash as the supervisor does. */
function supervise(pool: WorkerPool, sub: Subscription, logs: string[], restarts: { count: number }): { stop(): Promise<void> } {
  let current: WorkerHandle | undefined;
  let stopped = false;
  const run = () => {
    current = pool.spawn(specOf(sub), (report: WorkerReport) => {
      if (report.type === 'log') logs.push(report.message);
    });
    void current.ended.then(({ crashed }) => {
      if (!crashed || stopped) return;
      restarts.count += 1;
      setTimeout(run, 200);
    });
  };
  run();
  return {
    async stop() {
      stopped = true;
      await current?.stop();
    },
  };
}

async function produce(topic: string, from: number, count: number): Promise<void> {
  const producer = kafkaOf(testServer('TEST_KAFKA_BROKERS')).producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: count }, (_, i) => ({ value: JSON.stringify({ id: from + i, name: `n${from + i}` }) })),
  });
  await producer.disconnect();
}

const landed = (table: string) =>
  admin(
    async (client) =>
      (await client.query(`SELECT count(*)::int AS n, max(landed_at) AS last FROM "public"."${table}"`)).rows[0] as {
        n: number;
        last: Date | null;
      },
  );
const landedBetween = (table: string, from: number, to: number) =>
  admin(async (client) =>
    Number(
      (
        await client.query(
          `SELECT count(*)::int AS n FROM "public"."${table}" WHERE landed_at > to_timestamp($1) AND landed_at < to_timestamp($2)`,
          [from / 1000, to / 1000],
        )
      ).rows[0].n,
    ),
  );

test('a pool process SIGKILLed mid-stream: its subscriptions resume with nothing lost; the other process kept writing meanwhile', async (t) => {
  const pool = workerPool({ processes: 2, maxOldSpaceMb: 512 });
  const subs = await Promise.all(['kill-a', 'kill-b', 'kill-c', 'kill-d'].map(subscription));
  const logs: string[] = [];
  const restarts = { count: 0 };
  const running = subs.map((sub) => supervise(pool, sub, logs, restarts));
  try {
    t.deepEqual(
      pool
        .status()
        .map(({ workers }) => workers)
        .sort(),
      [2, 2],
      'two processes, two subscriptions each',
    );
    const PER_ROUND = 50;
    const ROUNDS = 60;
    let killedAt = 0;
    let victims: Subscription[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      await Promise.all(subs.map((sub) => produce(sub.topic, round * PER_ROUND, PER_ROUND)));
      if (round === 20) {
        // Once every worker is writing: the process of the first subscription goes, with its neighbour.
        await until(
          'every subscription writing',
          () => Promise.all(subs.map((sub) => landed(sub.table))),
          (all) => all.every(({ n }) => n > 0),
          60_000,
        );
        const victim = pool.status().find(({ shared }) => shared);
        t.truthy(victim?.pid);
        process.kill(victim?.pid ?? 0, 'SIGKILL');
        killedAt = Date.now();
        t.log(`SIGKILLed pool process ${String(victim?.pid)} at round ${round}`);
      }
      await sleep(100);
    }
    const total = ROUNDS * PER_ROUND;
    await until(
      'every row in every table',
      () => Promise.all(subs.map((sub) => landed(sub.table))),
      (all) => all.every(({ n }) => n === total),
      120_000,
    );
    t.is(restarts.count, 2, 'the two subscriptions of the killed process, and only they, restarted');
    // Who was down: the subscriptions with no row landed in the second after the kill.
    const quietAfterKill = await Promise.all(
      subs.map(async (sub) => ({ sub, rows: await landedBetween(sub.table, killedAt + 200, killedAt + 1200) })),
    );
    victims = quietAfterKill.filter(({ rows }) => rows === 0).map(({ sub }) => sub);
    const others = quietAfterKill.filter(({ rows }) => rows > 0);
    t.log(`rows landed in the second after the kill: ${quietAfterKill.map(({ sub, rows }) => `${sub.id} ${rows}`).join(', ')}`);
    t.is(victims.length, 2, 'the killed process held two subscriptions');
    t.is(others.length, 2, "the other process's two kept writing during the kill");
  } finally {
    await Promise.all(running.map((run) => run.stop()));
    await pool.close();
  }
});

test('a subscription that keeps crashing is quarantined in a process of its own; its neighbour never stops', async (t) => {
  const pool = workerPool({ processes: 1, maxOldSpaceMb: 512, quarantineAfter: 3, quarantineWindowMs: 60_000, entry: CRASHING_ENTRY });
  const neighbour = await subscription('calm');
  const crasher = { id: `crash-${randomUUID().slice(0, 8)}`, topic: neighbour.topic, table: neighbour.table };
  const neighbourLogs: string[] = [];
  const crasherLogs: string[] = [];
  const neighbourRestarts = { count: 0 };
  const crasherRestarts = { count: 0 };
  const runs = [supervise(pool, neighbour, neighbourLogs, neighbourRestarts), supervise(pool, crasher, crasherLogs, crasherRestarts)];
  try {
    await until(
      'WORKER_QUARANTINED',
      async () => crasherLogs.filter((line) => line.startsWith('WORKER_QUARANTINED')),
      (lines) => lines.length > 0,
      30_000,
    );
    t.is(crasherRestarts.count, 3, 'quarantined at its third crash');
    t.deepEqual(pool.quarantined(), [crasher.id]);
    await until(
      'the crasher restarted in a process of its own',
      async () => pool.status(),
      (status) => status.some(({ shared, workers }) => !shared && workers === 1),
      10_000,
    );
    await produce(neighbour.topic, 0, 500);
    await until(
      "the neighbour's rows",
      () => landed(neighbour.table),
      ({ n }) => n === 500,
      60_000,
    );
    t.is(neighbourRestarts.count, 0, 'the neighbour was never restarted');
    const shared = pool.status().find(({ shared }) => shared);
    t.is(shared?.workers, 1, 'the shared process holds only the neighbour now');
  } finally {
    await Promise.all(runs.map((run) => run.stop()));
    await pool.close();
  }
});
