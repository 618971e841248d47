import * as t from 'io-ts';
import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import { ConnectorDoc } from '../../projections/connector/connectorsView';
import { PipelineDoc } from '../../projections/pipeline/pipelinesView';
import type { TeamDoc } from '../../projections/team/teamsView';
import type { ReadModels } from '../../projections/readModels';
import { DATAMODEL_FIELDS, SUBSCRIPTION_FIELDS } from '../../commands/pipeline/pipelineFields';
import { CONFIGURATION_FORMAT } from '../../commands/pipeline/pipelineBodies';
import { DatamodelSettings, SubscriptionSettings } from '../../domain/pipeline/pipeline';
import type { Caller } from '../auth';
import { maskedConfigOf } from '../connector/connectorRead';
import type { Guard, Need } from '../guard';
import { keptWhileUnchanged } from '../../projections/keptWhileUnchanged';
import { keptPerObject } from '../../infrastructure/memo/keptPerObject';

type Side = 'source' | 'target';

const flatten = (prefix: string, values: object | undefined, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(fields.map((field) => [`${prefix}${field}`, (values as Record<string, unknown> | undefined)?.[field] ?? null]));

const side = (name: Side, connector: ConnectorDoc | undefined, owned: boolean) => ({
  [`existing_${name}_id`]: owned ? null : (connector?.id ?? null),
  [`${name}_name`]: connector?.name ?? null,
  [`${name}_type`]: connector?.connector_type ?? null,
  [`${name}_config`]: connector === undefined ? null : maskedConfigOf(connector),
});

const orNull = (codec: t.Mixed): t.Mixed =>
  codec instanceof t.UnionType && (codec.types as readonly t.Mixed[]).includes(t.null) ? codec : t.union([codec, t.null]);

/** The props of a settings codec, an intersection of `t.type` and `t.partial` parts. */
const propsOf = (codec: { readonly types: readonly { readonly props: t.Props }[] }): t.Props =>
  Object.assign({}, ...codec.types.map((part) => part.props)) as t.Props;

/** The flattened fields as `flatten` renders them: each settings field under its prefix, null when unset. */
export const flattenedCodec = (prefix: string, settings: Parameters<typeof propsOf>[0], fields: readonly string[]) => {
  const props = propsOf(settings);
  return t.type(Object.fromEntries(fields.map((field) => [`${prefix}${field}`, orNull(props[field] ?? t.unknown)])));
};

const sideCodec = (name: Side) => {
  const props: t.Props = {
    [`existing_${name}_id`]: t.union([t.string, t.null]),
    [`${name}_name`]: t.union([t.string, t.null]),
    [`${name}_type`]: t.union([ConnectorDoc.props.connector_type, t.null]),
    [`${name}_config`]: t.union([ConnectorDoc.props.config, t.null]),
  };
  return t.type(props);
};

const { id, name, state, version, error_reason, team_id, datamodel_id, created_at, updated_at } = PipelineDoc.props;
/** The contract's pipeline read shape (see `pipelineRead`); connector configs with secrets masked. */
export const PipelineRead = t.intersection(
  [
    t.type({
      id,
      name,
      state,
      version,
      error_reason,
      team_id,
      team_name: t.union([t.string, t.null]),
      datamodel_id,
      created_at,
      updated_at,
    }),
    sideCodec('source'),
    sideCodec('target'),
    flattenedCodec('datamodel_', DatamodelSettings, DATAMODEL_FIELDS),
    flattenedCodec('subscription_', SubscriptionSettings, SUBSCRIPTION_FIELDS),
  ],
  'PipelineRead',
);
export type PipelineRead = t.TypeOf<typeof PipelineRead>;

/** The pipeline's two connectors, as the read models hold them now (undefined once deleted). */
export const connectorsOf = (views: ReadModels, doc: PipelineDoc) =>
  Promise.all([views.connectors.get(doc.source_connector_id), views.connectors.get(doc.target_connector_id)]);

// Dashboards list the same pipelines again and again: a rendering is kept for as long as the
// pipeline is the same document (the read models decode each stored version once, so an
// unchanged document is the same object) and no team or connector changed since.
const renderingsOf = keptPerObject((views: ReadModels) => keptWhileUnchanged<PipelineRead>([views.teams, views.connectors]));
const RENDERING = 'rendering';

/** The contract's read shape: every flattened field, connectors resolved, secrets masked. */
export function pipelineRead(views: ReadModels, doc: PipelineDoc): Promise<PipelineRead> {
  return renderingsOf(views).answer(doc, RENDERING, async () => {
    const [team, [source, target]] = await Promise.all([views.teams.get(doc.team_id), connectorsOf(views, doc)]);
    return render(doc, team, source, target);
  });
}

function render(
  doc: PipelineDoc,
  team: TeamDoc | undefined,
  source: ConnectorDoc | undefined,
  target: ConnectorDoc | undefined,
): PipelineRead {
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

const { connector_type, config } = ConnectorDoc.props;
const subscription = SubscriptionSettings.types[0].props;
const WorkerConnector = t.union([t.type({ id, type: connector_type, config }), t.null]);
/** What `workerConfigRead` renders. */
export const WorkerConfigRead = t.type(
  {
    pipeline_id: id,
    version,
    source: WorkerConnector,
    target: WorkerConnector,
    source_topic: t.union([t.string, t.null]),
    subscriptions: t.array(
      t.type({
        id: subscription.id,
        consumer_group: subscription.consumer_id,
        target_table: t.union([t.string, t.null]),
        backfill: subscription.backfill,
        mapper: subscription.mapper_config,
      }),
    ),
  },
  'WorkerConfigRead',
);

/** What the workers of this version run with, secrets masked. */
export async function workerConfigRead(views: ReadModels, doc: PipelineDoc): Promise<t.TypeOf<typeof WorkerConfigRead>> {
  const [source, target] = await connectorsOf(views, doc);
  const connector = (c: ConnectorDoc | undefined) =>
    c === undefined ? null : { id: c.id, type: c.connector_type, config: maskedConfigOf(c) };
  const configuredTopic = source === undefined ? undefined : source.config['topic'];
  return {
    pipeline_id: doc.id,
    version: doc.version,
    source: connector(source),
    target: connector(target),
    source_topic: doc.datamodel.source_topic ?? (typeof configuredTopic === 'string' ? configuredTopic : null),
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

const PortableConnectorRead = t.type({
  name: t.union([t.string, t.null]),
  type: t.union([connector_type, t.null]),
  config: t.union([config, t.null]),
});
const [subscriptionRequired, subscriptionOptional] = SubscriptionSettings.types;
const [, datamodelOptional] = DatamodelSettings.types;
/** What `configurationRead` renders: what `Configuration` imports, and the name of the pipeline. */
export const ConfigurationRead = t.type(
  {
    format: t.literal(CONFIGURATION_FORMAT),
    name,
    source: PortableConnectorRead,
    target: PortableConnectorRead,
    subscriptions: t.array(
      t.intersection([
        t.type({ backfill: subscriptionRequired.props.backfill, mapper_config: subscriptionRequired.props.mapper_config }),
        subscriptionOptional,
      ]),
    ),
    datamodel: datamodelOptional,
  },
  'ConfigurationRead',
);

/** The portable configuration of a pipeline: connectors by name and type, secrets masked, no ids. */
export async function configurationRead(views: ReadModels, doc: PipelineDoc): Promise<t.TypeOf<typeof ConfigurationRead>> {
  const [source, target] = await connectorsOf(views, doc);
  const portable = (c: ConnectorDoc | undefined) => ({
    name: c?.name ?? null,
    type: c?.connector_type ?? null,
    config: c === undefined ? null : maskedConfigOf(c),
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
