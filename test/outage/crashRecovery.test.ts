import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import type { Api } from '../http/apiFixtures';
import {
  killProcessGroup,
  orderMessages,
  ordersTopicAndPipeline,
  produce,
  rowCounts,
  separateProcessesEnv,
  spawnRuntime,
  startDataPlane,
  until,
} from '../dataplane/dataplaneFixtures';

/**
 * The runtime killed with SIGKILL (with its forked workers) mid-stream and started again: the
 * workers resume from the committed offsets, nothing is lost and nothing is written twice.
 * The API runs in this process, the runtime in its own OS process; they share the SQLite event
 * store (one data dir) and the read models (one MongoDB database).
 */
const MESSAGES = Number(process.env['OUTAGE_CRASH_MESSAGES'] ?? 1_000_000);

const shared = separateProcessesEnv();

let api: Api | undefined;
let runtime: ChildProcess | undefined;
const runtimeOutput: string[] = [];
const startRuntime = (): ChildProcess => spawnRuntime(shared, runtimeOutput);
const killRuntimeGroup = (child: ChildProcess): Promise<void> => killProcessGroup(child);

test.after.always(async () => {
  if (runtime !== undefined) await killRuntimeGroup(runtime);
  await api?.stop();
});

test(`runtime SIGKILLed mid-stream and restarted: ${MESSAGES} messages, none lost, none duplicated`, async (t) => {
  const world = await startDataPlane({ ...shared, POPSINK_ROLE: 'api' });
  api = world.api;
  const { brokers, topic, table, pipelineId } = await ordersTopicAndPipeline(world, 'crash');
  const { values, valid } = orderMessages(MESSAGES, 1000);

  let mark = Date.now();
  await produce(brokers, topic, values, 10_000);
  t.log(`produced ${MESSAGES} messages in ${Date.now() - mark} ms`);

  runtime = startRuntime();
  const started = Date.now();
  t.is((await api.request('POST', `/pipelines/${pipelineId}/start`, { token: world.token })).body, 'BUILDING');

  const before = await until(
    '20% of the rows',
    () => rowCounts(table),
    ({ rows }) => rows >= valid * 0.2,
    180_000,
  );
  const killedAt = Date.now();
  await killRuntimeGroup(runtime);
  t.log(
    `${before.rows} rows after ${killedAt - started} ms (${Math.round(before.rows / ((killedAt - started) / 1000))} rows/s from the start command, worker start-up included); runtime group SIGKILLed`,
  );
  const atKill = await rowCounts(table);
  t.true(atKill.rows < valid, 'killed before the end');

  mark = Date.now();
  runtime = startRuntime();
  const grown = await until(
    'rows again after the restart',
    () => rowCounts(table),
    ({ rows }) => rows > atKill.rows,
    120_000,
  );
  const resumedAt = Date.now();
  t.log(`writing again ${resumedAt - mark} ms after the restart (${grown.rows} rows)`);

  const after = await until(
    'every valid row',
    () => rowCounts(table),
    ({ ids }) => ids >= valid,
    240_000,
  ).catch((error: unknown) => {
    t.log(runtimeOutput.join('').slice(-4000));
    throw error;
  });
  const done = Date.now();
  t.log(
    `all ${valid} rows ${done - mark} ms after the restart; ${Math.round((valid - atKill.rows) / ((done - resumedAt) / 1000))} rows/s after resuming; total ${done - started} ms`,
  );
  t.is(after.ids, valid, 'no row lost');
  t.is(after.rows, after.ids, 'no row duplicated');
});
