import type { KafkaMessage } from 'kafkajs';
import type { MapperColumn, MapperEntry } from '../../domain/mapper/mapperSpec';
import { changesOf, type Envelope } from '../envelope/changeOf';
import { compileMapper, MESSAGE_COLUMN, type Mapper, type MapResult } from '../mapper/mapper';
import type { Row } from '../targets/rowTarget';
import { isoOf, type Rejection, type SourceMessage } from './errorRows';

/**
 * What a batch of source messages asks of the target, in order: rows to upsert, keys to delete,
 * and the messages that cannot become either (with why). The worker, the error-row replay and
 * the dry run read messages through this one function, so that they can never disagree.
 */

/** A row to upsert, or the key of a row to delete (a row of the key columns), with the message it came from. */
export interface RowOp {
  readonly kind: 'upsert' | 'delete';
  readonly row: Row;
  readonly source: SourceMessage;
}

export interface RejectedMessage {
  readonly source: SourceMessage;
  readonly rejection: Rejection;
}

export interface MessageChanges {
  readonly ops: RowOp[];
  readonly rejected: RejectedMessage[];
}

export interface ReadOptions {
  readonly mapper: readonly MapperEntry[];
  readonly envelope: Envelope;
  readonly deleteOnTombstone: boolean;
  /** Adds the kafka_* columns (the source connector's `include_metadata`). */
  readonly includeMetadata: boolean;
}

/** Columns added to every row when the source connector has `include_metadata`. */
export const METADATA_COLUMNS: readonly MapperColumn[] = [
  { name: 'kafka_topic', type: 'string', nullable: false, primary_key: false },
  { name: 'kafka_partition', type: 'int', nullable: false, primary_key: false },
  { name: 'kafka_offset', type: 'string', nullable: false, primary_key: false },
  { name: 'kafka_timestamp', type: 'datetime', nullable: true, primary_key: false },
  { name: 'kafka_key', type: 'string', nullable: true, primary_key: false },
  { name: 'kafka_headers', type: 'json', nullable: true, primary_key: false },
];

const headersOf = (message: KafkaMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.map(String).join(',') : String(value ?? ''),
    ]),
  );

/** Reads the primary key of a row to delete: from an object by the key columns' paths, or a scalar as the one key column. */
function keyReader(entries: readonly MapperEntry[]): (root: unknown) => MapResult {
  const keys = entries.filter((entry) => entry.primary_key);
  if (keys.length === 0)
    return () => ({ ok: false, column: MESSAGE_COLUMN, reason: 'a delete needs a primary key in the mapper', stage: 'map' });
  const fromObject = compileMapper(keys);
  const [only] = keys;
  // A scalar is read as the value of a one-field object: handed over bare, a string would be parsed as JSON.
  const fromScalar: Mapper | undefined =
    keys.length === 1 && only !== undefined && only.path !== undefined ? compileMapper([{ ...only, path: '$.key' }]) : undefined;
  return (root) => {
    if (typeof root === 'object' && root !== null) return fromObject(root);
    if (fromScalar !== undefined) return fromScalar({ key: root });
    return {
      ok: false,
      column: MESSAGE_COLUMN,
      reason: `a scalar key names a one-column primary key; this mapper's has ${keys.length}`,
      stage: 'map',
    };
  };
}

/** Compiles once per worker (or replay): the returned function reads one batch of one partition. */
export function messageReader(
  options: ReadOptions,
): (topic: string, partition: number, messages: readonly KafkaMessage[]) => MessageChanges {
  const mapper = compileMapper(options.mapper);
  const keyOf = keyReader(options.mapper);
  const withMetadata = (row: Record<string, unknown>, source: SourceMessage): Row =>
    options.includeMetadata
      ? {
          ...row,
          kafka_topic: source.topic,
          kafka_partition: source.partition,
          kafka_offset: source.message.offset,
          kafka_timestamp: isoOf(source.message.timestamp),
          kafka_key: source.message.key === null ? null : source.message.key.toString('utf8'),
          kafka_headers: headersOf(source.message),
        }
      : row;

  return (topic, partition, messages) => {
    const ops: RowOp[] = [];
    const rejected: RejectedMessage[] = [];
    const reject = (source: SourceMessage, rejection: Rejection) => rejected.push({ source, rejection });
    const upsert = (source: SourceMessage, root: unknown) => {
      const mapped = mapper(root);
      if (mapped.ok) ops.push({ kind: 'upsert', row: withMetadata(mapped.row, source), source });
      else
        reject(source, {
          stage: mapped.stage,
          code: `${mapped.stage.toUpperCase()}_FAILED`,
          column: mapped.column,
          message: mapped.reason,
        });
    };
    for (const message of messages) {
      const source: SourceMessage = { topic, partition, message };
      // The common case skips the envelope's list: one message, one row.
      if (options.envelope === 'none' && message.value !== null) {
        upsert(source, message.value);
        continue;
      }
      if (options.envelope === 'none' && !options.deleteOnTombstone) {
        reject(source, {
          stage: 'parse',
          code: 'EMPTY_MESSAGE',
          column: MESSAGE_COLUMN,
          message: 'empty message (no value) and delete_on_tombstone is off',
        });
        continue;
      }
      for (const change of changesOf(message.key, message.value, options.envelope)) {
        if (change.kind === 'upsert') {
          upsert(source, change.root);
        } else if (change.kind === 'delete') {
          const key = keyOf(change.root);
          if (key.ok) ops.push({ kind: 'delete', row: key.row, source });
          else
            reject(source, {
              stage: key.stage,
              code: 'KEY_UNREADABLE',
              column: key.column,
              message: `cannot read the key to delete: ${key.reason}`,
            });
        } else if (change.kind === 'invalid') {
          reject(source, { stage: 'parse', code: 'INVALID_ENVELOPE', column: MESSAGE_COLUMN, message: change.reason });
        }
      }
    }
    return { ops, rejected };
  };
}

/** Consecutive ops of one kind. */
export interface Run {
  readonly kind: RowOp['kind'];
  readonly ops: readonly RowOp[];
}

/** The ops in order, as runs of one kind: a delete must not overtake an earlier upsert of its key, nor the reverse. */
export function runsOf(ops: readonly RowOp[]): Run[] {
  const runs: Run[] = [];
  let start = 0;
  for (let i = 1; i <= ops.length; i += 1) {
    const kind = ops[start]?.kind;
    if (kind !== undefined && (i === ops.length || ops[i]?.kind !== kind)) {
      runs.push({ kind, ops: ops.slice(start, i) });
      start = i;
    }
  }
  return runs;
}
