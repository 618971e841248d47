import { randomUUID } from 'node:crypto';
import type { EventStore } from '../commands/eventstore/eventStore';
import type { Upcasters } from '../domain/upcasting/upcasters';
import { checkpointNameOf, generationalReadStore, type GenerationalReadStore } from './blueGreenReadStore';
import type { Projection } from './projection';
import type { ReadStore } from './readStore';
import { ProjectionTimeoutError, startProjectionRunner, type ProjectionRunner } from './runner';
import { PARKED_EVENTS } from './collections';
import type { ParkedEventDoc } from './operations/parkedEvents';

/**
 * Projections that can be rebuilt while the API serves (blue / green read models).
 *
 * One runner keeps the active generation of the read models up to date, as before. A rebuild
 * starts a second runner (its own checkpoint) that replays the log from position 0 into the next
 * generation's fresh collections while readers keep using the active one. Once it reached the
 * head of the log and at least the active runner's position, readers and `waitFor` move to it in
 * one synchronous step (so read-your-writes holds across the swap), the generation is persisted,
 * the old runner stops and the old collections are dropped once no read uses them any more.
 */
export interface RebuildState {
  readonly id: string;
  /** The generation being built. */
  readonly generation: number;
  readonly state: 'running' | 'done' | 'failed';
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Last position the rebuild's runner applied. */
  readonly position: bigint | undefined;
  readonly error?: string;
}

export interface ReadModelsStatus {
  /** The generation readers use. */
  readonly generation: number;
  /** A rebuild is in progress. */
  readonly running: boolean;
  /** Last position applied to the active generation. */
  readonly position: bigint | undefined;
  /** Position of the last event in the log. */
  readonly head: bigint | undefined;
  /** The current or last rebuild of this process. */
  readonly rebuild: RebuildState | undefined;
}

export interface LiveProjections extends ProjectionRunner {
  /** The read models of the active generation: what the API, the guard and the runtime read. */
  readonly readStore: ReadStore;
  /** Starts a rebuild; refused with `RebuildRunningError` while one runs. */
  startRebuild(): RebuildState;
  status(): Promise<ReadModelsStatus>;
  /** Resolves when the current rebuild (if any) ended, rejects if it failed. */
  rebuildDone(): Promise<void>;
}

export class RebuildRunningError extends Error {
  constructor(readonly current: RebuildState) {
    super(`rebuild ${current.id} is running`);
    this.name = 'RebuildRunningError';
  }
}

export interface LiveProjectionsDeps {
  readonly store: EventStore;
  /** The underlying read store; the returned `readStore` wraps it. */
  readonly readStore: ReadStore;
  readonly projections: readonly Projection[];
  readonly upcasters: Upcasters;
  readonly onError?: (error: unknown) => void;
  readonly onParked?: (parked: ParkedEventDoc) => void;
  readonly onRebuild?: (state: RebuildState) => void;
}

/** How long one wait of the rebuild loop lasts before it looks again (and notices a stop). */
const POLL_MS = 500;

