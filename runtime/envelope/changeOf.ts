/**
 * What one Kafka message asks a subscription worker to do, by the subscription's `envelope`
 * option. Pure: bytes in, a list of row changes out; it never throws, a message it cannot read
 * is an `invalid` change whose reason goes to the error table (stage 'parse').
 *
 * - `none`: each message value is a row. The value is handed over as the Buffer itself (the
 *   mapper parses it: no second parse on the hot path). A tombstone (null value) deletes the row
 *   its key names: a JSON object key, or a scalar key (one-column primary key); a key that is not
 *   JSON is the scalar string of its UTF-8 text (`order-17`).
 * - `debezium`: Debezium JSON change events, with the JsonConverter schema wrapper
 *   (`{"schema": {...}, "payload": {...}}`) or without it (the bare payload
 *   `{before, after, op, ts_ms, source}`); message keys likewise. `c`/`r`/`u` upsert `after`,
 *   `d` deletes by `before` (by the key when `before` is null), `t`/`m` and the tombstone that
 *   follows each delete are skipped.
 *
 * Every row root of a Debezium change (`after`, `before`, or the key object a delete falls back
 * to) is a new object, the row's fields plus these metadata fields, named as Debezium's
 * ExtractNewRecordState SMT names them, for mapper paths to read:
 *
 *   $.__op            the event's op letter: 'c', 'r', 'u' or 'd' (the delete of a key change's
 *                     old row carries 'u', the op of its event)
 *   $.__source_ts_ms  payload.source.ts_ms: when the change happened in the source database, or null
 *   $.__ts_ms         payload.ts_ms: when Debezium processed the change, or null
 *   $.__table         payload.source.table, or null
 *   $.__db            payload.source.db, or null
 *
 * A source column with one of these names is shadowed by the metadata (the metadata wins), as a
 * row cannot hold both. The parsed input is never mutated.
 */

export type Envelope = 'none' | 'debezium';

export type Change =
  /** Write the row the mapper reads from `root` (a Buffer for envelope 'none': the mapper parses it itself, fast path; a parsed JSON object for 'debezium'). */
  | { readonly kind: 'upsert'; readonly root: unknown }
  /** Delete the target row whose primary key the mapper's key columns read from `root` (an object), or which is `root` itself when it is a scalar (a one-column key). */
  | { readonly kind: 'delete'; readonly root: unknown }
  /** Nothing to do (a Debezium tombstone that follows a delete; a Debezium truncate 't' or message 'm' op). */
  | { readonly kind: 'skip'; readonly why: string }
  /** The message cannot be read as this envelope; `reason` says why in words (goes to the error table, stage 'parse'). */
  | { readonly kind: 'invalid'; readonly reason: string };

export function changesOf(key: Buffer | null, value: Buffer | null, envelope: Envelope): readonly Change[] {
  switch (envelope) {
    case 'none':
      return value === null ? [plainTombstone(key)] : [{ kind: 'upsert', root: value }];
    case 'debezium':
      return debeziumChanges(key, value);
    default:
      // Unreachable for a validated spec; answered rather than thrown, as everything here.
      return [invalid(`unknown envelope ${preview(envelope)}`)];
  }
}

// ---------------------------------------------------------------------------------------------
// Envelope 'none'

function plainTombstone(key: Buffer | null): Change {
  if (key === null) return invalid('a tombstone without a key');
  // An empty key would otherwise become the string '': a delete of whatever row has that key.
  if (key.length === 0) return invalid('a tombstone with an empty key');
  const text = decodeUtf8(key);
  if (text === undefined) return invalid('tombstone key is not valid UTF-8');
  const parsed = parseJson(text);
  // A key that is not JSON (a producer's plain string key) is the one-column key itself.
  if ('error' in parsed) return { kind: 'delete', root: text };
  const root = parsed.json;
  if (root === null) return invalid('tombstone key is JSON null');
  if (Array.isArray(root)) return invalid('tombstone key is a JSON array, neither a key object nor a scalar key');
  return { kind: 'delete', root };
}

// ---------------------------------------------------------------------------------------------
// Envelope 'debezium'

type Row = Record<string, unknown>;

interface Metadata {
  readonly __op: string;
  readonly __source_ts_ms: unknown;
  readonly __ts_ms: unknown;
  readonly __table: unknown;
  readonly __db: unknown;
}

function debeziumChanges(key: Buffer | null, value: Buffer | null): readonly Change[] {
  // Debezium follows each delete with a tombstone so that log compaction can drop the key: the
  // delete itself came in the event before it.
  if (value === null) return [{ kind: 'skip', why: 'Debezium tombstone (follows a delete event)' }];
  const text = decodeUtf8(value);
  if (text === undefined) return [invalid('value is not valid UTF-8')];
  const parsed = parseJson(text);
  if ('error' in parsed) return [invalid(`value is not valid JSON: ${parsed.error}`)];
  const event = unwrap(parsed.json);
  if (!isRow(event)) return [invalid(`not a Debezium change event: the value is ${describe(event)}, not an object`)];

  const op = own(event, 'op');
  if (op === undefined || op === null) {
    // A wrapper whose payload is not an object is not detected as one: say so, not just "no op".
    const wrapperHint = Object.hasOwn(event, 'schema') && Object.hasOwn(event, 'payload') ? ' (its "payload" is not an object)' : '';
    return [invalid(`not a Debezium change event: no "op" field${wrapperHint}`)];
  }
  if (typeof op !== 'string') return [invalid(`not a Debezium change event: "op" is ${describe(op)}, not a string`)];
  switch (op) {
    case 'c':
    case 'r':
    case 'u':
      return upsertChanges(op, event, key);
    case 'd':
      return deleteChanges(event, key);
    case 't':
      return [{ kind: 'skip', why: 'Debezium truncate event (op "t"): not applied to the target' }];
    case 'm':
      return [{ kind: 'skip', why: 'Debezium logical decoding message (op "m"): carries no row' }];
    default:
      return [invalid(`not a Debezium change event: unknown op ${preview(op)} (expected c, r, u, d, t or m)`)];
  }
}

