import test, { type TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { RUNTIME_METRICS } from '../../projections/collections';
import type { ReadStore } from '../../projections/readStore';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { mongoReadStore } from '../../projections/readstore/mongoReadStore';
import { observabilityStore, type SubscriptionKey } from '../../runtime/observability/observabilityStore';
import type { LatencySummary, PipelineLogLine, WorkerMetrics } from '../../runtime/observability/workerReport';
import { quietDatamodel, quietPipeline } from '../fixtures/observability';

const NO_LATENCY: LatencySummary = { window_s: 60, count: 0, p50_ms: null, p95_ms: null, p99_ms: null, max_ms: null };
const latency = (count: number, p50: number, p95: number, p99: number, max: number): LatencySummary => ({
  window_s: 60,
  count,
  p50_ms: p50,
  p95_ms: p95,
  p99_ms: p99,
  max_ms: max,
});
const metrics = (fields: Partial<WorkerMetrics> = {}): WorkerMetrics => ({
  messages_in: 0,
  messages_out: 0,
  errors: 0,
  latency: NO_LATENCY,
  partitions: [],
  last_message_at: null,
  ...fields,
});

/** A pipeline of fresh ids (the stores may be shared), with two subscriptions. */
const pipeline = () => {
  const pipelineId = randomUUID();
  const datamodelId = randomUUID();
  const connectorIds = [randomUUID(), randomUUID()];
  const subscription = (): SubscriptionKey => ({ pipelineId, subscriptionId: randomUUID(), datamodelId, connectorIds });
  return { pipelineId, datamodelId, connectorIds, first: subscription(), second: subscription() };
};

/** Runtimes and an API reader over one read store, on one clock the test moves. */
const worldOf = (readStore: ReadStore) => {
  const clock = { ms: Date.parse('2025-11-19T10:30:00Z') };
  const now = () => clock.ms;
  const runtime = (runtimeId: string, maxLogLines?: number) =>
    observabilityStore(readStore, { runtimeId, now, ...(maxLogLines === undefined ? {} : { maxLogLines }) });
  return { clock, runtime, api: runtime('api') };
};

/** Waits until `check` holds, polling; fails after two seconds. */
const eventually = async (check: () => boolean): Promise<void> => {
  for (const started = Date.now(); !check(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() - started > 2_000) throw new Error('condition not met within 2 s');
  }
};

function observabilitySuite(suite: TestFn, name: string, open: () => Promise<ReadStore>): void {
  const withWorld = (body: (world: ReturnType<typeof worldOf>, readStore: ReadStore) => Promise<void>) => async () => {
    const readStore = await open();
    try {
      await body(worldOf(readStore), readStore);
    } finally {
      await readStore.close();
    }
  };

  suite(`${name}: zeros and nulls before any traffic`, async (t) =>
    withWorld(async ({ api }) => {
      const { pipelineId, datamodelId } = pipeline();
      t.deepEqual(await api.pipelineMetrics(pipelineId), quietPipeline(pipelineId));
      t.deepEqual(await api.datamodelMonitoring({ datamodelId, pipelineId }), quietDatamodel(datamodelId, pipelineId));
      t.deepEqual(await api.logs({ pipelineId }, { limit: 10 }), []);
    })(),
  );

  suite(`${name}: metrics are written by flush and merged over subscriptions and runtimes`, async (t) =>
    withWorld(async ({ clock, runtime, api }) => {
      const { pipelineId, datamodelId, first, second } = pipeline();
      const [a, b] = [runtime('a'), runtime('b')];
      a.recordMetrics(
        first,
        metrics({
          messages_in: 10,
          messages_out: 9,
          errors: 1,
          latency: latency(9, 20, 80, 95, 120),
          partitions: [{ partition: 0, offset: '10', lag: 5 }],
          last_message_at: '2025-11-19T10:29:00.000Z',
        }),
      );
      t.is((await api.pipelineMetrics(pipelineId)).messages_in, 0, 'nothing is visible before a flush');
      await a.flush();
      clock.ms += 1_000;
      // The same subscription on another runtime after a rebalance: its report of partition 0 is fresher.
      b.recordMetrics(
        first,
        metrics({
          messages_in: 4,
          messages_out: 4,
          latency: latency(4, 30, 60, 70, 75),
          partitions: [
            { partition: 0, offset: '14', lag: 1 },
            { partition: 1, offset: '3', lag: 2 },
          ],
          last_message_at: '2025-11-19T10:29:30.000Z',
        }),
      );
      // Another subscription of the pipeline, further behind on partition 1.
      b.recordMetrics(
        second,
        metrics({
          messages_in: 2,
          messages_out: 1,
          errors: 1,
          partitions: [{ partition: 1, offset: '1', lag: 4 }],
          last_message_at: '2025-11-19T10:28:00.000Z',
        }),
      );
      await b.flush();

      t.deepEqual(await api.pipelineMetrics(pipelineId), {
        pipeline_id: pipelineId,
        window_s: 60,
        p50_ms: 30,
        p95_ms: 80,
        p99_ms: 95,
        max_ms: 120,
        messages_in: 16,
        messages_out: 14,
        errors: 2,
        lag_total: 5,
        partitions: [
          { partition: 0, offset: '14', lag: 1 },
          { partition: 1, offset: '1', lag: 4 },
        ],
        last_message_at: '2025-11-19T10:29:30.000Z',
      });
      t.deepEqual(await api.datamodelMonitoring({ datamodelId, pipelineId }), {
        datamodel_id: datamodelId,
        pipeline_id: pipelineId,
        messages_in: 16,
        messages_out: 14,
        errors: 2,
        lag_total: 5,
        last_message_at: '2025-11-19T10:29:30.000Z',
      });
    })(),
  );

  suite(`${name}: latency of a document not refreshed within its window is no recent traffic`, async (t) =>
    withWorld(async ({ clock, runtime, api }) => {
      const { pipelineId, first } = pipeline();
      const a = runtime('a');
      a.recordMetrics(first, metrics({ messages_in: 3, latency: latency(3, 5, 6, 7, 8) }));
      await a.flush();
      t.like(await api.pipelineMetrics(pipelineId), { p50_ms: 5, max_ms: 8 });
      clock.ms += 61_000;
      t.like(await api.pipelineMetrics(pipelineId), { p50_ms: null, p95_ms: null, p99_ms: null, max_ms: null, messages_in: 3 });
    })(),
  );

  suite(`${name}: totals stay monotonic across worker restarts`, async (t) =>
    withWorld(async ({ runtime, api }) => {
      const { pipelineId, first } = pipeline();
      const a = runtime('a');
      a.recordMetrics(first, metrics({ messages_in: 5, messages_out: 5, last_message_at: '2025-11-19T10:00:00.000Z' }));
      a.recordMetrics(first, metrics({ messages_in: 8, messages_out: 7, errors: 1, last_message_at: '2025-11-19T10:01:00.000Z' }));
      // The worker restarted: its counters start again from zero.
      a.recordMetrics(first, metrics({ messages_in: 2, messages_out: 2 }));
      await a.flush();
      t.like(await api.pipelineMetrics(pipelineId), {
        messages_in: 10,
        messages_out: 9,
        errors: 1,
        last_message_at: '2025-11-19T10:01:00.000Z',
      });
      a.recordMetrics(first, metrics({ messages_in: 3, messages_out: 3 }));
      a.recordMetrics(first, metrics({ messages_in: 1 }));
      await a.flush();
      t.like(await api.pipelineMetrics(pipelineId), { messages_in: 12, messages_out: 10, errors: 1 });
    })(),
  );

  suite(`${name}: a runtime started again with the same id carries on from its earlier documents`, async (t) =>
    withWorld(async ({ clock, runtime, api }) => {
      const { pipelineId, first } = pipeline();
      const before = runtime('stable', 2);
      before.recordMetrics(first, metrics({ messages_in: 100, last_message_at: '2025-11-19T10:00:00.000Z' }));
      before.appendLog(first, 'info', 'first run');
      await before.flush();
      clock.ms += 1;
      const after = runtime('stable', 2);
      after.recordMetrics(first, metrics({ messages_in: 1 }));
      after.appendLog(first, 'info', 'second run');
      after.appendLog(first, 'info', 'still second run');
      await after.flush();
      after.recordMetrics(first, metrics({ messages_in: 2 }));
      await after.flush();
      t.like(await api.pipelineMetrics(pipelineId), { messages_in: 102, last_message_at: '2025-11-19T10:00:00.000Z' });
      t.deepEqual(
        (await api.logs({ pipelineId }, { limit: 10 })).map((line) => line.message),
        ['second run', 'still second run'],
      );
      clock.ms += 1;
      const third = runtime('stable', 3);
      third.appendLog(first, 'warn', 'third run');
      await third.flush();
      t.deepEqual(
        (await api.logs({ pipelineId }, { limit: 10 })).map((line) => line.message),
        ['second run', 'still second run', 'third run'],
      );
    })(),
  );

  suite(`${name}: a forgotten subscription's metrics are removed`, async (t) =>
    withWorld(async ({ runtime, api }, readStore) => {
      const { pipelineId, first, second } = pipeline();
      const a = runtime('a');
      a.recordMetrics(first, metrics({ messages_in: 3 }));
      a.recordMetrics(second, metrics({ messages_in: 4 }));
      await a.flush();
      a.forgetSubscription(first.subscriptionId);
      await a.flush();
      t.like(await api.pipelineMetrics(pipelineId), { messages_in: 4 });
      t.is(await readStore.get(RUNTIME_METRICS, `a:${first.subscriptionId}`), undefined);
      t.truthy(await readStore.get(RUNTIME_METRICS, `a:${second.subscriptionId}`));
    })(),
  );

  suite(`${name}: a failed flush is written again by the next one`, async (t) =>
    withWorld(async ({ api }, readStore) => {
      const { pipelineId, first } = pipeline();
      let failures = 1;
      const flaky: ReadStore = {
        ...readStore,
        apply: async (ops) => {
          if (failures-- > 0) throw new Error('read store down');
          await readStore.apply(ops);
        },
      };
      const a = observabilityStore(flaky, { runtimeId: 'a' });
      a.recordMetrics(first, metrics({ messages_in: 7 }));
      a.appendLog(first, 'error', 'boom');
      await t.throwsAsync(a.flush(), { message: 'read store down' });
      await a.flush();
      t.like(await api.pipelineMetrics(pipelineId), { messages_in: 7 });
      t.is((await api.logs({ pipelineId }, { limit: 5 })).length, 1);
    })(),
  );

  suite(`${name}: logs merge runtimes by time, keep the last lines, and answer by pipeline or connector`, async (t) =>
    withWorld(async ({ clock, runtime, api }) => {
      const { pipelineId, connectorIds, first } = pipeline();
      const other = pipeline();
      const [a, b] = [runtime('a', 3), runtime('b', 3)];
      a.appendLog(first, 'info', 'a1', '2025-11-19T10:00:01.000Z');
      b.appendLog(first, 'warn', 'b1', '2025-11-19T10:00:02.000Z');
      a.appendLog(first, 'info', 'a2', '2025-11-19T10:00:03.000Z');
      a.appendLog(first, 'info', 'a3', '2025-11-19T10:00:04.000Z');
      a.appendLog(first, 'error', 'a4', '2025-11-19T10:00:05.000Z');
      a.appendLog(other.first, 'info', 'elsewhere', '2025-11-19T10:00:06.000Z');
      clock.ms += 1;
      b.appendLog(first, 'debug', 'b2');
      await Promise.all([a.flush(), b.flush()]);

      const line = (message: string, level: PipelineLogLine['level'], ts: string): PipelineLogLine => ({
        ts,
        level,
        message,
        pipeline_id: pipelineId,
      });
      const expected = [
        line('b1', 'warn', '2025-11-19T10:00:02.000Z'),
        line('a2', 'info', '2025-11-19T10:00:03.000Z'),
        line('a3', 'info', '2025-11-19T10:00:04.000Z'),
        line('a4', 'error', '2025-11-19T10:00:05.000Z'),
        line('b2', 'debug', '2025-11-19T10:30:00.001Z'),
      ];
      t.deepEqual(await api.logs({ pipelineId }, { limit: 10 }), expected, "a1 fell out of runtime a's last 3 lines");
      t.deepEqual(await api.logs({ pipelineId }, { limit: 2 }), expected.slice(-2));
      for (const connectorId of connectorIds) t.deepEqual(await api.logs({ connectorId }, { limit: 10 }), expected);
      t.deepEqual(await api.logs({ connectorId: randomUUID() }, { limit: 10 }), []);
    })(),
  );

  suite(`${name}: follow sends the backlog, then new lines only, until stopped`, async (t) =>
    withWorld(async ({ runtime, api }) => {
      const { pipelineId, connectorIds, first } = pipeline();
      const [a, b] = [runtime('a'), runtime('b')];
      for (const n of [1, 2, 3]) a.appendLog(first, 'info', `old ${n}`, `2025-11-19T10:00:0${n}.000Z`);
      await a.flush();

      const byPipeline: string[][] = [];
      const byConnector: string[][] = [];
      const followers = [
        api.follow({ pipelineId }, (lines) => byPipeline.push(lines.map((line) => line.message)), { pollMs: 20, backlog: 2 }),
        api.follow({ connectorId: connectorIds[1] ?? '' }, (lines) => byConnector.push(lines.map((line) => line.message)), { pollMs: 20 }),
      ];
      await eventually(() => byPipeline.length === 1);
      t.deepEqual(byPipeline, [['old 2', 'old 3']]);

      a.appendLog(first, 'info', 'new a', '2025-11-19T10:00:04.000Z');
      b.appendLog(first, 'info', 'new b', '2025-11-19T10:00:05.000Z');
      b.appendLog(first, 'info', 'new b2', '2025-11-19T10:00:06.000Z');
      await Promise.all([a.flush(), b.flush()]);
      await eventually(() => byPipeline.flat().length === 5 && byConnector.flat().length === 3);
      // The two runtimes' flushes may land in different polls; each poll's lines are in time order.
      t.deepEqual(byPipeline.slice(1).flat().sort(), ['new a', 'new b', 'new b2']);
      t.deepEqual(byConnector.flat().sort(), ['new a', 'new b', 'new b2'], 'no backlog asked');
      t.true(byPipeline.every((batch) => batch.join() === [...batch].sort().join()));

      for (const follower of followers) follower.stop();
      const polls = byPipeline.length;
      a.appendLog(first, 'info', 'after stop');
      await a.flush();
      await new Promise((resolve) => setTimeout(resolve, 100));
      t.is(byPipeline.length, polls);
    })(),
  );

  suite(`${name}: a very long message is cut`, async (t) =>
    withWorld(async ({ runtime, api }) => {
      const { pipelineId, first } = pipeline();
      const a = runtime('a');
      a.appendLog(first, 'error', 'x'.repeat(100_000));
      await a.flush();
      const [line] = await api.logs({ pipelineId }, { limit: 1 });
      t.true((line?.message.length ?? 0) < 10_000);
    })(),
  );
}

observabilitySuite(test, 'memory', async () => memoryReadStore());

const url = process.env['POPSINK_MONGO_URL'];
if (url === undefined || url === '') {
  test('mongo: POPSINK_MONGO_URL is set', (t) =>
    t.fail('POPSINK_MONGO_URL is not set: run the suite with `npm test`, which starts FerretDB'));
} else {
  const database = `popsink_obs_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  test.after.always('drop the test database', async () => {
    const client = await MongoClient.connect(url);
    await client
      .db(database)
      .dropDatabase()
      .finally(() => client.close());
  });
  observabilitySuite(test, 'mongo', () => mongoReadStore(url, { database }));
}
