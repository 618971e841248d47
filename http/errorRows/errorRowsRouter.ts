import Router from '@koa/router';
import * as t from 'io-ts';
import type { Context } from 'koa';
import { pipelines } from '../../commands/aggregates';
import { notFound } from '../../domain/errors';
import { ErrorRowsError, type StoredErrorRow } from '../../runtime/errorRows/errorRowReader';
import { errorRowReaderOf, subscriptionSpecOf } from '../../runtime/errorRows/subscriptionErrorRows';
import { replayErrorRows } from '../../runtime/replay/replayErrorRows';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode, idParam } from '../decode';
import { HttpFailure } from '../errors';
import { DomainFailure } from '../../domain/failures';
import { execute } from '../../commands/execute';
import { commandContext } from '../execute';
import type { Guard, Need } from '../guard';
import { pipelineFor } from '../pipeline/pipelineRead';
import { pagingOf } from '../paging';
import { ErrorRowFilterFields, ErrorRowsQuery, replayRequestOf } from './errorRowsInput';

const NullableString = t.union([t.string, t.null]);
const NullableNumber = t.union([t.number, t.null]);
/** What `errorRowItem` renders. */
export const ErrorRowItem = t.type(
  {
    id: t.string,
    topic: t.string,
    partition: t.number,
    offset: t.string,
    timestamp: NullableString,
    key_text: NullableString,
    key_base64: NullableString,
    value_text: NullableString,
    value_base64: NullableString,
    headers: t.union([t.UnknownRecord, t.null]),
    stage: NullableString,
    reason_code: NullableString,
    message: t.string,
    error_column: NullableString,
    pipeline_version: NullableNumber,
    first_seen: t.string,
    attempts: NullableNumber,
    replayed_at: NullableString,
    replay_outcome: NullableString,
  },
  'ErrorRowItem',
);

/** One error row as the API shows it. */
const errorRowItem = (row: StoredErrorRow): t.TypeOf<typeof ErrorRowItem> => ({
  id: `${row.partition}-${row.offset}`,
  topic: row.topic,
  partition: row.partition,
  offset: row.offset,
  timestamp: row.message_timestamp,
  key_text: row.key_text,
  key_base64: row.key_base64,
  value_text: row.payload,
  value_base64: row.value_base64,
  headers: row.headers,
  stage: row.stage,
  reason_code: row.error_code,
  message: row.error,
  error_column: row.error_column,
  pipeline_version: row.pipeline_version,
  first_seen: row.failed_at,
  attempts: row.attempts,
  replayed_at: row.replayed_at,
  replay_outcome: row.replay_outcome,
});

/** The data plane's refusals in the API's terms: a missing subscription 404, what cannot be done 409, an unreachable database 503. */
function answerOf(error: unknown): unknown {
  if (!(error instanceof ErrorRowsError)) return error;
  if (error.kind === 'not_found') return new DomainFailure(notFound(error.code));
  return new HttpFailure(error.kind === 'unreachable' ? 503 : 409, `${error.code}: ${error.message}`);
}

const translated = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error: unknown) {
    throw answerOf(error);
  }
};

/**
 * `GET /pipelines/{id}/error-rows` (read access to the pipeline's team) and
 * `POST /pipelines/{id}/error-rows/replay` (operate access): the routes translate; the data plane
 * reads and replays (runtime/errorRows, runtime/replay), the pipeline decider records the replay.
 */
export function errorRowsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router();

  const pipelineOf = (ctx: Context, need: Need) => pipelineFor(deps.views, guard, callerOf(ctx), idParam(ctx), need);

  router.get('/pipelines/:id/error-rows', async (ctx) => {
    const pipeline = await pipelineOf(ctx, 'read');
    const paging = pagingOf(ctx.query);
    const { subscription_id: subscriptionId } = decode(ErrorRowsQuery, ctx.query, 'query');
    // Decoded on its own as well: its exact codec keeps the filters only.
    const filter = decode(ErrorRowFilterFields, ctx.query, 'query');
    const page = await translated(async () =>
      errorRowReaderOf(await subscriptionSpecOf(deps.views, deps.secrets, pipeline, subscriptionId)).page(filter, paging),
    );
    ctx.body = { items: page.items.map(errorRowItem), total: page.total, skip: paging.skip, limit: paging.limit };
  });

  router.post('/pipelines/:id/error-rows/replay', async (ctx) => {
    const caller = callerOf(ctx);
    const pipeline = await pipelineOf(ctx, 'operate');
    const { subscriptionId, selection } = replayRequestOf(ctx.request.body);
    ctx.body = await translated(async () => {
      const spec = await subscriptionSpecOf(deps.views, deps.secrets, pipeline, subscriptionId);
      return replayErrorRows(spec, selection, {
        now: deps.commands.now,
        record: async (counts) => {
          await execute(deps, commandContext(ctx, caller.id), pipelines, pipeline.id, {
            type: 'RecordErrorRowsReplay',
            subscriptionId: spec.subscriptionId,
            selection,
            counts,
          });
        },
      });
    });
  });

  return router;
}
