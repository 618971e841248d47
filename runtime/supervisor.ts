import { randomUUID } from 'node:crypto';
import type { EventStore } from '../commands/eventstore/eventStore';
import type { CommandDeps } from '../commands/handleCommand';
import { handleKeyedCommand } from '../commands/keyedCommand';
import { pipelines } from '../commands/aggregates';
import type { SecretBox } from '../infrastructure/crypto/secretBox';
import type { PipelineCommand } from '../domain/pipeline/pipeline';
import type { WorkerViews } from './workerSpecs';
import type { Logger } from '../infrastructure/logger';
import type { ObservabilityStore } from './observability/observabilityStore';
import type { WorkerReport } from './observability/workerReport';
import type { SpawnWorker, WorkerHandle } from './worker/workerHandle';
import type { WorkerSpec } from './worker/workerSpec';
import { desiredWorkerSpecs } from './workerSpecs';

export interface SupervisorDeps {
  readonly store: EventStore;
  readonly views: WorkerViews;
  /** Resolves once the read models reflect the log up to a position. */
  readonly waitFor: (position: bigint) => Promise<void>;
  readonly commands: CommandDeps;
  readonly secrets: SecretBox;
  readonly spawn: SpawnWorker;
  readonly observability: ObservabilityStore;
  readonly logger: Logger;
  readonly runtimeId: string;
  readonly retryWindowMs: number;
  /** A safety net besides reacting to events: how often the desired workers are recomputed. */
  readonly reconcileIntervalMs?: number;
  /** Counts the crashed workers restarted (the `popsink_worker_restarts_total` metric). */
  readonly workerRestarts?: { inc(): void } | undefined;
}

interface Running {
  readonly spec: WorkerSpec;
  readonly fingerprint: string;
  readonly handle: WorkerHandle;
  live: boolean;
  stopping: boolean;
}

const RESTART_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000];
const LIFECYCLE_EVENT = /^(Pipeline|Subscription|Connector|Env)/;

/**
 * Runs one isolated worker per running subscription and keeps that set equal to what the read
 * models ask for: it reconciles after every lifecycle event (and periodically), starting what is
 * missing, stopping what is no longer wanted, and restarting a worker whose spec changed (a new
 * pipeline version, a connector edit). Workers report back through commands: `live` once every
 * worker of the pipeline's version is, `error` with the reason a worker gives.
 */
