import type { EventStore, RecordedEvent, Subscription } from '../eventstore/eventStore';

/**
 * The event store as the running platform holds it, with the two controls a replace of its log
 * needs (installationReplace.ts): appends can be held while the log changes under them, and the
 * subscriptions open before the change can be fenced off what the change brings (the read models
 * they feed are the old log's, about to be replaced by a rebuild).
 */
export interface GuardedEventStore extends EventStore {
  /** Appends wait from now on until `release` is called; resolves once the appends already under way settled. */
  hold(): Promise<{ release(): void }>;
  /** Subscriptions open now see no event past `position` from now on; `lift` gives them the log again. */
  fenceOpenSubscriptions(position: bigint): { lift(): void };
}

export function guardedEventStore(inner: EventStore): GuardedEventStore {
  let gate: Promise<void> | undefined;
  let inFlight = 0;
  let idle: (() => void)[] = [];
  /** Per open subscription: the last position it may see, when fenced. */
  const limits = new Map<symbol, bigint | undefined>();

  const settled = (): Promise<void> => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve)));

  return {
    async append(streamId, events, expected) {
      while (gate !== undefined) await gate;
      inFlight++;
      try {
        return await inner.append(streamId, events, expected);
      } finally {
        inFlight--;
        if (inFlight === 0) {
          for (const resolve of idle) resolve();
          idle = [];
        }
      }
    },
    readStream: (streamId) => inner.readStream(streamId),
    readAll: (from, limit) => inner.readAll(from, limit),
    headPosition: () => inner.headPosition(),
    close: () => inner.close(),

    subscribeToAll(from, handler): Subscription {
      const token = Symbol('subscription');
      limits.set(token, undefined);
      const subscription = inner.subscribeToAll(from, (batch: readonly RecordedEvent[]) => {
        const limit = limits.get(token);
        const visible = limit === undefined ? batch : batch.filter((event) => event.position <= limit);
        return visible.length === 0 ? Promise.resolve() : handler(visible);
      });
      const forget = (): void => void limits.delete(token);
      subscription.done.then(forget, forget);
      return subscription;
    },

    async hold() {
      let open: () => void = () => undefined;
      const current = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = current;
      await settled();
      return {
        release() {
          if (gate === current) gate = undefined;
          open();
        },
      };
    },

    fenceOpenSubscriptions(position) {
      const fenced = [...limits.keys()];
      for (const token of fenced) limits.set(token, position);
      return {
        lift() {
          for (const token of fenced) if (limits.has(token)) limits.set(token, undefined);
        },
      };
    },
  };
}
