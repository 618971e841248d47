import type { Doc, FindQuery, ReadStore, Scalar, SortKey, Where, WriteOp } from '../readStore';

interface Stored {
  readonly doc: Doc;
  readonly position: bigint;
  readonly deleted: boolean;
}

/** Ids of a collection's live documents per value of one field (absent counts as null). */
type FieldIndex = Map<unknown, Set<string>>;

/**
 * The embedded read store: documents in memory, rebuilt from the event log at start-up (the
 * log is the durable truth; checkpoints here live as long as the process). Fields declared with
 * `ensureIndexes` get an equality index, so that a filtered list reads its matches, not the
 * whole collection.
 */
export function memoryReadStore(): ReadStore {
  const collections = new Map<string, Map<string, Stored>>();
  const checkpoints = new Map<string, bigint>();
  const indexes = new Map<string, Map<string, FieldIndex>>();

  const indexKey = (value: unknown): unknown => (value === undefined ? null : value);
  const unindex = (name: string, doc: Doc): void => {
    for (const [field, index] of indexes.get(name) ?? []) index.get(indexKey(doc[field]))?.delete(doc.id);
  };
  const reindex = (name: string, doc: Doc): void => {
    for (const [field, index] of indexes.get(name) ?? []) {
      const key = indexKey(doc[field]);
      let ids = index.get(key);
      if (ids === undefined) {
        ids = new Set();
        index.set(key, ids);
      }
      ids.add(doc.id);
    }
  };

  /** The ids an indexed field of `where` narrows the search to (the narrowest), or undefined to scan. */
  const candidates = (name: string, where: Where): Iterable<string> | undefined => {
    const fields = indexes.get(name);
    if (fields === undefined) return undefined;
    let best: Set<string> | undefined;
    for (const [field, wanted] of Object.entries(where)) {
      const index = fields.get(field);
      if (index === undefined) continue;
      const ids = new Set((Array.isArray(wanted) ? wanted : [wanted]).flatMap((value: Scalar) => [...(index.get(value) ?? [])]));
      if (best === undefined || ids.size < best.size) best = ids;
    }
    return best;
  };

  const collection = (name: string): Map<string, Stored> => {
    let docs = collections.get(name);
    if (docs === undefined) {
      docs = new Map();
      collections.set(name, docs);
    }
    return docs;
  };

  const applyOne = (op: WriteOp): void => {
    const docs = collection(op.collection);
    const current = docs.get(op.id);
    if (current !== undefined && current.position >= op.position) return;
    if (current !== undefined && !current.deleted) unindex(op.collection, current.doc);
    if (op.kind === 'remove') {
      // A tombstone keeps only the id, so a later upsert starts from an empty document.
      docs.set(op.id, { doc: { id: op.id }, position: op.position, deleted: true });
      return;
    }
    const doc = { ...current?.doc, ...op.set, id: op.id };
    docs.set(op.id, { doc, position: op.position, deleted: false });
    reindex(op.collection, doc);
  };

  const matching = (name: string, query: FindQuery): Doc[] => {
    const needle = query.search?.text.toLowerCase();
    const { range } = query;
    const result: Doc[] = [];
    const docs = collection(name);
    const narrowed = candidates(name, query.where ?? {});
    const stored = narrowed === undefined ? docs.values() : [...narrowed].map((id) => docs.get(id)).filter((s): s is Stored => s !== undefined);
    for (const { doc, deleted } of stored) {
      if (deleted) continue;
      if (!matchesWhere(doc, query.where ?? {})) continue;
      if (query.anyOf !== undefined && !query.anyOf.some((where) => matchesWhere(doc, where))) continue;
      if (range !== undefined && !withinRange(doc[range.field], range)) continue;
      if (query.search !== undefined && needle !== undefined) {
        const value = doc[query.search.field];
        if (typeof value !== 'string' || !value.toLowerCase().includes(needle)) continue;
      }
      result.push(doc);
    }
    return result;
  };

  return {
    async apply(ops) {
      for (const op of ops) applyOne(op);
    },
    async get(name, id) {
      const stored = collection(name).get(id);
      return stored === undefined || stored.deleted ? undefined : stored.doc;
    },
    async find(name, query) {
      const all = matching(name, query).sort(comparator(query.sort ?? []));
      const skip = query.skip ?? 0;
      const items = query.limit === undefined ? all.slice(skip) : all.slice(skip, skip + query.limit);
      return { items, total: all.length };
    },
    async countBy(name, field, where) {
      const counts: Record<string, number> = {};
      for (const doc of matching(name, where === undefined ? {} : { where })) {
        const key = String(doc[field] ?? null);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    async getCheckpoint(name) {
      return checkpoints.get(name);
    },
    async setCheckpoint(name, position) {
      checkpoints.set(name, position);
    },
    async ensureIndexes(name, fields) {
      let fieldIndexes = indexes.get(name);
      if (fieldIndexes === undefined) {
        fieldIndexes = new Map();
        indexes.set(name, fieldIndexes);
      }
      const added = fields.filter((field) => field !== 'id' && !fieldIndexes.has(field));
      for (const field of added) fieldIndexes.set(field, new Map());
      if (added.length === 0) return;
      // Documents stored before the declaration are indexed now (reindex adds, never duplicates).
      for (const { doc, deleted } of collection(name).values()) if (!deleted) reindex(name, doc);
    },
    async reset(names, checkpointName) {
      for (const name of names) {
        collections.delete(name);
        for (const index of indexes.get(name)?.values() ?? []) index.clear();
      }
      checkpoints.delete(checkpointName);
    },
    async close() {
      collections.clear();
    },
  };
}

const matches = (value: unknown, wanted: Scalar | readonly Scalar[]): boolean => {
  const actual = value === undefined ? null : value;
  return Array.isArray(wanted) ? wanted.includes(actual as Scalar) : actual === wanted;
};

/** Like MongoDB's type bracketing: a bound only admits values of its own type, never an absent field. */
const withinRange = (value: unknown, range: NonNullable<FindQuery['range']>): boolean =>
  (range.gte === undefined || (typeof value === typeof range.gte && compareValues(value, range.gte) >= 0)) &&
  (range.lte === undefined || (typeof value === typeof range.lte && compareValues(value, range.lte) <= 0));

const matchesWhere = (doc: Doc, where: Where): boolean =>
  Object.entries(where).every(([field, wanted]) => matches(doc[field], wanted));

/** Orders null / absent before any value, like MongoDB does in ascending order. */
const compareValues = (a: unknown, b: unknown): number => {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
};

const comparator =
  (sort: readonly SortKey[]) =>
  (a: Doc, b: Doc): number => {
    for (const { field, direction } of sort) {
      const order = compareValues(a[field], b[field]);
      if (order !== 0) return direction === 'asc' ? order : -order;
    }
    return compareValues(a.id, b.id);
  };
