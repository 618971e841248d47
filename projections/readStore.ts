/**
 * Read store port: where projections keep read models and queries read them.
 *
 * Every write carries the log position of the event that caused it and is applied only when
 * that position is newer than the one the document already holds, so replaying an event
 * (after a crash between a write and its checkpoint) changes nothing. Deletes leave a
 * tombstone for the same reason: an old upsert replayed after a delete must not resurrect
 * the document. Tombstones and positions are invisible to readers.
 */

export type Scalar = string | number | boolean | null;

export type Doc = { readonly id: string } & Readonly<Record<string, unknown>>;

export type WriteOp =
  | {
      readonly kind: 'upsert';
      readonly collection: string;
      readonly id: string;
      /** Fields to set (merged into the document; other fields are kept). */
      readonly set: Readonly<Record<string, unknown>>;
      readonly position: bigint;
    }
  | { readonly kind: 'remove'; readonly collection: string; readonly id: string; readonly position: bigint };

export interface SortKey {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
}

/** Equality on each field; an array value means "one of". */
export type Where = Readonly<Record<string, Scalar | readonly Scalar[]>>;

export interface FindQuery {
  readonly where?: Where;
  /** At least one of these must also match (e.g. "mine, or in one of my teams"). */
  readonly anyOf?: readonly Where[];
  /** Bounds on one field, inclusive (e.g. a time range over ISO strings). */
  readonly range?: { readonly field: string; readonly gte?: Scalar; readonly lte?: Scalar };
  /** Case-insensitive substring match of `text` in `field`. */
  readonly search?: { readonly field: string; readonly text: string };
  /** Ties are always broken by id, so paging is stable. */
  readonly sort?: readonly SortKey[];
  readonly skip?: number;
  readonly limit?: number;
}

export interface Page {
  readonly items: Doc[];
  /** Number of matching documents, ignoring skip / limit. */
  readonly total: number;
}

export interface ReadStore {
  /** Applies writes in order; each is skipped when its document already holds a newer or equal position. */
  apply(ops: readonly WriteOp[]): Promise<void>;
  get(collection: string, id: string): Promise<Doc | undefined>;
  find(collection: string, query: FindQuery): Promise<Page>;
  /** Matching documents counted per distinct value of `field` (absent field counts under "null"). */
  countBy(collection: string, field: string, where?: Where): Promise<Record<string, number>>;
  /**
   * A token of the collection's current contents: the same object until a write or reset changes
   * the collection, a new one after. Undefined from a store that other processes also write (it
   * cannot tell); a reader may keep what it derived from a collection while its token is the same.
   */
  versionOf(collection: string): object | undefined;
  getCheckpoint(name: string): Promise<bigint | undefined>;
  setCheckpoint(name: string, position: bigint): Promise<void>;
  /** Declares the fields queries filter and sort on (an index where the engine has them). */
  ensureIndexes(collection: string, fields: readonly string[]): Promise<void>;
  /** Removes the given collections and the checkpoint `checkpointName`, for a rebuild from position 0. */
  reset(collections: readonly string[], checkpointName: string): Promise<void>;
  close(): Promise<void>;
}
