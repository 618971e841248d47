import test from 'ava';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Api } from '../http/apiFixtures';
import { admin } from '../fixtures/postgresConfig';
import {
  orderMessages,
  ordersTopicAndPipeline,
  pipelineState,
  produce,
  rowCounts,
  serviceScript,
  startDataPlane,
  until,
} from '../dataplane/dataplaneFixtures';

/**
 * PostgreSQL stopped under a live Kafka → PostgreSQL pipeline: past the retry window the
 * pipeline shows `error` naming the target; PostgreSQL back, it is `live` again and every row
 * of both batches is there.
 *
 * `postgres.sh start` recreates a pristine cluster each time (tests expect an empty database),
 * which would drop the first batch's rows with the table. So the server is stopped with
 * `postgres.sh stop` and started again on the same data dir with the very command line it ran
 * (its pid recorded where postgres.sh looks, so that `postgres.sh stop` still stops it).
 */
const pidFile = join(process.env['POPSINK_CACHE'] ?? join(homedir(), '.cache', 'popsink'), 'run', 'postgres', 'pid');

interface ServerProcess {
  readonly argv: string[];
  readonly uid: number;
  readonly gid: number;
}

function runningPostgres(): ServerProcess {
  const pid = readFileSync(pidFile, 'utf8').trim();
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((arg) => arg !== '');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const idOf = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return { argv, uid: idOf('Uid'), gid: idOf('Gid') };
}

/** Starts PostgreSQL again on its existing data dir, as postgres.sh's start_bg would (own session, log appended). */
async function restartPostgres(server: ServerProcess): Promise<void> {
  const asUser =
    server.uid === process.getuid?.() ? [] : ['setpriv', `--reuid=${server.uid}`, `--regid=${server.gid}`, '--init-groups', '--'];
  const [command, ...args] = [...asUser, ...server.argv] as [string, ...string[]];
  const log = openSync(join(pidFile, '..', 'server.log'), 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile, `${String(child.pid)}\n`);
  await until(
    'PostgreSQL accepting connections',
    () => admin(async (client) => (await client.query('SELECT 1')).rowCount).catch(() => 0),
    (n) => n === 1,
    60_000,
  );
}

let api: Api | undefined;
let stopped: ServerProcess | undefined;

test.after.always(async () => {
  await api?.stop();
  if (stopped !== undefined) await restartPostgres(stopped).catch(() => serviceScript('postgres', 'start'));
});

test('PostgreSQL stopped and started again: error naming the target, then live, nothing lost', async (t) => {
  const world = await startDataPlane({ POPSINK_RETRY_WINDOW_SECONDS: '3' });
  api = world.api;
  const { brokers, topic, table, pipelineId } = await ordersTopicAndPipeline(world, 'pg-outage');
  const { values, valid } = orderMessages(40_000, 100);
  const first = values.slice(0, 20_000);
  const validFirst = orderMessages(20_000, 100).valid;

  await produce(brokers, topic, first);
  await api.request('POST', `/pipelines/${pipelineId}/start`, { token: world.token });
  await until(
    'the first batch',
    () => rowCounts(table),
    ({ ids }) => ids === validFirst,
    120_000,
  );
  await until(
    'state live',
    () => pipelineState(world, pipelineId),
    ({ state }) => state === 'live',
    30_000,
  );

  const server = runningPostgres();
  await serviceScript('postgres', 'stop');
  stopped = server;
  const downAt = Date.now();
  await produce(brokers, topic, values.slice(20_000));
  const failed = await until(
    'state error',
    () => pipelineState(world, pipelineId),
    ({ state }) => state === 'error',
    60_000,
  );
  t.log(`error after ${Date.now() - downAt} ms: ${String(failed.error_reason)}`);
  t.regex(String(failed.error_reason), /^TARGET_/);
  t.regex(String(failed.error_reason), /PostgreSQL at 127\.0\.0\.1:\d+/);

  await restartPostgres(server);
  stopped = undefined;
  const upAt = Date.now();
  await until(
    'state live again',
    () => pipelineState(world, pipelineId),
    ({ state }) => state === 'live',
    60_000,
  );
  const liveAfter = Date.now() - upAt;
  const after = await until(
    'every row of both batches',
    () => rowCounts(table),
    ({ ids }) => ids === valid,
    120_000,
  );
  t.log(`PostgreSQL down ${upAt - downAt} ms; live again ${liveAfter} ms after it was back, every row there ${Date.now() - upAt} ms after`);
  t.is(after.ids, valid, 'nothing lost');
  t.is(after.rows, after.ids, 'no duplicates');
});