export async function startLiveProjections(deps: LiveProjectionsDeps): Promise<LiveProjections> {
  // The runner's parked events belong to a generation like the read models: a rebuild tries them again.
  const logical = [...new Set([...deps.projections.flatMap((p) => Object.keys(p.collections)), PARKED_EVENTS])];
  const readStore: GenerationalReadStore = await generationalReadStore(deps.readStore, logical);
  const runnerFor = (generation: number): Promise<ProjectionRunner> =>
    startProjectionRunner({
      store: deps.store,
      readStore: readStore.pinned(generation),
      projections: deps.projections,
      upcasters: deps.upcasters,
      checkpointName: checkpointNameOf(generation),
      ...(deps.onError !== undefined ? { onError: deps.onError } : {}),
      ...(deps.onParked !== undefined ? { onParked: deps.onParked } : {}),
    });

  let active = await runnerFor(readStore.generation());
  /** Resolved (and replaced) at each swap, for the `waitFor`s parked on the old runner. */
  let swapped = deferred();
  let stopped = false;
  let current: RebuildState | undefined;
  let candidate: ProjectionRunner | undefined;
  let running: Promise<void> = Promise.resolve();

  const update = (patch: Partial<RebuildState>): void => {
    if (current === undefined) return;
    current = { ...current, ...patch };
    deps.onRebuild?.(current);
  };

  /** Waits until `runner` applied `position`, a step at a time, so that a stop ends the wait. */
  const reach = async (runner: ProjectionRunner, position: bigint | undefined): Promise<void> => {
    if (position === undefined) return;
    for (;;) {
      if (stopped) throw new Error('stopped');
      try {
        await runner.waitFor(position, POLL_MS);
        return;
      } catch (error: unknown) {
        if (!(error instanceof ProjectionTimeoutError)) throw error;
        update({ position: runner.position() });
      }
    }
  };
  const behind = (a: bigint | undefined, b: bigint | undefined): boolean => b !== undefined && (a === undefined || a < b);

  const rebuild = async (next: number): Promise<void> => {
    const target = readStore.pinned(next);
    // Leftovers of an interrupted rebuild into the same generation go first.
    await target.reset(logical, checkpointNameOf(next));
    const runner = await runnerFor(next);
    candidate = runner;
    try {
      // Tails the log until it reached the head, then until it is where the active runner is;
      // the check and the swap below run in one tick, so nothing lands in between.
      for (;;) {
        await reach(runner, await deps.store.headPosition());
        await reach(runner, active.position());
        if (stopped) throw new Error('stopped');
        if (!behind(runner.position(), active.position())) break;
      }
      const old = active;
      const oldGeneration = readStore.generation();
      const persisted = readStore.activate(next);
      active = runner;
      candidate = undefined;
      const signal = swapped;
      swapped = deferred();
      signal.resolve();
      await persisted;
      await old.stop();
      await readStore.drop(oldGeneration);
      update({ state: 'done', finishedAt: new Date().toISOString(), position: runner.position() });
    } catch (error: unknown) {
      if (candidate === runner) {
        candidate = undefined;
        await runner.stop();
      }
      throw error;
    }
  };

  const startRebuild = (): RebuildState => {
    if (current?.state === 'running') throw new RebuildRunningError(current);
    const generation = readStore.generation() + 1;
    current = { id: randomUUID(), generation, state: 'running', startedAt: new Date().toISOString(), position: undefined };
    deps.onRebuild?.(current);
    running = rebuild(generation).catch((error: unknown) => {
      update({ state: 'failed', finishedAt: new Date().toISOString(), error: String(error) });
      deps.onError?.(error);
      throw error;
    });
    running.catch(() => undefined);
    return current;
  };

  return {
    readStore,

    async waitFor(position, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const runner = active;
        const reached = runner.waitFor(position, Math.max(0, deadline - Date.now()));
        // Parked on a runner that a swap then stops: its timeout must not surface unhandled.
        reached.catch(() => undefined);
        await Promise.race([reached, swapped.promise]);
        if (runner === active) return;
        // Swapped meanwhile: what readers see now is the new generation, so wait on its runner.
      }
    },
    caughtUp: () => active.caughtUp(),
    position: () => active.position(),
    parked: () => active.parked(),

    startRebuild,

    async status() {
      return {
        generation: readStore.generation(),
        running: current?.state === 'running',
        position: active.position(),
        head: await deps.store.headPosition(),
        rebuild:
          current === undefined
            ? undefined
            : { ...current, position: current.state === 'running' ? candidate?.position() : current.position },
      };
    },

    rebuildDone: () => running,

    /** The ProjectionRunner contract: the read models rebuilt from position 0, here without a pause in service. */
    async rebuild() {
      startRebuild();
      await running;
    },

    async stop() {
      stopped = true;
      await running.catch(() => undefined);
      await active.stop();
    },
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
