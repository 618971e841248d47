import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { RUNTIME_LOGS, RUNTIME_METRICS } from '../../projections/collections';
import type { Doc, FindQuery, ReadStore, WriteOp } from '../../projections/readStore';
import { DEFAULT_LATENCY_WINDOW_MS } from './latencyWindow';
import { LatencySummary, LogLevel, PartitionProgress, type PipelineLogLine, type WorkerMetrics } from './workerReport';

/**
 * Workers' metrics and log lines, kept in the read store so that the API, maybe in another
 * process, can serve them. Each runtime writes only its own documents (one per subscription in
 * `runtime_metrics`, one per pipeline in `runtime_logs`, ids prefixed by its runtime id) and
 * readers merge the documents of every runtime. Metrics and lines are gathered in memory and
 * written by `flush`, which the supervisor calls about once a second.
 */

export interface SubscriptionKey {
  readonly pipelineId: string;
  readonly subscriptionId: string;
  readonly datamodelId: string;
  readonly connectorIds: readonly string[];
}

export interface PipelineKey {
  readonly pipelineId: string;
  readonly connectorIds: readonly string[];
}

export type LogFilter = { readonly pipelineId: string } | { readonly connectorId: string };

const Ms = t.union([t.number, t.null]);
/** The contract's `/pipelines/{id}/latency-informations` body. */
export const PipelineMetrics = t.type(
  {
    pipeline_id: t.string,
    window_s: t.number,
    p50_ms: Ms,
    p95_ms: Ms,
    p99_ms: Ms,
    max_ms: Ms,
    messages_in: t.number,
    messages_out: t.number,
    errors: t.number,
    lag_total: t.number,
    partitions: t.readonlyArray(PartitionProgress),
    last_message_at: t.union([t.string, t.null]),
  },
  'PipelineMetrics',
);
export type PipelineMetrics = t.TypeOf<typeof PipelineMetrics>;

/** The `/datamodels/{id}/monitoring` body. */
export const DatamodelMonitoring = t.type(
  {
    datamodel_id: t.string,
    pipeline_id: t.string,
    messages_in: t.number,
    messages_out: t.number,
    errors: t.number,
    lag_total: t.number,
    last_message_at: t.union([t.string, t.null]),
  },
  'DatamodelMonitoring',
);
export type DatamodelMonitoring = t.TypeOf<typeof DatamodelMonitoring>;

export interface FollowOptions {
  readonly pollMs?: number;
  /** How many of the recent lines the first call of `onLines` carries; later calls carry new lines only. */
  readonly backlog?: number;
  /** A failed poll; the next one runs as planned. */
  readonly onError?: (error: unknown) => void;
}

export interface ObservabilityReader {
  pipelineMetrics(pipelineId: string): Promise<PipelineMetrics>;
  /** The pipeline id is the caller's: before any traffic no document names it. */
  datamodelMonitoring(key: { readonly datamodelId: string; readonly pipelineId: string }): Promise<DatamodelMonitoring>;
  /** The last `limit` lines, oldest first. */
  logs(filter: LogFilter, options: { readonly limit: number }): Promise<PipelineLogLine[]>;
  follow(filter: LogFilter, onLines: (lines: PipelineLogLine[]) => void, options?: FollowOptions): { stop(): void };
}

export interface ObservabilityStore extends ObservabilityReader {
  /** The latest report of a subscription's worker; counters are cumulative since that worker started. */
  recordMetrics(key: SubscriptionKey, metrics: WorkerMetrics): void;
  appendLog(key: PipelineKey, level: LogLevel, message: string, ts?: string): void;
  /** Removes the subscription's metrics (its pipeline is gone) at the next flush. */
  forgetSubscription(subscriptionId: string): void;
  flush(): Promise<void>;
}

export interface ObservabilityOptions {
  /** Names this runtime's documents; a runtime started again with the same id carries on from them. */
  readonly runtimeId: string;
  readonly now?: () => number;
  readonly maxLogLines?: number;
}

/** Keeps a log document of `maxLogLines` lines far below MongoDB's 16 MB document limit. */
const MAX_MESSAGE_CHARS = 8_192;

const Counters = t.type({ messages_in: t.number, messages_out: t.number, errors: t.number });
type Counters = t.TypeOf<typeof Counters>;
const COUNTERS = ['messages_in', 'messages_out', 'errors'] as const;
const ZERO: Counters = { messages_in: 0, messages_out: 0, errors: 0 };
const added = (a: Counters, b: Counters): Counters => ({
  messages_in: a.messages_in + b.messages_in,
  messages_out: a.messages_out + b.messages_out,
  errors: a.errors + b.errors,
});

