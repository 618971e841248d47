import { AsyncLocalStorage } from 'node:async_hooks';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLeft } from 'fp-ts/lib/Either.js';
import { PoolCommand, type PoolEvent } from './poolMessages';
import type { RunningWorker } from './subscriptionWorker';
import type { WorkerSpec } from './workerSpec';
import type { WorkerReport } from '../observability/workerReport';

/**
 * The body of a pool process (see workerPool.ts; poolProcess.ts runs it): hosts the workers of
 * many subscriptions. Each worker runs in an async context named after its subscription, so that an exception nothing
 * caught is pinned on the worker that threw it: that worker alone is dropped and reported
 * `crashed`, and its neighbours go on. What cannot be pinned (no context) ends the process, and
 * the runtime restarts its workers elsewhere. The parent going away stops every worker.
 */

/** How long a crashed worker gets to close its connections before it is forgotten anyway. */
const CRASHED_STOP_MS = 5000;
const STATS_INTERVAL_MS = 2000;

export type StartWorker = (spec: WorkerSpec, report: (report: WorkerReport) => void) => RunningWorker;

/** Serves the parent's commands in this process, starting each worker with `startWorker`. */
export function hostWorkers(startWorker: StartWorker): void {
  const owner = new AsyncLocalStorage<string>();
  const workers = new Map<string, RunningWorker>();

  const send = (event: PoolEvent) => {
    // After the parent went away the last reports have nowhere to go: dropped, not thrown.
    if (process.connected) process.send?.(event, undefined, undefined, () => undefined);
  };

  function start(id: string, command: Extract<PoolCommand, { type: 'start' }>): void {
    if (workers.has(id)) return;
    const worker = owner.run(id, () => startWorker(command.spec, (report) => send({ type: 'report', id, report })));
    workers.set(id, worker);
    void worker.done.then(() => {
      if (workers.get(id) !== worker) return;
      workers.delete(id);
      send({ type: 'ended', id, crashed: false, detail: 'ended' });
    });
  }

  async function stop(id: string): Promise<void> {
    const worker = workers.get(id);
    if (worker === undefined) return send({ type: 'ended', id, crashed: false, detail: 'not running' });
    await worker.stop();
  }

  function crashed(error: unknown): void {
    const id = owner.getStore();
    const worker = id === undefined ? undefined : workers.get(id);
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (id === undefined || worker === undefined) {
      process.stderr.write(`pool process: uncaught ${detail}; exiting\n`);
      process.exit(1);
    }
    workers.delete(id);
    send({ type: 'ended', id, crashed: true, detail: `uncaught ${detail}` });
    void Promise.race([worker.stop(), sleep(CRASHED_STOP_MS)]).catch(() => undefined);
  }
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);

  process.on('message', (raw: unknown) => {
    const command = PoolCommand.decode(raw);
    if (isLeft(command)) return;
    if (command.right.type === 'start') start(command.right.id, command.right);
    else void stop(command.right.id);
  });

  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  setInterval(() => {
    const memory = process.memoryUsage();
    send({
      type: 'stats',
      stats: {
        event_loop_lag_p99_ms: delay.percentile(99) / 1e6,
        event_loop_lag_max_ms: delay.max / 1e6,
        rss_bytes: memory.rss,
        heap_used_bytes: memory.heapUsed,
      },
    });
    delay.reset();
  }, STATS_INTERVAL_MS).unref();

  const stopAll = () => void Promise.all([...workers.values()].map((worker) => worker.stop())).finally(() => process.exit(0));
  process.once('SIGTERM', stopAll);
  process.once('disconnect', stopAll);
}
