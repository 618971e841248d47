import Router from '@koa/router';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { ConnectorCheckError } from '../../domain/connector/connectorConfig';
import { checkedLater } from '../../domain/jsonSchema';
import { MapperConfigInput, validateMapperConfig } from '../../domain/mapper/mapperSpec';
import { DEFAULT_DRY_RUN_LIMIT, dryRun, MAX_DRY_RUN_LIMIT } from '../../runtime/dryRun/dryRun';
import { dryRunInputOf } from '../../runtime/dryRun/dryRunInput';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode, idParam } from '../decode';
import { ValidationFailure, validationFailureOf } from '../../domain/failures';
import { HttpFailure } from '../errors';
import type { Guard } from '../guard';
import { pipelineFor } from '../pipeline/pipelineRead';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** `mapper_config`: a mapper to try instead of the stored one (validated as a PATCH validates it); `limit`: 1 to 100 messages. */
export const DryRunBody = t.exact(
  t.partial({
    mapper_config: Nullable(MapperConfigInput),
    // Its range is checked by the route (for its own message); the document says it.
    limit: Nullable(checkedLater(t.number, { type: 'integer', minimum: 1, maximum: MAX_DRY_RUN_LIMIT })),
  }),
);

const NullableString = Nullable(t.string);

/** The dry run's report (runtime/dryRun/dryRun.ts), as the route answers it. */
export const DryRunRead = t.type({
  messages: t.array(
    t.intersection([
      t.type({
        partition: t.number,
        offset: t.number,
        key_text: NullableString,
        value_text: NullableString,
        outcome: t.keyof({ ok: null, mapper_error: null, rejected: null, untried: null, skipped: null }),
      }),
      t.partial({
        action: t.keyof({ upsert: null, delete: null }),
        row: t.UnknownRecord,
        error: t.intersection([
          t.type({ stage: t.keyof({ parse: null, map: null, cast: null, target: null }), message: t.string }),
          t.partial({ code: t.string, column: t.string }),
        ]),
        note: t.string,
      }),
    ]),
  ),
  ddl: t.readonlyArray(t.string),
  target_reachable: t.boolean,
  target_error: Nullable(t.intersection([t.type({ message: t.string }), t.partial({ code: t.string })])),
  notes: t.readonlyArray(t.string),
});

/**
 * `POST /pipelines/{id}/dry-run`: the latest messages of the pipeline's source, mapped and tried
 * against its real target without keeping anything (runtime/dryRun/). Any state, drafts too;
 * the caller must be allowed to operate the pipeline's team. Within 10 s: a source that cannot
 * be read answers 400 with its reason (as the connection checks do); a target that cannot be
 * tried answers 200 with `target_reachable: false` and `target_error`, beside each message's
 * mapping.
 */
export function dryRunRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/pipelines' });

  router.post('/:id/dry-run', async (ctx) => {
    const caller = callerOf(ctx);
    const pipeline = await pipelineFor(deps.views, guard, caller, idParam(ctx), 'operate');
    const body = decode(DryRunBody, ctx.request.body ?? {}, 'body');
    const limit = body.limit ?? DEFAULT_DRY_RUN_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DRY_RUN_LIMIT) {
      throw new ValidationFailure([
        { loc: ['body', 'limit'], msg: `a whole number of messages, from 1 to ${MAX_DRY_RUN_LIMIT}`, type: 'value_error.number.range' },
      ]);
    }
    const mapper = body.mapper_config == null ? undefined : validateMapperConfig(body.mapper_config, ['body', 'mapper_config']);
    if (mapper !== undefined && isLeft(mapper)) throw validationFailureOf(mapper.left);
    const input = await dryRunInputOf(deps.views, deps.secrets, pipeline, {
      ...(mapper === undefined ? {} : { mapper: mapper.right }),
      limit,
    });
    if (isLeft(input)) throw new HttpFailure(400, input.left);
    try {
      const report: t.TypeOf<typeof DryRunRead> = await dryRun(input.right);
      ctx.body = report;
    } catch (error: unknown) {
      if (error instanceof ConnectorCheckError) throw new HttpFailure(400, `The source cannot be read: ${error.message}`);
      throw error;
    }
  });

  return router;
}
