import Router from '@koa/router';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { connectors, pipelines } from '../../commands/aggregates';
import { notFound } from '../../domain/errors';
import { FeedOptionFields, PipelineStateName, validatePipelineName, type PipelineSettings, type SubscriptionSettings } from '../../domain/pipeline/pipeline';
import { CONNECTORS, PIPELINES, TEAMS } from '../../projections/collections';
import { settingsOfDoc } from '../../projections/pipeline/pipelinesView';
import type { Doc, FindQuery } from '../../projections/readStore';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { maskedConfig, resolveConnector, type CurrentConnector, type Side } from '../connector/connectorInput';
import { decode, ValidationFailure } from '../decode';
import { DATAMODEL_FIELDS, DatamodelFields, datamodelFrom, SUBSCRIPTION_FIELDS, SubscriptionFields, subscriptionFrom } from './pipelineSettingsInput';
import { DomainFailure } from '../errors';
import { execute } from '../execute';
import type { Guard } from '../guard';
import { refuseIncompatibleMapper } from './mapperTableCheck';
import { pagedBody, pagingOf } from '../paging';
import { NonEmptyQuery } from '../queryCodecs';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** The flattened V2 fields of the contract, all optional (create adds name and team_id). */
const FlatFields = t.partial({
  existing_source_id: Nullable(t.string),
  source_name: Nullable(t.string),
  source_type: Nullable(t.string),
  source_config: Nullable(t.UnknownRecord),
  existing_target_id: Nullable(t.string),
  target_name: Nullable(t.string),
  target_type: Nullable(t.string),
  target_config: Nullable(t.UnknownRecord),
  datamodel_source_topic: Nullable(t.string),
  datamodel_target_topic: Nullable(t.string),
  datamodel_error_table_enabled: Nullable(t.boolean),
  datamodel_error_table_name: Nullable(t.string),
  datamodel_error_table_target_id: Nullable(t.string),
  subscription_target_table_name: Nullable(t.string),
  subscription_backfill: Nullable(t.boolean),
  subscription_mapper_config: Nullable(t.UnknownArray),
  subscription_consumer_id: Nullable(t.string),
  subscription_exactly_once: Nullable(t.boolean),
  subscription_envelope: FeedOptionFields.envelope,
  subscription_delete_on_tombstone: FeedOptionFields.delete_on_tombstone,
  subscription_schema_evolution: FeedOptionFields.schema_evolution,
  subscription_error_tolerance: FeedOptionFields.error_tolerance,
  subscription_error_tolerance_window: FeedOptionFields.error_tolerance_window,
  subscription_error_table_enabled: Nullable(t.boolean),
  subscription_error_table_name: Nullable(t.string),
  subscription_error_table_target_id: Nullable(t.string),
});
type FlatFields = t.TypeOf<typeof FlatFields>;
export const PipelineCreate = t.intersection([t.type({ name: t.string, team_id: t.string }), FlatFields]);
export const PipelinePatch = t.intersection([t.partial({ name: t.string }), FlatFields]);
/** The portable configuration: connectors named by name (not id), secrets masked. */
const CONFIGURATION_FORMAT = 'popsink.pipeline.v1';
const PortableConnector = t.type({ name: t.string, type: t.string });
export const Configuration = t.type({
  format: t.literal(CONFIGURATION_FORMAT),
  source: PortableConnector,
  target: PortableConnector,
  subscriptions: t.array(SubscriptionFields),
  datamodel: DatamodelFields,
});
export const ListQuery = t.partial({ state: t.string, team_id: t.string, search: t.string });
export const FilterOneQuery = t.intersection([t.type({ name: NonEmptyQuery }), t.partial({ team_id: t.string })]);

