import type { WorkerReport } from '../observability/workerReport';
import { startSubscriptionWorker } from './subscriptionWorker';
import type { WorkerSpec } from './workerSpec';

/** A running worker as the supervisor handles it, wherever it runs. */
export interface WorkerHandle {
  /** Stops it gracefully; past the grace period it is killed. */
  stop(): Promise<void>;
  /** Settles when it ended, with why: its own end or a stop (`crashed` false), or a crash. */
  readonly ended: Promise<{ readonly crashed: boolean; readonly detail: string }>;
}

export type SpawnWorker = (spec: WorkerSpec, onReport: (report: WorkerReport) => void) => WorkerHandle;

/** A worker in this process: for tests and benchmarks that measure the worker, not the process. */
export const inProcessWorker: SpawnWorker = (spec, onReport) => {
  const worker = startSubscriptionWorker(spec, onReport);
  return { stop: () => worker.stop(), ended: worker.done.then(() => ({ crashed: false, detail: 'ended' })) };
};
