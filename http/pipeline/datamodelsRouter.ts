import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { resetDatamodel, updateErrorTable } from '../../commands/pipeline/datamodelService';
import { ErrorTableFields } from '../../commands/pipeline/pipelineFields';
import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import { schemaOf } from '../../domain/mapper/mapperSpec';
import type { PipelineDoc } from '../../projections/pipeline/pipelinesView';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode, idParam, requiredBody } from '../decode';
import { commandContext } from '../execute';
import type { Guard, Need } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { visibleTeams } from './pipelineRead';

const NullableString = t.union([t.string, t.null]);
/** What `datamodelRead` renders. */
export const DatamodelRead = t.type(
  {
    id: t.string,
    pipeline_id: t.string,
    team_id: t.string,
    source_topic: NullableString,
    target_topic: NullableString,
    error_table_enabled: t.boolean,
    error_table_name: NullableString,
    error_table_target_id: NullableString,
  },
  'DatamodelRead',
);

/** A pipeline's datamodel (its source topic, target topic and error table), addressed by its own id. */
const datamodelRead = ({ datamodel, ...pipeline }: PipelineDoc): t.TypeOf<typeof DatamodelRead> => ({
  id: pipeline.datamodel_id,
  pipeline_id: pipeline.id,
  team_id: pipeline.team_id,
  source_topic: datamodel.source_topic ?? null,
  target_topic: datamodel.target_topic ?? null,
  error_table_enabled: datamodel.error_table_enabled ?? false,
  error_table_name: datamodel.error_table_name ?? null,
  error_table_target_id: datamodel.error_table_target_id ?? null,
});

export function datamodelsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/datamodels' });
  const { views } = deps;

  const load = async (caller: Caller, id: string, need: Need): Promise<PipelineDoc> => {
    const pipeline = await views.pipelines.first({ datamodel_id: id });
    if (pipeline === undefined) throw new DomainFailure(notFound('DATAMODEL_NOT_FOUND'));
    await guard.team(caller, pipeline.team_id, need);
    return pipeline;
  };
  const loadOf = (ctx: Context, need: Need) => load(callerOf(ctx), idParam(ctx), need);

  router.get('/', async (ctx) => {
    const paging = pagingOf(ctx.query);
    const page = await views.pipelines.find({
      where: await visibleTeams(guard, callerOf(ctx), undefined),
      sort: [{ field: 'created_at', direction: 'desc' }],
      ...paging,
    });
    ctx.body = pagedBody(page, paging, datamodelRead);
  });

  router.get('/:id', async (ctx) => {
    ctx.body = datamodelRead(await loadOf(ctx, 'read'));
  });

  // The columns the pipeline's (first subscription's) mapper produces, as a target table would hold them.
  router.get('/:id/schema', async (ctx) => {
    const pipeline = await loadOf(ctx, 'read');
    ctx.body = schemaOf(pipeline.subscriptions[0]?.mapper_config ?? []);
  });

  router.patch('/:id/error-table', async (ctx) => {
    const caller = callerOf(ctx);
    const pipeline = await loadOf(ctx, 'operate');
    const patch = decode(t.exact(ErrorTableFields), requiredBody(ctx), 'body');
    await updateErrorTable(deps, commandContext(ctx, caller.id), pipeline.id, patch);
    ctx.body = datamodelRead(await load(caller, pipeline.datamodel_id, 'read'));
  });

  router.delete('/:id', async (ctx) => {
    const pipeline = await loadOf(ctx, 'operate');
    await resetDatamodel(deps, commandContext(ctx, callerOf(ctx).id), pipeline.id);
    ctx.status = 204;
  });

  return router;
}
