import Router from '@koa/router';
import { Readable } from 'node:stream';
import * as t from 'io-ts';
import { WrongExpectedRevisionError } from '../../commands/eventstore/eventStore';
import { documentInMemory, type DocumentSource } from '../../commands/installation/documentStream';
import { INSTALLATION_FORMAT, InstallationDocument, type ExportedEvent } from '../../commands/installation/installationDocument';
import { exportDocumentText } from '../../commands/installation/installationExport';
import {
  appendPlan,
  checkDocument,
  explainConflicts,
  ImportAppendFailed,
  ImportRefused,
  pauseImportedPipelines,
  planImport,
  type ImportRefusal,
} from '../../commands/installation/installationImport';
import {
  ReplaceRolledBackError,
  ReplaceRunningError,
  type LogReplacer,
  type ReplaceResult,
} from '../../commands/installation/installationReplace';
import type { ArchivedLog } from '../../commands/installation/sqliteLogFiles';
import { holderOf } from '../../commands/reservations';
import { pipelineStream } from '../../commands/streams';
import { CONNECTORS, ENVS, PIPELINES, SUBSCRIPTIONS, TEAM_MEMBERS, TEAMS, USERS } from '../../projections/collections';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode } from '../decode';
import { ValidationFailure } from '../../domain/failures';
import { HttpFailure } from '../errors';
import { commandContext } from '../execute';
import type { Guard } from '../guard';
import { installationStateOf } from '../../projections/installation/installationState';

declare module '../apiDeps' {
  interface ApiDeps {
    /**
     * Replacing the whole log, where this process can (a single-process installation on the
     * embedded log); absent otherwise: `mode=replace` then answers 409 REPLACE_UNAVAILABLE.
     */
    readonly installationLog?: {
      readonly replacer: LogReplacer;
      readonly archives: () => readonly ArchivedLog[];
    };
  }
}

/**
 * `mode`: `empty` (the default) imports into an installation that holds nothing but its bootstrap
 * superuser; `merge` appends what the installation lacks; `replace` archives the log and makes the
 * document's live. `merge=true` is the older spelling of `mode=merge`.
 */
export const ImportQuery = t.partial({
  mode: t.keyof({ empty: null, merge: null, replace: null }),
  merge: t.keyof({ true: null, false: null }),
});

const COUNTED = {
  users: USERS,
  envs: ENVS,
  teams: TEAMS,
  team_members: TEAM_MEMBERS,
  connectors: CONNECTORS,
  pipelines: PIPELINES,
  subscriptions: SUBSCRIPTIONS,
};

const REPLACE_UNAVAILABLE =
  'this installation cannot replace its log while running: that needs the embedded event log and one process (POPSINK_ROLE=all). Stop it and use the offline import (popsink import FILE --data-dir DIR) into an empty log instead';

function refusalOf(refusal: ImportRefusal): Error {
  switch (refusal.code) {
    case 'INVALID_DOCUMENT':
      return new ValidationFailure(refusal.issues);
    case 'SECRET_KEY_MISMATCH':
      return new HttpFailure(409, 'SECRET_KEY_MISMATCH');
    case 'IMPORT_UNRESOLVED_REFERENCES':
      return new HttpFailure(409, {
        code: refusal.code,
        message: 'these ids name resources that neither the document nor this installation holds; nothing was imported',
        references: refusal.references,
      });
  }
}

/** Runs an import step, answering its refusals as the API does. */
async function answering<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ImportRefused) throw refusalOf(error.refusal);
    if (error instanceof ReplaceRunningError) throw new HttpFailure(409, 'REPLACE_RUNNING');
    if (error instanceof ReplaceRolledBackError) throw new HttpFailure(409, { code: 'REPLACE_ROLLED_BACK', message: error.message });
    throw error;
  }
}

/**
 * Whole-installation export and import (superuser only), under /users as the contract has them.
 * Registered before the users router, whose `GET /users/:id` would otherwise take `export-all`.
 */
