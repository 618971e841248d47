import type { EventStore } from '../../commands/eventstore/eventStore';
import { RUNTIME_METRICS } from '../../projections/collections';
import type { ReadStore } from '../../projections/readStore';
import { pipelineDocuments } from '../../projections/pipeline/pipelinesView';
import { PipelineStateName } from '../../domain/pipeline/pipeline';
import type { ObservabilityReader, PipelineMetrics } from '../observability/observabilityStore';
import { Counter } from 'prom-client';
import { scrapedFamily, type Registry, type Sample } from '../../infrastructure/metrics/prometheus';

export interface PlatformMetricsDeps {
  readonly store: EventStore;
  readonly readStore: ReadStore;
  readonly observability: ObservabilityReader;
  /** The last log position the read models of this process applied. */
  readonly projectionPosition: () => bigint | undefined;
  /** How many events the read models of this process set aside (projections/operations/parkedEvents.ts). */
  readonly parkedEvents: () => number;
  /** Whether this process runs the data-plane supervisor (worker restarts are counted where they happen). */
  readonly runtime: boolean;
}

export interface PlatformMetrics {
  /** Counted by the supervisor each time it restarts a crashed worker; undefined without a runtime. */
  readonly workerRestarts: Counter | undefined;
}

/** The projection lag is counted by reading the events past the checkpoint, up to this many. */
export const PROJECTION_LAG_CAP = 10_000;

const pipelineSamples = (all: readonly PipelineMetrics[], read: (metrics: PipelineMetrics) => number): Sample<'pipeline_id'>[] =>
  all.map((metrics) => ({ labels: { pipeline_id: metrics.pipeline_id }, value: read(metrics) }));

/**
 * The platform's metrics, added to the composition root's registry: per-pipeline counters and
 * lag read from the observability store on scrape (summed over every runtime, as
 * `latency-informations` answers them), the projection lag, worker restarts. The registry
 * brings the process metrics; HTTP request durations are added by the API
 * (`http/operations/metricsRoute.ts`).
 */
export function platformMetrics(registry: Registry, deps: PlatformMetricsDeps): PlatformMetrics {
  // One read of every pipeline a runtime reported on, shared by the families of one scrape.
  let current: Promise<PipelineMetrics[]> | undefined;
  const pipelines = (): Promise<PipelineMetrics[]> => {
    current ??= (async () => {
      const counts = await deps.readStore.countBy(RUNTIME_METRICS, 'pipeline_id');
      const ids = Object.keys(counts)
        .filter((id) => id !== 'null')
        .sort();
      return Promise.all(ids.map((id) => deps.observability.pipelineMetrics(id)));
    })().finally(() => {
      // Every family of a scrape asked before this settles; the next scrape reads afresh.
      current = undefined;
    });
    return current;
  };
  const perPipeline = (name: string, help: string, type: 'counter' | 'gauge', read: (metrics: PipelineMetrics) => number) =>
    scrapedFamily(registry, { name, help, type, labelNames: ['pipeline_id'], read: async () => pipelineSamples(await pipelines(), read) });
  perPipeline(
    'popsink_pipeline_messages_in_total',
    'Messages a pipeline consumed from its source, summed over its subscriptions and runtimes.',
    'counter',
    (m) => m.messages_in,
  );
  perPipeline('popsink_pipeline_messages_out_total', 'Rows or messages a pipeline wrote to its target.', 'counter', (m) => m.messages_out);
  perPipeline('popsink_pipeline_errors_total', 'Messages a pipeline sent to its error table.', 'counter', (m) => m.errors);
  perPipeline(
    'popsink_pipeline_lag_messages',
    'Messages of the source topic a pipeline has not consumed yet (all partitions).',
    'gauge',
    (m) => m.lag_total,
  );
  scrapedFamily(registry, {
    name: 'popsink_pipeline_latency_seconds',
    help: 'End-to-end latency percentiles of a pipeline over its recent window (absent without recent traffic).',
    type: 'gauge',
    labelNames: ['pipeline_id', 'quantile'],
    read: async () =>
      (await pipelines()).flatMap((metrics) =>
        (
          [
            ['0.5', metrics.p50_ms],
            ['0.95', metrics.p95_ms],
            ['0.99', metrics.p99_ms],
          ] as const
        ).flatMap(([quantile, ms]) => (ms === null ? [] : [{ labels: { pipeline_id: metrics.pipeline_id, quantile }, value: ms / 1000 }])),
      ),
  });

  scrapedFamily(registry, {
    name: 'popsink_projection_lag_events',
    help: `Events in the log past the read models' checkpoint (counted up to ${PROJECTION_LAG_CAP}).`,
    type: 'gauge',
    labelNames: [],
    read: async () => {
      const applied = deps.projectionPosition();
      const behind = await deps.store.readAll(applied === undefined ? 'start' : { after: applied }, PROJECTION_LAG_CAP);
      return [{ labels: {}, value: behind.length }];
    },
  });
  scrapedFamily(registry, {
    name: 'popsink_projection_parked_events',
    help: 'Events no read model could be written from, set aside so that the others go on; a rebuild tries them again.',
    type: 'gauge',
    labelNames: [],
    read: async () => [{ labels: {}, value: deps.parkedEvents() }],
  });
  scrapedFamily(registry, {
    name: 'popsink_projection_position',
    help: 'Log position of the last event the read models applied (-1 before the first).',
    type: 'gauge',
    labelNames: [],
    read: async () => {
      const applied = deps.projectionPosition();
      return [{ labels: {}, value: applied === undefined ? -1 : Number(applied) }];
    },
  });

  const pipelineDocs = pipelineDocuments(deps.readStore);
  scrapedFamily(registry, {
    name: 'popsink_pipelines',
    help: 'Pipelines by state, as the read models hold them (every state, 0 included).',
    type: 'gauge',
    labelNames: ['state'],
    read: async () => {
      const counts = await pipelineDocs.countBy('state');
      return Object.keys(PipelineStateName.keys).map((state) => ({ labels: { state }, value: counts[state] ?? 0 }));
    },
  });
  scrapedFamily(registry, {
    name: 'popsink_pipeline_in_error',
    help: 'One series (value 1) per pipeline in the error state: the one that alerting names.',
    type: 'gauge',
    labelNames: ['pipeline_id'],
    read: async () =>
      (await pipelineDocs.find({ where: { state: 'error' }, limit: 10_000 })).items.map((pipeline) => ({
        labels: { pipeline_id: pipeline.id },
        value: 1,
      })),
  });

  const workerRestarts = deps.runtime
    ? new Counter({
        name: 'popsink_worker_restarts_total',
        help: 'Crashed worker processes the supervisor of this process restarted.',
        registers: [registry],
      })
    : undefined;

  // prom-client's nodejs_heap_size_used_bytes says the same; this is the name README documents.
  scrapedFamily(registry, {
    name: 'nodejs_heap_used_bytes',
    help: 'V8 heap in use, in bytes.',
    type: 'gauge',
    labelNames: [],
    read: async () => [{ labels: {}, value: process.memoryUsage().heapUsed }],
  });

  return { workerRestarts };
}
