import { randomUUID } from 'node:crypto';
import kafkajs, { Kafka, type Batch, type KafkaMessage } from 'kafkajs';
import { CHECK_TIMEOUT_MS, ConnectorCheckError, redact, type KafkaSourceConfig } from '../../domain/connector/connectorConfig';
import { brokersOf, kafkaClientConfig, type KafkaClientOptions, type KafkaConnectorConfig } from './kafkaClientConfig';

/**
 * The Kafka side of `/connector-types/kafka-source/*`: check credentials, list topics, preview
 * the last messages of a topic. Each call answers within CHECK_TIMEOUT_MS (cleanup included)
 * and fails with a ConnectorCheckError whose message is the broker's reason in plain words,
 * never containing the password.
 */

export interface KafkaToolOptions extends KafkaClientOptions {
  /** Whole-call budget, cleanup included; the contract's 10 s unless a caller needs less. */
  readonly timeoutMs?: number;
}

/** One previewed message. Key and value are UTF-8 text (invalid bytes become U+FFFD), not parsed. */
export interface KafkaMessagePreview {
  readonly partition: number;
  readonly offset: number;
  /** ISO-8601 UTC with milliseconds; null when the record carries no timestamp (-1). */
  readonly timestamp: string | null;
  readonly key: string | null;
  readonly value: string | null;
}

export const DEFAULT_FETCH_LIMIT = 10;
/** Bounds the memory a preview may use: `limit` messages per partition are read. */
export const MAX_FETCH_LIMIT = 1000;

/** Time kept back from the budget to disconnect clients; disconnecting never takes longer. */
const CLEANUP_MS = 1000;

/** Connects and reads the cluster's metadata: proves address, protocol, TLS and credentials. */
export async function checkCredentials(config: KafkaConnectorConfig, options: KafkaToolOptions = {}): Promise<{ status: 'ok' }> {
  return withKafka(config, options, async (kafka, track) => {
    const admin = track(kafka.admin());
    await admin.connect();
    await admin.describeCluster();
    return { status: 'ok' as const };
  });
}

/** The topics the user may see, sorted, without Kafka's internal ones (`__consumer_offsets`...). */
export async function listTopics(config: KafkaConnectorConfig, options: KafkaToolOptions = {}): Promise<string[]> {
  return withKafka(config, options, async (kafka, track) => {
    const admin = track(kafka.admin());
    await admin.connect();
    const topics = await admin.listTopics();
    return topics.filter((topic) => !topic.startsWith('__')).sort();
  });
}

// Not a named export under ESM: Node's CommonJS export detection stops before it in kafkajs's index.
const { ConfigResourceTypes } = kafkajs;

/** Kafka's default `max.message.bytes` of a topic: what a topic created with the defaults takes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * Whether the topic exists (as this user may see it) and the largest record batch it takes
 * (`max.message.bytes`; null when the user may not describe its configs). Nothing is created.
 */
export async function describeTopic(
  config: KafkaConnectorConfig,
  topic: string,
  options: KafkaToolOptions = {},
): Promise<{ exists: boolean; maxMessageBytes: number | null }> {
  return withKafka(config, options, async (kafka, track) => {
    const admin = track(kafka.admin());
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) return { exists: false, maxMessageBytes: null };
    const described = await admin
      .describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
      })
      .catch(() => undefined);
    const value = described?.resources[0]?.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue;
    const bytes = Number(value);
    return { exists: true, maxMessageBytes: value !== undefined && Number.isInteger(bytes) && bytes > 0 ? bytes : null };
  });
}

/**
 * The last `limit` messages of the config's topic across its partitions, oldest first (by
 * timestamp, then partition and offset). Reads the tail of every partition, then keeps the
 * newest `limit` overall.
 *
 * kafkajs has no `assign()`: reading needs a consumer group. So the preview never uses the
 * connector's `consumer_group_id` (that would move the pipeline's offsets); it joins a
 * throwaway group, seeks each partition to `high - limit`, commits nothing, leaves, and deletes
 * the group (best effort: a user without DELETE on groups leaves an empty group that Kafka
 * expires by itself, as it holds no offsets). A topic that does not exist is reported, never
 * auto-created. Offsets in the window taken by transaction markers or compacted away are not
 * messages, so a partition may contribute fewer than `limit`.
 */
