import type { MapperColumn } from '../../domain/mapper/mapperSpec';

/**
 * The port every target of the data plane implements (Kafka topic, PostgreSQL table, Oracle
 * table). A worker maps a batch of source messages into rows and hands them over here; it
 * commits the source offsets only once `write` resolved, so a target must resolve only after
 * the rows are durable, and must make a second write of the same rows harmless (an upsert by
 * the table's primary key; a Kafka message keyed by it).
 *
 * Row values are what the mapper produces: string, number (int / float casts), boolean, null,
 * dates as `YYYY-MM-DD`, datetimes as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, times as
 * `HH:MM:SS[.ffffff]`, and any JSON value for a column without a cast (type `json`).
 */
export type Row = Readonly<Record<string, unknown>>;

/** Where rows go: a table (or topic) name and its columns, in order. */
export interface TableSpec {
  readonly name: string;
  readonly columns: readonly MapperColumn[];
  /** What `prepare` does with an existing table that lacks some columns: `add_columns` adds them (nullable); `none` (the default) refuses it. */
  readonly evolution?: 'add_columns' | 'none';
}

/** Source offsets to commit with a batch, in Kafka's terms (the next offset to read). */
export interface SourceOffsets {
  readonly consumerGroupId: string;
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
}

/**
 * A rejected source message as a dead-letter record (Kafka error topics): its original key,
 * value and headers byte for byte, plus headers saying where it came from and why it failed.
 */
export interface DeadLetter {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | readonly (Buffer | string)[]>>;
}

/** Consecutive changes of one kind: rows to upsert, or keys (rows of the key columns) to delete. */
export type RowRun =
  { readonly kind: 'upsert'; readonly rows: readonly Row[] } | { readonly kind: 'delete'; readonly keys: readonly Row[] };

export interface RowTarget {
  /** Creates the table (or topic) when it is missing; an existing one is kept as it is. */
  prepare(table: TableSpec): Promise<void>;
  /** Writes the rows (upserting by the table's primary key); resolves once they are durable. */
  write(table: TableSpec, rows: readonly Row[]): Promise<void>;
  /**
   * Exactly-once: writes the runs (upserts and deletes, in order) and commits the source offsets
   * in one transaction. Only a target that can (Kafka with a transactional producer) has it.
   */
  writeWithOffsets?(
    table: TableSpec,
    runs: readonly RowRun[],
    offsets: SourceOffsets,
    deadLetters?: { readonly table: TableSpec; readonly letters: readonly DeadLetter[] },
  ): Promise<void>;
  /** Kafka only: writes rejected messages to an error topic as they were, rather than as rows. */
  writeDeadLetters?(table: TableSpec, letters: readonly DeadLetter[]): Promise<void>;
  /**
   * Deletes the rows with the primary keys of `keys` (rows holding the key columns); a key not
   * there is no error, so a replayed delete is harmless. Kafka: one tombstone (null value) per key.
   */
  delete(table: TableSpec, keys: readonly Row[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A target's failure, classified so the worker knows what to do. `transient`: the target is
 * unreachable or busy (retry with backoff). `rejected`: the target refused the data of some row
 * of the call (a constraint, a value too long, a record too large): the other rows can still
 * land, so the worker isolates the rejected ones. `permanent`: retrying cannot help (bad
 * credentials, a table whose columns do not match).
 */
export class TargetError extends Error {
  constructor(
    readonly kind: 'transient' | 'rejected' | 'permanent',
    readonly code: string,
    message: string,
    /** The target's own code for it (a SQLSTATE, an ORA- number, a Kafka error name), when it gave one. */
    readonly targetCode?: string,
  ) {
    super(message);
    this.name = 'TargetError';
  }
}

/**
 * The columns of an error table: one row per message that could not be read, mapped or written,
 * with what it takes to replay it faithfully. The first eight are the original layout; the others
 * came later and are nullable, so that an older error table is evolved rather than refused.
 * `payload` is the value's UTF-8 text (null when it is not UTF-8: `value_base64` has the bytes);
 * `failed_at` is when the row first failed.
 */
export const ERROR_TABLE_COLUMNS: readonly MapperColumn[] = [
  { name: 'topic', type: 'string', nullable: false, primary_key: true },
  { name: 'partition', type: 'int', nullable: false, primary_key: true },
  { name: 'offset', type: 'string', nullable: false, primary_key: true },
  { name: 'message_timestamp', type: 'datetime', nullable: true, primary_key: false },
  { name: 'payload', type: 'string', nullable: true, primary_key: false },
  { name: 'error_column', type: 'string', nullable: true, primary_key: false },
  { name: 'error', type: 'string', nullable: false, primary_key: false },
  { name: 'failed_at', type: 'datetime', nullable: false, primary_key: false },
  { name: 'key_base64', type: 'string', nullable: true, primary_key: false },
  { name: 'key_text', type: 'string', nullable: true, primary_key: false },
  { name: 'value_base64', type: 'string', nullable: true, primary_key: false },
  { name: 'headers', type: 'json', nullable: true, primary_key: false },
  /** parse, map, cast or target. */
  { name: 'stage', type: 'string', nullable: true, primary_key: false },
  /** The target's code (SQLSTATE, ORA-…) for a target rejection; the platform's reason code otherwise. */
  { name: 'error_code', type: 'string', nullable: true, primary_key: false },
  { name: 'pipeline_version', type: 'int', nullable: true, primary_key: false },
  { name: 'attempts', type: 'int', nullable: true, primary_key: false },
  { name: 'replayed_at', type: 'datetime', nullable: true, primary_key: false },
  /** `applied`, or `failed` (the row then holds the new reason). */
  { name: 'replay_outcome', type: 'string', nullable: true, primary_key: false },
];
