import Router from '@koa/router';
import type { Context } from 'koa';
import * as t from 'io-ts';
import { connectorHistory, HistoryEntry, pipelineHistory } from '../../commands/audit/streamHistory';
import { notFound } from '../../domain/errors';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { DomainFailure } from '../../domain/failures';
import type { Guard } from '../guard';
import { pagingOf } from '../paging';
import { idParam } from '../decode';

/** One change as the history routes show it: the entry, and the email of who made it (null once the user is gone). */
export const HistoryItem = t.intersection([HistoryEntry, t.type({ actor_email: t.union([t.string, t.null]) })], 'HistoryItem');
const historyItem = (entry: HistoryEntry, actorEmail: string | null): t.TypeOf<typeof HistoryItem> => ({
  ...entry,
  actor_email: actorEmail,
});

/**
 * `GET /pipelines/{id}/history` and `GET /connectors/{id}/history`: every change, newest first,
 * read from the event log (not from a read model), with who made it, when, the pipeline
 * version it led to, and each field's old and new value.
 */
export function historyRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router();

  const answer = async (ctx: Context, entries: readonly HistoryEntry[]) => {
    const paging = pagingOf(ctx.query);
    const newestFirst = [...entries].reverse();
    const page = newestFirst.slice(paging.skip, paging.skip + paging.limit);
    const emails = new Map<string, string | null>();
    for (const actor of new Set(page.map((entry) => entry.actor_id))) emails.set(actor, (await deps.views.users.get(actor))?.email ?? null);
    ctx.body = {
      items: page.map((entry) => historyItem(entry, emails.get(entry.actor_id) ?? null)),
      total: entries.length,
      skip: paging.skip,
      limit: paging.limit,
    };
  };

  /** The id of the path, once the caller may read the team of the resource it names. */
  const readable = async (
    ctx: Context,
    doc: { readonly id: string; readonly team_id: string } | undefined,
    missing: string,
  ): Promise<string> => {
    if (doc === undefined) throw new DomainFailure(notFound(missing));
    await guard.team(callerOf(ctx), doc.team_id, 'read');
    return doc.id;
  };

  router.get('/pipelines/:id/history', async (ctx: Context) => {
    const id = await readable(ctx, await deps.views.pipelines.get(idParam(ctx)), 'PIPELINE_NOT_FOUND');
    await answer(ctx, await pipelineHistory(deps.commands, id));
  });

  router.get('/connectors/:id/history', async (ctx: Context) => {
    const id = await readable(ctx, await deps.views.connectors.get(idParam(ctx)), 'CONNECTOR_NOT_FOUND');
    await answer(ctx, await connectorHistory(deps.commands, id));
  });

  return router;
}
