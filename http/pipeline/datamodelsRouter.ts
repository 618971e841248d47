import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { pipelines } from '../../commands/aggregates';
import { notFound } from '../../domain/errors';
import { schemaOf } from '../../domain/mapper/mapperSpec';
import type { DatamodelSettings } from '../../domain/pipeline/pipeline';
import { PIPELINES } from '../../projections/collections';
import { settingsOfDoc } from '../../projections/pipeline/pipelinesView';
import type { Doc } from '../../projections/readStore';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode } from '../decode';
import { DomainFailure } from '../errors';
import { execute } from '../execute';
import type { Guard } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { datamodelFrom, ErrorTableFields } from './pipelineSettingsInput';


/**
 * A pipeline's datamodel (its source topic, target topic and error table), addressed by its own
 * id. It lives in the pipeline's settings, so a change here is a new pipeline version.
 */
const datamodelRead = (pipeline: Doc) => {
  const datamodel = (pipeline['datamodel'] ?? {}) as Record<string, unknown>;
  return {
    id: pipeline['datamodel_id'],
    pipeline_id: pipeline.id,
    team_id: pipeline['team_id'],
    source_topic: datamodel['source_topic'] ?? null,
    target_topic: datamodel['target_topic'] ?? null,
    error_table_enabled: datamodel['error_table_enabled'] ?? false,
    error_table_name: datamodel['error_table_name'] ?? null,
    error_table_target_id: datamodel['error_table_target_id'] ?? null,
  };
};

export function datamodelsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/datamodels' });

  const load = async (caller: Caller, id: string, need: 'read' | 'operate'): Promise<Doc> => {
    const pipeline = (await deps.readStore.find(PIPELINES, { where: { datamodel_id: id }, limit: 1 })).items[0];
    if (pipeline === undefined) throw new DomainFailure(notFound('DATAMODEL_NOT_FOUND'));
    await guard.team(caller, String(pipeline['team_id']), need);
    return pipeline;
  };

  router.get('/', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const teamIds = await guard.visibleTeamIds(caller);
    const page = await deps.readStore.find(PIPELINES, {
      where: teamIds === undefined ? {} : { team_id: teamIds },
      sort: [{ field: 'created_at', direction: 'desc' }],
      ...paging,
    });
    ctx.body = pagedBody(page, paging, datamodelRead);
  });

  router.get('/:id', async (ctx: Context) => {
    ctx.body = datamodelRead(await load(callerOf(ctx), ctx.params['id'] ?? '', 'read'));
  });

  // The columns the pipeline's (first subscription's) mapper produces, as a target table would hold them.
  router.get('/:id/schema', async (ctx: Context) => {
    const pipeline = await load(callerOf(ctx), ctx.params['id'] ?? '', 'read');
    ctx.body = schemaOf(settingsOfDoc(pipeline).subscriptions[0]?.mapper_config ?? []);
  });

  /** Records the pipeline's new datamodel (a new pipeline version) and answers it. */
  const reconfigure = async (ctx: Context, caller: Caller, pipeline: Doc, datamodel: DatamodelSettings) => {
    await execute(deps, ctx, caller.id, pipelines, pipeline.id, { type: 'ReplaceDatamodel', datamodel });
    return datamodelRead(await load(caller, datamodel.id, 'read'));
  };

  router.patch('/:id/error-table', async (ctx: Context) => {
    const caller = callerOf(ctx);
    const pipeline = await load(caller, ctx.params['id'] ?? '', 'operate');
    const patch = decode(t.exact(ErrorTableFields), ctx.request.body, 'body');
    const datamodel = await datamodelFrom(deps, String(pipeline['team_id']), patch, settingsOfDoc(pipeline).datamodel, (field) => ['body', field]);
    ctx.body = await reconfigure(ctx, caller, pipeline, datamodel);
  });

  // A pipeline cannot lose its datamodel: deleting it resets it (source topic from the source
  // connector, no target topic, no error table), keeping its id.
  router.delete('/:id', async (ctx: Context) => {
    const caller = callerOf(ctx);
    const pipeline = await load(caller, ctx.params['id'] ?? '', 'operate');
    await reconfigure(ctx, caller, pipeline, { id: settingsOfDoc(pipeline).datamodel.id });
    ctx.status = 204;
  });

  return router;
}
