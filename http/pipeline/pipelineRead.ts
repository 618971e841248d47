import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import type { ConnectorDoc } from '../../projections/connector/connectorsView';
import type { PipelineDoc } from '../../projections/pipeline/pipelinesView';
import type { ReadModels } from '../../projections/readModels';
import { DATAMODEL_FIELDS, SUBSCRIPTION_FIELDS } from '../../commands/pipeline/pipelineFields';
import { CONFIGURATION_FORMAT } from '../../commands/pipeline/pipelineBodies';
import type { SubscriptionSettings } from '../../domain/pipeline/pipeline';
import type { Caller } from '../auth';
import { maskedConfig } from '../connector/connectorRead';
import type { Guard, Need } from '../guard';

type Side = 'source' | 'target';

const flatten = (prefix: string, values: object | undefined, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(fields.map((field) => [`${prefix}${field}`, (values as Record<string, unknown> | undefined)?.[field] ?? null]));

const side = (name: Side, connector: ConnectorDoc | undefined, owned: boolean) => ({
  [`existing_${name}_id`]: owned ? null : (connector?.id ?? null),
  [`${name}_name`]: connector?.name ?? null,
  [`${name}_type`]: connector?.connector_type ?? null,
  [`${name}_config`]: connector === undefined ? null : maskedConfig(connector),
});

/** The pipeline's two connectors, as the read models hold them now (undefined once deleted). */
export const connectorsOf = (views: ReadModels, doc: PipelineDoc) =>
  Promise.all([views.connectors.get(doc.source_connector_id), views.connectors.get(doc.target_connector_id)]);

/** The contract's read shape: every flattened field, connectors resolved, secrets masked. */
export async function pipelineRead(views: ReadModels, doc: PipelineDoc) {
  const [team, [source, target]] = await Promise.all([views.teams.get(doc.team_id), connectorsOf(views, doc)]);
  return {
    id: doc.id,
    name: doc.name,
    state: doc.state,
    version: doc.version,
    error_reason: doc.error_reason,
    team_id: doc.team_id,
    team_name: team?.name ?? null,
    ...side('source', source, doc.owns_source),
    ...side('target', target, doc.owns_target),
    datamodel_id: doc.datamodel_id,
    ...flatten('datamodel_', doc.datamodel, DATAMODEL_FIELDS),
    ...flatten('subscription_', doc.subscriptions[0], SUBSCRIPTION_FIELDS),
    created_at: doc.created_at,
    updated_at: doc.updated_at,
  };
}

/** What the workers of this version run with, secrets masked. */
export async function workerConfigRead(views: ReadModels, doc: PipelineDoc) {
  const [source, target] = await connectorsOf(views, doc);
  const connector = (c: ConnectorDoc | undefined) =>
    c === undefined ? null : { id: c.id, type: c.connector_type, config: maskedConfig(c) };
  return {
    pipeline_id: doc.id,
    version: doc.version,
    source: connector(source),
    target: connector(target),
    source_topic: doc.datamodel.source_topic ?? (source === undefined ? undefined : maskedConfig(source)['topic']) ?? null,
    // One worker per subscription, each with a consumer group of its own, so that two
    // subscriptions reading one topic never share offsets.
    subscriptions: doc.subscriptions.map((subscription) => ({
      id: subscription.id,
      consumer_group: subscription.consumer_id,
      target_table: subscription.target_table_name ?? null,
      backfill: subscription.backfill,
      mapper: subscription.mapper_config,
    })),
  };
}

/** A subscription as a portable configuration carries it: no id, no consumer group (both belong to one pipeline). */
const portableSubscription = ({ id: _id, consumer_id: _consumer, ...rest }: SubscriptionSettings) => rest;

/** The portable configuration of a pipeline: connectors by name and type, secrets masked, no ids. */
export async function configurationRead(views: ReadModels, doc: PipelineDoc) {
  const [source, target] = await connectorsOf(views, doc);
  const portable = (c: ConnectorDoc | undefined) => ({
    name: c?.name ?? null,
    type: c?.connector_type ?? null,
    config: c === undefined ? null : maskedConfig(c),
  });
  const { id: _id, ...datamodel } = doc.datamodel;
  return {
    format: CONFIGURATION_FORMAT,
    name: doc.name,
    source: portable(source),
    target: portable(target),
    subscriptions: doc.subscriptions.map(portableSubscription),
    datamodel,
  };
}

/** A pipeline the caller may `need` (404 when absent, 403 when not theirs). */
export async function pipelineFor(views: ReadModels, guard: Guard, caller: Caller, id: string, need: Need): Promise<PipelineDoc> {
  const doc = await views.pipelines.get(id);
  if (doc === undefined) throw new DomainFailure(notFound('PIPELINE_NOT_FOUND'));
  await guard.team(caller, doc.team_id, need);
  return doc;
}

/** The teams whose pipelines the caller sees (optionally one of them), as a `where` on `team_id`. */
export async function visibleTeams(guard: Guard, caller: Caller, teamId: string | undefined): Promise<{ team_id?: string | string[] }> {
  const ids = await guard.visibleTeamIds(caller);
  if (ids === undefined) return teamId === undefined ? {} : { team_id: teamId };
  return { team_id: teamId === undefined ? ids : ids.filter((id) => id === teamId) };
}
