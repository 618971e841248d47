import type { KafkaMessage } from 'kafkajs';
import type { FailureStage } from '../../domain/mapper/mapperSpec';
import type { DeadLetter, Row } from '../targets/rowTarget';

/** Where a message failed: reading it, finding a column's value, casting it, or in the target. */
export type ErrorStage = FailureStage | 'target';

/** Why one message did not become a row of the target. */
export interface Rejection {
  readonly stage: ErrorStage;
  /** The target's code (SQLSTATE, ORA-…, a Kafka error) or the platform's (e.g. EMPTY_MESSAGE). */
  readonly code: string;
  /** The mapper column that failed, `$` for the message as a whole, null for a target rejection. */
  readonly column: string | null;
  readonly message: string;
}

/** A source message with where it was read from. */
export interface SourceMessage {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes' UTF-8 text, or null when they are not UTF-8 (the base64 column keeps them whole). */
function textOf(bytes: Buffer | null): string | null {
  if (bytes === null) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** A Kafka timestamp (ms as text) as an ISO date-time, null when there is none. */
export const isoOf = (timestamp: string): string | null => {
  const ms = Number(timestamp);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
};

/** Headers as a JSON object of base64 values when any is not UTF-8, else of their text. */
function headersOf(message: KafkaMessage): Record<string, string | string[]> | null {
  const entries = Object.entries(message.headers ?? {});
  if (entries.length === 0) return null;
  const text = (value: Buffer | string | undefined): string =>
    value === undefined ? '' : typeof value === 'string' ? value : (textOf(value) ?? `base64:${value.toString('base64')}`);
  return Object.fromEntries(entries.map(([name, value]) => [name, Array.isArray(value) ? value.map(text) : text(value)]));
}

/**
 * The error-table row of a rejected message (see ERROR_TABLE_COLUMNS): the original key, value
 * and headers kept byte for byte, so that a replay reads exactly what the worker read.
 */
export function errorRowOf(
  source: SourceMessage,
  rejection: Rejection,
  context: { readonly pipelineVersion: number; readonly at: string; readonly attempts?: number },
): Row {
  const { message } = source;
  return {
    topic: source.topic,
    partition: source.partition,
    offset: message.offset,
    message_timestamp: isoOf(message.timestamp),
    payload: textOf(message.value),
    error_column: rejection.column,
    error: rejection.message,
    failed_at: context.at,
    key_base64: message.key === null ? null : message.key.toString('base64'),
    key_text: textOf(message.key),
    value_base64: message.value === null ? null : message.value.toString('base64'),
    headers: headersOf(message),
    stage: rejection.stage,
    error_code: rejection.code,
    pipeline_version: context.pipelineVersion,
    attempts: context.attempts ?? 1,
    replayed_at: null,
    replay_outcome: null,
  };
}

/** The prefix of the headers a dead letter gains (Kafka Connect's DLQ says `__connect.errors.`). */
export const DEAD_LETTER_HEADER_PREFIX = 'popsink.error.';

/**
 * The dead letter of a rejected message, for a Kafka error topic: the original key, value and
 * headers as they were read, plus the error table's fields as `popsink.error.*` headers.
 */
export function deadLetterOf(
  source: SourceMessage,
  rejection: Rejection,
  context: { readonly pipelineVersion: number; readonly at: string },
): DeadLetter {
  const { message } = source;
  const why: Record<string, string> = {
    topic: source.topic,
    partition: String(source.partition),
    offset: message.offset,
    timestamp: message.timestamp,
    stage: rejection.stage,
    code: rejection.code,
    ...(rejection.column === null ? {} : { column: rejection.column }),
    message: rejection.message,
    pipeline_version: String(context.pipelineVersion),
    failed_at: context.at,
  };
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) if (value !== undefined) headers[name] = value;
  for (const [name, value] of Object.entries(why)) headers[`${DEAD_LETTER_HEADER_PREFIX}${name}`] = value;
  return { key: message.key, value: message.value, headers };
}
