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
 *  - FerretDB 1.24 pushes a filter down to SQL only when it is exactly `{_id: <string>}`;
 *    any other key, `_pos` included, makes every update scan the whole table.
 *  - Its `update` command ignores `ordered`, stops at the first error, drops the partial
 *    result and reports the error at index 0, so the ops after a skipped one are lost.
 *  - Each matched update keeps its SQLite cursor open until the command ends, and the pool
 *    has 100 connections: an `update` command with ~100 matched statements deadlocks.
 * So `apply`, per collection: reads the current `_pos`/`_deleted` of every id in the batch by
 * `{_id}` point reads, runs the guard and folds each document's ops into one final write on
 * this side, then inserts the documents that did not exist (`insertMany`, batched in
 * transactions by both servers) and updates or replaces the others by `{_id}` alone, in small
 * `bulkWrite` chunks. One write per touched document, skipped ops cost nothing, and no write
 * error is expected. The price: the guard is read-then-write, so it assumes one writer per
 * collection at a time, which a checkpointed projection is anyway. A duplicate key from a
 * concurrent insert makes the whole collection batch start again from the reads (it is
 * idempotent); other errors propagate, leaving a partial batch that a replay completes.
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
/** Point reads in flight per batch: enough to hide latency, few enough to leave the server's pool to others. */
const READ_CONCURRENCY = 16;
/**
 * Statements per `update` command. FerretDB 1.24 holds a SQLite connection per matched statement
 * until the command ends (pool of 100, shared by every client of the database); its cost is
 * one SQLite transaction per statement anyway, so small chunks lose nothing.
 */
const UPDATE_CHUNK = 20;
/** Documents per `insert` command; both servers batch them into few transactions. */
const INSERT_CHUNK = 1000;

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

    async get(collection, id) {
      // `{_id}` alone: the only filter FerretDB answers without a table scan.
      const doc = await db.collection<Stored>(collection).findOne({ _id: id }, { projection: { _pos: 0 } });
      return doc === null || doc._deleted === true ? undefined : toDoc(doc);
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
      return { items: docs.map(toDoc), total: count } satisfies Page;
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
      const current = await readPositions(coll, [...new Set(ops.map((op) => op.id))]);
      await write(coll, fold(ops, current));
      return;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isDuplicateKey(error)) throw error;
    }
  }
}

async function readPositions(coll: Collection<Stored>, ids: readonly string[]): Promise<Map<string, Current>> {
  const current = new Map<string, Current>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ids.length; i = next++) {
      const id = ids[i] as string;
      const doc = await coll.findOne({ _id: id }, { projection: { _pos: 1, _deleted: 1 }, useBigInt64: true });
      if (doc === null) continue;
      const position: unknown = doc._pos;
      current.set(id, {
        // A document without a (readable) position was not written by this store: any op is newer.
        position: typeof position === 'bigint' ? position : typeof position === 'number' ? BigInt(position) : undefined,
        deleted: doc._deleted === true,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, ids.length) }, worker));
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
    const errors = error.writeErrors;
    const list = Array.isArray(errors) ? errors : [errors];
    return list.length > 0 && list.every((e) => e.code === DUPLICATE_KEY);
  }
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY;
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
  return text.replace(/[\\^$.*+?()[\]{}|\-]/g, '\\$&');
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

function toDoc(stored: Stored): Doc {
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
