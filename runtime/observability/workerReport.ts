import * as t from 'io-ts';

/**
 * What a subscription worker reports to its supervisor (over IPC, so decoded when received):
 * its state, its counters, and its log lines. The supervisor turns state reports into
 * commands and keeps the rest in the read store, where the API (maybe another process) reads it.
 */

export const LogLevel = t.keyof({ debug: null, info: null, warn: null, error: null });
export type LogLevel = t.TypeOf<typeof LogLevel>;

export const PartitionProgress = t.type({
  partition: t.number,
  /** The next offset the worker will read (Kafka's committed-offset convention), as a string. */
  offset: t.string,
  /** Messages between that offset and the partition's high watermark. */
  lag: t.number,
});
export type PartitionProgress = t.TypeOf<typeof PartitionProgress>;

/** Latency (message timestamp → target acknowledgement) over the recent window, in ms. */
export const LatencySummary = t.type({
  window_s: t.number,
  count: t.number,
  p50_ms: t.union([t.number, t.null]),
  p95_ms: t.union([t.number, t.null]),
  p99_ms: t.union([t.number, t.null]),
  max_ms: t.union([t.number, t.null]),
});
export type LatencySummary = t.TypeOf<typeof LatencySummary>;

/** Counters since the worker started, cumulative (the supervisor adds up workers and restarts). */
export const WorkerMetrics = t.type({
  messages_in: t.number,
  messages_out: t.number,
  errors: t.number,
  latency: LatencySummary,
  partitions: t.array(PartitionProgress),
  last_message_at: t.union([t.string, t.null]),
});
export type WorkerMetrics = t.TypeOf<typeof WorkerMetrics>;

export const WorkerReport = t.union([
  /** Joined its consumer group and its target answered. */
  t.type({ type: t.literal('live') }),
  /**
   * Cannot proceed. `retrying`: a transient fault outlasted the retry window; the worker goes on
   * retrying and reports `live` again when it recovers. Otherwise it stops.
   */
  t.type({ type: t.literal('failed'), code: t.string, reason: t.string, retrying: t.boolean }),
  t.type({ type: t.literal('metrics'), metrics: WorkerMetrics }),
  t.type({ type: t.literal('log'), level: LogLevel, message: t.string, ts: t.string }),
]);
export type WorkerReport = t.TypeOf<typeof WorkerReport>;

/** One log line as the API serves it (contract: `{ts, level, message, pipeline_id}`). */
export const PipelineLogLine = t.type({ ts: t.string, level: LogLevel, message: t.string, pipeline_id: t.string }, 'PipelineLogLine');
export type PipelineLogLine = t.TypeOf<typeof PipelineLogLine>;