const MetricsDoc = t.intersection([
  Counters,
  t.type({
    subscription_id: t.string,
    latency: LatencySummary,
    partitions: t.array(PartitionProgress),
    last_message_at: t.union([t.string, t.null]),
    updated_at: t.string,
  }),
]);
type MetricsDoc = t.TypeOf<typeof MetricsDoc>;

const StoredLine = t.type({ seq: t.number, ts: t.string, level: LogLevel, message: t.string });
type StoredLine = t.TypeOf<typeof StoredLine>;
const LogsDoc = t.type({ id: t.string, pipeline_id: t.string, lines: t.array(StoredLine) });
type LogsDoc = t.TypeOf<typeof LogsDoc>;

/**
 * Connector ids as one delimited string, so that "documents of this connector" is a substring
 * search, which both read stores answer alike (equality on an array field is not portable).
 */
const connectorsField = (ids: readonly string[]): string => `,${ids.join(',')},`;

const logQuery = (filter: LogFilter): FindQuery =>
  'pipelineId' in filter
    ? { where: { pipeline_id: filter.pipelineId } }
    : { search: { field: 'connectors', text: `,${filter.connectorId},` } };

const later = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : Date.parse(b) > Date.parse(a) ? b : a;
const largest = (values: readonly (number | null)[]): number | null =>
  values.reduce<number | null>((max, value) => (value === null ? max : max === null ? value : Math.max(max, value)), null);

/** ISO-8601 UTC times sort as strings; lines of one runtime with the same time keep their order. */
const chronological = (a: StoredLine, b: StoredLine): number => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.seq - b.seq);

/** The lines of documents, oldest first, as the API serves them. */
const linesOf = (entries: readonly { readonly pipelineId: string; readonly line: StoredLine }[]): PipelineLogLine[] =>
  [...entries]
    .sort((a, b) => chronological(a.line, b.line))
    .map(({ pipelineId, line: { ts, level, message } }) => ({ ts, level, message, pipeline_id: pipelineId }));

const lastOf = <T>(items: readonly T[], count: number): T[] => items.slice(Math.max(0, items.length - count));

/**
 * Counters summed over every runtime's documents. Percentiles cannot be merged exactly from
 * summaries, so each is the largest among the documents with recent traffic: conservative, never
 * lower than the true value of the merged samples. A document not refreshed within its window
 * (a stopped worker) has no recent traffic, whatever its last summary said.
 * A partition's progress is the freshest report of each subscription (a partition moves between
 * runtimes on a rebalance), then the slowest subscription's: the pipeline is as late as it.
 */
function merged(docs: readonly MetricsDoc[], nowMs: number) {
  const windowS = largest(docs.map((doc) => doc.latency.window_s)) ?? DEFAULT_LATENCY_WINDOW_MS / 1000;
  const recent = docs.filter((doc) => doc.latency.count > 0 && nowMs - Date.parse(doc.updated_at) <= doc.latency.window_s * 1000);
  const bySubscription = new Map<string, PartitionProgress>();
  for (const doc of [...docs].sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at))) {
    for (const progress of doc.partitions) bySubscription.set(`${doc.subscription_id}:${progress.partition}`, progress);
  }
  const byPartition = new Map<number, PartitionProgress>();
  for (const progress of bySubscription.values()) {
    const known = byPartition.get(progress.partition);
    if (known === undefined || progress.lag > known.lag) byPartition.set(progress.partition, progress);
  }
  const partitions = [...byPartition.values()].sort((a, b) => a.partition - b.partition);
  const sum = (counter: keyof Counters): number => docs.reduce((total, doc) => total + doc[counter], 0);
  return {
    window_s: windowS,
    p50_ms: largest(recent.map((doc) => doc.latency.p50_ms)),
    p95_ms: largest(recent.map((doc) => doc.latency.p95_ms)),
    p99_ms: largest(recent.map((doc) => doc.latency.p99_ms)),
    max_ms: largest(recent.map((doc) => doc.latency.max_ms)),
    messages_in: sum('messages_in'),
    messages_out: sum('messages_out'),
    errors: sum('errors'),
    lag_total: partitions.reduce((total, progress) => total + progress.lag, 0),
    partitions,
    last_message_at: docs.reduce<string | null>((latest, doc) => later(latest, doc.last_message_at), null),
  };
}

interface Reported {
  readonly key: SubscriptionKey;
  /** What earlier runs of this subscription's worker counted before they stopped. */
  readonly base: Counters;
  readonly latest: WorkerMetrics;
  readonly lastMessageAt: string | null;
}

interface Journal {
  readonly key: PipelineKey;
  readonly lines: StoredLine[];
}

