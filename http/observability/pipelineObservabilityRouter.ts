import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { notFound } from '../../domain/errors';
import { CONNECTORS, PIPELINES } from '../../projections/collections';
import type { Doc, ReadStore } from '../../projections/readStore';
import type { LogFilter, ObservabilityReader } from '../../runtime/observability/observabilityStore';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode, ValidationFailure } from '../decode';
import { DomainFailure } from '../errors';
import type { Guard } from '../guard';
import { IntFromQuery } from '../queryCodecs';

/** Lines a plain GET answers by default, and at most (what a runtime keeps per pipeline). */
const DEFAULT_LOG_LINES = 100;
const MAX_LOG_LINES = 500;
export const LogsQuery = t.partial({ limit: IntFromQuery });

/** Whose logs a path names: a pipeline's, or those of every pipeline using a connector. */
export type LogSource = 'pipelines' | 'connectors';

const readable = async (readStore: ReadStore, guard: Guard, caller: Caller, collection: string, id: string, missing: string): Promise<Doc> => {
  const doc = await readStore.get(collection, id);
  if (doc === undefined) throw new DomainFailure(notFound(missing));
  await guard.team(caller, String(doc['team_id']), 'read');
  return doc;
};

/** The log lines a caller may read at a path, shared by the GET route and the WebSocket (404 / 403 as DomainFailure). */
export async function readableLogs(readStore: ReadStore, guard: Guard, caller: Caller, source: LogSource, id: string): Promise<LogFilter> {
  if (source === 'pipelines') return { pipelineId: (await readable(readStore, guard, caller, PIPELINES, id, 'PIPELINE_NOT_FOUND')).id };
  return { connectorId: (await readable(readStore, guard, caller, CONNECTORS, id, 'CONNECTOR_NOT_FOUND')).id };
}

/** Latency, counters and logs of the workers, as the runtimes report them; read access to the team, like the resources themselves. */
export function pipelineObservabilityRouter(deps: ApiDeps, guard: Guard, observability: ObservabilityReader): Router {
  const router = new Router();

  const logs = (source: LogSource) => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const { limit = DEFAULT_LOG_LINES } = decode(LogsQuery, ctx.query, 'query');
    if (limit < 1 || limit > MAX_LOG_LINES) {
      throw new ValidationFailure([{ loc: ['query', 'limit'], msg: `ensure this value is between 1 and ${MAX_LOG_LINES}`, type: 'value_error.number.not_in_range' }]);
    }
    ctx.body = await observability.logs(await readableLogs(deps.readStore, guard, caller, source, ctx.params['id'] ?? ''), { limit });
  };
  router.get('/pipelines/:id/logs', logs('pipelines'));
  router.get('/connectors/:id/logs', logs('connectors'));

  router.get('/pipelines/:id/latency-informations', async (ctx) => {
    const pipeline = await readable(deps.readStore, guard, callerOf(ctx), PIPELINES, ctx.params['id'] ?? '', 'PIPELINE_NOT_FOUND');
    ctx.body = await observability.pipelineMetrics(pipeline.id);
  });

  router.get('/datamodels/:id/monitoring', async (ctx) => {
    const caller = callerOf(ctx);
    const datamodelId = ctx.params['id'] ?? '';
    const pipeline = (await deps.readStore.find(PIPELINES, { where: { datamodel_id: datamodelId }, limit: 1 })).items[0];
    if (pipeline === undefined) throw new DomainFailure(notFound('DATAMODEL_NOT_FOUND'));
    await guard.team(caller, String(pipeline['team_id']), 'read');
    ctx.body = await observability.datamodelMonitoring({ datamodelId, pipelineId: pipeline.id });
  });

  return router;
}
