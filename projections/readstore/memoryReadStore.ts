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

  /**
   * The id sets of the indexed field of `where` that narrows the search most (one set per wanted
   * value, so disjoint), or undefined to scan. Sizes are compared before anything is copied: a
   * list filtered by team and state reads the few ids of the state, not the team's thousands.
   */
  const candidates = (name: string, where: Where): Set<string>[] | undefined => {
    const fields = indexes.get(name);
    if (fields === undefined) return undefined;
    let best: Set<string>[] | undefined;
    let bestSize = Infinity;
    for (const [field, wanted] of Object.entries(where)) {
      const index = fields.get(field);
      if (index === undefined) continue;
      const values = new Set<Scalar>(Array.isArray(wanted) ? wanted : [wanted]);
      const sets = [...values].flatMap((value) => index.get(value) ?? []);
      const size = sets.reduce((total, ids) => total + ids.size, 0);
      if (size < bestSize) [best, bestSize] = [sets, size];
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
    const stored = narrowed === undefined ? docs.values() : storedOf(docs, narrowed);
    // Conditions as entries once per query, not once per document.
    const conditions = Object.entries(query.where ?? {});
    const alternatives = query.anyOf?.map((where) => Object.entries(where));
    for (const { doc, deleted } of stored) {
      if (deleted) continue;
      if (!matchesAll(doc, conditions)) continue;
      if (alternatives !== undefined && !alternatives.some((where) => matchesAll(doc, where))) continue;
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

function* storedOf(docs: Map<string, Stored>, idSets: readonly Set<string>[]): Generator<Stored> {
  for (const ids of idSets) {
    for (const id of ids) {
      const stored = docs.get(id);
      if (stored !== undefined) yield stored;
    }
  }
}

const matches = (value: unknown, wanted: Scalar | readonly Scalar[]): boolean => {
  const actual = value === undefined ? null : value;
  return Array.isArray(wanted) ? wanted.includes(actual) : actual === wanted;
};

/** Like MongoDB's type bracketing: a bound only admits values of its own type, never an absent field. */
const withinRange = (value: unknown, range: NonNullable<FindQuery['range']>): boolean =>
  (range.gte === undefined || (typeof value === typeof range.gte && compareValues(value, range.gte) >= 0)) &&
  (range.lte === undefined || (typeof value === typeof range.lte && compareValues(value, range.lte) <= 0));

const matchesAll = (doc: Doc, conditions: readonly [string, Where[string]][]): boolean =>
  conditions.every(([field, wanted]) => matches(doc[field], wanted));

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
