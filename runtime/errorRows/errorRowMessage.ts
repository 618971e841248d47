import type { IHeaders } from 'kafkajs';
import type { SourceMessage } from '../worker/errorRows';
import type { StoredErrorRow } from './errorRowReader';

/**
 * The source message an error row keeps, rebuilt as the worker read it (the inverse of
 * errorRowOf): key and value from their base64 bytes (from their text for a row written before
 * the bytes were kept), headers from their text or, for bytes that are not UTF-8, their
 * `base64:` form, offset and timestamp as Kafka gave them.
 */
export function sourceMessageOf(row: StoredErrorRow): SourceMessage {
  const timestamp = row.message_timestamp === null ? Number.NaN : Date.parse(row.message_timestamp);
  return {
    topic: row.topic,
    partition: row.partition,
    message: {
      key: bytesOf(row.key_base64, row.key_text),
      value: bytesOf(row.value_base64, row.payload),
      // errorRowOf keeps no time for a message without one (Kafka's -1).
      timestamp: Number.isFinite(timestamp) ? String(timestamp) : '-1',
      attributes: 0,
      offset: row.offset,
      headers: headersOf(row.headers),
    },
  };
}

const bytesOf = (base64: string | null, text: string | null): Buffer | null =>
  base64 !== null ? Buffer.from(base64, 'base64') : text !== null ? Buffer.from(text, 'utf8') : null;

const BASE64 = 'base64:';
const headerValue = (value: unknown): Buffer => {
  const text = String(value);
  return text.startsWith(BASE64) ? Buffer.from(text.slice(BASE64.length), 'base64') : Buffer.from(text, 'utf8');
};

function headersOf(stored: StoredErrorRow['headers']): IHeaders {
  if (stored === null) return {};
  return Object.fromEntries(
    Object.entries(stored).map(([name, value]) => [name, Array.isArray(value) ? value.map(headerValue) : headerValue(value)]),
  );
}
