import Router from '@koa/router';
import * as t from 'io-ts';
import { UserLogDoc } from '../../projections/audit/auditView';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode } from '../decode';
import type { Guard } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { IsoTime, Uuid } from '../queryCodecs';

// `user_id` is an actor's id, which may be `system` or `runtime:<id>` rather than a user's UUID.
export const LogsQuery = t.partial({ user_id: t.string, resource_id: Uuid, event_type: t.string, since: IsoTime, until: IsoTime });

const { position: _position, ...entryProps } = UserLogDoc.props;
/** One audit log entry as `/user-logs` shows it: the document without its log position. */
export const UserLogEntry = t.type(entryProps, 'UserLogEntry');
const logEntry = ({ position: _position, ...entry }: UserLogDoc): t.TypeOf<typeof UserLogEntry> => entry;

/** Who did what, when: superusers see everything, others their own actions and those in their envs and teams. */
export function userLogsRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/user-logs' });
  router.get('/', async (ctx) => {
    const caller = callerOf(ctx);
    const paging = pagingOf(ctx.query);
    const q = decode(LogsQuery, ctx.query, 'query');
    const where = {
      ...(q.user_id !== undefined ? { user_id: q.user_id } : {}),
      ...(q.resource_id !== undefined ? { resource_id: q.resource_id } : {}),
      ...(q.event_type !== undefined ? { event_type: q.event_type } : {}),
    };
    const anyOf = caller.isSuperuser
      ? undefined
      : [
          { user_id: caller.id },
          { resource_id: caller.id },
          { env_id: await guard.envIdsOf(caller) },
          { team_id: (await guard.membershipsOf(caller)).map((m) => m.team_id) },
        ];
    const page = await deps.views.userLogs.find({
      where,
      ...(anyOf !== undefined ? { anyOf } : {}),
      ...(q.since !== undefined || q.until !== undefined
        ? {
            range: {
              field: 'time',
              ...(q.since !== undefined ? { gte: q.since } : {}),
              ...(q.until !== undefined ? { lte: q.until } : {}),
            },
          }
        : {}),
      sort: [{ field: 'position', direction: 'desc' }],
      ...paging,
    });
    ctx.body = pagedBody(page, paging, logEntry);
  });
  return router;
}