export async function fetchMessages(
  config: KafkaSourceConfig,
  limit: number = DEFAULT_FETCH_LIMIT,
  options: KafkaToolOptions = {},
): Promise<KafkaMessagePreview[]> {
  return (await fetchRecords(config, limit, options)).map(({ partition, message }) => preview(partition, message));
}

/** One message as the broker gave it (key, value and headers as bytes), with its partition. */
export interface FetchedRecord {
  readonly partition: number;
  readonly message: KafkaMessage;
}

/** fetchMessages' messages as they are, bytes untouched: for a caller that maps them as a worker would (the dry run). */
export async function fetchRecords(
  config: KafkaSourceConfig,
  limit: number = DEFAULT_FETCH_LIMIT,
  options: KafkaToolOptions = {},
): Promise<FetchedRecord[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FETCH_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_FETCH_LIMIT}`);
  }
  const topic = config.topic;
  const groupId = `popsink-preview-${randomUUID()}`;
  let groupJoined = false;
  return withKafka(config, options, async (kafka, track, deadline) => {
    const admin = track(kafka.admin());
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) {
      throw new ConnectorCheckError('unknown_topic', `Topic '${topic}' does not exist (or this user is not allowed to describe it)`);
    }
    const windows = (await admin.fetchTopicOffsets(topic))
      .map(({ partition, low, high }) => ({ partition, high: BigInt(high), start: max(BigInt(low), BigInt(high) - BigInt(limit)) }))
      .filter(({ start, high }) => start < high);
    if (windows.length === 0) return [];

    const consumer = track(
      kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 250,
        // A failure ends the preview; kafkajs would otherwise restart the consumer quietly.
        retry: { retries: 0, restartOnFailure: async () => false },
      }),
      // The group goes once the consumer has left it; errors ignored (see above).
      async () => {
        if (groupJoined) await admin.deleteGroups([groupId]).catch(() => undefined);
      },
    );
    const pending = new Map(windows.map((w) => [w.partition, w]));
    const collected: FetchedRecord[] = [];
    let patience: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
        consumer.on(consumer.events.GROUP_JOIN, () => {
          groupJoined = true;
        });
        // Near the deadline, what has arrived is the answer (a partition may sit behind an
        // open transaction); only a preview that never got its partitions is a timeout.
        patience = setTimeout(
          () =>
            groupJoined ? resolve() : reject(new ConnectorCheckError('timeout', `Timed out joining a consumer group to read '${topic}'`)),
          Math.max(0, deadline - Date.now() - 500),
        );
        const eachBatch = async ({ batch }: { batch: Batch }) => {
          const window = pending.get(batch.partition);
          if (window === undefined) return;
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset >= window.start && offset < window.high) collected.push({ partition: batch.partition, message });
          }
          // lastOffset counts control records too, so a transaction marker cannot stall this.
          if (BigInt(batch.lastOffset()) >= window.high - 1n) pending.delete(batch.partition);
          if (pending.size === 0) resolve();
        };
        consumer
          .connect()
          .then(() => consumer.subscribe({ topic, fromBeginning: false }))
          .then(() => consumer.run({ autoCommit: false, eachBatch }))
          .then(() => {
            // Applied by kafkajs when it fetches the assigned partitions; nothing is committed.
            for (const { partition, start } of windows) consumer.seek({ topic, partition, offset: start.toString() });
          })
          .catch(reject);
      });
    } finally {
      clearTimeout(patience);
    }
    return newest(collected, limit);
  });
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

const text = (buffer: Buffer | null): string | null => (buffer === null ? null : buffer.toString('utf8'));

function preview(
  partition: number,
  message: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null },
): KafkaMessagePreview {
  const millis = Number(message.timestamp);
  return {
    partition,
    offset: Number(message.offset),
    timestamp: Number.isFinite(millis) && millis >= 0 ? new Date(millis).toISOString() : null,
    key: text(message.key),
    value: text(message.value),
  };
}

/** A record's timestamp in milliseconds, -1 (before every other) when it carries none. */
const millisOf = (message: KafkaMessage): number => {
  const millis = Number(message.timestamp);
  return Number.isFinite(millis) && millis >= 0 ? millis : -1;
};

function newest(records: FetchedRecord[], limit: number): FetchedRecord[] {
  const offsetOrder = (a: KafkaMessage, b: KafkaMessage): number => {
    const delta = BigInt(a.offset) - BigInt(b.offset);
    return delta < 0n ? -1 : delta > 0n ? 1 : 0;
  };
  const sorted = [...records].sort(
    (a, b) => millisOf(a.message) - millisOf(b.message) || a.partition - b.partition || offsetOrder(a.message, b.message),
  );
  return sorted.slice(Math.max(0, sorted.length - limit));
}

// ---------------------------------------------------------------------------------------------

interface Disconnectable {
  disconnect(): Promise<void>;
}

type Track = <C extends Disconnectable>(client: C, after?: () => Promise<void>) => C;

/**
 * Runs `work` with a kafkajs client under the budget. Every client the work opens is tracked and
 * disconnected at the end, whether the work succeeded, failed or ran out of time; the work is
 * abandoned (not awaited) on timeout, so a silent broker cannot hold the call.
 */
async function withKafka<T>(
  config: KafkaConnectorConfig,
  options: KafkaToolOptions,
  work: (kafka: Kafka, track: Track, deadline: number) => Promise<T>,
): Promise<T> {
  const budget = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const deadline = Date.now() + budget - CLEANUP_MS;
  const cleanups: (() => Promise<void>)[] = [];
  let closed = false;
  const track: Track = (client, after) => {
    // Work abandoned at the deadline must not open a client nobody would close.
    if (closed) throw new Error('abandoned after the deadline');
    // Last opened, first closed: the consumer leaves its group before the admin deletes it.
    cleanups.unshift(async () => {
      await client.disconnect().catch(() => undefined);
      if (after !== undefined) await after();
    });
    return client;
  };
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true;
      reject(new ConnectorCheckError('timeout', `No answer from the Kafka brokers within ${budget / 1000} s`));
    }, deadline - Date.now());
  });
  const running = (async () => work(new Kafka(kafkaClientConfig(config, options)), track, deadline))();
  running.catch(() => undefined); // its failure after a timeout has no one left to hear it
  try {
    return await Promise.race([running, timedOut]);
  } catch (error: unknown) {
    throw checkError(error, config);
  } finally {
    closed = true;
    clearTimeout(timer);
    // A timed-out call answers now; its clients close in the background (bounded all the same).
    const cleaning = cleanUp(cleanups);
    if (!expired) await cleaning;
  }
}

async function cleanUp(cleanups: readonly (() => Promise<void>)[]): Promise<void> {
  const all = (async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  })();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLEANUP_MS - 100)))]);
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------

/** The fields kafkajs errors carry; read structurally, as kafkajs exports no error types. */
interface KafkaJsErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly type?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
  readonly errors?: unknown;
  readonly retriable?: unknown;
}

const shapeOf = (value: unknown): KafkaJsErrorShape | undefined => (typeof value === 'object' && value !== null ? value : undefined);

/** The error and what it wraps (retries exceeded → the last attempt's error → its socket error). */
export function causes(error: unknown): KafkaJsErrorShape[] {
  const out: KafkaJsErrorShape[] = [];
  let current = shapeOf(error);
  while (current !== undefined && out.length < 10) {
    out.push(current);
    const aggregated: unknown = Array.isArray(current.errors) ? current.errors[0] : undefined;
    current = shapeOf(current.cause ?? current.originalError ?? aggregated);
  }
  return out;
}

const tlsCodes = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** A kafkajs (or socket) failure as a ConnectorCheckError in plain words. */
export function checkError(error: unknown, config: KafkaConnectorConfig): ConnectorCheckError {
  if (error instanceof ConnectorCheckError) return error;
  const chain = causes(error);
  // Only what the broker or kafkajs said is redacted (every string below comes through here):
  // our own words quote no secret, and redacting them could mask e.g. a user name.
  const str = (v: unknown): string => (typeof v === 'string' ? redact(v, [config.sasl_password]) : '');
  const has = (test: (e: KafkaJsErrorShape) => boolean) => chain.find(test);
  const say = (reason: ConnectorCheckError['reason'], message: string) => new ConnectorCheckError(reason, message);
  const bootstrap = brokersOf(config);
  const deepest = chain[chain.length - 1];
  const detail = str(deepest?.message).replace(/^Connection error: /, '');

  const sasl = has((e) => e.name === 'KafkaJSSASLAuthenticationError');
  if (sasl) {
    // kafkajs prefixes the broker's words with its own; PLAIN's broker text repeats the verdict.
    const said = str(sasl.message)
      .replace(/^SASL [A-Z0-9 -]+ authentication failed: /, '')
      .replace(/^Authentication failed: /, '');
    return say('auth_failed', `Authentication failed (SASL ${config.sasl_mechanism ?? ''}): ${said}`);
  }
  const protocol = has((e) => typeof e.type === 'string' && e.type !== '');
  const protocolType = str(protocol?.type);
  if (protocolType === 'ILLEGAL_SASL_STATE' || protocolType === 'UNSUPPORTED_SASL_MECHANISM') {
    return say(
      'connection_closed',
      protocolType === 'UNSUPPORTED_SASL_MECHANISM'
        ? `The broker does not enable the SASL mechanism ${config.sasl_mechanism ?? ''}: ${str(protocol?.message)}`
        : `The broker's listener at ${bootstrap} does not expect SASL: check security_protocol and the port`,
    );
  }
  if (/AUTHORIZATION_FAILED$/.test(protocolType)) {
    return say('not_authorized', `Not authorized: ${str(protocol?.message)} (${protocolType})`);
  }
  if (protocolType === 'UNKNOWN_TOPIC_OR_PARTITION') return say('unknown_topic', `Topic does not exist: ${str(protocol?.message)}`);

  const socket = has((e) => typeof e.code === 'string');
  const code = str(socket?.code);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const host = /(?:ENOTFOUND|EAI_AGAIN) (\S+)/.exec(str(socket?.message))?.[1] ?? bootstrap;
    const advertised = bootstrap.includes(host)
      ? ''
      : ' (an address the broker advertises: advertised.listeners must resolve from this server)';
    return say('unknown_host', `Unknown host: '${host}' could not be resolved${advertised}`);
  }
  if (code === 'ECONNREFUSED') {
    const where = /ECONNREFUSED (\S+)/.exec(str(socket?.message))?.[1] ?? bootstrap;
    return say('connection_refused', `Connection refused by ${where}: no Kafka listener on that host and port`);
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return say('timeout', `Cannot reach the broker at ${bootstrap}: ${detail}`);
  }
  if (tlsCodes.test(code) || /TLS|SSL|certificate/i.test(detail)) {
    return say('tls_failed', `TLS failed with ${bootstrap}: ${detail}. Check security_protocol and the CA certificate`);
  }
  if (has((e) => e.name === 'KafkaJSRequestTimeoutError') || /^Connection timeout/.test(detail)) {
    return say('timeout', `No answer from the broker at ${bootstrap} in time (${detail})`);
  }
  // kafkajs 2.2.4 quirk: when a listener accepts the TCP connection but never answers, the
  // ApiVersions request times out, admin.connect() still resolves, and the next call fails with
  // this plain Error. It is the silent-listener case, so it is a timeout.
  if (has((e) => str(e.message) === 'Broker not connected')) {
    return say('timeout', `The broker at ${bootstrap} accepted the connection but did not answer in time: is it a Kafka listener?`);
  }
  if (has((e) => e.name === 'KafkaJSConnectionClosedError') || code === 'ECONNRESET' || code === 'EPIPE') {
    const hint =
      config.security_protocol === undefined || config.security_protocol === 'PLAINTEXT'
        ? 'the listener may require SASL or TLS: check security_protocol'
        : 'check security_protocol and the port';
    return say('connection_closed', `The broker at ${bootstrap} closed the connection: ${hint}`);
  }
  const message = str(chain[0]?.message) || redact(String(error), [config.sasl_password]);
  return say('server_error', `Kafka error: ${message}${detail !== '' && !message.includes(detail) ? ` (${detail})` : ''}`);
}
