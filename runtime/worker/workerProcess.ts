import { isLeft } from 'fp-ts/lib/Either.js';
import { startSubscriptionWorker } from './subscriptionWorker';
import { WorkerSpec } from './workerSpec';

/**
 * Entry of a worker child process (see forkedWorker.ts): its spec arrives over IPC, never in
 * argv or the environment, since it holds connector secrets; reports go back the same way.
 * SIGTERM, or the parent going away, stops it after the batch in flight.
 */
process.once('message', (raw: unknown) => {
  const spec = WorkerSpec.decode(raw);
  if (isLeft(spec)) {
    process.send?.({ type: 'failed', code: 'INVALID_WORKER_SPEC', reason: 'the worker received a spec it cannot read', retrying: false });
    process.exit(1);
  }
  const worker = startSubscriptionWorker(spec.right, (report) => process.send?.(report));
  const stop = () => void worker.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  void worker.done.then(() => process.disconnect?.());
});
