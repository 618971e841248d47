import { randomUUID } from 'node:crypto';
import { notFound } from '../../domain/errors';
import { DomainFailure, ValidationFailure } from '../../domain/failures';
import { validatePipelineName, type PipelineSettings, type PipelineState, type SubscriptionSettings } from '../../domain/pipeline/pipeline';
import { connectorNameKey, connectors, pipelines } from '../aggregates';
import { connectorOfTeam, resolveConnector, type ConnectorDeps, type PipelineConnector, type Side } from '../connector/connectorService';
import { execute, stateOf, type ServiceDeps } from '../execute';
import type { CommandContext } from '../handleCommand';
import { holderOf } from '../reservations';
import type { Configuration, FlatFields, PipelineCreate, PipelinePatch } from './pipelineBodies';
import { DATAMODEL_FIELDS, datamodelFrom, SUBSCRIPTION_FIELDS, subscriptionFrom } from './pipelineFields';

/**
 * Refuses a mapper whose columns the target's live table cannot take (a 422 at the mapper's
 * field); the data plane implements it, because only it opens the target.
 */
export type MapperCheck = (pipelineName: string, next: PipelineSettings, stored: PipelineSettings) => Promise<void>;

export interface PipelineDeps extends ConnectorDeps {
  readonly checkMapper: MapperCheck;
}

type ExistingPipeline = Extract<PipelineState, { status: 'exists' }>;

/** How often a PATCH is merged again onto settings another edit changed meanwhile. */
const PATCH_ATTEMPTS = 5;

/** The `{subscription_x: v}` fields a body gives, as `{x: v}`. */
const unprefixed = (body: FlatFields, prefix: string, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(body)
      .filter(([key, value]) => key.startsWith(prefix) && fields.includes(key.slice(prefix.length)) && value !== undefined)
      .map(([key, value]): [string, unknown] => [key.slice(prefix.length), value]),
  );

/** Whether a body names or configures a pipeline's source or target connector. */
const touchesConnector = (body: FlatFields, side: Side): boolean =>
  [`existing_${side}_id`, `${side}_name`, `${side}_type`, `${side}_config`].some(
    (field) => (body as Record<string, unknown>)[field] !== undefined,
  );

/** The pipeline's current state from its stream; 404 when it is gone. */
export async function existingPipeline(deps: ServiceDeps, pipelineId: string): Promise<ExistingPipeline> {
  const state = await stateOf(deps, pipelines, pipelineId);
  if (state.status !== 'exists') throw new DomainFailure(notFound('PIPELINE_NOT_FOUND'));
  return state;
}

/**
 * Builds the settings a body asks for, on top of what is stored (nothing, for a create), and
 * says whether it edited a connector the pipeline keeps (a new version all the same). The
 * subscription and datamodel are validated first, so that a refused body edits nothing.
 */
async function settingsFrom(
  deps: PipelineDeps,
  context: CommandContext,
  teamId: string,
  body: FlatFields,
  stored?: PipelineSettings,
): Promise<{ settings: PipelineSettings; connectorEdited: boolean }> {
  const first = await subscriptionFrom(
    deps,
    teamId,
    unprefixed(body, 'subscription_', SUBSCRIPTION_FIELDS),
    stored?.subscriptions[0],
    (field) => ['body', `subscription_${field}`],
  );
  const datamodel = await datamodelFrom(deps, teamId, unprefixed(body, 'datamodel_', DATAMODEL_FIELDS), stored?.datamodel, (field) => [
    'body',
    `datamodel_${field}`,
  ]);
  const side = async (name: Side): Promise<PipelineConnector & { readonly edited: boolean }> => {
    const current =
      stored === undefined
        ? undefined
        : name === 'source'
          ? { connectorId: stored.sourceConnectorId, created: stored.ownsSource }
          : { connectorId: stored.targetConnectorId, created: stored.ownsTarget };
    if (current !== undefined && !touchesConnector(body, name)) return { ...current, edited: false };
    const flat = body as Record<string, unknown>;
    const choice = {
      existingId: flat[`existing_${name}_id`] as string | null | undefined,
      name: flat[`${name}_name`] as string | null | undefined,
      type: flat[`${name}_type`] as string | null | undefined,
      config: flat[`${name}_config`],
    };
    return resolveConnector(deps, context, teamId, name, choice, current);
  };
  const [source, target] = await Promise.all([side('source'), side('target')]);
  const settings = {
    sourceConnectorId: source.connectorId,
    targetConnectorId: target.connectorId,
    ownsSource: source.created,
    ownsTarget: target.created,
    subscriptions: [first, ...(stored?.subscriptions.slice(1) ?? [])],
    datamodel,
  };
  return { settings, connectorEdited: source.edited || target.edited };
}

