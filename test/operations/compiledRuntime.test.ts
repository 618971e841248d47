import test from 'ava';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { procFile, processTree } from '../fixtures/processTree';
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

/**
 * The platform as production runs it: built into dist/ (`npm run build`), started with node
 * alone. `npm start`'s process answers /api/livez within 5 s; a runtime-only process serves its
 * probes and metrics on POPSINK_RUNTIME_PORT; no process of either tree loads tsx or esbuild.
 */

test.before(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
});

const children: ChildProcess[] = [];
test.after.always(async () => {
  await Promise.all(children.map((child) => killProcessGroup(child)));
});

/** The command lines of a process and all its descendants. */
const commandLines = (root: number): string[] =>
  processTree(root).flatMap((pid) => procFile(pid, 'cmdline')?.replaceAll('\0', ' ').trim() ?? []);

test('the built platform answers /api/livez within 5 s of its start, without tsx or esbuild', async (t) => {
  const port = 19_000 + Math.floor(Math.random() * 1000);
  const started = Date.now();
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      POPSINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'popsink-compiled-')),
      POPSINK_RUNTIME_PORT: '0',
    },
    detached: true,
    stdio: 'ignore',
  });
  children.push(child);
  await until(
    '/api/livez',
    () =>
      fetch(`http://127.0.0.1:${port}/api/livez`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 200,
    5_000,
  );
  t.log(`/api/livez answered ${Date.now() - started} ms after the process started`);
  const lines = commandLines(child.pid ?? 0);
  t.true(lines.length > 0);
  t.deepEqual(
    lines.filter((line) => /tsx|esbuild/.test(line)),
    [],
  );
});

test("a runtime-only process serves /livez, /readyz and /metrics (its workers' states, processes, lag, memory) on POPSINK_RUNTIME_PORT", async (t) => {
  const shared = separateProcessesEnv();
  const world = await startDataPlane({ ...shared, POPSINK_ROLE: 'api' });
  t.teardown(() => world.api.stop());
  const output: string[] = [];
  const runtime = spawnRuntime({ ...shared, POPSINK_LOG_LEVEL: 'info', POPSINK_WORKER_PROCESSES: '2' }, output, { compiled: true });
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
  t.is((await fetch(`${probes}/livez`)).status, 200);
  await until(
    '/readyz',
    () => fetch(`${probes}/readyz`).then((r) => r.status),
    (status) => status === 200,
    30_000,
  );

  const brokers = testServer('TEST_KAFKA_BROKERS');
  const suffix = randomUUID().slice(0, 8);
  const topic = `compiled-${suffix}`;
  const table = `compiled_${suffix}`;
  await createTopic(brokers, topic, 1);
  const orders = orderMessages(1000, 1_000_000);
  await produce(brokers, topic, orders.values);
  const { pipelineId } = await createOrdersToPostgres(world, { brokers, topic, table });
  t.is((await world.api.request('POST', `/pipelines/${pipelineId}/start`, { token: world.token })).status, 202);
  await until(
    'every row',
    () => rowCounts(table),
    ({ ids }) => ids === 1000,
    60_000,
  );

  // A worker process reports its lag and memory every 2 s.
  const metrics = await until(
    'the worker and its process in the metrics',
    () => fetch(`${probes}/metrics`).then((r) => r.text()),
    (text) =>
      text.includes(`popsink_runtime_worker_live{pipeline_id="${pipelineId}"`) &&
      text.includes('popsink_worker_process_event_loop_lag_p99_seconds{'),
    30_000,
  );
  t.regex(metrics, new RegExp(`popsink_runtime_worker_live\\{pipeline_id="${pipelineId}",subscription_id="[^"]+"\\} 1`));
  t.regex(metrics, /popsink_worker_process_workers\{pid="\d+",kind="shared"\} 1/);
  t.regex(metrics, /popsink_worker_process_event_loop_lag_p99_seconds\{pid="\d+",kind="shared"\} [\d.e-]+/);
  t.regex(metrics, /popsink_worker_process_resident_memory_bytes\{pid="\d+",kind="shared"\} \d+/);
  const lines = commandLines(runtime.pid ?? 0);
  t.true(
    lines.some((line) => line.includes('dist/runtime/worker/poolProcess.js')),
    lines.join('\n'),
  );
  t.deepEqual(
    lines.filter((line) => /tsx|esbuild/.test(line)),
    [],
    'no TypeScript tooling at run time',
  );
});
