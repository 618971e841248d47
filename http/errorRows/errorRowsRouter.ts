import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { pipelines } from '../../commands/aggregates';
import { ERROR_ROW_ID, ErrorRowFilter, type ErrorRowSelection } from '../../domain/errorRows/errorRowSelection';
import { notFound } from '../../domain/errors';
import { ErrorRowsError, type StoredErrorRow } from '../../runtime/errorRows/errorRowReader';
import { errorRowReaderOf, subscriptionSpecOf } from '../../runtime/errorRows/subscriptionErrorRows';
import { MAX_REPLAY_ROWS, replayErrorRows } from '../../runtime/replay/replayErrorRows';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode, pathParam } from '../decode';
import { ValidationFailure } from '../../domain/failures';
import { HttpFailure } from '../errors';
import { DomainFailure } from '../../domain/failures';
import { execute } from '../../commands/execute';
import { commandContext } from '../execute';
import type { Guard, Need } from '../guard';
import { pipelineFor } from '../pipeline/pipelineRead';
import { pagingOf } from '../paging';
import { Flag, IsoTime } from '../queryCodecs';

/** A non-negative integer, in a JSON body or a query string. */
const Count = new t.Type<number, number, unknown>(
  'integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => {
    const n = typeof u === 'number' ? u : typeof u === 'string' && /^\d{1,9}$/.test(u) ? Number(u) : Number.NaN;
    return Number.isSafeInteger(n) && n >= 0 ? t.success(n) : t.failure(u, c);
  },
  (a) => a,
);

/** A Kafka offset (64-bit, so kept as its decimal text), given as text or as a number. */
const Offset = new t.Type<string, string, unknown>(
  'string',
  (u): u is string => typeof u === 'string' && /^\d{1,19}$/.test(u),
  (u, c) => {
    const text = typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? String(u) : u;
    return typeof text === 'string' && /^\d{1,19}$/.test(text) ? t.success(text) : t.failure(u, c);
  },
  String,
);

/** An error row's id as the list answers it: `<partition>-<offset>`. */
const ErrorRowIdText = new t.Type<string, string, unknown>(
  'string',
  (u): u is string => typeof u === 'string' && ERROR_ROW_ID.test(u),
  (u, c) => (typeof u === 'string' && ERROR_ROW_ID.test(u) ? t.success(u) : t.failure(u, c)),
  String,
);

/** The filters of the list, and of a replay by filter (in a body or a query string alike). */
export const ErrorRowFilterFields = t.exact(
  t.partial({
    reason_code: t.string,
    stage: ErrorRowFilter.props.stage,
    partition: Count,
    offset_from: Offset,
    offset_to: Offset,
    since: IsoTime,
    until: IsoTime,
    replayed: Flag,
  }),
);
/** Which subscription's error rows: the pipeline's first when absent. */
const SubscriptionChoice = t.partial({ subscription_id: t.string });
export const ErrorRowsQuery = t.intersection([ErrorRowFilterFields, SubscriptionChoice]);
const ReplayChoice = t.exact(t.partial({ ids: t.array(ErrorRowIdText), all: t.boolean, subscription_id: t.string }));
export const ReplayBody = t.intersection([ReplayChoice, ErrorRowFilterFields]);

/** Which subscription, and exactly one way of choosing its rows: ids, `all: true`, or filters. */
function replayRequestOf(body: unknown): { readonly subscriptionId: string | undefined; readonly selection: ErrorRowSelection } {
  const { ids, all, subscription_id: subscriptionId } = decode(ReplayChoice, body, 'body');
  const filter = decode(ErrorRowFilterFields, body, 'body');
  const ways = [ids !== undefined, all === true, Object.keys(filter).length > 0].filter(Boolean).length;
  if (ways !== 1) {
    throw new ValidationFailure([
      {
        loc: ['body'],
        msg: 'give exactly one of: ids, all: true, or filters (reason_code, stage, partition, offset_from, offset_to, since, until, replayed)',
        type: 'value_error.replay_selection',
      },
    ]);
  }
  if (ids !== undefined && (ids.length === 0 || ids.length > MAX_REPLAY_ROWS)) {
    throw new ValidationFailure([{ loc: ['body', 'ids'], msg: `give 1 to ${MAX_REPLAY_ROWS} ids`, type: 'value_error.list.size' }]);
  }
  return { subscriptionId, selection: ids !== undefined ? { ids } : all === true ? { all: true } : { filter } };
}

/** One error row as the API shows it. */
const errorRowItem = (row: StoredErrorRow) => ({
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

  const pipelineOf = (ctx: Context, need: Need) => pipelineFor(deps.views, guard, callerOf(ctx), pathParam(ctx), need);

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
