import * as t from 'io-ts';
import { WorkerReport } from '../observability/workerReport';
import { WorkerSpec } from './workerSpec';

/**
 * What a runtime and its pool processes say to each other over IPC. Decoded on both sides: each
 * is input from another process. A subscription's worker is named by its subscription id.
 */

export const PoolCommand = t.union([
  /** Starts the subscription's worker in this process (its spec holds secrets: IPC only, never logged). */
  t.type({ type: t.literal('start'), id: t.string, spec: WorkerSpec }),
  /** Stops it after the batch in flight. */
  t.type({ type: t.literal('stop'), id: t.string }),
]);
export type PoolCommand = t.TypeOf<typeof PoolCommand>;

/** How busy a pool process is, sent every few seconds. */
export const ProcessStats = t.type({
  /** Event-loop delay over the last interval, in ms. */
  event_loop_lag_p99_ms: t.number,
  event_loop_lag_max_ms: t.number,
  rss_bytes: t.number,
  heap_used_bytes: t.number,
});
export type ProcessStats = t.TypeOf<typeof ProcessStats>;

export const PoolEvent = t.union([
  t.type({ type: t.literal('report'), id: t.string, report: WorkerReport }),
  /**
   * The worker ended: stopped, ended by itself (a permanent failure, already reported), or
   * `crashed`: it threw where nothing caught it, and was dropped while the process went on.
   */
  t.type({ type: t.literal('ended'), id: t.string, crashed: t.boolean, detail: t.string }),
  t.type({ type: t.literal('stats'), stats: ProcessStats }),
]);
export type PoolEvent = t.TypeOf<typeof PoolEvent>;
