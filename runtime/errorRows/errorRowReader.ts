import { ConnectorCheckError } from '../../domain/connector/connectorConfig';
import type { ErrorRowFilter } from '../../domain/errorRows/errorRowSelection';
import { missingColumns, type LiveColumn } from '../sql/columnCompatibility';
import { ERROR_TABLE_COLUMNS } from '../targets/rowTarget';

/**
 * The port through which the API and the replay read a subscription's error rows back from its
 * error table, one adapter per database (a Kafka error topic cannot be queried). Writing them is
 * the RowTarget's job: an error row is updated by writing it again, as it is upserted by its key.
 */

/** One error-table row as read back (see ERROR_TABLE_COLUMNS): times as ISO strings, numbers as numbers, headers parsed. */
export interface StoredErrorRow {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly message_timestamp: string | null;
  readonly payload: string | null;
  readonly error_column: string | null;
  readonly error: string;
  readonly failed_at: string;
  readonly key_base64: string | null;
  readonly key_text: string | null;
  readonly value_base64: string | null;
  readonly headers: Readonly<Record<string, unknown>> | null;
  readonly stage: string | null;
  readonly error_code: string | null;
  readonly pipeline_version: number | null;
  readonly attempts: number | null;
  readonly replayed_at: string | null;
  readonly replay_outcome: string | null;
}

export interface ErrorRowId {
  readonly partition: number;
  readonly offset: string;
}

/** What a read selects: the API's filter, and what a replay needs besides (rows by id; applied or not). */
export type ErrorRowQuery = ErrorRowFilter & {
  /** At most MAX_IDS_PER_QUERY. */
  readonly ids?: readonly ErrorRowId[];
  /** true: rows a replay applied; false: the others (never replayed, or failed again). */
  readonly applied?: boolean;
};

/** Oracle takes at most 1000 expressions in one list: a replay by ids asks in chunks of this many. */
export const MAX_IDS_PER_QUERY = 500;

export interface ErrorRowPage {
  readonly items: readonly StoredErrorRow[];
  /** Every row the query matches, whatever the paging. */
  readonly total: number;
}

export interface ErrorRowReader {
  /**
   * The rows of the subscription's source topic that match `query`, by partition then offset
   * (`skip` / `limit` of them). No error table yet: none. Answers within the connection checks'
   * 10 s, or fails with an `unreachable` ErrorRowsError.
   */
  page(query: ErrorRowQuery, paging: { readonly skip: number; readonly limit: number }): Promise<ErrorRowPage>;
}

/** Why error rows cannot be listed or replayed; the HTTP layer turns `kind` into a status. */
export class ErrorRowsError extends Error {
  constructor(
    /** not_found: no such subscription; not_queryable: no error table, or not one that can be read; refused: the target refused for good; unreachable: it did not answer. */
    readonly kind: 'not_found' | 'not_queryable' | 'refused' | 'unreachable',
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ErrorRowsError';
  }
}

/** The error table's column names, in order: what a reader selects. */
export const ERROR_ROW_COLUMN_NAMES: readonly string[] = ERROR_TABLE_COLUMNS.map((column) => column.name);

/**
 * The refusal of an error table made by an older version, which lacks the newer columns: the
 * worker (at its start) and the replay (before it reads) evolve it; a listing alters no table.
 */
export function outdatedTableError(table: string, live: readonly LiveColumn[]): ErrorRowsError | undefined {
  const missing = missingColumns(live, ERROR_TABLE_COLUMNS);
  if (missing.length === 0) return undefined;
  return new ErrorRowsError(
    'not_queryable',
    'ERROR_TABLE_OUTDATED',
    `the error table ${table} lacks ${missing.map((column) => column.name).join(', ')}: start the pipeline or replay once to add them`,
  );
}

/** A failed read in the reader's terms: the database unreachable or refusing (in the check's words, never a password). */
export const readFailureOf = (error: unknown): unknown =>
  error instanceof ConnectorCheckError
    ? new ErrorRowsError('unreachable', 'ERROR_TABLE_UNREACHABLE', `the error table could not be read: ${error.message}`)
    : error;

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : value instanceof Date ? value.toISOString() : String(value);
const count = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * A row as a driver answers it (node-postgres: bigint as a string, jsonb parsed; node-oracledb:
 * NUMBER as a number, JSON as its text; both: timestamps as Date), in one shape.
 */
export function storedErrorRowOf(values: Readonly<Record<string, unknown>>): StoredErrorRow {
  const headers = values['headers'];
  const parsed: unknown = typeof headers === 'string' ? JSON.parse(headers) : headers;
  return {
    topic: String(values['topic']),
    partition: Number(values['partition']),
    offset: String(values['offset']),
    message_timestamp: text(values['message_timestamp']),
    payload: text(values['payload']),
    error_column: text(values['error_column']),
    error: String(values['error'] ?? ''),
    failed_at: text(values['failed_at']) ?? '',
    key_base64: text(values['key_base64']),
    key_text: text(values['key_text']),
    value_base64: text(values['value_base64']),
    headers: typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null,
    stage: text(values['stage']),
    error_code: text(values['error_code']),
    pipeline_version: count(values['pipeline_version']),
    attempts: count(values['attempts']),
    replayed_at: text(values['replayed_at']),
    replay_outcome: text(values['replay_outcome']),
  };
}
