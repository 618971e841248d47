import Router from '@koa/router';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { connectors, pipelines } from '../../commands/aggregates';
import { connectorRole, ConnectorType, validateConnectorConfig } from '../../domain/connector/connectorConfig';
import { conflict, notFound } from '../../domain/errors';
import { CONNECTORS, PIPELINES } from '../../projections/collections';
import type { Doc } from '../../projections/readStore';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { maskedConfig, sealSecrets, updateConnector, type Side } from './connectorInput';
import { decode } from '../decode';
import { DomainFailure } from '../errors';
import { execute } from '../execute';
import type { Guard } from '../guard';
import { NonEmptyQuery } from '../queryCodecs';

export const ConnectorCreate = t.type({ name: t.string, team_id: t.string, connector_type: ConnectorType, config: t.UnknownRecord });
export const ConnectorPatch = t.exact(t.partial({ name: t.string, config: t.UnknownRecord }));
export const FilterOneQuery = t.intersection([t.type({ name: NonEmptyQuery }), t.partial({ team_id: t.string })]);
export const TeamQuery = t.partial({ team_id: t.string });

const connectorRead = (doc: Doc) => ({
  id: doc.id,
  name: doc['name'],
  connector_type: doc['connector_type'],
  team_id: doc['team_id'],
  config: maskedConfig(doc),
  created_at: doc['created_at'],
  updated_at: doc['updated_at'],
});

export function connectorsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/connectors' });

  const load = async (caller: Caller, id: string, need: 'read' | 'operate'): Promise<Doc> => {
    const doc = await deps.readStore.get(CONNECTORS, id);
    if (doc === undefined) throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
    await guard.team(caller, String(doc['team_id']), need);
    return doc;
  };

  /** Connectors of the teams the caller sees, optionally of one team. */
  const visible = async (caller: Caller, teamId: string | undefined): Promise<Doc[]> => {
    const teamIds = await guard.visibleTeamIds(caller);
    const scope = teamId === undefined ? teamIds : (teamIds ?? [teamId]).filter((id) => id === teamId);
    const page = await deps.readStore.find(CONNECTORS, { where: scope === undefined ? {} : { team_id: scope }, sort: [{ field: 'name', direction: 'asc' }], limit: 10_000 });
    return page.items;
  };

  /** Pipelines that read from or write to a connector. */
  const usersOf = async (connectorId: string): Promise<Doc[]> => {
    const [asSource, asTarget] = await Promise.all([
      deps.readStore.find(PIPELINES, { where: { source_connector_id: connectorId }, limit: 10_000 }),
      deps.readStore.find(PIPELINES, { where: { target_connector_id: connectorId }, limit: 10_000 }),
    ]);
    return [...asSource.items, ...asTarget.items];
  };

  const byRole = (side: Side) => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const { team_id } = decode(TeamQuery, ctx.query, 'query');
    const docs = await visible(caller, team_id);
    ctx.body = docs.filter((doc) => ConnectorType.is(doc['connector_type']) && connectorRole[doc['connector_type']] === side).map(connectorRead);
  };
  router.get('/source-config', byRole('source'));
  router.get('/target-config', byRole('target'));

  router.get('/filter-one', async (ctx) => {
    const caller = callerOf(ctx);
    const query = decode(FilterOneQuery, ctx.query, 'query');
    const doc = (await visible(caller, query.team_id)).find((connector) => connector['name'] === query.name);
    if (doc === undefined) throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
    ctx.body = connectorRead(doc);
  });

  router.post('/', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(ConnectorCreate, ctx.request.body, 'body');
    await guard.team(caller, body.team_id, 'operate');
    const config = validateConnectorConfig(body.connector_type, body.config, ['body', 'config']);
    if (isLeft(config)) throw new DomainFailure(config.left);
    const connectorId = randomUUID();
    await execute(deps, ctx, caller.id, connectors, connectorId, {
      type: 'CreateConnector',
      connectorId,
      teamId: body.team_id,
      connectorType: body.connector_type,
      name: body.name,
      config: sealSecrets(body.connector_type, config.right, deps.secrets),
    });
    ctx.status = 201;
    ctx.body = connectorRead(await load(caller, connectorId, 'read'));
  });

  router.get('/:id', async (ctx) => {
    ctx.body = connectorRead(await load(callerOf(ctx), ctx.params['id'] ?? '', 'read'));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const doc = await load(caller, ctx.params['id'] ?? '', 'operate');
    const patch = decode(ConnectorPatch, ctx.request.body, 'body');
    await updateConnector(deps, ctx, caller, doc, patch, { merge: false, loc: ['body', 'config'] });
    ctx.body = connectorRead(await load(caller, doc.id, 'read'));
  });

  router.delete('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const doc = await load(caller, ctx.params['id'] ?? '', 'operate');
    if ((await usersOf(doc.id)).length > 0) throw new DomainFailure(conflict('CONNECTOR_IN_USE', 'A pipeline uses this connector'));
    await execute(deps, ctx, caller.id, connectors, doc.id, { type: 'DeleteConnector' });
    ctx.status = 204;
  });

  const workerConfig = (side: Side) => async (ctx: Context) => {
    const doc = await load(callerOf(ctx), ctx.params['id'] ?? '', 'read');
    const type = doc['connector_type'];
    if (!ConnectorType.is(type) || connectorRole[type] !== side) throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
    const users = await usersOf(doc.id);
    ctx.body = { connector_id: doc.id, connector_type: type, config: maskedConfig(doc), pipelines: users.map((p) => ({ id: p.id, name: p['name'], state: p['state'], version: p['version'] })) };
  };
  router.get('/:id/source-worker-config', workerConfig('source'));
  router.get('/:id/target-worker-config', workerConfig('target'));

  // Start / stop act on every pipeline that uses the connector (e.g. stop all writes to a database before its maintenance).
  const control = (command: 'StartPipeline' | 'PausePipeline') => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const doc = await load(caller, ctx.params['id'] ?? '', 'operate');
    const affected = (await usersOf(doc.id)).filter((p) => (command === 'StartPipeline' ? p['state'] !== 'draft' : p['state'] !== 'draft' && p['state'] !== 'paused'));
    for (const pipeline of affected) await execute(deps, ctx, caller.id, pipelines, pipeline.id, { type: command });
    ctx.status = 202;
    ctx.body = { connector_id: doc.id, pipelines: affected.map((p) => p.id) };
  };
  router.post('/:id/start', control('StartPipeline'));
  router.post('/:id/stop', control('PausePipeline'));

  return router;
}
