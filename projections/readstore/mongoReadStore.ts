/**
 * Read store on the MongoDB wire protocol. Targets FerretDB 1.24 (SQLite) and MongoDB 6+
 * with the same code, so it only uses what both implement: point reads, `insertMany`,
 * `bulkWrite` of updates, `$match` + `$group`/`$sum`, single-field indexes. No transactions.
 *
 * Stored shape: `{ _id: id, _pos: Long, _deleted: boolean, ...fields }`.
 *
 * Positions are stored as BSON int64 (Long) whatever their size: exact for every signed
 * 64-bit value (a double would merge positions above 2^53), compared numerically by both
 * servers, and one type for all documents. Values outside int64 are rejected rather than
 * rounded.
 *
 * How the position guard runs, and why not as a guarded upsert
 * (`updateOne({_id, _pos: {$lt: p}}, ..., {upsert: true})`, E11000 meaning "already newer"):
 *  - FerretDB 1.24 pushes a filter down to SQL only when it is exactly `{_id: <string>}`, and
 *    even then its SQLite handler misses its own `_id` index (the index is on
 *    `_ferretdb_sjson->"_id"`, lookups use `->'$._id'`), so every lookup, update or delete of
 *    one document scans the table. Inserts do use the index for the duplicate check.
 *  - Its `update` command ignores `ordered`, stops at the first error, drops the partial
 *    result and reports the error at index 0, so the ops after a skipped one are lost.
 *  - Each matched update keeps its SQLite cursor open until the command ends, and the pool
 *    has 100 connections: an `update` command with ~100 matched statements deadlocks.
 * So `apply` runs the guard on this side, per collection:
 *  1. folds the batch as if no document existed yet (then every op passes the guard) and
 *     inserts the results unordered: new documents, the bulk of a projection's writes and
 *     all of a rebuild's, cost one batched insert and no lookup;
 *  2. for the ids whose insert hit a duplicate key, reads `_pos`/`_deleted` (point reads for a
 *     few ids, else one `$in` query: one scan on FerretDB), folds their ops again through
 *     the guard, and updates or replaces each touched document by `{_id}` alone, in small
 *     `bulkWrite` chunks. One write per touched document; skipped ops cost nothing.
 * The price: the guard is read-then-write, so it assumes one writer per collection at a
 * time, which a checkpointed projection is anyway. A duplicate key left over (a concurrent
 * insert) makes the collection's batch start again (it is idempotent); other errors
 * propagate, leaving a partial batch that a replay completes.
 *
 * Deletes replace the document by a bare tombstone, so a later upsert starts from an empty
 * document instead of resurrecting the deleted fields.
 */
import {
  Long,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type Filter,
} from 'mongodb';
import type { Doc, FindQuery, Page, ReadStore, Scalar, Where, WriteOp } from '../readStore';

interface Stored extends Document {
  _id: string;
}

interface CheckpointDoc {
  _id: string;
  position: Long;
}

/** What a document holds before the batch, as far as the guard is concerned. */
interface Current {
  readonly position: bigint | undefined;
  readonly deleted: boolean;
}

/** A document's state after folding the batch's ops that passed the guard. */
interface Pending {
  readonly id: string;
  /** The document exists in the database (possibly as a tombstone). */
  readonly exists: boolean;
  position: bigint | undefined;
  deleted: boolean;
  /** Fields stored before the batch must go: a remove ran, or the stored document is a tombstone. */
  fresh: boolean;
  touched: boolean;
  /** Fields set by the batch, in order; UNSET marks a field set to undefined. */
  readonly fields: Map<string, unknown>;
}

const UNSET = Symbol('unset');
const CHECKPOINTS = '_checkpoints';
const HIDDEN = new Set(['_id', '_pos', '_deleted']);
const VISIBLE: Filter<Stored> = { _deleted: false };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DUPLICATE_KEY = 11000;
/** A concurrent insert of the same id is the only expected conflict; the batch is idempotent. */
const ATTEMPTS = 3;
/** Ids per `$in` read of current positions. */
const READ_CHUNK = 1000;
/**
 * Up to this many ids, current positions are read one `{_id}` at a time instead. On FerretDB
 * a point read scans in SQL up to its row, while `$in` decodes every row of the table (some
 * 20x slower per row); on MongoDB both are index lookups.
 */
const POINT_READS_UP_TO = 32;
const POINT_READ_CONCURRENCY = 8;
/**
 * Statements per `update` command. FerretDB 1.24 holds a SQLite connection per matched statement
 * until the command ends (pool of 100, shared by every client of the database); its cost is
 * one SQLite transaction per statement anyway, so small chunks lose nothing.
 */
