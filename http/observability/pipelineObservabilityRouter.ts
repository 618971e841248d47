import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { notFound } from '../../domain/errors';
import type { ReadModels } from '../../projections/readModels';
import type { LogFilter, ObservabilityReader } from '../../runtime/observability/observabilityStore';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode, idParam } from '../decode';
import { DomainFailure } from '../../domain/failures';
import type { Guard } from '../guard';
import { checkBounds, IntFromQuery } from '../queryCodecs';

/** Lines a plain GET answers by default, and at most (what a runtime keeps per pipeline). */
const DEFAULT_LOG_LINES = 100;
const MAX_LOG_LINES = 500;
export const LogsQuery = t.partial({ limit: new IntFromQuery(1, MAX_LOG_LINES) });

/** Whose logs a path names: a pipeline's, or those of every pipeline using a connector. */
export type LogSource = 'pipelines' | 'connectors';

/** A team resource the caller may read: its id, once the guard agreed (404 / 403 as DomainFailure). */
const readable = async (
  guard: Guard,
  caller: Caller,
  doc: { readonly id: string; readonly team_id: string } | undefined,
  missing: string,
): Promise<string> => {
  if (doc === undefined) throw new DomainFailure(notFound(missing));
  await guard.team(caller, doc.team_id, 'read');
  return doc.id;
};

/** The log lines a caller may read at a path, shared by the GET route and the WebSocket (404 / 403 as DomainFailure). */
export async function readableLogs(
  views: Pick<ReadModels, 'pipelines' | 'connectors'>,
  guard: Guard,
  caller: Caller,
  source: LogSource,
  id: string,
): Promise<LogFilter> {
  if (source === 'pipelines') return { pipelineId: await readable(guard, caller, await views.pipelines.get(id), 'PIPELINE_NOT_FOUND') };
  return { connectorId: await readable(guard, caller, await views.connectors.get(id), 'CONNECTOR_NOT_FOUND') };
}

/** Latency, counters and logs of the workers, as the runtimes report them; read access to the team, like the resources themselves. */
export function pipelineObservabilityRouter(deps: ApiDeps, guard: Guard, observability: ObservabilityReader): Router {
  const router = new Router();

  const logs = (source: LogSource) => async (ctx: Context) => {
    const caller = callerOf(ctx);
    const query = decode(LogsQuery, ctx.query, 'query');
    checkBounds(LogsQuery.props, query);
    const { limit = DEFAULT_LOG_LINES } = query;
    ctx.body = await observability.logs(await readableLogs(deps.views, guard, caller, source, idParam(ctx)), { limit });
  };
  router.get('/pipelines/:id/logs', logs('pipelines'));
  router.get('/connectors/:id/logs', logs('connectors'));

  router.get('/pipelines/:id/latency-informations', async (ctx) => {
    const pipelineId = await readable(guard, callerOf(ctx), await deps.views.pipelines.get(idParam(ctx)), 'PIPELINE_NOT_FOUND');
    ctx.body = await observability.pipelineMetrics(pipelineId);
  });

  router.get('/datamodels/:id/monitoring', async (ctx) => {
    const datamodelId = idParam(ctx);
    const pipelineId = await readable(
      guard,
      callerOf(ctx),
      await deps.views.pipelines.first({ datamodel_id: datamodelId }),
      'DATAMODEL_NOT_FOUND',
    );
    ctx.body = await observability.datamodelMonitoring({ datamodelId, pipelineId });
  });

  return router;
}