export function installationRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/users' });

  const total = async (collection: string): Promise<number> => (await deps.readStore.find(collection, { limit: 1 })).total;
  const counts = async (): Promise<Record<string, number>> => {
    const counted: Record<string, number> = {};
    for (const [name, collection] of Object.entries(COUNTED)) counted[name] = await total(collection);
    return counted;
  };

  /** Empty: no env, team, connector or pipeline, and no user but the caller (the bootstrap superuser). */
  const isEmpty = async (caller: Caller): Promise<boolean> => {
    for (const collection of [ENVS, TEAMS, CONNECTORS, PIPELINES]) if ((await total(collection)) > 0) return false;
    const users = await deps.readStore.find(USERS, { limit: 2 });
    return users.items.every((user) => user.id === caller.id);
  };

  const replacerOrRefuse = (): LogReplacer => {
    if (deps.installationLog === undefined) throw new HttpFailure(409, { code: 'REPLACE_UNAVAILABLE', message: REPLACE_UNAVAILABLE });
    return deps.installationLog.replacer;
  };

  const replaced = async (result: ReplaceResult) => ({
    mode: 'replace',
    format: INSTALLATION_FORMAT,
    events_in_document: result.eventsWritten,
    events_appended: result.eventsWritten,
    events_already_stored: 0,
    pipelines_paused: result.pipelinesPaused,
    archived_log: { name: result.archive.name, bytes: result.archive.bytes },
    counts: await counts(),
  });

  router.get('/export-all', async (ctx) => {
    guard.superuser(callerOf(ctx));
    const exportedAt = deps.commands.now().toISOString();
    ctx.set('Content-Disposition', `attachment; filename="popsink-${exportedAt.replaceAll(':', '-')}.json"`);
    ctx.type = 'application/json';
    ctx.body = Readable.from(
      exportDocumentText(deps.commands.store, await installationStateOf(deps.readStore), {
        exported_at: exportedAt,
        secret_key_fingerprint: deps.secrets.keyId,
      }),
    );
  });

  router.get('/import-all/archives', async (ctx) => {
    guard.superuser(callerOf(ctx));
    ctx.body = { items: (deps.installationLog?.archives() ?? []).map(({ name, bytes, archived_at }) => ({ name, bytes, archived_at })) };
  });

  router.post('/import-all', async (ctx) => {
    const caller = callerOf(ctx);
    guard.superuser(caller);
    const query = decode(ImportQuery, ctx.query, 'query');
    const mode = query.mode ?? (query.merge === 'true' ? 'merge' : 'empty');
    const body: unknown = ctx.request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ValidationFailure([{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }]);
    const source: DocumentSource = documentInMemory(body as Record<string, unknown>);
    const context = commandContext(ctx, caller.id);

    if (mode === 'replace') {
      const replacer = replacerOrRefuse();
      const result = await answering(() => replacer.replace(source, context));
      deps.logger.info('installation log replaced', { archivedLog: result.archive.name, events: result.eventsWritten });
      ctx.body = await replaced(result);
      return;
    }

    // The whole document is checked (format, key, references) before anything is appended.
    const checked = await answering(() =>
      checkDocument(source, { upcasters: deps.commands.upcasters, keyId: deps.secrets.keyId, store: deps.commands.store }),
    );
    const document = decode(InstallationDocument, body, 'body');
    const plan = await planImport(deps.commands.store, document.events);
    const empty = await isEmpty(caller);

    if (plan.conflicts.length > 0) {
      // An installation holding only its bootstrap superuser conflicts only through that account
      // (the document's account with the same email): the document's takes its place.
      if (mode === 'empty' && empty && deps.installationLog !== undefined) {
        const result = await answering(() => replacerOrRefuse().replace(source, context));
        const holder = await holderOf(deps.commands, { scope: 'email', value: caller.email });
        deps.logger.info('installation log replaced: the bootstrap superuser took the document’s account', {
          archivedLog: result.archive.name,
        });
        ctx.body = {
          ...(await replaced(result)),
          superuser_replaced: {
            email: caller.email,
            previous_user_id: caller.id,
            user_id: holder,
            message: `this installation held nothing but its bootstrap superuser: the document's account ${caller.email} took its place (its id and password). Log in again with that account's password`,
          },
        };
        return;
      }
      const byStream = new Map<string, ExportedEvent[]>();
      for (const event of document.events)
        if (plan.conflicts.includes(event.stream_id)) byStream.set(event.stream_id, [...(byStream.get(event.stream_id) ?? []), event]);
      throw new HttpFailure(409, {
        code: 'IMPORT_STREAM_CONFLICT',
        message:
          mode === 'empty' && empty
            ? 'the document holds an account with the email of this installation’s bootstrap superuser, and this installation cannot replace its log while running; import it offline (popsink import FILE --data-dir DIR) before the first start'
            : 'these streams exist here with other events: a unique value (email, env name, team name...) is held here by another resource than in the document',
        conflicts: await explainConflicts(
          deps.commands.store,
          plan.conflicts.slice(0, 20),
          (streamId) => byStream.get(streamId) ?? [],
          deps.commands.upcasters,
        ),
      });
    }
    if (plan.appendCount > 0 && mode !== 'merge' && !empty) {
      // A plain code, as before `mode` existed (scripts match it); README says what to do: mode=merge or mode=replace.
      throw new HttpFailure(409, 'INSTALLATION_NOT_EMPTY');
    }

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
        message:
          'the import stopped at this stream; the events appended before it stay: import the same document again with ?mode=merge to append the rest',
      });
    }
    if (position !== undefined) await deps.waitFor(position);

    const imported = new Set(plan.runs.map((run) => run.streamId));
    const pause = await pauseImportedPipelines(
      deps.commands,
      context,
      checked.pipelineIds.filter((id) => imported.has(pipelineStream(id))),
    );
    if (pause.position !== undefined) await deps.waitFor(pause.position);

    ctx.body = {
      mode,
      format: document.format,
      events_in_document: document.events.length,
      events_appended: plan.appendCount,
      events_already_stored: plan.alreadyStored,
      pipelines_paused: pause.paused,
      counts: await counts(),
    };
  });

  return router;
}
