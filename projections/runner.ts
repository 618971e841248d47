import { decodeRecorded } from '../commands/eventstore/decodeRecorded';
import type { EventStore, RecordedEvent, Subscription } from '../commands/eventstore/eventStore';
import { AnyEvent, isKnownEventType } from '../domain/events';
import type { Upcasters } from '../domain/upcasting/upcasters';
import type { ProjectedEvent, Projection } from './projection';
import type { ReadStore, WriteOp } from './readStore';
import { PARKED_EVENTS } from './collections';
import { parkedEventDocuments, parkingOf, type ParkedEventDoc } from './operations/parkedEvents';

export interface ProjectionRunnerDeps {
  readonly store: EventStore;
  readonly readStore: ReadStore;
  readonly projections: readonly Projection[];
  readonly upcasters: Upcasters;
  /** Name of the checkpoint this runner keeps in the read store. */
  readonly checkpointName?: string;
  readonly onError?: (error: unknown) => void;
  /** An event was set aside (see `ParkedEventDoc`): the operator should look. */
  readonly onParked?: (parked: ParkedEventDoc) => void;
  /** Times one event alone must fail in a row before it is parked (default 3). */
  readonly attemptsBeforeParking?: number;
}

export interface ProjectionRunner {
  /** Resolves once the read models reflect every event up to `position`. */
  waitFor(position: bigint, timeoutMs?: number): Promise<void>;
  /** True once the runner processed everything that was in the log when it started. */
  caughtUp(): boolean;
  /** Last position applied, or undefined before the first event. */
  position(): bigint | undefined;
  /** Events set aside because no read model could be written from them, oldest first. */
  parked(): readonly ParkedEventDoc[];
  /** Drops the read models and replays the whole log from position 0 (parked events are tried again). */
  rebuild(): Promise<void>;
  stop(): Promise<void>;
}

export class ProjectionTimeoutError extends Error {
  constructor(position: bigint) {
    super(`Read models did not reach position ${position} in time`);
    this.name = 'ProjectionTimeoutError';
  }
}

/** Decodes what was read back, upcast to today's shapes; foreign events (not ours) are skipped, ours must decode. */
export function toProjected(upcasters: Upcasters, event: RecordedEvent): ProjectedEvent | undefined {
  if (!isKnownEventType(event.type)) return undefined;
  return {
    ...decodeRecorded(AnyEvent, upcasters, event),
    eventId: event.id,
    position: event.position,
    metadata: event.metadata,
    streamId: event.streamId,
  };
}

export function projectBatch(projections: readonly Projection[], upcasters: Upcasters, batch: readonly RecordedEvent[]): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const recorded of batch) {
    const event = toProjected(upcasters, recorded);
    if (event === undefined) continue;
    for (const projection of projections) ops.push(...projection.project(event));
  }
  return ops;
}

/**
 * Keeps the read models up to date: subscribes from the stored checkpoint, applies each batch,
 * then stores the checkpoint. A crash between the two replays the batch, which the position
 * guards of the read store turn into no-ops.
 */
export async function startProjectionRunner(deps: ProjectionRunnerDeps): Promise<ProjectionRunner> {
  const checkpointName = deps.checkpointName ?? 'projections';
  const collections = [...deps.projections.flatMap((p) => Object.keys(p.collections)), PARKED_EVENTS];
  const attemptsBeforeParking = deps.attemptsBeforeParking ?? 3;
  const parkedEvents = parkedEventDocuments(deps.readStore);
  const loadParked = async (): Promise<ParkedEventDoc[]> =>
    (await parkedEvents.find({})).items.sort((a, b) => (BigInt(a.position) < BigInt(b.position) ? -1 : 1));
  const ensureIndexes = async (): Promise<void> => {
    for (const projection of deps.projections) {
      for (const [collection, fields] of Object.entries(projection.collections)) {
        await deps.readStore.ensureIndexes(collection, fields);
      }
    }
  };
  await ensureIndexes();

  let applied = await deps.readStore.getCheckpoint(checkpointName);
  let headAtStart = await deps.store.headPosition();
  let parked = await loadParked();
  const waiters = new Set<{ position: bigint; resolve: () => void }>();

  const notify = (): void => {
    for (const waiter of waiters) {
      if (applied !== undefined && applied >= waiter.position) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const advance = async (position: bigint): Promise<void> => {
    await deps.readStore.setCheckpoint(checkpointName, position);
    applied = position;
    notify();
  };

  /**
   * One event alone, after its batch failed. If it fails alone while the read store answers, it
   * is at fault (it does not decode, or the store refuses what it writes): after a few tries it is
   * parked, so that one event never holds every read model back. A store that does not answer
   * cannot record a parking either, so then nothing is parked: the runner waits for it as before.
   */
  let suspect: { readonly position: bigint; readonly attempts: number } | undefined;
  const applyAlone = async (event: RecordedEvent): Promise<void> => {
    try {
      await deps.readStore.apply(projectBatch(deps.projections, deps.upcasters, [event]));
    } catch (error: unknown) {
      const attempts = (suspect?.position === event.position ? suspect.attempts : 0) + 1;
      if (attempts < attemptsBeforeParking) {
        suspect = { position: event.position, attempts };
        throw error;
      }
      const parking = parkingOf(event, error, new Date());
      await deps.readStore.apply([parking.op]);
      parked = [...parked, parking.doc];
      deps.onParked?.(parking.doc);
    }
    suspect = undefined;
    await advance(event.position);
  };

  // After a failure, batches go one event at a time until one goes through whole again.
  let careful = false;
  const handle = async (batch: readonly RecordedEvent[]): Promise<void> => {
    const last = batch[batch.length - 1];
    if (last === undefined) return;
    if (careful) {
      for (const event of batch) await applyAlone(event);
      careful = false;
      return;
    }
    try {
      await deps.readStore.apply(projectBatch(deps.projections, deps.upcasters, batch));
    } catch (error: unknown) {
      careful = true;
      throw error;
    }
    await advance(last.position);
  };

  // A failure (read store down, an event at fault) is reported and retried from the last
  // checkpoint with a growing pause, so the read models heal by themselves once the store is
  // back; an event at fault is parked on its third try (see `applyAlone`).
  let stopped = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const subscribe = (): Subscription => {
    const current = deps.store.subscribeToAll(applied === undefined ? 'start' : { after: applied }, async (batch) => {
      await handle(batch);
      failures = 0;
    });
    current.done.catch((error: unknown) => {
      deps.onError?.(error);
      if (stopped || current !== subscription) return;
      failures++;
      retryTimer = setTimeout(
        () => {
          if (!stopped && current === subscription) subscription = subscribe();
        },
        Math.min(30_000, 250 * 2 ** Math.min(failures, 7)),
      );
    });
    return current;
  };
  let subscription = subscribe();

  return {
    waitFor(position, timeoutMs = 10_000) {
      if (applied !== undefined && applied >= position) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = {
          position,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new ProjectionTimeoutError(position));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    caughtUp: () => headAtStart === undefined || (applied !== undefined && applied >= headAtStart),
    position: () => applied,
    parked: () => parked,
    async rebuild() {
      clearTimeout(retryTimer);
      await subscription.stop();
      await deps.readStore.reset(collections, checkpointName);
      await ensureIndexes();
      applied = undefined;
      parked = [];
      headAtStart = await deps.store.headPosition();
      subscription = subscribe();
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await subscription.stop();
    },
  };
}