const UPDATE_CHUNK = 20;
/** Documents per `insert` command; both servers batch them into few transactions. */
const INSERT_CHUNK = 1000;
const NOTHING_STORED: ReadonlyMap<string, Current> = new Map();

export interface MongoReadStoreOptions {
  /** Database to use; defaults to the one in the URL, else "popsink". */
  readonly database?: string;
}

export async function mongoReadStore(url: string, options: MongoReadStoreOptions = {}): Promise<ReadStore> {
  // ignoreUndefined: nested `undefined` values behave as absent (as in JSON), not as null.
  const client = new MongoClient(url, { ignoreUndefined: true });
  await client.connect();
  const db = client.db(options.database ?? (urlNamesDatabase(url) ? undefined : 'popsink'));
  const checkpoints = db.collection<CheckpointDoc>(CHECKPOINTS);

  return {
    async apply(ops) {
      for (const op of ops) validate(op);
      for (const [collection, group] of byCollection(ops)) {
        await applyToCollection(db.collection<Stored>(collection), group);
      }
    },

    // Other API processes may write the same database.
    versionOf: () => undefined,

    async get(collection, id) {
      // `{_id}` alone: the only filter FerretDB hands to SQL, which stops at the row; any other
      // key makes it decode the whole table.
      const doc = await db.collection<Stored>(collection).findOne({ _id: id }, { projection: { _pos: 0 } });
      return doc === null || doc._deleted === true ? undefined : asReaderDoc(doc);
    },

    async find(collection, query) {
      const coll = db.collection<Stored>(collection);
      const filter = toFilter(query);
      const skip = nonNegative('skip', query.skip ?? 0);
      const limit = query.limit === undefined ? undefined : nonNegative('limit', query.limit);
      const total = coll.countDocuments(filter);
      // The driver reads limit 0 as "no limit".
      if (limit === 0) return { items: [], total: await total };
      let cursor = coll.find(filter, { projection: { _pos: 0, _deleted: 0 } }).sort(toSort(query.sort));
      if (skip > 0) cursor = cursor.skip(skip);
      if (limit !== undefined) cursor = cursor.limit(limit);
      const [docs, count] = await Promise.all([cursor.toArray(), total]);
      return { items: docs.map(asReaderDoc), total: count } satisfies Page;
    },

    async countBy(collection, field, where) {
      const groups = await db
        .collection<Stored>(collection)
        .aggregate<{ _id: unknown; n: number }>([
          { $match: toFilter({ where }) },
          { $group: { _id: `$${storedField(field)}`, n: { $sum: 1 } } },
        ])
        .toArray();
      const counts: Record<string, number> = {};
      for (const { _id, n } of groups) {
        const key = groupKey(_id);
        // Distinct BSON values can print alike (e.g. 1 as int32 and as int64).
        counts[key] = (counts[key] ?? 0) + n;
      }
      return counts;
    },

    async getCheckpoint(name) {
      const doc = await checkpoints.findOne({ _id: name }, { useBigInt64: true });
      if (doc === null) return undefined;
      // With useBigInt64 the driver returns int64 values as bigint, whatever the declared type.
      const position: unknown = doc.position;
      if (typeof position !== 'bigint') throw new Error(`checkpoint ${name}: unexpected stored position ${String(position)}`);
      return position;
    },

    async setCheckpoint(name, position) {
      await checkpoints.updateOne({ _id: name }, { $set: { position: toLong(position) } }, { upsert: true });
    },

    async ensureIndexes(collection, fields) {
      const keys = [...new Set(fields.map(storedField))].filter((f) => f !== '_id');
      const coll = db.collection<Stored>(collection);
      // One command per index: FerretDB 1.24 panics (and drops the connection) on a
      // createIndexes listing two or more indexes that already exist.
      for (const field of keys) await coll.createIndex({ [field]: 1 });
    },

    async reset(collections, checkpointName) {
      // drop() already answers false for a missing collection (NamespaceNotFound).
      for (const name of new Set(collections)) await db.collection(name).drop();
      await checkpoints.deleteOne({ _id: checkpointName });
    },

    async close() {
      await client.close();
    },
  };
}

async function applyToCollection(coll: Collection<Stored>, ops: readonly WriteOp[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = await insertAbsent(coll, fold(ops, NOTHING_STORED));
      if (existing.size > 0) {
        const current = await readCurrent(coll, [...existing]);
        await write(
          coll,
          fold(
            ops.filter((op) => existing.has(op.id)),
            current,
          ),
        );
      }
      return;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isDuplicateKey(error)) throw error;
    }
  }
}

