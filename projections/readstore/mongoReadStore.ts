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
import type { Doc, FindQuery, Page, ReadStore, Scalar, WriteOp } from '../readStore';

interface Stored extends Document {
  _id: string;
}

interface CheckpointDoc {
  _id: string;
  position: Long;
}

const CHECKPOINTS = '_checkpoints';
const HIDDEN = ['_id', '_pos', '_deleted'] as const;
const VISIBLE: Filter<Stored> = { _deleted: false };
/** Placeholder position: below every accepted position, so the first real op always wins. */
const FLOOR = Long.MIN_VALUE;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DUPLICATE_KEY = 11000;
/** Concurrent writers can both try to insert the same placeholder; the batch is idempotent, so rerun it. */
const DUPLICATE_RETRIES = 3;

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
      for (const [collection, group] of byCollection(ops)) {
        await writeGroup(db.collection<Stored>(collection), group);
      }
    },

    async get(collection, id) {
      const doc = await db
        .collection<Stored>(collection)
        .findOne({ _id: id, ...VISIBLE }, { projection: { _pos: 0, _deleted: 0 } });
      return doc === null ? undefined : toDoc(doc);
    },

    async find(collection, query) {
      const coll = db.collection<Stored>(collection);
      const filter = toFilter(query.where, query.search);
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
          { $match: toFilter(where, undefined) },
          { $group: { _id: `$${storedField(field)}`, n: { $sum: 1 } } },
        ])
        .toArray();
      const counts: Record<string, number> = {};
      for (const { _id, n } of groups) {
        const key = groupKey(_id);
        // Distinct BSON values can print alike (e.g. null and a missing field).
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

async function writeGroup(coll: Collection<Stored>, ops: readonly WriteOp[]): Promise<void> {
  const placeholders: AnyBulkWriteOperation<Stored>[] = [...new Set(ops.map((op) => op.id))].map((id) => ({
    updateOne: { filter: { _id: id }, update: { $setOnInsert: { _pos: FLOOR, _deleted: true } }, upsert: true },
  }));
  const bulk = [...placeholders, ...ops.map(toGuardedWrite)];
  for (let attempt = 1; ; attempt++) {
    try {
      await coll.bulkWrite(bulk, { ordered: true });
      return;
    } catch (error) {
      if (attempt >= DUPLICATE_RETRIES || !onlyDuplicateKeys(error)) throw error;
    }
  }
}

function toGuardedWrite(op: WriteOp): AnyBulkWriteOperation<Stored> {
  const filter: Filter<Stored> = { _id: op.id, _pos: { $lt: toLong(op.position) } };
  if (op.kind === 'remove') {
    return { replaceOne: { filter, replacement: { _pos: toLong(op.position), _deleted: true } } };
  }
  const $set: Document = {};
  const $unset: Document = {};
  for (const [field, value] of Object.entries(op.set)) {
    if ((HIDDEN as readonly string[]).includes(field)) {
      throw new Error(`upsert ${op.collection}/${op.id}: field "${field}" is reserved by the read store`);
    }
    // The document's id is its key; a copy in the body would only drift from it.
    if (field === 'id') continue;
    // Setting a field to undefined removes it, as it would read back from a plain object.
    if (value === undefined) $unset[field] = '';
    else $set[field] = value;
  }
  $set._pos = toLong(op.position);
  $set._deleted = false;
  // Both servers reject an empty operator document.
  const update = Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
  return { updateOne: { filter, update } };
}

function onlyDuplicateKeys(error: unknown): boolean {
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
  // FLOOR itself is excluded so that the placeholder stays strictly older than any op.
  if (position <= INT64_MIN || position > INT64_MAX) {
    throw new RangeError(`position ${position} is outside the signed 64-bit range the read store keeps`);
  }
  return Long.fromBigInt(position);
}

function storedField(field: string): string {
  return field === 'id' ? '_id' : field;
}

function toFilter(where: FindQuery['where'], search: FindQuery['search']): Filter<Stored> {
  const filter: Document = { ...VISIBLE };
  for (const [field, value] of Object.entries(where ?? {})) {
    filter[storedField(field)] = isList(value) ? { $in: [...value] } : value;
  }
  if (search) {
    const condition = { $regex: escapeRegex(search.text), $options: 'i' };
    const key = storedField(search.field);
    // A where clause on the same field must still hold.
    if (key in filter) filter.$and = [{ [key]: condition }];
    else filter[key] = condition;
  }
  return filter;
}

function isList(value: Scalar | readonly Scalar[]): value is readonly Scalar[] {
  return Array.isArray(value);
}

/** Backslash before every punctuation character is literal in both PCRE (MongoDB) and RE2 (FerretDB). */
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
