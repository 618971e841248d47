import type { Logger } from '../../infrastructure/logger';
import type { Upcasters } from '../../domain/upcasting/upcasters';
import type { ServiceDeps } from '../execute';
import type { CommandContext } from '../handleCommand';
import { holderOf } from '../reservations';
import { pipelineStream } from '../streams';
import type { DocumentSource } from './documentStream';
import type { ExportedEvent, InstallationDocument } from './installationDocument';
import { appendPlan, checkDocument, explainConflicts, ImportRefused, pauseImportedPipelines, planImport } from './installationImport';
import type { LogReplacer, ReplaceResult } from './installationReplace';

/**
 * `empty` imports into an installation that holds nothing but its bootstrap superuser; `merge`
 * appends what the installation lacks; `replace` archives the log and makes the document's live.
 */
export type ImportMode = 'empty' | 'merge' | 'replace';

export interface ImportDeps extends ServiceDeps {
  readonly keyId: string;
  readonly upcasters: Upcasters;
  readonly logger: Logger;
  /** Absent where this process cannot replace its log (EventStoreDB, several processes). */
  readonly replacer: LogReplacer | undefined;
}

/** The installation the document goes into, as its read models show it. */
export interface ImportTarget {
  /** Nothing but the bootstrap superuser (the caller). */
  readonly empty: boolean;
  readonly superuserEmail: string;
  readonly superuserId: string;
}

export type ImportOutcome =
  | {
      readonly kind: 'replaced';
      readonly result: ReplaceResult;
      /** Set when the document's account with the bootstrap superuser's email took its place. */
      readonly superuserReplaced?: { readonly email: string; readonly previousUserId: string; readonly userId: string | null };
    }
  | { readonly kind: 'appended'; readonly eventsAppended: number; readonly alreadyStored: number; readonly pipelinesPaused: number };

const NO_TAKEOVER_WHILE_RUNNING =
  'the document holds an account with the email of this installation’s bootstrap superuser, and this installation cannot replace its log while running; import it offline (popsink import FILE --data-dir DIR) before the first start';
const HELD_ELSEWHERE =
  'these streams exist here with other events: a unique value (email, env name, team name...) is held here by another resource than in the document';

async function replace(deps: ImportDeps, source: DocumentSource, context: CommandContext): Promise<ReplaceResult> {
  if (deps.replacer === undefined) throw new ImportRefused({ code: 'REPLACE_UNAVAILABLE' });
  const result = await deps.replacer.replace(source, context);
  deps.logger.info('installation log replaced', {
    requestId: context.correlationId,
    archivedLog: result.archive.name,
    events: result.eventsWritten,
  });
  return result;
}

/**
 * Imports an installation document. The whole document is checked (format, key, references)
 * before anything is appended; imported pipelines that were running come back paused. Refusals
 * are thrown as ImportRefused; an append that stops half-way as ImportAppendFailed.
 */
export async function importInstallation(
  deps: ImportDeps,
  context: CommandContext,
  source: DocumentSource,
  document: InstallationDocument,
  mode: ImportMode,
  target: ImportTarget,
): Promise<ImportOutcome> {
  if (mode === 'replace') return { kind: 'replaced', result: await replace(deps, source, context) };

  const checked = await checkDocument(source, { upcasters: deps.upcasters, keyId: deps.keyId, store: deps.commands.store });
  const plan = await planImport(deps.commands.store, document.events);
  if (plan.conflicts.length > 0) {
    // An installation holding only its bootstrap superuser conflicts only through that account
    // (the document's account with the same email): the document's takes its place.
    if (mode === 'empty' && target.empty && deps.replacer !== undefined) {
      const result = await replace(deps, source, context);
      const userId = await holderOf(deps.commands, { scope: 'email', value: target.superuserEmail });
      return { kind: 'replaced', result, superuserReplaced: { email: target.superuserEmail, previousUserId: target.superuserId, userId } };
    }
    const byStream = new Map<string, ExportedEvent[]>();
    for (const event of document.events) {
      if (plan.conflicts.includes(event.stream_id)) byStream.set(event.stream_id, [...(byStream.get(event.stream_id) ?? []), event]);
    }
    const conflicts = await explainConflicts(
      deps.commands.store,
      plan.conflicts.slice(0, 20),
      (streamId) => byStream.get(streamId) ?? [],
      deps.upcasters,
    );
    throw new ImportRefused({
      code: 'IMPORT_STREAM_CONFLICT',
      message: mode === 'empty' && target.empty ? NO_TAKEOVER_WHILE_RUNNING : HELD_ELSEWHERE,
      conflicts,
    });
  }
  if (plan.appendCount > 0 && mode !== 'merge' && !target.empty) throw new ImportRefused({ code: 'INSTALLATION_NOT_EMPTY' });

  const position = await appendPlan(deps.commands.store, plan);
  if (position !== undefined) await deps.waitFor(position);
  const imported = new Set(plan.runs.map((run) => run.streamId));
  const pause = await pauseImportedPipelines(
    deps.commands,
    context,
    checked.pipelineIds.filter((id) => imported.has(pipelineStream(id))),
  );
  if (pause.position !== undefined) await deps.waitFor(pause.position);
  return { kind: 'appended', eventsAppended: plan.appendCount, alreadyStored: plan.alreadyStored, pipelinesPaused: pause.paused };
}