export function observabilityStore(
  readStore: ReadStore,
  { runtimeId, now = Date.now, maxLogLines = 500 }: ObservabilityOptions,
): ObservabilityStore {
  // Above anything an earlier run of a runtime with this id wrote, as long as clocks move forward.
  let position = BigInt(now()) * 1000n;
  let seq = now() * 1000;
  const reported = new Map<string, Reported>();
  const journals = new Map<string, Journal>();
  const changedMetrics = new Set<string>();
  const changedLogs = new Set<string>();
  const forgotten = new Set<string>();
  /** Subscriptions and pipelines whose documents from an earlier run with this id were read back. */
  const carriedMetrics = new Set<string>();
  const carriedLogs = new Set<string>();
  let flushing: Promise<void> = Promise.resolve();

  let indexes: Promise<void> | undefined;
  const indexed = (): Promise<void> => {
    indexes ??= Promise.all([
      readStore.ensureIndexes(RUNTIME_METRICS, ['pipeline_id', 'datamodel_id']),
      readStore.ensureIndexes(RUNTIME_LOGS, ['pipeline_id']),
    ]).then(
      () => undefined,
      (error: unknown) => {
        indexes = undefined;
        throw error;
      },
    );
    return indexes;
  };

  const docId = (id: string): string => `${runtimeId}:${id}`;
  const upsert = (collection: string, id: string, set: Record<string, unknown>): WriteOp => ({
    kind: 'upsert',
    collection,
    id: docId(id),
    set,
    position: ++position,
  });

  const metricsWrite = ({ key, base, latest, lastMessageAt }: Reported, updatedAt: string): WriteOp =>
    upsert(RUNTIME_METRICS, key.subscriptionId, {
      runtime_id: runtimeId,
      pipeline_id: key.pipelineId,
      subscription_id: key.subscriptionId,
      datamodel_id: key.datamodelId,
      connectors: connectorsField(key.connectorIds),
      ...added(base, latest),
      latency: latest.latency,
      partitions: latest.partitions,
      last_message_at: lastMessageAt,
      updated_at: updatedAt,
    });

  const logsWrite = ({ key, lines }: Journal, updatedAt: string): WriteOp =>
    upsert(RUNTIME_LOGS, key.pipelineId, {
      runtime_id: runtimeId,
      pipeline_id: key.pipelineId,
      connectors: connectorsField(key.connectorIds),
      lines,
      updated_at: updatedAt,
    });

  const decoded = <A>(codec: t.Decoder<unknown, A>, collection: string, doc: Doc): A => {
    const result = codec.decode(doc);
    if (isLeft(result)) throw new Error(`${collection} ${doc.id}: not a document this store writes`);
    return result.right;
  };
  const stored = async <A>(codec: t.Decoder<unknown, A>, collection: string, id: string): Promise<A | undefined> => {
    const doc = await readStore.get(collection, docId(id));
    return doc === undefined ? undefined : decoded(codec, collection, doc);
  };

  /** Before its first write, a subscription's totals and a pipeline's lines continue what an earlier run stored. */
  const carryOn = async (metricIds: readonly string[], pipelineIds: readonly string[]): Promise<void> => {
    const metrics = metricIds
      .filter((id) => !carriedMetrics.has(id))
      .map(async (id) => {
        const before = await stored(MetricsDoc, RUNTIME_METRICS, id);
        const entry = reported.get(id);
        if (before !== undefined && entry !== undefined)
          reported.set(id, {
            ...entry,
            base: added(entry.base, before),
            lastMessageAt: later(entry.lastMessageAt, before.last_message_at),
          });
        carriedMetrics.add(id);
      });
    const logs = pipelineIds
      .filter((id) => !carriedLogs.has(id))
      .map(async (id) => {
        const before = await stored(LogsDoc, RUNTIME_LOGS, id);
        const lines = journals.get(id)?.lines;
        if (before !== undefined && lines !== undefined) {
          lines.unshift(...before.lines);
          lines.splice(0, lines.length - maxLogLines);
        }
        carriedLogs.add(id);
      });
    await Promise.all([...metrics, ...logs]);
  };

  const write = async (): Promise<void> => {
    await indexed();
    const metricIds = [...changedMetrics];
    const pipelineIds = [...changedLogs];
    const removedIds = [...forgotten];
    changedMetrics.clear();
    changedLogs.clear();
    forgotten.clear();
    try {
      await carryOn(metricIds, pipelineIds);
      const updatedAt = new Date(now()).toISOString();
      const ops: WriteOp[] = [
        ...metricIds.flatMap((id) => {
          const entry = reported.get(id);
          return entry === undefined ? [] : [metricsWrite(entry, updatedAt)];
        }),
        ...pipelineIds.flatMap((id) => {
          const journal = journals.get(id);
          return journal === undefined ? [] : [logsWrite(journal, updatedAt)];
        }),
        ...removedIds.map((id): WriteOp => ({ kind: 'remove', collection: RUNTIME_METRICS, id: docId(id), position: ++position })),
      ];
      if (ops.length > 0) await readStore.apply(ops);
    } catch (error) {
      // Written again, as they are then, by the next flush.
      for (const id of metricIds) changedMetrics.add(id);
      for (const id of pipelineIds) changedLogs.add(id);
      for (const id of removedIds) if (!reported.has(id)) forgotten.add(id);
      throw error;
    }
  };

  const found = async <A>(codec: t.Decoder<unknown, A>, collection: string, query: FindQuery): Promise<A[]> => {
    await indexed();
    return (await readStore.find(collection, query)).items.map((doc) => decoded(codec, collection, doc));
  };
  const metricsDocs = (where: FindQuery['where']): Promise<MetricsDoc[]> => found(MetricsDoc, RUNTIME_METRICS, { where });
  const logsDocs = (filter: LogFilter): Promise<LogsDoc[]> => found(LogsDoc, RUNTIME_LOGS, logQuery(filter));

  return {
    recordMetrics(key, metrics) {
      const previous = reported.get(key.subscriptionId);
      // Counters only grow within one worker run: one that went down means a new run began.
      const restarted = previous !== undefined && COUNTERS.some((counter) => metrics[counter] < previous.latest[counter]);
      const base = previous === undefined ? ZERO : restarted ? added(previous.base, previous.latest) : previous.base;
      reported.set(key.subscriptionId, {
        key,
        base,
        latest: metrics,
        lastMessageAt: later(previous?.lastMessageAt ?? null, metrics.last_message_at),
      });
      forgotten.delete(key.subscriptionId);
      changedMetrics.add(key.subscriptionId);
    },

    appendLog(key, level, message, ts = new Date(now()).toISOString()) {
      const lines = journals.get(key.pipelineId)?.lines ?? [];
      lines.push({
        seq: ++seq,
        ts,
        level,
        message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message,
      });
      lines.splice(0, lines.length - maxLogLines);
      journals.set(key.pipelineId, { key, lines });
      changedLogs.add(key.pipelineId);
    },

    forgetSubscription(subscriptionId) {
      reported.delete(subscriptionId);
      changedMetrics.delete(subscriptionId);
      forgotten.add(subscriptionId);
    },

    flush() {
      // One flush at a time: the read store's position guard assumes a single writer per document.
      const run = flushing.then(write);
      flushing = run.catch(() => undefined);
      return run;
    },

    async pipelineMetrics(pipelineId) {
      return { pipeline_id: pipelineId, ...merged(await metricsDocs({ pipeline_id: pipelineId }), now()) };
    },

    async datamodelMonitoring({ datamodelId, pipelineId }) {
      const { messages_in, messages_out, errors, lag_total, last_message_at } = merged(
        await metricsDocs({ datamodel_id: datamodelId }),
        now(),
      );
      return { datamodel_id: datamodelId, pipeline_id: pipelineId, messages_in, messages_out, errors, lag_total, last_message_at };
    },

    async logs(filter, { limit }) {
      const docs = await logsDocs(filter);
      return lastOf(linesOf(docs.flatMap((doc) => doc.lines.map((line) => ({ pipelineId: doc.pipeline_id, line })))), limit);
    },

    follow(filter, onLines, { pollMs = 500, backlog = 0, onError } = {}) {
      /** Per document, the last line already handed over; none before the first poll that worked. */
      const sent = new Map<string, number>();
      let primed = false;
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const poll = async (): Promise<void> => {
        try {
          const docs = await logsDocs(filter);
          if (stopped) return;
          const fresh = docs.flatMap((doc) => {
            const after = sent.get(doc.id) ?? -Infinity;
            sent.set(
              doc.id,
              doc.lines.reduce((last, line) => Math.max(last, line.seq), after),
            );
            return doc.lines.filter((line) => line.seq > after).map((line) => ({ pipelineId: doc.pipeline_id, line }));
          });
          const lines = primed ? linesOf(fresh) : lastOf(linesOf(fresh), backlog);
          primed = true;
          if (lines.length > 0) onLines(lines);
        } catch (error) {
          onError?.(error);
        }
        if (!stopped) timer = setTimeout(() => void poll(), pollMs);
      };
      void poll();
      return {
        stop() {
          stopped = true;
          clearTimeout(timer);
        },
      };
    },
  };
}
