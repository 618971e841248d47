import type { MapperColumn } from '../../domain/mapperSpec';

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
}

/** Source offsets to commit with a batch, in Kafka's terms (the next offset to read). */
export interface SourceOffsets {
  readonly consumerGroupId: string;
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
}

export interface RowTarget {
  /** Creates the table (or topic) when it is missing; an existing one is kept as it is. */
  prepare(table: TableSpec): Promise<void>;
  /** Writes the rows (upserting by the table's primary key); resolves once they are durable. */
  write(table: TableSpec, rows: readonly Row[]): Promise<void>;
  /**
   * Exactly-once: writes the rows and commits the source offsets in one transaction. Only a
   * target that can (Kafka with a transactional producer) has it.
   */
  writeWithOffsets?(table: TableSpec, rows: readonly Row[], offsets: SourceOffsets): Promise<void>;
  close(): Promise<void>;
}

/**
 * A target's failure, classified so the worker knows whether to retry. `transient`: the target
 * is unreachable or busy (retry with backoff). `permanent`: retrying cannot help (bad
 * credentials, a table whose columns do not match, a value the column refuses).
 */
export class TargetError extends Error {
  constructor(
    readonly kind: 'transient' | 'permanent',
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The columns of an error table: one row per message that could not be mapped. */
export const ERROR_TABLE_COLUMNS: readonly MapperColumn[] = [
  { name: 'topic', type: 'string', nullable: false, primary_key: true },
  { name: 'partition', type: 'int', nullable: false, primary_key: true },
  { name: 'offset', type: 'string', nullable: false, primary_key: true },
  { name: 'message_timestamp', type: 'datetime', nullable: true, primary_key: false },
  { name: 'payload', type: 'string', nullable: true, primary_key: false },
  { name: 'error_column', type: 'string', nullable: true, primary_key: false },
  { name: 'error', type: 'string', nullable: false, primary_key: false },
  { name: 'failed_at', type: 'datetime', nullable: false, primary_key: false },
];
