import { ConnectorCheckError, type KafkaTargetConfig } from '../../domain/connector/connectorConfig';
import { DEFAULT_MAX_MESSAGE_BYTES, describeTopic } from '../kafka/kafkaTools';
import { recordEncoder } from '../targets/kafkaTarget';
import type { Row, TableSpec } from '../targets/rowTarget';
import type { TargetTrial, TrialFailure } from './targetTrial';

/**
 * The dry run on Kafka: produces nothing. It checks that the target topic exists (a start
 * creates a missing one) and that each row, serialised as the target serialises it, fits the
 * topic's `max.message.bytes`. Whether the user may write there cannot be known without writing.
 */

/** A record's framing in a batch of one: the v2 batch header (61 bytes) and the record's own (at most 32). */
const FRAMING_BYTES = 93;

export async function tryOnKafka(
  config: KafkaTargetConfig,
  table: TableSpec,
  rows: readonly Row[],
  timeoutMs: number,
): Promise<TargetTrial> {
  let topic: { exists: boolean; maxMessageBytes: number | null };
  try {
    topic = await describeTopic(config, table.name, { timeoutMs });
  } catch (error: unknown) {
    if (!(error instanceof ConnectorCheckError)) throw error;
    return { reachable: false, ddl: [], error: { code: error.reason, message: error.message }, notes: [] };
  }
  const limit = topic.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const notes = [
    "Kafka: nothing was produced; each record was serialised and its size checked against the topic's max.message.bytes; write permission is not checked (it needs a write)",
    ...(topic.exists ? [] : [`Topic "${table.name}" does not exist: a start creates it`]),
    ...(topic.maxMessageBytes === null
      ? [`The topic's max.message.bytes could not be read: Kafka's default (${DEFAULT_MAX_MESSAGE_BYTES} bytes) was assumed`]
      : []),
  ];
  const encode = recordEncoder(table);
  const outcomes = rows.map((row): TrialFailure | undefined => {
    const record = encode(row);
    const bytes = Buffer.byteLength(record.value) + (record.key === null ? 0 : Buffer.byteLength(record.key)) + FRAMING_BYTES;
    return bytes <= limit
      ? undefined
      : { code: 'MESSAGE_TOO_LARGE', message: `the record takes ${bytes} bytes; topic "${table.name}" takes at most ${limit}` };
  });
  return { reachable: true, ddl: [], outcomes, notes };
}
