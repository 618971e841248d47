import { setTimeout as sleep } from 'node:timers/promises';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Kafka, type Batch, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import { connectorConfigCodecs, type KafkaSourceConfig } from '../../domain/connectorConfig';
import { schemaOf, type MapperColumn } from '../../domain/mapperSpec';
import { kafkaClientConfig } from '../kafka/kafkaClientConfig';
import { compileMapper, MESSAGE_COLUMN } from '../mapper';
import { latencyWindow } from '../observability/latencyWindow';
import type { LogLevel, PartitionProgress, WorkerReport } from '../observability/workerReport';
import { ERROR_TABLE_COLUMNS, TargetError, type Row, type RowTarget, type TableSpec } from '../targets/rowTarget';
import { kafkaFailure } from '../targets/kafkaTarget';
import { targetOf } from '../targets/targetOf';
import type { WorkerSpec } from './workerSpec';

/**
 * One subscription's worker: consumes the source topic in batches, maps each message, writes the
 * rows to the target and the failures to the error table, and only then commits the offsets
 * (at-least-once; upserts by primary key make a replay harmless). With a transactional id the
 * rows and the offsets are committed in one Kafka transaction instead (exactly-once).
 *
 * Transient faults (target or broker unreachable) are retried with capped, jittered backoff,
 * the partition waiting meanwhile; past the retry window the worker reports `failed` with
 * `retrying: true` and goes on, reporting `live` again once it recovers. A permanent fault
 * (bad credentials, a table that does not fit) is reported and ends the worker, offsets
 * uncommitted: nothing is lost, the messages wait for a fixed configuration.
 */

export interface RunningWorker {
  /** Stops after the batch in flight; offsets of unfinished batches stay uncommitted. */
  stop(): Promise<void>;
  /** Settles when the worker ended: by stop(), or by a permanent failure (already reported). */
  readonly done: Promise<void>;
}

export interface WorkerOptions {
  readonly now?: () => number;
  readonly metricsIntervalMs?: number;
}

/** Columns added to every row when the source connector has `include_metadata`. */
const METADATA_COLUMNS: readonly MapperColumn[] = [
  { name: 'kafka_topic', type: 'string', nullable: false, primary_key: false },
  { name: 'kafka_partition', type: 'int', nullable: false, primary_key: false },
  { name: 'kafka_offset', type: 'string', nullable: false, primary_key: false },
  { name: 'kafka_timestamp', type: 'datetime', nullable: true, primary_key: false },
  { name: 'kafka_key', type: 'string', nullable: true, primary_key: false },
  { name: 'kafka_headers', type: 'json', nullable: true, primary_key: false },
];

class PermanentFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

class Stopped extends Error {}

type Side = 'source' | 'target';

/** kafkajs's default longest wait of a fetch for new messages. */
const FETCH_WAIT_MS = 5000;

const isoOf = (timestamp: string): string | null => {
  const ms = Number(timestamp);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
};

const headersOf = (message: KafkaMessage): Record<string, string> =>
  Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, Array.isArray(value) ? value.map(String).join(',') : String(value ?? '')]));

const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

