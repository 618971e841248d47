import { Kafka, Partitioners, type Message, type Producer } from 'kafkajs';
import type { ConnectorCheckReason, KafkaTargetConfig } from '../../domain/connector/connectorConfig';
import { kafkaClientConfig, type KafkaClientOptions, type KafkaConnectorConfig } from '../kafka/kafkaClientConfig';
import { causes, checkError } from '../kafka/kafkaTools';
import { TargetError, type DeadLetter, type Row, type RowTarget, type TableSpec } from './rowTarget';

/**
 * The Kafka target: one topic per table (`table.name`), one message per row, keyed by the
 * row's primary key so a replayed row lands on the same partition and a compacted topic keeps
 * its latest version. The value is the row as a JSON object, columns in the table's order.
 */

export interface KafkaTargetOptions extends KafkaClientOptions {
  readonly clientId: string;
  /**
   * Enables `writeWithOffsets`. One per pipeline: a second producer with the same id fences
   * the first, which is what keeps a restarted worker from committing alongside a stale one.
   */
  readonly transactionalId?: string;
  /** Applied to the topics this target creates (the environment's settings); existing topics keep theirs. */
  readonly retention?: { readonly retention_ms?: number; readonly retention_bytes?: number };
}

/** A worker waits out a slow broker rather than failing a batch, and retries a few times. */
const workerClientDefaults = {
  connectionTimeoutMs: 10_000,
  authenticationTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  retries: 5,
} as const;

/**
 * kafkajs puts a send's messages for one partition into one record batch, which the broker
 * refuses above `message.max.bytes` (1 MiB by default). Sends are cut into chunks of at most
 * half that, so the size estimate below need not be exact.
 */
const MAX_CHUNK_BYTES = 512 * 1024;
/** A record's own framing in a v2 batch (length, deltas, key and value lengths), at most. */
const RECORD_OVERHEAD_BYTES = 32;

/**
 * Calls must not overlap (a worker writes one batch at a time): kafkajs runs one transaction
 * per producer. After a transient failure of `writeWithOffsets` the outcome of the commit may
 * be unknown, so the caller resumes from the group's committed offsets, not from its own.
 */
export function kafkaTarget(config: KafkaTargetConfig, options: KafkaTargetOptions): RowTarget {
  const clientConfig = kafkaClientConfig(config, { ...workerClientDefaults, ...options });
  const kafka = new Kafka(clientConfig);
  const { transactionalId } = options;

  let producer: Promise<Producer> | undefined;
  const connectedProducer = (): Promise<Producer> => (producer ??= connectProducer());
  async function connectProducer(): Promise<Producer> {
    const fresh = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      ...(transactionalId === undefined ? {} : { transactionalId }),
      allowAutoTopicCreation: false,
      // kafkajs's idempotent producer otherwise retries forever; a stuck batch must surface.
      retry: clientConfig.retry,
      // The Java client's murmur2 partitioning: a key lands where other producers put it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await fresh.connect();
      return fresh;
    } catch (error: unknown) {
      producer = undefined;
      throw error;
    }
  }
  async function dropProducer(): Promise<void> {
    const dropped = producer;
    producer = undefined;
    await dropped?.then((p) => p.disconnect()).catch(() => undefined);
  }

  async function guarded(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error: unknown) {
      // A failed send may have left part of the batch at the broker under sequence numbers the
      // producer would reuse for its next batch, which the broker would then drop as a
      // duplicate: the next call gets a fresh producer, hence fresh sequence numbers.
      await dropProducer();
      throw kafkaFailure(error, config);
    }
  }

  const sendAll = async (send: Producer['send'], table: TableSpec, rows: readonly Row[]): Promise<void> => {
    for (const messages of chunks(table, rows)) await send({ topic: table.name, acks: -1, messages });
  };
  const sendDeadLetters = async (send: Producer['send'], table: TableSpec, letters: readonly DeadLetter[]): Promise<void> => {
    const messages = letters.map(({ key, value, headers }) => ({ key, value, headers: { ...headers } as Message['headers'] }));
    if (messages.length > 0) await send({ topic: table.name, acks: -1, messages });
  };
  /** A tombstone per key: a compacted topic then forgets the key, and a consumer sees the delete. */
  const sendTombstones = async (send: Producer['send'], table: TableSpec, keys: readonly Row[]): Promise<void> => {
    const keyOf = keyEncoder(table.columns.filter((column) => column.primary_key).map((column) => column.name));
    if (keys.length > 0) await send({ topic: table.name, acks: -1, messages: keys.map((key) => ({ key: keyOf(key), value: null })) });
  };

  const target: RowTarget = {
    prepare: (table) =>
      guarded(async () => {
        const admin = kafka.admin();
        try {
          await admin.connect();
          // Creating only what is missing spares a user who may write to a topic but not create one.
          if (!(await admin.listTopics()).includes(table.name)) {
            await admin.createTopics({
              topics: [{ topic: table.name, configEntries: retentionEntries(options.retention) }],
              waitForLeaders: true,
            });
          }
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
        await connectedProducer();
      }),

    write: (table, rows) => guarded(async () => sendAll((await connectedProducer()).send, table, rows)),

    delete: (table, keys) => guarded(async () => sendTombstones((await connectedProducer()).send, table, keys)),

    writeDeadLetters: (table, letters) => guarded(async () => sendDeadLetters((await connectedProducer()).send, table, letters)),

    close: dropProducer,
  };
  if (transactionalId === undefined) return target;

  return {
    ...target,
    writeWithOffsets: (table, runs, offsets, deadLetters) =>
      guarded(async () => {
        const transaction = await (await connectedProducer()).transaction();
        try {
          if (deadLetters !== undefined) await sendDeadLetters(transaction.send, deadLetters.table, deadLetters.letters);
          for (const run of runs)
            await (run.kind === 'upsert' ? sendAll(transaction.send, table, run.rows) : sendTombstones(transaction.send, table, run.keys));
          await transaction.sendOffsets({
            consumerGroupId: offsets.consumerGroupId,
            topics: [{ topic: offsets.topic, partitions: offsets.partitions.map(({ partition, offset }) => ({ partition, offset })) }],
          });
          await transaction.commit();
        } catch (error: unknown) {
          // Ends it now rather than when the next producer fences it, so read_committed
          // consumers of the topic are not held up meanwhile.
          await transaction.abort().catch(() => undefined);
          throw error;
        }
      }),
  };
}