export async function startSupervisor(deps: SupervisorDeps) {
  const running = new Map<string, Running>();
  /** Specs that failed for good: not retried until the spec changes. */
  const failedFingerprints = new Set<string>();
  const restarts = new Map<string, number>();
  let stopped = false;

  const dispatch = async (pipelineId: string, command: PipelineCommand) => {
    const outcome = await handleKeyedCommand(
      deps.commands,
      { actorId: `runtime:${deps.runtimeId}`, correlationId: randomUUID() },
      pipelines,
      pipelineId,
      command,
    );
    if (outcome._tag === 'Left' && outcome.left.code !== 'PIPELINE_NOT_FOUND')
      deps.logger.warn('runtime command refused', { pipelineId, command: command.type, code: outcome.left.code });
  };

  const keyOf = (spec: WorkerSpec) => ({ pipelineId: spec.pipelineId, connectorIds: spec.labels.connectorIds });

  const onReport = (worker: () => Running | undefined, spec: WorkerSpec) => (report: WorkerReport) => {
    switch (report.type) {
      case 'live': {
        const self = worker();
        if (self === undefined) return;
        self.live = true;
        const siblings = [...running.values()].filter((other) => other.spec.pipelineId === spec.pipelineId && !other.stopping);
        if (siblings.every((other) => other.live && other.spec.version === spec.version))
          void dispatch(spec.pipelineId, { type: 'MarkPipelineLive', version: spec.version });
        return;
      }
      case 'failed': {
        const self = worker();
        if (self !== undefined) self.live = false;
        if (!report.retrying && self !== undefined) failedFingerprints.add(self.fingerprint);
        void dispatch(spec.pipelineId, {
          type: 'MarkPipelineFailed',
          version: spec.version,
          reasonCode: report.code,
          reason: report.reason,
        });
        return;
      }
      case 'metrics':
        deps.observability.recordMetrics(
          { ...keyOf(spec), subscriptionId: spec.subscriptionId, datamodelId: spec.labels.datamodelId },
          report.metrics,
        );
        return;
      case 'log':
        deps.observability.appendLog(keyOf(spec), report.level, report.message, report.ts);
        return;
    }
  };

  const start = (spec: WorkerSpec, fingerprint: string) => {
    // A report can arrive while spawn runs, before `self` is set: the reader sees undefined then.
    // eslint-disable-next-line prefer-const
    let self: Running | undefined;
    const handle = deps.spawn(
      spec,
      onReport(() => self, spec),
    );
    self = { spec, fingerprint, handle, live: false, stopping: false };
    running.set(spec.subscriptionId, self);
    deps.logger.info('worker started', { pipelineId: spec.pipelineId, subscriptionId: spec.subscriptionId, version: spec.version });
    void handle.ended.then(({ crashed, detail }) => {
      if (running.get(spec.subscriptionId) === self) running.delete(spec.subscriptionId);
      if (!crashed || stopped || self?.stopping || failedFingerprints.has(fingerprint)) return;
      const count = (restarts.get(spec.subscriptionId) ?? 0) + 1;
      restarts.set(spec.subscriptionId, count);
      deps.workerRestarts?.inc();
      const delay = RESTART_DELAYS_MS[Math.min(count - 1, RESTART_DELAYS_MS.length - 1)] ?? 30_000;
      const message = `worker crashed (${detail}); restart #${count} in ${delay} ms`;
      deps.logger.warn(message, { pipelineId: spec.pipelineId, subscriptionId: spec.subscriptionId });
      deps.observability.appendLog(keyOf(spec), 'error', message);
      setTimeout(() => void reconcile(), delay).unref();
    });
  };

  const stopWorker = async (worker: Running) => {
    worker.stopping = true;
    await worker.handle.stop();
    if (running.get(worker.spec.subscriptionId) === worker) running.delete(worker.spec.subscriptionId);
  };

  let reconciling: Promise<void> = Promise.resolve();
  let again = false;
  /** Brings the running workers to the desired set; calls during a pass queue one more pass. */
  const reconcile = (): Promise<void> => {
    if (again) return reconciling;
    again = true;
    reconciling = reconciling.then(async () => {
      again = false;
      if (stopped) return;
      try {
        const desired = await desiredWorkerSpecs(deps.views, deps.secrets, {
          runtimeId: deps.runtimeId,
          retryWindowMs: deps.retryWindowMs,
        });
        const wanted = new Map(desired.map((spec) => [spec.subscriptionId, { spec, fingerprint: JSON.stringify(spec) }]));
        const stops: Promise<void>[] = [];
        for (const worker of running.values()) {
          const next = wanted.get(worker.spec.subscriptionId);
          if (next?.fingerprint === worker.fingerprint) continue;
          if (next === undefined) deps.observability.forgetSubscription(worker.spec.subscriptionId);
          stops.push(stopWorker(worker));
        }
        await Promise.all(stops);
        // A spec that failed for good is tried again once it was wanted no more: pausing and
        // starting the pipeline (after fixing the table, say) is how a user says "try again".
        const wantedFingerprints = new Set([...wanted.values()].map(({ fingerprint }) => fingerprint));
        for (const fingerprint of failedFingerprints) if (!wantedFingerprints.has(fingerprint)) failedFingerprints.delete(fingerprint);
        for (const { spec, fingerprint } of wanted.values()) {
          if (!running.has(spec.subscriptionId) && !failedFingerprints.has(fingerprint)) start(spec, fingerprint);
        }
      } catch (error) {
        deps.logger.error('reconcile failed; retrying at the next event or tick', { error: String(error) });
      }
    });
    return reconciling;
  };

  // Lifecycle events: reconcile once the read models show them.
  const head = await deps.store.headPosition();
  const subscription = deps.store.subscribeToAll(head === undefined ? 'start' : { after: head }, async (batch) => {
    const last = [...batch].reverse().find((event) => LIFECYCLE_EVENT.test(event.type));
    if (last === undefined) return;
    await deps.waitFor(last.position).catch(() => undefined);
    void reconcile();
  });
  const tick = setInterval(() => void reconcile(), deps.reconcileIntervalMs ?? 5000);
  tick.unref();
  if (head !== undefined) await deps.waitFor(head);
  const flushTick = setInterval(
    () => void deps.observability.flush().catch((error) => deps.logger.warn('observability flush failed', { error: String(error) })),
    1000,
  );
  flushTick.unref();
  await reconcile();

  return {
    reconcile,
    /** The workers running now (for tests and health). */
    workers: () =>
      [...running.values()].map(({ spec, live }) => ({
        pipelineId: spec.pipelineId,
        subscriptionId: spec.subscriptionId,
        version: spec.version,
        live,
      })),
    async stop() {
      stopped = true;
      clearInterval(tick);
      clearInterval(flushTick);
      await subscription.stop();
      await reconciling;
      await Promise.all([...running.values()].map(stopWorker));
      await deps.observability.flush().catch(() => undefined);
    },
  };
}

export type Supervisor = Awaited<ReturnType<typeof startSupervisor>>;