export function startSubscriptionWorker(spec: WorkerSpec, report: (report: WorkerReport) => void, options: WorkerOptions = {}): RunningWorker {
  const now = options.now ?? Date.now;
  const log = (level: LogLevel, message: string) => report({ type: 'log', level, message, ts: new Date(now()).toISOString() });
  const stopController = new AbortController();
  let stopping = false;

  const sourceConfig = connectorConfigCodecs.KAFKA_SOURCE.decode(spec.source.config);
  if (isLeft(sourceConfig) || spec.source.type !== 'KAFKA_SOURCE') {
    report({ type: 'failed', code: 'INVALID_SOURCE', reason: 'the source connector is not a valid KAFKA_SOURCE', retrying: false });
    return { stop: async () => undefined, done: Promise.resolve() };
  }
  const source: KafkaSourceConfig = sourceConfig.right;
  const clientId = `popsink-${spec.subscriptionId}`;
  const mapper = compileMapper(spec.mapper);
  const table: TableSpec = { name: spec.tableName, columns: [...schemaOf(spec.mapper), ...(source.include_metadata ? METADATA_COLUMNS : [])] };
  const errorTable: TableSpec | undefined = spec.errorTable === null ? undefined : { name: spec.errorTable.name, columns: ERROR_TABLE_COLUMNS };
  const retention = spec.retention ?? undefined;
  const target = targetOf(spec.target, { clientId, ...(spec.transactionalId === null ? {} : { transactionalId: spec.transactionalId }), ...(retention ? { retention } : {}) });
  const errorTarget: RowTarget | undefined = spec.errorTable === null ? undefined : targetOf(spec.errorTable.target, { clientId: `${clientId}-errors`, ...(retention ? { retention } : {}) });

  const kafka = new Kafka(
    kafkaClientConfig(source, {
      clientId,
      connectionTimeoutMs: 10_000,
      authenticationTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      retries: 8,
      logCreator: () => ({ namespace, level, log: entry }) => {
        // kafkajs logs its own retries as errors; they are warnings until the retry window is out.
        if (level <= 2) log('warn', `kafka ${namespace}: ${String(entry.message)}`);
      },
    }),
  );
  const consumer = kafka.consumer({
    groupId: spec.groupId,
    // A missing source topic is waited for (see 'source connection'), never created with broker defaults.
    allowAutoTopicCreation: false,
    // A consumer that crashed on a broker outage rejoins as a new member, and the group's
    // rebalance waits for its old self until that session expires: the session bounds recovery.
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    retry: { retries: 8, restartOnFailure: async (error) => !(error instanceof PermanentFailure) && !stopping },
  });

  // --- health: live once the group is joined and the targets answered; failed / live on changes
  let joined = false;
  let prepared = false;
  /** Which side is failing, if any: a target success must not clear a source outage, nor the reverse. */
  let failing: Side | undefined;
  let reportedLive = false;
  const maybeLive = () => {
    if (joined && prepared && failing === undefined && !reportedLive) {
      reportedLive = true;
      log('info', `live: consuming ${spec.topic} as group ${spec.groupId}, writing ${spec.tableName}`);
      report({ type: 'live' });
    }
  };
  const failed = (side: Side, code: string, reason: string) => {
    failing = side;
    reportedLive = false;
    log('error', `${code}: ${reason}`);
    report({ type: 'failed', code, reason, retrying: true });
  };
  const recovered = (side: Side) => {
    if (failing !== side) return;
    failing = undefined;
    log('info', 'recovered');
    maybeLive();
  };

  /** Runs `attempt` until it succeeds, retrying transient faults of one side with backoff. */
  async function retrying<T>(side: Side, what: string, attempt: () => Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
    const prefix = side.toUpperCase();
    const started = now();
    let delay = 200;
    for (;;) {
      if (stopping) throw new Stopped();
      try {
        const result = await attempt();
        recovered(side);
        return result;
      } catch (error) {
        if (error instanceof TargetError && error.kind === 'transient') {
          log('warn', `${what} failed (${error.code}), retrying in ${delay} ms: ${error.message}`);
          if (failing === undefined && now() - started >= spec.retryWindowMs) failed(side, `${prefix}_${error.code.toUpperCase()}`, error.message);
        } else if (error instanceof TargetError) {
          throw new PermanentFailure(`${prefix}_${error.code.toUpperCase()}`, error.message);
        } else {
          throw error;
        }
      }
      await sleep(delay + Math.random() * delay * 0.2, undefined, { signal: stopController.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, 10_000);
      await heartbeat?.();
    }
  }

  // --- metrics
  const latency = latencyWindow({ now });
  let messagesIn = 0;
  let messagesOut = 0;
  let errors = 0;
  let lastMessageAt: string | null = null;
  const partitions = new Map<number, PartitionProgress>();
  const sendMetrics = () =>
    report({
      type: 'metrics',
      metrics: { messages_in: messagesIn, messages_out: messagesOut, errors, latency: latency.summary(), partitions: [...partitions.values()], last_message_at: lastMessageAt },
    });
  const metricsTimer = setInterval(sendMetrics, options.metricsIntervalMs ?? 1000);
  metricsTimer.unref();

  // --- one batch: map, write rows and failures, then commit
  const errorRow = (batch: Batch, message: KafkaMessage, column: string, reason: string): Row => ({
    topic: batch.topic,
    partition: batch.partition,
    offset: message.offset,
    message_timestamp: isoOf(message.timestamp),
    payload: message.value === null ? null : message.value.toString('utf8'),
    error_column: column,
    error: reason,
    failed_at: new Date(now()).toISOString(),
  });

  async function deliverFailures(batch: Batch, failures: readonly Row[], heartbeat: () => Promise<void>): Promise<void> {
    if (failures.length === 0) return;
    if (errorTarget === undefined || errorTable === undefined) {
      // No error table: never silent. Counted, and each failure logged with where it sits.
      for (const failure of failures) log('warn', `message ${batch.topic}/${batch.partition}@${String(failure['offset'])} failed at ${String(failure['error_column'])}: ${String(failure['error'])}`);
      return;
    }
    await retrying('target', 'error table write', () => errorTarget.write(errorTable, failures), heartbeat);
  }

  /** A batch blocked on a failing target must not be taken for a silent broker. */
  let inBatch = false;
  async function handleBatch(payload: EachBatchPayload): Promise<void> {
    inBatch = true;
    try {
      await mapAndWrite(payload);
    } finally {
      inBatch = false;
      lastFetchAt = now();
    }
  }

  async function mapAndWrite({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const rows: Row[] = [];
    const failures: Row[] = [];
    for (const message of batch.messages) {
      if (message.value === null) {
        failures.push(errorRow(batch, message, MESSAGE_COLUMN, 'empty message (no value)'));
        continue;
      }
      const mapped = mapper(message.value);
      if (!mapped.ok) {
        failures.push(errorRow(batch, message, mapped.column, mapped.reason));
        continue;
      }
      if (source.include_metadata !== true) {
        rows.push(mapped.row);
        continue;
      }
      rows.push({
        ...mapped.row,
        kafka_topic: batch.topic,
        kafka_partition: batch.partition,
        kafka_offset: message.offset,
        kafka_timestamp: isoOf(message.timestamp),
        kafka_key: message.key === null ? null : message.key.toString('utf8'),
        kafka_headers: headersOf(message),
      });
    }
    const last = batch.messages[batch.messages.length - 1] as KafkaMessage;
    const next = nextOffset(last.offset);

    await deliverFailures(batch, failures, heartbeat);
    if (spec.transactionalId !== null && target.writeWithOffsets !== undefined) {
      const offsets = { consumerGroupId: spec.groupId, topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] };
      await retrying('target', 'transactional write', () => target.writeWithOffsets!(table, rows, offsets), heartbeat);
    } else {
      if (rows.length > 0) await retrying('target', 'target write', () => target.write(table, rows), heartbeat);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    }
    resolveOffset(last.offset);

    const acked = now();
    for (const message of batch.messages) {
      const sent = Number(message.timestamp);
      if (Number.isFinite(sent) && sent > 0) latency.record(Math.max(0, acked - sent), acked);
    }
    messagesIn += batch.messages.length;
    messagesOut += rows.length;
    errors += failures.length;
    lastMessageAt = new Date(acked).toISOString();
    partitions.set(batch.partition, { partition: batch.partition, offset: next, lag: Number(batch.offsetLag()) });
    await heartbeat();
  }

  // --- run
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const shutdown = async () => {
    clearInterval(metricsTimer);
    clearInterval(watchdog);
    sendMetrics();
    await consumer.disconnect().catch(() => undefined);
    await Promise.all([target.close(), errorTarget?.close()]).catch(() => undefined);
    finish();
  };

  /** Bumped by every rebalance, so that a slow assignment report never overwrites a newer one. */
  let generation = 0;
  /**
   * Reports each newly assigned partition at once, with its committed offset and lag: a runtime
   * owns its partitions from the assignment on, not from its first message (which may never come).
   */
  async function reportAssignment(assigned: ReadonlySet<number>, joinedGeneration: number): Promise<void> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: spec.groupId, topics: [spec.topic] });
      const watermarks = await admin.fetchTopicOffsets(spec.topic);
      if (joinedGeneration !== generation) return;
      const committedOf = new Map((committed?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
      for (const { partition, low, high } of watermarks) {
        if (!assigned.has(partition) || partitions.has(partition)) continue;
        const stored = committedOf.get(partition) ?? '-1';
        // Without a committed offset the consumer starts where `backfill` says: the oldest or the next message.
        const offset = BigInt(stored) >= 0n ? stored : spec.backfill ? low : high;
        partitions.set(partition, { partition, offset, lag: Math.max(0, Number(BigInt(high) - BigInt(offset))) });
      }
      sendMetrics();
    } catch (error) {
      log('debug', `assigned partitions not reported yet: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    // After a rebalance, partitions now read by another runtime must not be reported from here.
    const assigned = new Set(payload.memberAssignment[spec.topic] ?? []);
    for (const partition of [...partitions.keys()]) if (!assigned.has(partition)) partitions.delete(partition);
    generation += 1;
    void reportAssignment(assigned, generation);
    joined = true;
    recovered('source');
    maybeLive();
  });
  // kafkajs retries an unreachable broker on its own for a long while, saying nothing: a fetch
  // (which a healthy consumer completes at least every maxWaitTime, 5 s) is the sign of life.
  let lastFetchAt = now();
  consumer.on(consumer.events.FETCH, () => {
    lastFetchAt = now();
    recovered('source');
  });
  const watchdog = setInterval(() => {
    const silentMs = now() - lastFetchAt;
    if (joined && !inBatch && failing === undefined && silentMs > spec.retryWindowMs + FETCH_WAIT_MS) {
      failed('source', 'SOURCE_UNREACHABLE', `no answer from the source broker for ${Math.round(silentMs / 1000)} s`);
    }
  }, 1000);
  watchdog.unref();
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const error = payload.error;
    if (error instanceof PermanentFailure) {
      report({ type: 'failed', code: error.code, reason: error.message, retrying: false });
      void shutdown();
    } else if (!stopping) {
      joined = false;
      failed('source', 'SOURCE_UNAVAILABLE', `the source broker failed: ${error.message}; restarting the consumer: ${String(payload.restart)}`);
      if (!payload.restart) void shutdown();
    }
  });

  void (async () => {
    try {
      await retrying('target', 'target preparation', async () => {
        await target.prepare(table);
        if (errorTarget !== undefined && errorTable !== undefined) await errorTarget.prepare(errorTable);
      });
      prepared = true;
      // An unreachable broker or a topic not there yet is waited for, as a target is.
      await retrying('source', 'source connection', async () => {
        try {
          await consumer.connect();
          await consumer.subscribe({ topics: [spec.topic], fromBeginning: spec.backfill });
        } catch (error) {
          throw kafkaFailure(error, source);
        }
      });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: handleBatch });
    } catch (error) {
      if (error instanceof Stopped || stopping) return;
      const code = error instanceof PermanentFailure ? error.code : 'WORKER_START_FAILED';
      report({ type: 'failed', code, reason: error instanceof Error ? error.message : String(error), retrying: false });
      await shutdown();
    }
  })();

  return {
    done,
    async stop() {
      if (stopping) return done;
      stopping = true;
      stopController.abort();
      await shutdown();
      return done;
    },
  };
}