function retentionEntries(retention: KafkaTargetOptions['retention']): { name: string; value: string }[] {
  const entries = [
    { name: 'retention.ms', value: retention?.retention_ms },
    { name: 'retention.bytes', value: retention?.retention_bytes },
  ];
  return entries.flatMap(({ name, value }) => (value === undefined ? [] : [{ name, value: String(value) }]));
}

/** The table's rows as messages, in chunks that fit a record batch (see MAX_CHUNK_BYTES). */
function* chunks(table: TableSpec, rows: readonly Row[]): Generator<Message[]> {
  const keyOf = keyEncoder(table.columns.filter((column) => column.primary_key).map((column) => column.name));
  const valueOf = valueEncoder(table.columns.map((column) => column.name));
  let chunk: Message[] = [];
  let bytes = 0;
  for (const row of rows) {
    // Text, not Buffers: kafkajs writes a string into the record batch as UTF-8 itself (and
    // hashes a key's UTF-8 bytes alike), so no Buffer is made and copied per message here.
    const key = keyOf(row);
    const value = valueOf(row);
    const size = Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key)) + RECORD_OVERHEAD_BYTES;
    if (chunk.length > 0 && bytes + size > MAX_CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push({ key, value });
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** A row as this target sends it, key and value text: the dry run sizes records with it, sending nothing. */
export function recordEncoder(table: TableSpec): (row: Row) => { readonly key: string | null; readonly value: string } {
  const keyOf = keyEncoder(table.columns.filter((column) => column.primary_key).map((column) => column.name));
  const valueOf = valueEncoder(table.columns.map((column) => column.name));
  return (row) => ({ key: keyOf(row), value: valueOf(row) });
}

/** One key column: its value as text; several: a JSON array of their values; none: no key. */
function keyEncoder(primaryKey: readonly string[]): (row: Row) => string | null {
  const [only] = primaryKey;
  if (only === undefined) return () => null;
  if (primaryKey.length > 1) return (row) => JSON.stringify(primaryKey.map((name) => row[name] ?? null));
  return (row) => {
    const value = row[only] ?? null;
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
}

/**
 * A row as the JSON object of the table's columns, in its order, a missing value as null. Each
 * object is a copy of a template that has every column as an own data property already, then
 * filled in: one clone and plain writes per row rather than a property added per column.
 */
function valueEncoder(names: readonly string[]): (row: Row) => string {
  const template: Record<string, unknown> = {};
  for (const name of names) Object.defineProperty(template, name, { value: null, enumerable: true, writable: true, configurable: true });
  return (row) => {
    const value = { ...template };
    for (const name of names) value[name] = row[name] ?? null;
    return JSON.stringify(value);
  };
}

/** What the broker says of a record rather than of the connection or the topic. */
const REJECTED_TYPES: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

const PERMANENT_REASONS: ReadonlySet<ConnectorCheckReason> = new Set(['auth_failed', 'not_authorized', 'tls_failed']);

/**
 * A kafkajs failure as a TargetError, worded as the connection checks word it (password
 * redacted). Credentials, ACLs and certificates do not heal by retrying, though kafkajs marks
 * some of those errors retriable; otherwise what kafkajs would retry (unreachable broker,
 * leader moving, coordinator loading), also once its retries ran out, is transient.
 */
export function kafkaFailure(error: unknown, config: KafkaConnectorConfig): TargetError {
  if (error instanceof TargetError) return error;
  const { reason, message } = checkError(error, config);
  const tooLarge = causes(error).find((cause) => typeof cause.type === 'string' && REJECTED_TYPES.has(cause.type));
  if (tooLarge !== undefined) return new TargetError('rejected', 'record_too_large', message, String(tooLarge.type));
  const transient = !PERMANENT_REASONS.has(reason) && (reason === 'timeout' || causes(error).some((cause) => cause.retriable === true));
  return new TargetError(transient ? 'transient' : 'permanent', reason, message);
}
