import { setTimeout as sleep } from 'node:timers/promises';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Kafka, logLevel, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import { connectorConfigCodecs, type KafkaSourceConfig } from '../../domain/connector/connectorConfig';
import { kafkaClientConfig } from '../kafka/kafkaClientConfig';
import { latencyWindow } from '../observability/latencyWindow';
import type { LogLevel, PartitionProgress, WorkerReport } from '../observability/workerReport';
import { TargetError, type RowRun, type RowTarget, type TableSpec } from '../targets/rowTarget';
import { kafkaFailure } from '../targets/kafkaTarget';
import type { PostgresPools } from '../targets/postgresPools';
import { targetOf } from '../targets/targetOf';
import { deadLetterOf, errorRowOf } from './errorRows';
import { errorTolerance } from './errorTolerance';
import { messageReader, runsOf, type RejectedMessage, type RowOp, type Run } from './messageChanges';
import { writeIsolatingRejections } from './rejectionIsolation';
import { errorTableOf, readOptionsOf, targetTableOf } from './subscriptionTables';
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
  /** The hosting process's shared PostgreSQL pools (see postgresPools.ts). */
  readonly postgresPools?: PostgresPools;
}

class PermanentFailure extends Error {
  /** Read by kafkajs: a failure of eachBatch that is not retriable crashes the consumer at once, without a restart. */
  readonly retriable = false;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What an error wraps, down to the first cause (kafkajs wraps a failure in retries-exceeded errors). */
function innermostCause(error: Error): Error {
  let current = error;
  for (let depth = 0; current.cause instanceof Error && depth < 5; depth += 1) current = current.cause;
  return current;
}

/** The PermanentFailure in an error or in what it wraps (kafkajs wraps what eachBatch throws). */
function permanentFailureIn(error: unknown): PermanentFailure | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if (current instanceof PermanentFailure) return current;
  }
  return undefined;
}

class Stopped extends Error {}

type Side = 'source' | 'target';

/** kafkajs's default longest wait of a fetch for new messages. */
const FETCH_WAIT_MS = 5000;

const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

