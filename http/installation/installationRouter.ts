import Router from '@koa/router';
import * as t from 'io-ts';
import { isRight } from 'fp-ts/lib/Either.js';
import { pipelines } from '../../commands/aggregates';
import { WrongExpectedRevisionError } from '../../commands/eventstore/eventStore';
import { documentIssues, InstallationDocument, sealingKeyIds } from '../../commands/installation/installationDocument';
import { exportInstallation } from '../../commands/installation/installationExport';
import { appendPlan, ImportAppendFailed, planImport } from '../../commands/installation/installationImport';
import { handleKeyedCommand } from '../../commands/keyedCommand';
import { pipelineStream } from '../../commands/streams';
import { CONNECTORS, ENVS, PIPELINES, SUBSCRIPTIONS, TEAM_MEMBERS, TEAMS, USERS } from '../../projections/collections';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode, ValidationFailure } from '../decode';
import { HttpFailure } from '../errors';
import { commandContext } from '../execute';
import type { Guard } from '../guard';

export const ImportQuery = t.partial({ merge: t.keyof({ true: null, false: null }) });

const COUNTED = { users: USERS, envs: ENVS, teams: TEAMS, team_members: TEAM_MEMBERS, connectors: CONNECTORS, pipelines: PIPELINES, subscriptions: SUBSCRIPTIONS };

/**
 * Whole-installation export and import (superuser only), under /users as the contract has them.
 * Registered before the users router, whose `GET /users/:id` would otherwise take `export-all`.
 */
export function installationRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/users' });

  const total = async (collection: string): Promise<number> => (await deps.readStore.find(collection, { limit: 1 })).total;

  /** Empty: no env, team, connector or pipeline, and no user but the caller (the bootstrap superuser). */
  const isEmpty = async (caller: Caller): Promise<boolean> => {
    for (const collection of [ENVS, TEAMS, CONNECTORS, PIPELINES]) if ((await total(collection)) > 0) return false;
    const users = await deps.readStore.find(USERS, { limit: 2 });
    return users.items.every((user) => user.id === caller.id);
  };

  router.get('/export-all', async (ctx) => {
    guard.superuser(callerOf(ctx));
    const document = await exportInstallation(deps.commands.store, deps.readStore, deps.secrets.keyId, deps.commands.now());
    ctx.set('Content-Disposition', `attachment; filename="popsink-${document.exported_at.replaceAll(':', '-')}.json"`);
    ctx.body = document;
  });

  router.post('/import-all', async (ctx) => {
    const caller = callerOf(ctx);
    guard.superuser(caller);
    const { merge } = decode(ImportQuery, ctx.query, 'query');
    // The whole document is checked before anything is appended.
    const document = decode(InstallationDocument, ctx.request.body, 'body');
    const issues = documentIssues(document);
    if (issues.length > 0) throw new ValidationFailure(issues);
    const foreignKeys = [...sealingKeyIds(document.events)].filter((id) => id !== deps.secrets.keyId);
    if (document.secret_key_fingerprint !== deps.secrets.keyId || foreignKeys.length > 0) throw new HttpFailure(409, 'SECRET_KEY_MISMATCH');

    const plan = await planImport(deps.commands.store, document.events);
    if (plan.conflicts.length > 0) {
      throw new HttpFailure(409, {
        code: 'IMPORT_STREAM_CONFLICT',
        message: 'these streams already exist here with other events (e.g. a user of the document has the email of this installation’s own superuser)',
        streams: plan.conflicts.slice(0, 20),
      });
    }
    if (plan.appendCount > 0 && merge !== 'true' && !(await isEmpty(caller))) throw new HttpFailure(409, 'INSTALLATION_NOT_EMPTY');

    let position: bigint | undefined;
    try {
      position = await appendPlan(deps.commands.store, plan);
    } catch (error) {
      if (!(error instanceof ImportAppendFailed)) throw error;
      deps.logger.error('import stopped', { streamId: error.streamId, appended: error.appended, error: String(error.reason) });
      throw new HttpFailure(error.reason instanceof WrongExpectedRevisionError ? 409 : 500, {
        code: 'IMPORT_APPEND_FAILED',
        stream_id: error.streamId,
        appended_events: error.appended,
        message: 'the import stopped at this stream; the events appended before it stay: import the same document again with ?merge=true to append the rest',
      });
    }
    if (position !== undefined) await deps.waitFor(position);

    // Pipelines this import brought in that were running come back paused: no worker starts on import.
    const imported = new Set(plan.runs.map((run) => run.streamId));
    const context = commandContext(ctx, caller.id);
    let paused = 0;
    for (const streamId of imported) {
      const pipelineId = streamId.startsWith(pipelineStream('')) ? streamId.slice(pipelineStream('').length) : undefined;
      if (pipelineId === undefined) continue;
      const outcome = await handleKeyedCommand(deps.commands, context, pipelines, pipelineId, { type: 'PausePipeline' });
      if (!isRight(outcome) || outcome.right.events.length === 0) continue;
      paused++;
      if (outcome.right.position !== undefined) await deps.waitFor(outcome.right.position);
    }

    const counts: Record<string, number> = {};
    for (const [name, collection] of Object.entries(COUNTED)) counts[name] = await total(collection);
    ctx.body = {
      format: document.format,
      events_in_document: document.events.length,
      events_appended: plan.appendCount,
      events_already_stored: plan.alreadyStored,
      pipelines_paused: paused,
      counts,
    };
  });

  return router;
}
