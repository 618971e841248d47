import { isSealed, type SecretBox } from '../infrastructure/crypto/secretBox';
import { ConnectorType, secretFieldsOf } from '../domain/connector/connectorConfig';
import { CONNECTORS, ENVS, PIPELINES, SUBSCRIPTIONS, TEAMS } from '../projections/collections';
import { settingsOfDoc } from '../projections/pipeline/pipelinesView';
import type { Doc, ReadStore } from '../projections/readStore';
import { DEFAULT_FEED, type WorkerConnector, type WorkerSpec } from './worker/workerSpec';

/** States in which a pipeline's workers run (an `error` one keeps retrying what is transient). */
export const RUNNING_STATES = ['building', 'live', 'error'] as const;

export interface SpecOptions {
  readonly runtimeId: string;
  readonly retryWindowMs: number;
}

/** A connector's config with its secrets opened: only ever handed to a worker, over IPC. */
export function openConnector(doc: Doc | undefined, secrets: SecretBox): WorkerConnector | undefined {
  const type = doc?.['connector_type'];
  if (doc === undefined || !ConnectorType.is(type)) return undefined;
  const config = { ...((doc['config'] ?? {}) as Record<string, unknown>) };
  for (const field of secretFieldsOf(type, config)) {
    const value = config[field];
    if (typeof value === 'string' && isSealed(value)) config[field] = secrets.open(value);
  }
  return { type, config };
}

/** The env's retention for topics the platform creates, when the env uses retention. */
async function retentionOf(readStore: ReadStore, teamId: string): Promise<WorkerSpec['retention']> {
  const team = await readStore.get(TEAMS, teamId);
  const env = team === undefined ? undefined : await readStore.get(ENVS, String(team['env_id']));
  if (env?.['use_retention'] !== true) return null;
  const configured = (env['retention_configuration'] ?? {}) as Record<string, unknown>;
  const retention: { retention_ms?: number; retention_bytes?: number } = {};
  if (typeof configured['retention_ms'] === 'number') retention.retention_ms = configured['retention_ms'];
  if (typeof configured['retention_bytes'] === 'number') retention.retention_bytes = configured['retention_bytes'];
  return retention;
}

/**
 * Every worker that should run now, from the read models: one per subscription of a running
 * pipeline that was not paused on its own. A pipeline whose connectors are gone gets none.
 */
export async function desiredWorkerSpecs(readStore: ReadStore, secrets: SecretBox, options: SpecOptions): Promise<WorkerSpec[]> {
  const running = await readStore.find(PIPELINES, { where: { state: [...RUNNING_STATES] }, limit: 100_000 });
  const specs: WorkerSpec[] = [];
  for (const pipeline of running.items) {
    const paused = new Set((await readStore.find(SUBSCRIPTIONS, { where: { pipeline_id: pipeline.id, paused: true }, limit: 10_000 })).items.map((doc) => doc.id));
    specs.push(...(await workerSpecsOf(readStore, secrets, pipeline, options)).filter((spec) => !paused.has(spec.subscriptionId)));
  }
  return specs;
}

/**
 * What a worker of each subscription of `pipeline` runs with, whatever the pipeline's state and
 * whether a subscription is paused: the supervisor runs those that should run, the error-row
 * replay re-runs rows exactly as they would. None when its connectors are gone or it has no
 * source topic.
 */
export async function workerSpecsOf(readStore: ReadStore, secrets: SecretBox, pipeline: Doc, options: SpecOptions): Promise<WorkerSpec[]> {
  const specs: WorkerSpec[] = [];
  const settings = settingsOfDoc(pipeline);
  const source = openConnector(await readStore.get(CONNECTORS, settings.sourceConnectorId), secrets);
  const target = openConnector(await readStore.get(CONNECTORS, settings.targetConnectorId), secrets);
  if (source === undefined || target === undefined) return [];
  const topic = settings.datamodel.source_topic ?? (typeof source.config['topic'] === 'string' ? source.config['topic'] : undefined);
  if (topic === undefined) return [];
  const retention = await retentionOf(readStore, String(pipeline['team_id']));
  for (const subscription of settings.subscriptions) {
    // The subscription's error table, else the datamodel's; on the pipeline's target unless another is named.
    const errorSettings = subscription.error_table_enabled === true ? subscription : settings.datamodel.error_table_enabled === true ? settings.datamodel : undefined;
    const errorConnector = errorSettings?.error_table_target_id == null ? target : openConnector(await readStore.get(CONNECTORS, errorSettings.error_table_target_id), secrets);
    specs.push({
      pipelineId: pipeline.id,
      subscriptionId: subscription.id,
      version: Number(pipeline['version']),
      source,
      topic,
      groupId: subscription.consumer_id,
      backfill: subscription.backfill,
      target,
      tableName: subscription.target_table_name ?? String(pipeline['name']),
      mapper: subscription.mapper_config,
      errorTable: errorSettings?.error_table_name == null || errorConnector === undefined ? null : { target: errorConnector, name: errorSettings.error_table_name },
      feed: {
        envelope: subscription.envelope ?? DEFAULT_FEED.envelope,
        deleteOnTombstone: subscription.delete_on_tombstone ?? DEFAULT_FEED.deleteOnTombstone,
        schemaEvolution: subscription.schema_evolution ?? DEFAULT_FEED.schemaEvolution,
        errorTolerance: subscription.error_tolerance ?? DEFAULT_FEED.errorTolerance,
        errorToleranceWindow: subscription.error_tolerance_window ?? DEFAULT_FEED.errorToleranceWindow,
      },
      transactionalId: subscription.exactly_once === true && target.type === 'KAFKA_TARGET' ? `popsink-${subscription.id}-${options.runtimeId}` : null,
      retryWindowMs: options.retryWindowMs,
      retention,
      labels: {
        datamodelId: settings.datamodel.id,
        connectorIds: [...new Set([settings.sourceConnectorId, settings.targetConnectorId, ...(errorSettings?.error_table_target_id == null ? [] : [errorSettings.error_table_target_id])])],
      },
    });
  }
  return specs;
}