export function startSubscriptionWorker(
  spec: WorkerSpec,
  report: (report: WorkerReport) => void,
  options: WorkerOptions = {},
): RunningWorker {
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
  const readBatch = messageReader(readOptionsOf(spec, source));
  const tolerance = errorTolerance(spec.feed.errorTolerance, spec.feed.errorToleranceWindow);
  const table: TableSpec = targetTableOf(spec, source);
  const errorTable: TableSpec | undefined = errorTableOf(spec);
  const retention = spec.retention ?? undefined;
  const shared = options.postgresPools === undefined ? {} : { postgresPools: options.postgresPools };
  const target = targetOf(spec.target, {
    clientId,
    ...shared,
    ...(spec.transactionalId === null ? {} : { transactionalId: spec.transactionalId }),
    ...(retention ? { retention } : {}),
  });
  const errorTopicInTransaction =
    spec.transactionalId !== null && spec.errorTable !== null && JSON.stringify(spec.errorTable.target) === JSON.stringify(spec.target);
  const errorTarget: RowTarget | undefined =
    spec.errorTable === null
      ? undefined
      : targetOf(spec.errorTable.target, { clientId: `${clientId}-errors`, ...shared, ...(retention ? { retention } : {}) });

  const kafka = new Kafka(
    kafkaClientConfig(source, {
      clientId,
      connectionTimeoutMs: 10_000,
      authenticationTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      retries: 8,
      logCreator:
        () =>
        ({ namespace, level, log: entry }) => {
          // kafkajs logs its own retries as errors; they are warnings until the retry window is out.
          if (level <= logLevel.WARN) log('warn', `kafka ${namespace}: ${String(entry.message)}`);
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
    retry: { retries: 8, restartOnFailure: async (error) => permanentFailureIn(error) === undefined && !stopping },
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
  async function retrying<T>(
    side: Side,
    what: string,
    attempt: () => Promise<T>,
    heartbeat?: () => Promise<void>,
    options: { passRejections?: boolean } = {},
  ): Promise<T> {
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
          if (failing === undefined && now() - started >= spec.retryWindowMs)
            failed(side, `${prefix}_${error.code.toUpperCase()}`, error.message);
        } else if (error instanceof TargetError && error.kind === 'rejected' && options.passRejections === true) {
          throw error;
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
      metrics: {
        messages_in: messagesIn,
        messages_out: messagesOut,
        errors,
        latency: latency.summary(),
        partitions: [...partitions.values()],
        last_message_at: lastMessageAt,
      },
    });
  const metricsTimer = setInterval(sendMetrics, options.metricsIntervalMs ?? 1000);
  metricsTimer.unref();

  // --- one batch: read, write rows and deletes (isolating rejected rows), write the rejected messages, then commit
  const failedAt = () => new Date(now()).toISOString();
  const where = ({ source }: RejectedMessage) => `${source.topic}/${source.partition}@${source.message.offset}`;

  /** The share of rows the target rejected lately (a moving average over runs): how to cut the next failed run. */
  let rejectedShare = 0;

  /** Applies one run of same-kind changes, rejected rows isolated (found by cutting the run). */
  async function applyRun(run: Run, heartbeat: () => Promise<void>): Promise<RejectedMessage[]> {
    const apply = (ops: readonly RowOp[]) => {
      const rows = ops.map(({ row }) => row);
      return retrying(
        'target',
        `target ${run.kind}`,
        () => (run.kind === 'upsert' ? target.write(table, rows) : target.delete(table, rows)),
        heartbeat,
        { passRejections: true },
      );
    };
    const expected = rejectedShare * run.ops.length;
    const rejected = await writeIsolatingRejections(run.ops, apply, {
      pieces: Math.min(64, Math.round(2 * expected)),
      expectRejections: expected >= 1,
    });
    rejectedShare = 0.8 * rejectedShare + 0.2 * (rejected.length / run.ops.length);
    return rejected.map(({ item, error }) => ({
      source: item.source,
      rejection: { stage: 'target', code: error.targetCode ?? error.code, column: null, message: error.message },
    }));
  }

  const stopIfTooMany = (messages: number, rejected: number) => {
    const tooMany = tolerance.record(messages, rejected);
    if (tooMany !== undefined) throw new PermanentFailure('ERROR_RATE_EXCEEDED', tooMany);
  };

  async function deliverRejections(rejected: readonly RejectedMessage[], heartbeat: () => Promise<void>): Promise<void> {
    if (rejected.length === 0) return;
    if (errorTarget === undefined || errorTable === undefined) {
      // No error table: never silent. Counted, and each failure logged with where it sits.
      for (const failure of rejected)
        log(
          'warn',
          `message ${where(failure)} failed at ${failure.rejection.stage} (${failure.rejection.column ?? failure.rejection.code}): ${failure.rejection.message}`,
        );
      return;
    }
    const context = { pipelineVersion: spec.version, at: failedAt() };
    if (errorTarget.writeDeadLetters !== undefined) {
      const letters = rejected.map(({ source, rejection }) => deadLetterOf(source, rejection, context));
      await retrying('target', 'error topic write', () => errorTarget.writeDeadLetters!(errorTable, letters), heartbeat);
      return;
    }
    const rows = rejected.map(({ source, rejection }) => errorRowOf(source, rejection, context));
    await retrying('target', 'error table write', () => errorTarget.write(errorTable, rows), heartbeat);
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
    const { ops, rejected } = readBatch(batch.topic, batch.partition, batch.messages);
    const last = batch.messages[batch.messages.length - 1] as KafkaMessage;
    const next = nextOffset(last.offset);

    const runs = runsOf(ops);
    if (spec.transactionalId !== null && target.writeWithOffsets !== undefined) {
      // Exactly-once: one transaction per batch, so a rejected record stops the pipeline rather than being isolated.
      stopIfTooMany(batch.messages.length, rejected.length);
      const offsets = { consumerGroupId: spec.groupId, topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] };
      const rowRuns = runs.map(({ kind, ops: run }): RowRun =>
        kind === 'upsert' ? { kind, rows: run.map(({ row }) => row) } : { kind, keys: run.map(({ row }) => row) },
      );
      // An error topic on the same cluster and credentials joins the transaction: a crash can then neither lose nor repeat its records.
      const context = { pipelineVersion: spec.version, at: failedAt() };
      const letters =
        errorTopicInTransaction && errorTable !== undefined
          ? { table: errorTable, letters: rejected.map(({ source, rejection }) => deadLetterOf(source, rejection, context)) }
          : undefined;
      if (letters === undefined) await deliverRejections(rejected, heartbeat);
      await retrying('target', 'transactional write', () => target.writeWithOffsets!(table, rowRuns, offsets, letters), heartbeat);
    } else {
      for (const run of runs) rejected.push(...(await applyRun(run, heartbeat)));
      const refused = rejected.find(({ rejection }) => rejection.stage === 'target');
      if (refused !== undefined && errorTable === undefined) {
        // Nowhere to keep it: the pipeline stops on it, its offset uncommitted, until the row or the table is fixed.
        throw new PermanentFailure(
          'TARGET_REJECTED_ROW',
          `${where(refused)} (key ${refused.source.message.key?.toString('utf8') ?? 'null'}): ${refused.rejection.message}`,
        );
      }
      stopIfTooMany(batch.messages.length, rejected.length);
      await deliverRejections(rejected, heartbeat);
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    }
    resolveOffset(last.offset);

    const acked = now();
    for (const message of batch.messages) {
      const sent = Number(message.timestamp);
      if (Number.isFinite(sent) && sent > 0) latency.record(Math.max(0, acked - sent), acked);
    }
    messagesIn += batch.messages.length;
    messagesOut += ops.length - rejected.filter(({ rejection }) => rejection.stage === 'target').length;
    errors += rejected.length;
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
    const permanent = permanentFailureIn(payload.error);
    if (permanent !== undefined) {
      log('error', `${permanent.code}: ${permanent.message}; the worker stops, the batch's offsets uncommitted`);
      report({ type: 'failed', code: permanent.code, reason: permanent.message, retrying: false });
      void shutdown();
    } else if (!stopping) {
      joined = false;
      // Only what kafkajs raised is the broker's fault; anything else failed in this worker.
      const origin = innermostCause(payload.error);
      if (origin.name.startsWith('KafkaJS'))
        failed(
          'source',
          'SOURCE_UNAVAILABLE',
          `the source broker failed: ${origin.message}; restarting the consumer: ${String(payload.restart)}`,
        );
      else
        failed(
          'source',
          'WORKER_FAILED',
          `the worker failed: ${origin.name}: ${origin.message}; restarting the consumer: ${String(payload.restart)}`,
        );
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