/** The `{subscription_x: v}` fields a body gives, as `{x: v}`. */
const unprefixed = (body: FlatFields, prefix: string, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(fields.map((field) => [field, (body as Record<string, unknown>)[`${prefix}${field}`]]).filter(([, value]) => value !== undefined));

/** A subscription as a portable configuration carries it: no id, no consumer group (both belong to one pipeline). */
const portableSubscription = ({ id: _id, consumer_id: _consumer, ...rest }: SubscriptionSettings) => rest;

/** Whether a body names or configures a pipeline's source or target connector. */
const touchesConnector = (body: FlatFields, name: Side): boolean =>
  [`existing_${name}_id`, `${name}_name`, `${name}_type`, `${name}_config`].some((field) => (body as Record<string, unknown>)[field] !== undefined);

/** How often a PATCH is merged again onto settings another edit changed meanwhile. */
const PATCH_ATTEMPTS = 5;

const flatten = (prefix: string, values: unknown, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(fields.map((field) => [`${prefix}${field}`, (values as Record<string, unknown> | undefined)?.[field] ?? null]));

export function pipelinesRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/pipelines' });

  /** The contract's read shape: every flattened field, connectors resolved, secrets masked. */
  const pipelineRead = async (doc: Doc) => {
    const [team, source, target] = await Promise.all([
      deps.readStore.get(TEAMS, String(doc['team_id'])),
      deps.readStore.get(CONNECTORS, String(doc['source_connector_id'])),
      deps.readStore.get(CONNECTORS, String(doc['target_connector_id'])),
    ]);
    const side = (name: Side, connector: Doc | undefined, owned: unknown) => ({
      [`existing_${name}_id`]: owned === true ? null : (connector?.id ?? null),
      [`${name}_name`]: connector?.['name'] ?? null,
      [`${name}_type`]: connector?.['connector_type'] ?? null,
      [`${name}_config`]: connector === undefined ? null : maskedConfig(connector),
    });
    return {
      id: doc.id,
      name: doc['name'],
      state: doc['state'],
      version: doc['version'],
      error_reason: doc['error_reason'] ?? null,
      team_id: doc['team_id'],
      team_name: team?.['name'] ?? null,
      ...side('source', source, doc['owns_source']),
      ...side('target', target, doc['owns_target']),
      datamodel_id: doc['datamodel_id'] ?? null,
      ...flatten('datamodel_', doc['datamodel'], DATAMODEL_FIELDS),
      ...flatten('subscription_', (doc['subscriptions'] as unknown[] | undefined)?.[0], SUBSCRIPTION_FIELDS),
      created_at: doc['created_at'],
      updated_at: doc['updated_at'],
    };
  };

  const load = async (caller: Caller, id: string, need: 'read' | 'operate'): Promise<Doc> => {
    const doc = await deps.readStore.get(PIPELINES, id);
    if (doc === undefined) throw new DomainFailure(notFound('PIPELINE_NOT_FOUND'));
    await guard.team(caller, String(doc['team_id']), need);
    return doc;
  };

  /** Teams whose pipelines the caller sees: every team for a superuser, else those of the caller's envs. */
  const visibleTeams = async (caller: Caller, teamId: string | undefined): Promise<FindQuery['where']> => {
    const ids = await guard.visibleTeamIds(caller);
    if (ids === undefined) return teamId === undefined ? {} : { team_id: teamId };
    return { team_id: teamId === undefined ? ids : ids.filter((id) => id === teamId) };
  };

  /**
   * Builds the settings a body asks for, on top of what is stored (nothing, for a create), and
   * says whether it edited a connector the pipeline keeps (a new version all the same). The
   * subscription and datamodel are validated first, so that a refused body edits nothing.
   */
  const settingsFrom = async (ctx: Context, caller: Caller, teamId: string, body: FlatFields, stored?: PipelineSettings): Promise<{ settings: PipelineSettings; connectorEdited: boolean }> => {
    const first = await subscriptionFrom(deps, teamId, unprefixed(body, 'subscription_', SUBSCRIPTION_FIELDS), stored?.subscriptions[0], (field) => ['body', `subscription_${field}`]);
    const datamodel = await datamodelFrom(deps, teamId, unprefixed(body, 'datamodel_', DATAMODEL_FIELDS), stored?.datamodel, (field) => ['body', `datamodel_${field}`]);
    const sides = await Promise.all(
      (['source', 'target'] as const).map(async (name) => {
        const flat = body as Record<string, unknown>;
        const touched = touchesConnector(body, name);
        const current = stored === undefined ? undefined : name === 'source' ? { connectorId: stored.sourceConnectorId, created: stored.ownsSource } : { connectorId: stored.targetConnectorId, created: stored.ownsTarget };
        if (current !== undefined && !touched) return current;
        const choice = {
          existingId: flat[`existing_${name}_id`] as string | null | undefined,
          name: flat[`${name}_name`] as string | null | undefined,
          type: flat[`${name}_type`] as string | null | undefined,
          config: flat[`${name}_config`],
        };
        return resolveConnector(deps, ctx, caller, teamId, name, choice, current);
      }),
    );
    const [source, target] = sides as [CurrentConnector & { edited?: boolean }, CurrentConnector & { edited?: boolean }];
    const settings = {
      sourceConnectorId: source.connectorId,
      targetConnectorId: target.connectorId,
      ownsSource: source.created,
      ownsTarget: target.created,
      subscriptions: [first, ...(stored?.subscriptions.slice(1) ?? [])],
      datamodel,
    };
    return { settings, connectorEdited: source.edited === true || target.edited === true };
  };

  router.post('/', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(PipelineCreate, ctx.request.body, 'body');
    await guard.team(caller, body.team_id, 'operate');
    // Refused before any connector is created, so that a bad name leaves nothing behind.
    const badName = validatePipelineName(body.name);
    if (badName !== undefined) throw new DomainFailure(badName);
    const pipelineId = randomUUID();
    const { settings } = await settingsFrom(ctx, caller, body.team_id, body);
    try {
      await execute(deps, ctx, caller.id, pipelines, pipelineId, { type: 'CreatePipeline', pipelineId, teamId: body.team_id, name: body.name, settings });
    } catch (refused) {
      // A pipeline refused (its name taken meanwhile) takes the connectors created for it along.
      const created = [settings.ownsSource ? settings.sourceConnectorId : undefined, settings.ownsTarget ? settings.targetConnectorId : undefined];
      for (const connectorId of created) {
        if (connectorId !== undefined) await execute(deps, ctx, caller.id, connectors, connectorId, { type: 'DeleteConnector' });
      }
      throw refused;
    }
    ctx.status = 201;
    ctx.body = await pipelineRead(await load(caller, pipelineId, 'read'));
  });

  router.get('/', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const query = decode(ListQuery, ctx.query, 'query');
    const where = { ...(await visibleTeams(caller, query.team_id)), ...(query.state ? { state: query.state.toLowerCase() } : {}) };
    const page = await deps.readStore.find(PIPELINES, {
      where,
      ...(query.search ? { search: { field: 'name', text: query.search } } : {}),
      sort: [{ field: 'created_at', direction: 'desc' }],
      ...paging,
    });
    ctx.body = { items: await Promise.all(page.items.map(pipelineRead)), total: page.total, skip: paging.skip, limit: paging.limit };
  });

  router.get('/count-status', async (ctx) => {
    const caller = callerOf(ctx);
    const query = decode(t.partial({ team_id: t.string }), ctx.query, 'query');
    const counts = await deps.readStore.countBy(PIPELINES, 'state', await visibleTeams(caller, query.team_id));
    const states = Object.keys(PipelineStateName.keys);
    const body: Record<string, number> = { all: states.reduce((sum, state) => sum + (counts[state] ?? 0), 0) };
    for (const state of states) body[state] = counts[state] ?? 0;
    ctx.body = body;
  });

  router.get('/filter-one', async (ctx) => {
    const caller = callerOf(ctx);
    const query = decode(FilterOneQuery, ctx.query, 'query');
    const where = { ...(await visibleTeams(caller, query.team_id)), name: query.name };
    const doc = (await deps.readStore.find(PIPELINES, { where, limit: 1 })).items[0];
    if (doc === undefined) throw new DomainFailure(notFound('PIPELINE_NOT_FOUND'));
    ctx.body = await pipelineRead(doc);
  });

  router.get('/status/all-non-draft', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const states = Object.keys(PipelineStateName.keys).filter((state) => state !== 'draft');
    const page = await deps.readStore.find(PIPELINES, {
      where: { ...(await visibleTeams(caller, undefined)), state: states },
      sort: [{ field: 'updated_at', direction: 'desc' }],
      ...paging,
    });
    ctx.body = pagedBody(page, paging, (doc) => ({ id: doc.id, name: doc['name'], state: doc['state'], team_id: doc['team_id'], updated_at: doc['updated_at'] }));
  });

  router.get('/:id', async (ctx) => {
    ctx.body = await pipelineRead(await load(callerOf(ctx), ctx.params['id'] ?? '', 'read'));
  });

  router.get('/:id/status', async (ctx) => {
    const doc = await load(callerOf(ctx), ctx.params['id'] ?? '', 'read');
    ctx.body = { id: doc.id, state: doc['state'], error_reason: doc['error_reason'] ?? null };
  });

  router.get('/:id/worker-config', async (ctx) => {
    const doc = await load(callerOf(ctx), ctx.params['id'] ?? '', 'read');
    const [source, target] = await Promise.all([
      deps.readStore.get(CONNECTORS, String(doc['source_connector_id'])),
      deps.readStore.get(CONNECTORS, String(doc['target_connector_id'])),
    ]);
    const settings = settingsOfDoc(doc);
    const sourceConfig = source === undefined ? {} : maskedConfig(source);
    const connector = (c: Doc | undefined) => (c === undefined ? null : { id: c.id, type: c['connector_type'], config: maskedConfig(c) });
    // What the workers of this version run with: one per subscription, each with a consumer
    // group of its own, so that two subscriptions reading one topic never share offsets.
    ctx.body = {
      pipeline_id: doc.id,
      version: doc['version'],
      source: connector(source),
      target: connector(target),
      source_topic: settings.datamodel.source_topic ?? sourceConfig['topic'] ?? null,
      subscriptions: settings.subscriptions.map((subscription) => ({
        id: subscription.id,
        consumer_group: subscription.consumer_id,
        target_table: subscription.target_table_name ?? null,
        backfill: subscription.backfill,
        mapper: subscription.mapper_config,
      })),
    };
  });

  router.get('/:id/configuration', async (ctx) => {
    const doc = await load(callerOf(ctx), ctx.params['id'] ?? '', 'read');
    const [source, target] = await Promise.all([
      deps.readStore.get(CONNECTORS, String(doc['source_connector_id'])),
      deps.readStore.get(CONNECTORS, String(doc['target_connector_id'])),
    ]);
    const portable = (c: Doc | undefined) => ({ name: c?.['name'] ?? null, type: c?.['connector_type'] ?? null, config: c === undefined ? null : maskedConfig(c) });
    const { id: _id, ...datamodel } = settingsOfDoc(doc).datamodel;
    ctx.body = {
      format: CONFIGURATION_FORMAT,
      name: doc['name'],
      source: portable(source),
      target: portable(target),
      subscriptions: settingsOfDoc(doc).subscriptions.map(portableSubscription),
      datamodel,
    };
  });

  // Imports a portable configuration into this pipeline: its connectors are found by name in the
  // pipeline's team (they carry the secrets, which a configuration never does).
  router.post('/:id/configuration', async (ctx) => {
    const caller = callerOf(ctx);
    const doc = await load(caller, ctx.params['id'] ?? '', 'operate');
    const configuration = decode(Configuration, ctx.request.body, 'body');
    const teamId = String(doc['team_id']);
    const byName = async (side: Side): Promise<string> => {
      const wanted = configuration[side];
      const found = (await deps.readStore.find(CONNECTORS, { where: { team_id: teamId, name: wanted.name, connector_type: wanted.type }, limit: 1 })).items[0];
      if (found === undefined) throw new ValidationFailure([{ loc: ['body', side, 'name'], msg: `no ${wanted.type} connector named ${wanted.name} in this team`, type: 'value_error.connector_not_found' }]);
      return found.id;
    };
    if (configuration.subscriptions.length === 0) throw new ValidationFailure([{ loc: ['body', 'subscriptions'], msg: 'at least one subscription', type: 'value_error.list.min_items' }]);
    const stored = settingsOfDoc(doc);
    // The i-th subscription keeps the id and consumer group of this pipeline's i-th, so that an
    // import over a running pipeline resumes from its offsets.
    const subscriptions = [];
    for (const [index, fields] of configuration.subscriptions.entries()) {
      const own = stored.subscriptions[index];
      const base = own === undefined ? undefined : { id: own.id, consumer_id: own.consumer_id, backfill: false, mapper_config: [] };
      subscriptions.push(await subscriptionFrom(deps, teamId, fields, base, (field) => ['body', 'subscriptions', index, field]));
    }
    const settings: PipelineSettings = {
      sourceConnectorId: await byName('source'),
      targetConnectorId: await byName('target'),
      ownsSource: false,
      ownsTarget: false,
      subscriptions,
      datamodel: await datamodelFrom(deps, teamId, configuration.datamodel, { id: stored.datamodel.id }, (field) => ['body', 'datamodel', field]),
    };
    await execute(deps, ctx, caller.id, pipelines, doc.id, { type: 'UpdatePipeline', settings, basedOnVersion: Number(doc['version']) });
    ctx.body = await pipelineRead(await load(caller, doc.id, 'read'));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(PipelinePatch, ctx.request.body, 'body');
    // A PATCH that leaves the connectors alone changes only the fields it sends: when another
    // edit lands between the read and the append (PIPELINE_CHANGED), it is merged again onto
    // the settings read once the read models show the whole log. One that creates or edits a
    // connector is not replayed: that would do it twice.
    const mergeable = !touchesConnector(body, 'source') && !touchesConnector(body, 'target');
    for (let attempt = 1; ; attempt++) {
      const doc = await load(caller, ctx.params['id'] ?? '', 'operate');
      const { settings, connectorEdited } = await settingsFrom(ctx, caller, String(doc['team_id']), body, settingsOfDoc(doc));
      // Once (a retry merges the same mapper), and not after a connector edit, which a 422 would not undo.
      if (attempt === 1 && mergeable && body.subscription_mapper_config != null) await refuseIncompatibleMapper(deps, body.name ?? String(doc['name']), settings, settingsOfDoc(doc));
      try {
        await execute(deps, ctx, caller.id, pipelines, doc.id, {
          type: 'UpdatePipeline',
          ...(body.name !== undefined ? { name: body.name } : {}),
          settings,
          basedOnVersion: Number(doc['version']),
          connectorEdited,
        });
        ctx.body = await pipelineRead(await load(caller, doc.id, 'read'));
        return;
      } catch (error: unknown) {
        const changed = error instanceof DomainFailure && error.error.code === 'PIPELINE_CHANGED';
        if (!changed || !mergeable || attempt === PATCH_ATTEMPTS) throw error;
        const head = await deps.commands.store.headPosition();
        // Read models that cannot catch up leave the conflict as the answer.
        if (head !== undefined) await deps.waitFor(head).catch(() => Promise.reject(error));
      }
    }
  });

  router.delete('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const doc = await load(caller, ctx.params['id'] ?? '', 'operate');
    await execute(deps, ctx, caller.id, pipelines, doc.id, { type: 'DeletePipeline' });
    ctx.status = 204;
  });

  // Start and pause answer the state as an uppercase string, as the contract shows.
  const control = (command: 'StartPipeline' | 'PausePipeline') => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const doc = await load(caller, ctx.params['id'] ?? '', 'operate');
    const state = await execute(deps, ctx, caller.id, pipelines, doc.id, { type: command });
    ctx.status = 202;
    ctx.body = JSON.stringify(state.status === 'exists' ? state.state.toUpperCase() : 'DELETED');
    ctx.type = 'application/json';
  };
  router.post('/:id/start', control('StartPipeline'));
  router.post('/:id/pause', control('PausePipeline'));

  return router;
}
