import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { pipelines } from '../../commands/aggregates';
import { createConnector, deleteConnector, updateConnector, type Side } from '../../commands/connector/connectorService';
import { execute } from '../../commands/execute';
import {
  connectorRole,
  ConnectorType,
  JobSmtConfig,
  KafkaSourceConfig,
  KafkaTargetConfig,
  OracleTargetConfig,
  PostgresTargetConfig,
  typedConfigShape,
} from '../../domain/connector/connectorConfig';
import { checkedLater } from '../../domain/jsonSchema';
import { notFound } from '../../domain/errors';
import { PipelineStateName } from '../../domain/pipeline/pipeline';
import { DisplayName } from '../../domain/names';
import { DomainFailure } from '../../domain/failures';
import type { ConnectorDoc } from '../../projections/connector/connectorsView';
import type { PipelineDoc } from '../../projections/pipeline/pipelinesView';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode, idParam, requiredBody } from '../decode';
import { commandContext } from '../execute';
import type { Guard, Need } from '../guard';
import { NonEmptyQuery, Uuid } from '../queryCodecs';
import { connectorRead, maskedConfigOf } from './connectorRead';

const ConnectorFields = t.type({ name: DisplayName, team_id: t.string, connector_type: ConnectorType, config: t.UnknownRecord });
/** Decoded as its fields, the config then checked for its type; documented with each type's config. */
export const ConnectorCreate = checkedLater(
  ConnectorFields,
  {},
  t.intersection([ConnectorFields, typedConfigShape('connector_type', 'config')]),
);
/** A new config is checked against the connector's type, which the body does not say: documented as any type's config. */
const SomeConnectorConfig = checkedLater(
  t.UnknownRecord,
  {},
  t.union([KafkaSourceConfig, KafkaTargetConfig, OracleTargetConfig, PostgresTargetConfig, JobSmtConfig]),
);
export const ConnectorPatch = t.exact(t.partial({ name: DisplayName, config: SomeConnectorConfig }));
export const TeamQuery = t.partial({ team_id: Uuid });

/** `GET /connectors/{id}/source-worker-config` and `target-worker-config`: the connector (secrets masked) and the pipelines using it. */
export const ConnectorWorkerConfigRead = t.type({
  connector_id: t.string,
  connector_type: ConnectorType,
  config: t.UnknownRecord,
  pipelines: t.array(t.type({ id: t.string, name: t.string, state: PipelineStateName, version: t.number })),
});
export const FilterOneQuery = t.intersection([t.type({ name: NonEmptyQuery }), TeamQuery]);

export function connectorsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/connectors' });
  const { views } = deps;

  const load = async (caller: Caller, id: string, need: Need): Promise<ConnectorDoc> => {
    const doc = await views.connectors.get(id);
    if (doc === undefined) throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
    await guard.team(caller, doc.team_id, need);
    return doc;
  };
  const loadOf = (ctx: Context, need: Need) => load(callerOf(ctx), idParam(ctx), need);

  /** Connectors of the teams the caller sees, optionally of one team. */
  const visible = async (caller: Caller, teamId: string | undefined): Promise<ConnectorDoc[]> => {
    const teamIds = await guard.visibleTeamIds(caller);
    const scope = teamId === undefined ? teamIds : (teamIds ?? [teamId]).filter((id) => id === teamId);
    return (await views.connectors.find({ where: { team_id: scope }, sort: [{ field: 'name', direction: 'asc' }], limit: 10_000 })).items;
  };

  /** Pipelines that read from or write to a connector. */
  const usersOf = async (connectorId: string): Promise<PipelineDoc[]> =>
    (await views.pipelines.find({ anyOf: [{ source_connector_id: connectorId }, { target_connector_id: connectorId }], limit: 10_000 }))
      .items;

  const byRole = (side: Side) => async (ctx: Context) => {
    const { team_id } = decode(TeamQuery, ctx.query, 'query');
    const docs = await visible(callerOf(ctx), team_id);
    ctx.body = docs.filter((doc) => connectorRole[doc.connector_type] === side).map(connectorRead);
  };
  router.get('/source-config', byRole('source'));
  router.get('/target-config', byRole('target'));

  router.get('/filter-one', async (ctx) => {
    const query = decode(FilterOneQuery, ctx.query, 'query');
    const doc = (await visible(callerOf(ctx), query.team_id)).find((connector) => connector.name === query.name);
    if (doc === undefined) throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
    ctx.body = connectorRead(doc);
  });

  router.post('/', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(ConnectorCreate, ctx.request.body, 'body');
    await guard.team(caller, body.team_id, 'operate');
    const connector = { teamId: body.team_id, type: body.connector_type, name: body.name, config: body.config };
    const connectorId = await createConnector(deps, commandContext(ctx, caller.id), connector, ['body', 'config']);
    ctx.status = 201;
    ctx.body = connectorRead(await load(caller, connectorId, 'read'));
  });

  router.get('/:id', async (ctx) => {
    ctx.body = connectorRead(await loadOf(ctx, 'read'));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    const doc = await loadOf(ctx, 'operate');
    const patch = decode(ConnectorPatch, requiredBody(ctx), 'body');
    await updateConnector(deps, commandContext(ctx, caller.id), doc.id, patch, { merge: false, loc: ['body', 'config'] });
    ctx.body = connectorRead(await load(caller, doc.id, 'read'));
  });

  router.delete('/:id', async (ctx) => {
    const doc = await loadOf(ctx, 'operate');
    await deleteConnector(deps, commandContext(ctx, callerOf(ctx).id), doc.id, (await usersOf(doc.id)).length);
    ctx.status = 204;
  });

  const workerConfig = (side: Side) => async (ctx: Context) => {
    const doc = await loadOf(ctx, 'read');
    if (connectorRole[doc.connector_type] !== side) throw new DomainFailure(notFound('CONNECTOR_NOT_FOUND'));
    const users = await usersOf(doc.id);
    const body: t.TypeOf<typeof ConnectorWorkerConfigRead> = {
      connector_id: doc.id,
      connector_type: doc.connector_type,
      config: maskedConfigOf(doc),
      pipelines: users.map((p) => ({ id: p.id, name: p.name, state: p.state, version: p.version })),
    };
    ctx.body = body;
  };
  router.get('/:id/source-worker-config', workerConfig('source'));
  router.get('/:id/target-worker-config', workerConfig('target'));

  // Start / stop act on every pipeline that uses the connector (e.g. stop all writes to a database before its maintenance).
  const control = (command: 'StartPipeline' | 'PausePipeline') => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const doc = await loadOf(ctx, 'operate');
    const affected = (await usersOf(doc.id)).filter((p) =>
      command === 'StartPipeline' ? p.state !== 'draft' : p.state !== 'draft' && p.state !== 'paused',
    );
    for (const pipeline of affected) await execute(deps, commandContext(ctx, caller.id), pipelines, pipeline.id, { type: command });
    ctx.status = 202;
    ctx.body = { connector_id: doc.id, pipelines: affected.map((p) => p.id) };
  };
  router.post('/:id/start', control('StartPipeline'));
  router.post('/:id/stop', control('PausePipeline'));

  return router;
}