function upsertChanges(op: string, event: Row, key: Buffer | null): readonly Change[] {
  const after = rowOf(event, 'after', op);
  if ('reason' in after) return [invalid(after.reason)];
  if (after.row === null) return [invalid(`Debezium "${op}" event has no "after" row`)];
  const meta = metadataOf(op, event);
  const upsert: Change = { kind: 'upsert', root: withMetadata(after.row, meta) };
  if (op !== 'u') return [upsert];

  const before = rowOf(event, 'before', op);
  if ('reason' in before) return [invalid(before.reason)];
  if (before.row === null) return [upsert];
  // Only the worker knows the target's key columns; the Kafka key names the source's. When the
  // update moved the row to another key, upserting `after` alone would leave the old row behind.
  const keyObject = keyObjectOf(key);
  if (keyObject === undefined || !keyChanged(keyObject, before.row, after.row)) return [upsert];
  return [{ kind: 'delete', root: withMetadata(before.row, meta) }, upsert];
}

function deleteChanges(event: Row, key: Buffer | null): readonly Change[] {
  const before = rowOf(event, 'before', 'd');
  if ('reason' in before) return [invalid(before.reason)];
  // `before` is null when the source logs no old image (e.g. PostgreSQL REPLICA IDENTITY
  // NOTHING): the key still names the row.
  const row = before.row ?? keyObjectOf(key);
  if (row === null || row === undefined) return [invalid('Debezium "d" event has no "before" row and no key object to delete by')];
  return [{ kind: 'delete', root: withMetadata(row, metadataOf('d', event)) }];
}

/** The row image in `field`: a row, null when absent or null, or why it is not a row. */
function rowOf(event: Row, field: 'before' | 'after', op: string): { readonly row: Row | null } | { readonly reason: string } {
  const image = own(event, field);
  if (image === undefined || image === null) return { row: null };
  if (!isRow(image)) return { reason: `Debezium "${op}" event's "${field}" is ${describe(image)}, not a row object` };
  return { row: image };
}

/** The Kafka key as an object of key fields (schema wrapper removed); undefined when there is none to read. */
function keyObjectOf(key: Buffer | null): Row | undefined {
  if (key === null) return undefined;
  const text = decodeUtf8(key);
  if (text === undefined) return undefined;
  const parsed = parseJson(text);
  if ('error' in parsed) return undefined;
  const keyObject = unwrap(parsed.json);
  return isRow(keyObject) ? keyObject : undefined;
}

/**
 * Whether a key field differs between the two images. A field one image lacks tells nothing
 * (a delete by an image without its key could not name a row): only a value present on both
 * sides and different is a key change.
 */
function keyChanged(keyObject: Row, before: Row, after: Row): boolean {
  for (const field of Object.keys(keyObject)) {
    if (!Object.hasOwn(before, field) || !Object.hasOwn(after, field)) continue;
    if (!jsonEqual(before[field], after[field], 0)) return true;
  }
  return false;
}

function metadataOf(op: string, event: Row): Metadata {
  const source = own(event, 'source');
  const from: Row = isRow(source) ? source : {};
  return {
    __op: op,
    __source_ts_ms: own(from, 'ts_ms') ?? null,
    __ts_ms: own(event, 'ts_ms') ?? null,
    __table: own(from, 'table') ?? null,
    __db: own(from, 'db') ?? null,
  };
}

/** A new object: the row's fields, then the metadata (which wins over a same-named column). */
function withMetadata(row: Row, meta: Metadata): Row {
  return { ...row, ...meta };
}

/** The payload of a JsonConverter `{schema, payload}` wrapper; anything else as it is. */
function unwrap(json: unknown): unknown {
  if (isRow(json) && Object.hasOwn(json, 'schema') && isRow(own(json, 'payload'))) return json['payload'];
  return json;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function parseJson(text: string): { readonly json: unknown } | { readonly error: string } {
  try {
    return { json: JSON.parse(text) };
  } catch (error: unknown) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Past this depth two values count as different: for the key-change test that only costs a needless delete-then-upsert (same end state), and a hostile nesting cannot overflow the stack. */
const MAX_EQUAL_DEPTH = 32;

/** Deep equality of parsed JSON values, key order ignored. */
function jsonEqual(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth >= MAX_EQUAL_DEPTH) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i], depth + 1));
  }
  if (!isRow(a) || !isRow(b)) return false;
  const fields = Object.keys(a);
  if (fields.length !== Object.keys(b).length) return false;
  return fields.every((field) => Object.hasOwn(b, field) && jsonEqual(a[field], b[field], depth + 1));
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: a field named `__proto__` or `constructor` never reaches the prototype. */
function own(row: Row, field: string): unknown {
  return Object.hasOwn(row, field) ? row[field] : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'JSON null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A value quoted for a reason, cut short: a reason must not carry a whole message. */
function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function invalid(reason: string): Change {
  return { kind: 'invalid', reason };
}