/** Creates a pipeline with the connectors its body creates; a refused pipeline takes them along. Answers its id. */
export async function createPipeline(deps: PipelineDeps, context: CommandContext, body: PipelineCreate): Promise<string> {
  // Refused before any connector is created, so that a bad name leaves nothing behind.
  const badName = validatePipelineName(body.name);
  if (badName !== undefined) throw new DomainFailure(badName);
  const pipelineId = randomUUID();
  const { settings } = await settingsFrom(deps, context, body.team_id, body);
  try {
    await execute(deps, context, pipelines, pipelineId, {
      type: 'CreatePipeline',
      pipelineId,
      teamId: body.team_id,
      name: body.name,
      settings,
    });
  } catch (refused) {
    const created = [
      settings.ownsSource ? settings.sourceConnectorId : undefined,
      settings.ownsTarget ? settings.targetConnectorId : undefined,
    ];
    for (const connectorId of created) {
      if (connectorId !== undefined) await execute(deps, context, connectors, connectorId, { type: 'DeleteConnector' });
    }
    throw refused;
  }
  return pipelineId;
}

/**
 * A PATCH that leaves the connectors alone changes only the fields it sends: when another edit
 * lands between the read and the append (PIPELINE_CHANGED), it is merged again onto the
 * settings the log holds then. One that creates or edits a connector is not replayed: that
 * would do it twice.
 */
export async function updatePipeline(deps: PipelineDeps, context: CommandContext, pipelineId: string, body: PipelinePatch): Promise<void> {
  const mergeable = !touchesConnector(body, 'source') && !touchesConnector(body, 'target');
  for (let attempt = 1; ; attempt++) {
    const stored = await existingPipeline(deps, pipelineId);
    const { settings, connectorEdited } = await settingsFrom(deps, context, stored.teamId, body, stored.settings);
    // Once (a retry merges the same mapper), and not after a connector edit, which a 422 would not undo.
    if (attempt === 1 && mergeable && body.subscription_mapper_config != null)
      await deps.checkMapper(body.name ?? stored.name, settings, stored.settings);
    try {
      await execute(deps, context, pipelines, pipelineId, {
        type: 'UpdatePipeline',
        ...(body.name !== undefined ? { name: body.name } : {}),
        settings,
        basedOnVersion: stored.version,
        connectorEdited,
      });
      return;
    } catch (error: unknown) {
      const changed = error instanceof DomainFailure && error.error.code === 'PIPELINE_CHANGED';
      if (!changed || !mergeable || attempt === PATCH_ATTEMPTS) throw error;
    }
  }
}

/**
 * Imports a portable configuration into a pipeline: its connectors are found by name in the
 * pipeline's team (they carry the secrets, which a configuration never does). The i-th
 * subscription keeps the id and consumer group of the pipeline's i-th, so that an import over
 * a running pipeline resumes from its offsets.
 */
export async function importConfiguration(
  deps: PipelineDeps,
  context: CommandContext,
  pipelineId: string,
  configuration: Configuration,
): Promise<void> {
  const stored = await existingPipeline(deps, pipelineId);
  const { teamId } = stored;
  const byName = async (side: Side): Promise<string> => {
    const wanted = configuration[side];
    const missing = () =>
      new ValidationFailure([
        {
          loc: ['body', side, 'name'],
          msg: `no ${wanted.type} connector named ${wanted.name} in this team`,
          type: 'value_error.connector_not_found',
        },
      ]);
    const connectorId = await holderOf(deps.commands, connectorNameKey(teamId, wanted.name));
    const connector = connectorId === null ? undefined : await stateOf(deps, connectors, connectorId);
    if (connectorId === null || connector?.status !== 'exists' || connector.connectorType !== wanted.type) throw missing();
    await connectorOfTeam(deps, connectorId, teamId, side, ['body', side, 'type']);
    return connectorId;
  };
  if (configuration.subscriptions.length === 0)
    throw new ValidationFailure([{ loc: ['body', 'subscriptions'], msg: 'at least one subscription', type: 'value_error.list.min_items' }]);
  const subscriptions: SubscriptionSettings[] = [];
  for (const [index, fields] of configuration.subscriptions.entries()) {
    const own = stored.settings.subscriptions[index];
    const base = own === undefined ? undefined : { id: own.id, consumer_id: own.consumer_id, backfill: false, mapper_config: [] };
    subscriptions.push(await subscriptionFrom(deps, teamId, fields, base, (field) => ['body', 'subscriptions', index, field]));
  }
  const settings: PipelineSettings = {
    sourceConnectorId: await byName('source'),
    targetConnectorId: await byName('target'),
    ownsSource: false,
    ownsTarget: false,
    subscriptions,
    datamodel: await datamodelFrom(deps, teamId, configuration.datamodel, { id: stored.settings.datamodel.id }, (field) => [
      'body',
      'datamodel',
      field,
    ]),
  };
  await execute(deps, context, pipelines, pipelineId, { type: 'UpdatePipeline', settings, basedOnVersion: stored.version });
}
