import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { WorkerReport } from '../observability/workerReport';
import { startSubscriptionWorker } from './subscriptionWorker';
import type { WorkerSpec } from './workerSpec';

/** A running worker as the supervisor handles it, wherever it runs. */
export interface WorkerHandle {
  /** Stops it gracefully; past the grace period it is killed. */
  stop(): Promise<void>;
  /** Settles when it ended, with why: its own end (`exited`) or a crash. */
  readonly ended: Promise<{ readonly crashed: boolean; readonly detail: string }>;
}

export type SpawnWorker = (spec: WorkerSpec, onReport: (report: WorkerReport) => void) => WorkerHandle;

const WORKER_ENTRY = fileURLToPath(new URL('./workerProcess.ts', import.meta.url));
const GRACE_MS = 30_000;

/**
 * A worker in a child process of its own, so that one that throws, hangs or runs out of memory
 * never takes the API or the other pipelines down. Its heap is capped so that a runaway one
 * dies alone; its reports are decoded, being input from another process.
 */
export function forkedWorker(options: { maxOldSpaceMb?: number } = {}): SpawnWorker {
  return (spec, onReport) => {
    const child = fork(WORKER_ENTRY, [], {
      execArgv: ['--import', import.meta.resolve('tsx'), `--max-old-space-size=${options.maxOldSpaceMb ?? 512}`],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    child.on('message', (raw) => {
      const report = WorkerReport.decode(raw);
      if (!isLeft(report)) onReport(report.right);
    });
    // An IPC error (the child died mid-send) surfaces as its exit.
    child.on('error', () => undefined);
    let stopping = false;
    const ended = new Promise<{ crashed: boolean; detail: string }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ crashed: !stopping && (code !== 0 || signal !== null), detail: signal === null ? `exit code ${String(code)}` : `signal ${signal}` }));
    });
    child.send(spec);
    return {
      ended,
      async stop() {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
        await ended;
        clearTimeout(timer);
      },
    };
  };
}

/** A worker in this process: for tests and benchmarks that measure the worker, not the process. */
export const inProcessWorker: SpawnWorker = (spec, onReport) => {
  const worker = startSubscriptionWorker(spec, onReport);
  return { stop: () => worker.stop(), ended: worker.done.then(() => ({ crashed: false, detail: 'ended' })) };
};
