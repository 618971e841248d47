import Router from '@koa/router';
import type { Context } from 'koa';
import { connectors, pipelines } from '../../commands/aggregates';
import { streamHistory, type HistoryEntry } from '../../commands/audit/streamHistory';
import { secretFieldsOf } from '../../domain/connector/connectorConfig';
import type { ConnectorState } from '../../domain/connector/connector';
import { notFound } from '../../domain/errors';
import type { PipelineEvent, PipelineState } from '../../domain/pipeline/pipeline';
import { maskSecrets } from '../../domain/connector/secrets';
import { CONNECTORS, PIPELINES, USERS } from '../../projections/collections';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { DomainFailure } from '../errors';
import type { Guard } from '../guard';
import { pagingOf } from '../paging';

/** What a reader sees of a pipeline at each step: its settings (no secret lives there) and lifecycle. */
const pipelineView = (state: PipelineState) =>
  state.status !== 'exists'
    ? {}
    : {
        name: state.name,
        state: state.state,
        version: state.version,
        source_connector_id: state.settings.sourceConnectorId,
        target_connector_id: state.settings.targetConnectorId,
        subscriptions: state.settings.subscriptions,
        paused_subscriptions: state.pausedSubscriptionIds,
        datamodel: state.settings.datamodel,
      };

/** A replay of error rows changes no field: what was replayed and how it went is its entry's `details`. */
const pipelineDetails = (event: PipelineEvent) => (event.type === 'PipelineErrorRowsReplayed' ? { subscription_id: event.data.subscriptionId, selection: event.data.selection, ...event.data.counts } : null);

/** What a reader sees of a connector at each step: secrets masked (sealed values never leave). */
const connectorView = (state: ConnectorState) =>
  state.status !== 'exists' ? {} : { name: state.name, connector_type: state.connectorType, config: maskSecrets(state.config, secretFieldsOf(state.connectorType, state.config)) };

/**
 * `GET /pipelines/{id}/history` and `GET /connectors/{id}/history`: every change, newest first,
 * read from the event log (not from a read model), with who made it, when, the pipeline
 * version it led to, and each field's old and new value.
 */
export function historyRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router();

  const answer = async (ctx: Context, entries: readonly HistoryEntry[], versionOf: (entry: HistoryEntry) => unknown) => {
    const paging = pagingOf(ctx.query);
    const newestFirst = [...entries].reverse();
    const page = newestFirst.slice(paging.skip, paging.skip + paging.limit);
    const emails = new Map<string, unknown>();
    for (const actor of new Set(page.map((entry) => entry.actor_id))) emails.set(actor, (await deps.readStore.get(USERS, actor))?.['email'] ?? null);
    ctx.body = {
      items: page.map((entry) => ({ ...entry, version: versionOf(entry), actor_email: emails.get(entry.actor_id) ?? null })),
      total: entries.length,
      skip: paging.skip,
      limit: paging.limit,
    };
  };

  /** The id of the path, once the caller may read the team of the resource it names. */
  const readable = async (ctx: Context, collection: string, missing: string): Promise<string> => {
    const id = ctx.params['id'] ?? '';
    const doc = await deps.readStore.get(collection, id);
    if (doc === undefined) throw new DomainFailure(notFound(missing));
    await guard.team(callerOf(ctx), String(doc['team_id']), 'read');
    return id;
  };

  router.get('/pipelines/:id/history', async (ctx: Context) => {
    const id = await readable(ctx, PIPELINES, 'PIPELINE_NOT_FOUND');
    const entries = await streamHistory(deps.commands.store, pipelines.decider, pipelines.stream(id), pipelineView, pipelineDetails);
    // The version each change led to, as the pipeline counts them (a rename or a start keeps it).
    const versions = new Map<HistoryEntry, number>();
    let version = 0;
    for (const entry of entries) {
      const changed = entry.changes.find((change) => change.field === 'version')?.new;
      if (typeof changed === 'number') version = changed;
      versions.set(entry, version);
    }
    await answer(ctx, entries, (entry) => versions.get(entry));
  });

  router.get('/connectors/:id/history', async (ctx: Context) => {
    const id = await readable(ctx, CONNECTORS, 'CONNECTOR_NOT_FOUND');
    const entries = await streamHistory(deps.commands.store, connectors.decider, connectors.stream(id), connectorView);
    await answer(ctx, entries, (entry) => entry.revision);
  });

  return router;
}
