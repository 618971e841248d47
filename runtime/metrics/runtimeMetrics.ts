import type { Supervisor } from '../supervisor';
import type { WorkerPool } from '../worker/workerPool';
import { scrapedFamily, type Registry, type Sample } from '../../infrastructure/metrics/prometheus';

/**
 * What a runtime process knows of its own workers, added to its registry: the state of each
 * pipeline it runs (live or not, per subscription worker), and for each worker process its
 * workers, event-loop lag and memory; the quarantined subscriptions.
 */
export function runtimeMetrics(
  registry: Registry,
  deps: { readonly supervisor: () => Supervisor | undefined; readonly pool: WorkerPool },
): void {
  scrapedFamily(registry, {
    name: 'popsink_runtime_worker_live',
    help: 'Workers of this runtime by pipeline: 1 when live, 0 while building or failing.',
    type: 'gauge',
    labelNames: ['pipeline_id', 'subscription_id'],
    read: async () =>
      (deps.supervisor()?.workers() ?? []).map(({ pipelineId, subscriptionId, live }) => ({
        labels: { pipeline_id: pipelineId, subscription_id: subscriptionId },
        value: live ? 1 : 0,
      })),
  });
  const perProcess = (name: string, help: string, read: (status: ReturnType<WorkerPool['status']>[number]) => number | undefined) =>
    scrapedFamily(registry, {
      name,
      help,
      type: 'gauge',
      labelNames: ['pid', 'kind'],
      read: async () =>
        deps.pool.status().flatMap((status): Sample<'pid' | 'kind'>[] => {
          const value = read(status);
          return value === undefined
            ? []
            : [{ labels: { pid: String(status.pid ?? ''), kind: status.shared ? 'shared' : 'quarantine' }, value }];
        }),
    });
  perProcess('popsink_worker_process_workers', 'Subscription workers hosted by each worker process.', (status) => status.workers);
  perProcess(
    'popsink_worker_process_event_loop_lag_p99_seconds',
    "p99 of each worker process's event-loop delay over its last 2 s.",
    (status) => (status.stats === undefined ? undefined : status.stats.event_loop_lag_p99_ms / 1000),
  );
  perProcess(
    'popsink_worker_process_event_loop_lag_max_seconds',
    'Longest event-loop delay of each worker process over its last 2 s.',
    (status) => (status.stats === undefined ? undefined : status.stats.event_loop_lag_max_ms / 1000),
  );
  perProcess(
    'popsink_worker_process_resident_memory_bytes',
    'Resident memory of each worker process.',
    (status) => status.stats?.rss_bytes,
  );
  perProcess('popsink_worker_process_heap_used_bytes', 'V8 heap in use in each worker process.', (status) => status.stats?.heap_used_bytes);
  scrapedFamily(registry, {
    name: 'popsink_worker_quarantined',
    help: 'Subscriptions of this runtime running in a worker process of their own after repeated crashes (WORKER_QUARANTINED).',
    type: 'gauge',
    labelNames: ['subscription_id'],
    read: async () => deps.pool.quarantined().map((subscriptionId) => ({ labels: { subscription_id: subscriptionId }, value: 1 })),
  });
}
