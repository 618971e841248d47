import type { ExecutionContext } from 'ava';
import type { AnyEvent } from '../../domain/events';
import type { ProjectedEvent, Projection } from '../../projections/projection';
import type { Doc } from '../../projections/readStore';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';

/** The actor of every given event unless the spec names one. */
export const ACTOR = 'actor-1';

/** When the n-th given event (from 0) happened: one second apart, so created / updated times differ. */
export const timeOf = (index: number): string => new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString();

/** An event as a spec gives it; who caused it only where the documents show it. */
export type GivenEvent = AnyEvent & { readonly actorId?: string };

const projected = (given: GivenEvent, index: number): ProjectedEvent => {
  const { actorId = ACTOR, ...event } = given;
  return {
    ...event,
    eventId: `event-${index + 1}`,
    position: BigInt(index + 1),
    streamId: `stream-of-${event.type}`,
    metadata: { actorId, correlationId: `request-${index + 1}`, causationId: `request-${index + 1}`, time: timeOf(index) },
  };
};

/**
 * given events / then documents for one view: the events are projected in log order, their
 * writes applied to the embedded read store, and every collection the view owns must then hold
 * exactly the expected documents (a collection not named must be empty). Replaying the events
 * must change nothing, and no event may write one document twice (the store would skip the
 * second write as already applied).
 */
export function projectionSpec(projection: Projection) {
  return {
    given: (events: readonly GivenEvent[]) => ({
      async then(t: ExecutionContext, expected: Readonly<Record<string, readonly Doc[]>>): Promise<void> {
        for (const collection of Object.keys(expected))
          t.true(collection in projection.collections, `${projection.name} does not own ${collection}`);
        const store = memoryReadStore();
        const writes = events.map((event, index) => projection.project(projected(event, index)));
        writes.forEach((ops, index) => {
          const targets = ops.map((op) => `${op.collection}/${op.id}`);
          t.is(new Set(targets).size, targets.length, `${events[index]?.type} writes one document twice: ${targets.join(', ')}`);
        });
        const documents = async (): Promise<Record<string, Doc[]>> =>
          Object.fromEntries(
            await Promise.all(
              Object.keys(projection.collections).map(
                async (collection) =>
                  [collection, (await store.find(collection, { sort: [{ field: 'id', direction: 'asc' }] })).items] as const,
              ),
            ),
          );
        for (const ops of writes) await store.apply(ops);
        const once = await documents();
        const sortedById = (docs: readonly Doc[]): Doc[] => [...docs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        t.deepEqual(
          once,
          Object.fromEntries(Object.keys(projection.collections).map((collection) => [collection, sortedById(expected[collection] ?? [])])),
        );
        for (const ops of writes) await store.apply(ops);
        t.deepEqual(await documents(), once, 'replaying the events changed the documents');
      },
    }),
  };
}