/** Inserts the documents that do not exist yet; answers the ids that already did. */
async function insertAbsent(coll: Collection<Stored>, docs: readonly Pending[]): Promise<Set<string>> {
  const existing = new Set<string>();
  for (let i = 0; i < docs.length; i += INSERT_CHUNK) {
    const chunk = docs.slice(i, i + INSERT_CHUNK).map((doc): Stored => ({ _id: doc.id, ...wholeDocument(doc) }));
    try {
      // Unordered: the documents are distinct, and one that exists must not stop the others.
      await coll.insertMany(chunk, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError) || !isDuplicateKey(error)) throw error;
      for (const failure of list(error.writeErrors)) {
        const doc = chunk[failure.index];
        if (doc === undefined) throw error;
        existing.add(doc._id);
      }
    }
  }
  return existing;
}

async function readCurrent(coll: Collection<Stored>, ids: readonly string[]): Promise<Map<string, Current>> {
  const current = new Map<string, Current>();
  const keep = (doc: Stored): void => {
    const position: unknown = doc._pos;
    current.set(doc._id, {
      // A document without a (readable) position was not written by this store: any op is newer.
      position: typeof position === 'bigint' ? position : typeof position === 'number' ? BigInt(position) : undefined,
      deleted: doc._deleted === true,
    });
  };
  const options = { projection: { _pos: 1, _deleted: 1 }, useBigInt64: true };
  if (ids.length <= POINT_READS_UP_TO) {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < ids.length; i = next++) {
        const doc = await coll.findOne({ _id: ids[i] }, options);
        if (doc !== null) keep(doc);
      }
    };
    await Promise.all(Array.from({ length: Math.min(POINT_READ_CONCURRENCY, ids.length) }, worker));
    return current;
  }
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    const docs = await coll.find({ _id: { $in: ids.slice(i, i + READ_CHUNK) } }, options).toArray();
    for (const doc of docs) keep(doc);
  }
  return current;
}

/** Runs the position guard over the batch in order and keeps one resulting state per document. */
function fold(ops: readonly WriteOp[], current: ReadonlyMap<string, Current>): Pending[] {
  const pending = new Map<string, Pending>();
  for (const op of ops) {
    let doc = pending.get(op.id);
    if (doc === undefined) {
      const stored = current.get(op.id);
      doc = {
        id: op.id,
        exists: stored !== undefined,
        position: stored?.position,
        deleted: stored?.deleted ?? false,
        fresh: false,
        touched: false,
        fields: new Map(),
      };
      pending.set(op.id, doc);
    }
    if (doc.position !== undefined && op.position <= doc.position) continue;
    doc.position = op.position;
    doc.touched = true;
    if (op.kind === 'remove') {
      doc.deleted = true;
      doc.fresh = true;
      doc.fields.clear();
      continue;
    }
    if (doc.deleted) {
      doc.deleted = false;
      doc.fresh = true;
    }
    for (const [field, value] of Object.entries(op.set)) {
      // The document's id is its key; a copy in the body would only drift from it.
      if (field === 'id') continue;
      // Re-inserting moves the field to the end, so a later UNSET/set pair keeps its order.
      doc.fields.delete(field);
      doc.fields.set(field, value === undefined ? UNSET : value);
    }
  }
  return [...pending.values()].filter((doc) => doc.touched);
}

async function write(coll: Collection<Stored>, docs: readonly Pending[]): Promise<void> {
  const inserts: Stored[] = [];
  const updates: AnyBulkWriteOperation<Stored>[] = [];
  for (const doc of docs) {
    const body = wholeDocument(doc);
    if (!doc.exists) inserts.push({ _id: doc.id, ...body });
    else if (doc.fresh) updates.push({ replaceOne: { filter: { _id: doc.id }, replacement: body, upsert: true } });
    else {
      const $unset: Document = {};
      for (const [field, value] of doc.fields) if (value === UNSET) $unset[field] = '';
      // Both servers reject an empty operator document.
      const update = Object.keys($unset).length > 0 ? { $set: body, $unset } : { $set: body };
      updates.push({ updateOne: { filter: { _id: doc.id }, update, upsert: true } });
    }
  }
  for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
    await coll.insertMany(inserts.slice(i, i + INSERT_CHUNK), { ordered: true });
  }
  for (let i = 0; i < updates.length; i += UPDATE_CHUNK) {
    await coll.bulkWrite(updates.slice(i, i + UPDATE_CHUNK), { ordered: true });
  }
}

