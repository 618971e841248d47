import Router from '@koa/router';
import { Readable } from 'node:stream';
import * as t from 'io-ts';
import { WrongExpectedRevisionError } from '../../commands/eventstore/eventStore';
import { documentInMemory } from '../../commands/installation/documentStream';
import { INSTALLATION_FORMAT, InstallationDocument } from '../../commands/installation/installationDocument';
import { exportDocumentText } from '../../commands/installation/installationExport';
import { importInstallation, type ImportMode, type ImportOutcome } from '../../commands/installation/importService';
import { ImportAppendFailed, ImportRefused, type ImportRefusal } from '../../commands/installation/installationImport';
import { ReplaceRolledBackError, ReplaceRunningError } from '../../commands/installation/installationReplace';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode } from '../decode';
import { ValidationFailure } from '../../domain/failures';
import { HttpFailure } from '../errors';
import { commandContext } from '../execute';
import type { Guard } from '../guard';
import { holdsNothingBut, installationCounts, installationStateOf } from '../../projections/installation/installationState';

/**
 * `mode`: `empty` (the default) imports into an installation that holds nothing but its bootstrap
 * superuser; `merge` appends what the installation lacks; `replace` archives the log and makes the
 * document's live. `merge=true` is the older spelling of `mode=merge`.
 */
export const ImportQuery = t.partial({
  mode: t.keyof({ empty: null, merge: null, replace: null }),
  merge: t.keyof({ true: null, false: null }),
});

/** What an import did: `mode`, the events counted, the resources there now; a replace names the log it archived. */
export const ImportRead = t.intersection([
  t.type({
    mode: ImportQuery.props.mode,
    format: t.string,
    events_in_document: t.number,
    events_appended: t.number,
    events_already_stored: t.number,
    pipelines_paused: t.number,
    counts: t.record(t.string, t.number),
  }),
  t.partial({
    archived_log: t.type({ name: t.string, bytes: t.number }),
    superuser_replaced: t.type({ email: t.string, previous_user_id: t.string, user_id: t.union([t.string, t.null]), message: t.string }),
  }),
]);
type ImportRead = t.TypeOf<typeof ImportRead>;

/** The logs a replace archived, oldest first. */
export const ArchivesRead = t.type({ items: t.array(t.type({ name: t.string, bytes: t.number, archived_at: t.string })) });

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
    case 'IMPORT_STREAM_CONFLICT':
      return new HttpFailure(409, refusal);
    case 'INSTALLATION_NOT_EMPTY':
      // A plain code, as before `mode` existed (scripts match it); README says what to do: mode=merge or mode=replace.
      return new HttpFailure(409, 'INSTALLATION_NOT_EMPTY');
    case 'REPLACE_UNAVAILABLE':
      return new HttpFailure(409, { code: refusal.code, message: REPLACE_UNAVAILABLE });
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
    if (error instanceof ImportAppendFailed) {
      throw new HttpFailure(error.reason instanceof WrongExpectedRevisionError ? 409 : 500, {
        code: 'IMPORT_APPEND_FAILED',
        stream_id: error.streamId,
        appended_events: error.appended,
        message:
          'the import stopped at this stream; the events appended before it stay: import the same document again with ?mode=merge to append the rest',
      });
    }
    throw error;
  }
}

/**
 * Whole-installation export and import (superuser only), under /users as the contract has them.
 * Registered before the users router, whose `GET /users/:id` would otherwise take `export-all`.
 */
export function installationRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/users' });

  const replaced = async ({ result, superuserReplaced: taken }: Extract<ImportOutcome, { kind: 'replaced' }>): Promise<ImportRead> => ({
    mode: 'replace',
    format: INSTALLATION_FORMAT,
    events_in_document: result.eventsWritten,
    events_appended: result.eventsWritten,
    events_already_stored: 0,
    pipelines_paused: result.pipelinesPaused,
    archived_log: { name: result.archive.name, bytes: result.archive.bytes },
    counts: await installationCounts(deps.views),
    ...(taken === undefined
      ? {}
      : {
          superuser_replaced: {
            email: taken.email,
            previous_user_id: taken.previousUserId,
            user_id: taken.userId,
            message: `this installation held nothing but its bootstrap superuser: the document's account ${taken.email} took its place (its id and password). Log in again with that account's password`,
          },
        }),
  });

  const appended = async (
    mode: ImportMode,
    document: InstallationDocument,
    outcome: Extract<ImportOutcome, { kind: 'appended' }>,
  ): Promise<ImportRead> => ({
    mode,
    format: document.format,
    events_in_document: document.events.length,
    events_appended: outcome.eventsAppended,
    events_already_stored: outcome.alreadyStored,
    pipelines_paused: outcome.pipelinesPaused,
    counts: await installationCounts(deps.views),
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
    const archives: t.TypeOf<typeof ArchivesRead> = {
      items: (deps.installationLog?.archives() ?? []).map(({ name, bytes, archived_at }) => ({ name, bytes, archived_at })),
    };
    ctx.body = archives;
  });

  router.post('/import-all', async (ctx) => {
    const caller = callerOf(ctx);
    guard.superuser(caller);
    const query = decode(ImportQuery, ctx.query, 'query');
    const mode = query.mode ?? (query.merge === 'true' ? 'merge' : 'empty');
    const body: unknown = ctx.request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ValidationFailure([{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }]);
    const document = decode(InstallationDocument, body, 'body');
    const target = { empty: await holdsNothingBut(deps.views, caller.id), superuserEmail: caller.email, superuserId: caller.id };
    const importDeps = { ...deps, keyId: deps.secrets.keyId, upcasters: deps.commands.upcasters, replacer: deps.installationLog?.replacer };
    const source = documentInMemory(body as Record<string, unknown>);
    const outcome = await answering(() => importInstallation(importDeps, commandContext(ctx, caller.id), source, document, mode, target));
    ctx.body = outcome.kind === 'appended' ? await appended(mode, document, outcome) : await replaced(outcome);
  });

  return router;
}
