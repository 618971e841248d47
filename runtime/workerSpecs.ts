import { isSealed, type SecretBox } from '../infrastructure/crypto/secretBox';
import { secretFieldsOf } from '../domain/connector/connectorConfig';
import type { ConnectorDoc } from '../projections/connector/connectorsView';
import { settingsOf, type PipelineDoc } from '../projections/pipeline/pipelinesView';
import type { ReadModels } from '../projections/readModels';
import { DEFAULT_FEED, type WorkerConnector, type WorkerSpec } from './worker/workerSpec';

/** States in which a pipeline's workers run (an `error` one keeps retrying what is transient). */
export const RUNNING_STATES = ['building', 'live', 'error'] as const;

/** The read models a worker's spec is built from. */
export type WorkerViews = Pick<ReadModels, 'pipelines' | 'subscriptions' | 'connectors' | 'teams' | 'envs'>;

export interface SpecOptions {
  readonly runtimeId: string;
  readonly retryWindowMs: number;
}

/** A connector's config with its secrets opened: only ever handed to a worker, over IPC. */
export function openConnector(doc: ConnectorDoc | undefined, secrets: SecretBox): WorkerConnector | undefined {
  if (doc === undefined) return undefined;
  const type = doc.connector_type;
  const config = { ...doc.config };
  for (const field of secretFieldsOf(type, config)) {
    const value = config[field];
    if (typeof value === 'string' && isSealed(value)) config[field] = secrets.open(value);
  }
  return { type, config };
}

/** The env's retention for topics the platform creates, when the env uses retention. */
async function retentionOf(views: WorkerViews, teamId: string): Promise<WorkerSpec['retention']> {
  const team = await views.teams.get(teamId);
  const env = team === undefined ? undefined : await views.envs.get(team.env_id);
  if (env?.use_retention !== true) return null;
  const { retention_ms, retention_bytes } = env.retention_configuration ?? {};
  return {
    ...(typeof retention_ms === 'number' ? { retention_ms } : {}),
    ...(typeof retention_bytes === 'number' ? { retention_bytes } : {}),
  };
}

/**
 * Every worker that should run now, from the read models: one per subscription of a running
 * pipeline that was not paused on its own. A pipeline whose connectors are gone gets none.
 */
export async function desiredWorkerSpecs(views: WorkerViews, secrets: SecretBox, options: SpecOptions): Promise<WorkerSpec[]> {
  const running = await views.pipelines.find({ where: { state: [...RUNNING_STATES] }, limit: 100_000 });
  const specs: WorkerSpec[] = [];
  for (const pipeline of running.items) {
    const paused = new Set(
      (await views.subscriptions.find({ where: { pipeline_id: pipeline.id, paused: true }, limit: 10_000 })).items.map((doc) => doc.id),
    );
    specs.push(...(await workerSpecsOf(views, secrets, pipeline, options)).filter((spec) => !paused.has(spec.subscriptionId)));
  }
  return specs;
}

/**
 * What a worker of each subscription of `pipeline` runs with, whatever the pipeline's state and
 * whether a subscription is paused: the supervisor runs those that should run, the error-row
 * replay re-runs rows exactly as they would. None when its connectors are gone or it has no
 * source topic.
 */
export async function workerSpecsOf(
  views: WorkerViews,
  secrets: SecretBox,
  pipeline: PipelineDoc,
  options: SpecOptions,
): Promise<WorkerSpec[]> {
  const specs: WorkerSpec[] = [];
  const settings = settingsOf(pipeline);
  const source = openConnector(await views.connectors.get(settings.sourceConnectorId), secrets);
  const target = openConnector(await views.connectors.get(settings.targetConnectorId), secrets);
  if (source === undefined || target === undefined) return [];
  const topic = settings.datamodel.source_topic ?? (typeof source.config['topic'] === 'string' ? source.config['topic'] : undefined);
  if (topic === undefined) return [];
  const retention = await retentionOf(views, pipeline.team_id);
  for (const subscription of settings.subscriptions) {
    // The subscription's error table, else the datamodel's; on the pipeline's target unless another is named.
    const errorSettings =
      subscription.error_table_enabled === true
        ? subscription
        : settings.datamodel.error_table_enabled === true
          ? settings.datamodel
          : undefined;
    const errorConnector =
      errorSettings?.error_table_target_id == null
        ? target
        : openConnector(await views.connectors.get(errorSettings.error_table_target_id), secrets);
    specs.push({
      pipelineId: pipeline.id,
      subscriptionId: subscription.id,
      version: pipeline.version,
      source,
      topic,
      groupId: subscription.consumer_id,
      backfill: subscription.backfill,
      target,
      tableName: subscription.target_table_name ?? pipeline.name,
      mapper: subscription.mapper_config,
      errorTable:
        errorSettings?.error_table_name == null || errorConnector === undefined
          ? null
          : { target: errorConnector, name: errorSettings.error_table_name },
      feed: {
        envelope: subscription.envelope ?? DEFAULT_FEED.envelope,
        deleteOnTombstone: subscription.delete_on_tombstone ?? DEFAULT_FEED.deleteOnTombstone,
        schemaEvolution: subscription.schema_evolution ?? DEFAULT_FEED.schemaEvolution,
        errorTolerance: subscription.error_tolerance ?? DEFAULT_FEED.errorTolerance,
        errorToleranceWindow: subscription.error_tolerance_window ?? DEFAULT_FEED.errorToleranceWindow,
      },
      transactionalId:
        subscription.exactly_once === true && target.type === 'KAFKA_TARGET' ? `popsink-${subscription.id}-${options.runtimeId}` : null,
      retryWindowMs: options.retryWindowMs,
      retention,
      labels: {
        datamodelId: settings.datamodel.id,
        connectorIds: [
          ...new Set([
            settings.sourceConnectorId,
            settings.targetConnectorId,
            ...(errorSettings?.error_table_target_id == null ? [] : [errorSettings.error_table_target_id]),
          ]),
        ],
      },
    });
  }
  return specs;
}
