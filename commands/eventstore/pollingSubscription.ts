import type { EventEmitter } from 'node:events';
import type { RecordedEvent, StartFrom, Subscription } from './eventStore';

const BATCH_SIZE = 1000;

export interface PollingSubscriptionDeps {
  readonly from: StartFrom;
  readonly readAll: (from: StartFrom, limit: number) => Promise<RecordedEvent[]>;
  readonly handler: (batch: readonly RecordedEvent[]) => Promise<void>;
  /** Emits 'append' after each local append (wakes the loop at once) and 'close' when the store closes. */
  readonly appended: EventEmitter;
  /** Appends by other processes are only seen by polling. */
  readonly pollIntervalMs: number;
}

/**
 * Catch-up and live delivery are the same loop: read the next page after the last delivered
 * position, hand it over, wait for the handler, repeat; sleep when there is nothing new.
 */
export function pollingSubscription(deps: PollingSubscriptionDeps): Subscription {
  let stopped = false;
  let wake: (() => void) | undefined;
  // Set by an append that lands while a page is being read or handled, so the loop does not sleep on it.
  let pending = false;
  const rouse = (): void => {
    pending = true;
    wake?.();
  };
  const close = (): void => {
    stopped = true;
    rouse();
  };
  deps.appended.on('append', rouse);
  deps.appended.on('close', close);

  const idle = (): Promise<void> =>
    new Promise((resolve) => {
      if (pending || stopped) return resolve();
      const timer = setTimeout(resolve, deps.pollIntervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async (): Promise<void> => {
    let from = deps.from;
    try {
      while (!stopped) {
        pending = false;
        const batch = await deps.readAll(from, BATCH_SIZE);
        const last = batch[batch.length - 1];
        if (last === undefined) {
          await idle();
          continue;
        }
        await deps.handler(batch);
        from = { after: last.position };
        // A synchronous store behind promises would otherwise run a whole catch-up in microtasks,
        // starving timers and HTTP requests of this process until it ends.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      deps.appended.off('append', rouse);
      deps.appended.off('close', close);
    }
  };

  const done = run();
  return {
    done,
    async stop() {
      close();
      await done.catch(() => undefined);
    },
  };
}
