import type { Doc, FindQuery, Page, ReadStore, Where, WriteOp } from './readStore';

/**
 * Read models in generations, for rebuilds while serving: the collections the projections own
 * (the logical names, `pipelines`) live under a physical name per generation (`pipelines` for
 * generation 1, so that an installation older than this keeps its data, then `pipelines__g2`,
 * `pipelines__g3`, ...). Readers use the active generation; a rebuild's runner writes the next one
 * through a store pinned to it, and `activate` moves readers over at once.
 *
 * The active generation is kept as the checkpoint `read_model_generation` of the underlying store,
 * so a restart reads the generation the last completed rebuild activated. Collections the
 * projections do not own (the runtime's metrics and logs) and checkpoints are passed through.
 */
export const GENERATION_CHECKPOINT = 'read_model_generation';

/** Physical name of a logical collection in a generation. */
export const physicalName = (collection: string, generation: number): string =>
  generation <= 1 ? collection : `${collection}__g${generation}`;

/** Name of the checkpoint of the runner that writes a generation. */
export const checkpointNameOf = (generation: number): string => (generation <= 1 ? 'projections' : `projections__g${generation}`);

export interface GenerationalReadStore extends ReadStore {
  /** The generation readers use. */
  generation(): number;
  /** The store a runner writing `generation` uses: logical collections map to that generation's, whatever is active. */
  pinned(generation: number): ReadStore;
  /**
   * Moves readers to `generation` before its first await (so a caller flipping other state in
   * the same tick flips both at once), then persists it.
   */
  activate(generation: number): Promise<void>;
  /** Once no read of `generation` is in flight any more, drops its collections and its runner's checkpoint. */
  drop(generation: number): Promise<void>;
}

export async function generationalReadStore(base: ReadStore, logicalCollections: readonly string[]): Promise<GenerationalReadStore> {
  const logical = new Set(logicalCollections);
  const stored = await base.getCheckpoint(GENERATION_CHECKPOINT);
  let active = stored === undefined ? 1 : Number(stored);
  /** Reads in flight per generation, and who waits for them to end. */
  const inFlight = new Map<number, number>();
  const drained = new Map<number, (() => void)[]>();

  const track = async <T>(generation: number, read: () => Promise<T>): Promise<T> => {
    inFlight.set(generation, (inFlight.get(generation) ?? 0) + 1);
    try {
      return await read();
    } finally {
      const left = (inFlight.get(generation) ?? 1) - 1;
      if (left > 0) inFlight.set(generation, left);
      else {
        inFlight.delete(generation);
        for (const resolve of drained.get(generation) ?? []) resolve();
        drained.delete(generation);
      }
    }
  };
  const idle = (generation: number): Promise<void> =>
    inFlight.has(generation)
      ? new Promise((resolve) => drained.set(generation, [...(drained.get(generation) ?? []), resolve]))
      : Promise.resolve();

  const mapName = (name: string, generation: number): string => (logical.has(name) ? physicalName(name, generation) : name);
  const mapOp = (op: WriteOp, generation: number): WriteOp => ({ ...op, collection: mapName(op.collection, generation) });

  /** A store over one generation, or over the active one when `fixed` is undefined. */
  const view = (fixed: number | undefined): ReadStore => {
    const generation = (): number => fixed ?? active;
    return {
      apply: (ops) => {
        const g = generation();
        return base.apply(ops.map((op) => mapOp(op, g)));
      },
      get: (name: string, id: string): Promise<Doc | undefined> => {
        const g = generation();
        return track(g, () => base.get(mapName(name, g), id));
      },
      find: (name: string, query: FindQuery): Promise<Page> => {
        const g = generation();
        return track(g, () => base.find(mapName(name, g), query));
      },
      countBy: (name: string, field: string, where?: Where) => {
        const g = generation();
        return track(g, () => base.countBy(mapName(name, g), field, where));
      },
      versionOf: (name) => base.versionOf(mapName(name, generation())),
      getCheckpoint: (name) => base.getCheckpoint(name),
      setCheckpoint: (name, position) => base.setCheckpoint(name, position),
      ensureIndexes: (name, fields) => base.ensureIndexes(mapName(name, generation()), fields),
      reset: (names, checkpointName) => {
        const g = generation();
        return base.reset(
          names.map((name) => mapName(name, g)),
          checkpointName,
        );
      },
      close: () => base.close(),
    };
  };

  return {
    ...view(undefined),
    generation: () => active,
    pinned: (generation) => view(generation),
    async activate(generation) {
      active = generation;
      await base.setCheckpoint(GENERATION_CHECKPOINT, BigInt(generation));
    },
    async drop(generation) {
      if (generation === active) throw new Error(`generation ${generation} is the active one`);
      await idle(generation);
      await base.reset(
        [...logical].map((name) => physicalName(name, generation)),
        checkpointNameOf(generation),
      );
    },
  };
}
