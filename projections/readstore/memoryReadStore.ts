import type { Doc, FindQuery, ReadStore, Scalar, SortKey, Where, WriteOp } from '../readStore';
import { searchColumn, type SearchColumn } from './searchColumn';

interface Stored {
  readonly doc: Doc;
  readonly position: bigint;
  readonly deleted: boolean;
}

/** A collection's live documents (by id) per value of one field (absent counts as null). */
type FieldIndex = Map<unknown, Map<string, Doc>>;

/** A search reads an equality index of `where` instead of its search column when that index holds under 1 / this of the column's candidates. */
const NARROWER_THAN_SEARCH = 8;

/**
 * The embedded read store: documents in memory, rebuilt from the event log at start-up (the
 * log is the durable truth; checkpoints here live as long as the process). Fields declared with
 * `ensureIndexes` get an equality index, so that a filtered list reads its matches, not the
 * whole collection.
 */
export function memoryReadStore(): ReadStore {
  const collections = new Map<string, Map<string, Stored>>();
  const checkpoints = new Map<string, bigint>();
  /** Per collection, replaced by every write that changes it (see `versionOf`). */
  const versions = new Map<string, object>();
  const indexes = new Map<string, Map<string, FieldIndex>>();
  /** Per collection and searched field, built at its first search and kept up to date by every write after. */
  const searchColumns = new Map<string, Map<string, SearchColumn>>();
  const searchColumnOf = (name: string, field: string): SearchColumn => {
    let fields = searchColumns.get(name);
    if (fields === undefined) {
      fields = new Map();
      searchColumns.set(name, fields);
    }
    let column = fields.get(field);
    if (column === undefined) {
      // Trigrams only for declared fields: a search on any other (say a long delimited list of
      // ids) still works, by a scan, without an index of every three characters of it.
      column = searchColumn(indexes.get(name)?.has(field) === true);
      fields.set(field, column);
      for (const { doc, deleted } of collection(name).values()) if (!deleted) column.set(doc, doc[field]);
    }
    return column;
  };

  const indexKey = (value: unknown): unknown => (value === undefined ? null : value);
  const unindex = (name: string, doc: Doc): void => {
    for (const [field, index] of indexes.get(name) ?? []) index.get(indexKey(doc[field]))?.delete(doc.id);
    for (const column of searchColumns.get(name)?.values() ?? []) column.delete(doc.id);
  };
  const reindex = (name: string, doc: Doc): void => {
    for (const [field, index] of indexes.get(name) ?? []) {
      const key = indexKey(doc[field]);
      let docs = index.get(key);
      if (docs === undefined) {
        docs = new Map();
        index.set(key, docs);
      }
      docs.set(doc.id, doc);
    }
    for (const [field, column] of searchColumns.get(name) ?? []) column.set(doc, doc[field]);
  };

  /**
   * The documents of the indexed field of `where` that narrows the search most (one map per wanted
   * value, so disjoint), or undefined to scan. Sizes are compared before anything is copied: a
   * list filtered by team and state reads the few documents of the state, not the team's thousands.
   */
  const candidates = (name: string, where: Where): { readonly sets: Map<string, Doc>[]; readonly size: number } | undefined => {
    const fields = indexes.get(name);
    if (fields === undefined) return undefined;
    let best: { sets: Map<string, Doc>[]; size: number } | undefined;
    for (const [field, wanted] of Object.entries(where)) {
      const index = fields.get(field);
      if (index === undefined) continue;
      const values = new Set<Scalar>(Array.isArray(wanted) ? wanted : [wanted]);
      const sets = [...values].flatMap((value) => index.get(value) ?? []);
      const size = sets.reduce((total, docs) => total + docs.size, 0);
      if (best === undefined || size < best.size) best = { sets, size };
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
    versions.set(op.collection, {});
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
    const { range, search } = query;
    // Conditions as entries once per query, not once per document.
    const conditions = Object.entries(query.where ?? {});
    const alternatives = query.anyOf?.map((where) => Object.entries(where));
    const result: Doc[] = [];
    const consider = (doc: Doc): void => {
      if (!matchesAll(doc, conditions)) return;
      if (alternatives !== undefined && !alternatives.some((where) => matchesAll(doc, where))) return;
      if (range !== undefined && !withinRange(doc[range.field], range)) return;
      result.push(doc);
    };
    const narrowed = candidates(name, query.where ?? {});
    if (search !== undefined) {
      const needle = search.text.toLowerCase();
      const column = searchColumnOf(name, search.field);
      if (narrowed === undefined || narrowed.size * NARROWER_THAN_SEARCH >= column.candidates(needle)) {
        for (const doc of column.matching(needle)) consider(doc);
        return result;
      }
      for (const docs of narrowed.sets) for (const doc of docs.values()) if (column.contains(doc.id, needle)) consider(doc);
      return result;
    }
    if (narrowed === undefined) {
      for (const { doc, deleted } of collection(name).values()) if (!deleted) consider(doc);
    } else {
      for (const docs of narrowed.sets) for (const doc of docs.values()) consider(doc);
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
    versionOf(name) {
      let version = versions.get(name);
      if (version === undefined) {
        version = {};
        versions.set(name, version);
      }
      return version;
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
      // A newly declared field gets trigrams: its search column is built again at the next search.
      searchColumns.delete(name);
      // Documents stored before the declaration are indexed now (reindex adds, never duplicates).
      for (const { doc, deleted } of collection(name).values()) if (!deleted) reindex(name, doc);
    },
    async reset(names, checkpointName) {
      for (const name of names) {
        collections.delete(name);
        versions.delete(name);
        for (const index of indexes.get(name)?.values() ?? []) index.clear();
        searchColumns.delete(name);
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