/** The fields the batch leaves set, plus the hidden ones; a tombstone keeps no fields. */
function wholeDocument(doc: Pending): Document {
  const body: Document = {};
  if (!doc.deleted) for (const [field, value] of doc.fields) if (value !== UNSET) body[field] = value;
  // `touched` guarantees a position.
  body._pos = toLong(doc.position ?? 0n);
  body._deleted = doc.deleted;
  return body;
}

function validate(op: WriteOp): void {
  toLong(op.position);
  if (op.kind === 'upsert') {
    for (const field of Object.keys(op.set)) {
      if (HIDDEN.has(field)) throw new Error(`upsert ${op.collection}/${op.id}: field "${field}" is reserved by the read store`);
    }
  }
}

function isDuplicateKey(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    const errors = list(error.writeErrors);
    return errors.length > 0 && errors.every((e) => e.code === DUPLICATE_KEY);
  }
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
}

/** The driver reports a single write error as itself rather than as a list of one. */
function list<T>(oneOrMore: T | readonly T[]): readonly T[] {
  return Array.isArray(oneOrMore) ? oneOrMore : [oneOrMore as T];
}

/** Splits ops per collection, keeping their relative order (documents never span collections). */
function byCollection(ops: readonly WriteOp[]): Map<string, WriteOp[]> {
  const groups = new Map<string, WriteOp[]>();
  for (const op of ops) {
    const group = groups.get(op.collection);
    if (group) group.push(op);
    else groups.set(op.collection, [op]);
  }
  return groups;
}

function toLong(position: bigint): Long {
  if (position < INT64_MIN || position > INT64_MAX) {
    throw new RangeError(`position ${position} is outside the signed 64-bit range the read store keeps`);
  }
  return Long.fromBigInt(position);
}

function storedField(field: string): string {
  return field === 'id' ? '_id' : field;
}

function toFilter(query: Pick<FindQuery, 'where' | 'anyOf' | 'range' | 'search'>): Filter<Stored> {
  const filter: Document = { ...VISIBLE, ...whereFilter(query.where ?? {}) };
  // Conditions beyond `where` go under $and, so two conditions on one field never overwrite each other.
  const and: Document[] = [];
  if (query.anyOf !== undefined) {
    // "At least one of none" matches nothing, and both servers reject an empty $or.
    and.push(query.anyOf.length === 0 ? { _id: { $in: [] } } : { $or: query.anyOf.map(whereFilter) });
  }
  if (query.range !== undefined) {
    const { field, gte, lte } = query.range;
    const bounds: Document = {};
    if (gte !== undefined) bounds.$gte = gte;
    if (lte !== undefined) bounds.$lte = lte;
    if (Object.keys(bounds).length > 0) and.push({ [storedField(field)]: bounds });
  }
  if (query.search !== undefined) {
    and.push({ [storedField(query.search.field)]: { $regex: escapeRegex(query.search.text), $options: 'i' } });
  }
  if (and.length > 0) filter.$and = and;
  return filter;
}

function whereFilter(where: Where): Document {
  const filter: Document = {};
  for (const [field, value] of Object.entries(where)) {
    filter[storedField(field)] = isList(value) ? { $in: [...value] } : value;
  }
  return filter;
}

function isList(value: Scalar | readonly Scalar[]): value is readonly Scalar[] {
  return Array.isArray(value);
}

/** Backslash before punctuation is literal in both PCRE (MongoDB) and RE2 (FerretDB). */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&');
}

function toSort(sort: FindQuery['sort']): [string, 1 | -1][] {
  const keys: [string, 1 | -1][] = [];
  const seen = new Set<string>();
  // A list, not an object: object keys that look like integers would be reordered.
  for (const { field, direction } of [...(sort ?? []), { field: 'id', direction: 'asc' as const }]) {
    const key = storedField(field);
    if (seen.has(key)) continue;
    seen.add(key);
    keys.push([key, direction === 'asc' ? 1 : -1]);
  }
  return keys;
}

function nonNegative(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
  return n;
}

function asReaderDoc(stored: Stored): Doc {
  const { _id, _pos: _p, _deleted: _d, ...fields } = stored;
  return { ...fields, id: _id };
}

function groupKey(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** A MongoDB URL names a database when it has a non-empty path before the query string. */
function urlNamesDatabase(url: string): boolean {
  const match = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/.exec(url);
  return match !== null && match[1] !== undefined && match[1] !== '';
}
