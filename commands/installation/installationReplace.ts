import type { Upcasters } from '../../domain/upcasting/upcasters';
import type { EventStore } from '../eventstore/eventStore';
import type { CommandContext, CommandDeps } from '../handleCommand';
import type { DocumentSource } from './documentStream';
import type { GuardedEventStore } from './guardedEventStore';
import { checkDocument, documentEvents, pauseImportedPipelines, writeLog } from './installationImport';
import { archiveLiveLog, incomingLogFile, removeLogFile, replaceLiveLogWith, type ArchivedLog } from './sqliteLogFiles';

/**
 * A running single-process installation on the embedded log trades its whole log for a
 * document's (`POST /api/users/import-all?mode=replace`, and the import into an installation that
 * holds nothing but its bootstrap superuser).
 *
 * 1. The document is checked whole and written into a log file of its own: a refused or broken
 *    document ends here, the live log untouched.
 * 2. The workers stop. Appends are held; the live log is archived (`<data dir>/archive/<time>.sqlite`)
 *    and its events are swapped for the new file's in one SQLite transaction. The projection
 *    runner that feeds today's read models is fenced at the old head, so readers keep a consistent
 *    old view until step 3 swaps.
 * 3. The read models are rebuilt from the new log into a new generation (projections/liveRebuild.ts)
 *    and swapped in at once. Should that fail, the archived log is swapped back the same way and
 *    rebuilt: the installation is as before.
 * 4. The document's running pipelines are paused (no worker starts on an import), `afterSwap`
 *    runs (the configured superuser is ensured), and the workers start again.
 */
export interface LogReplaceDeps {
  readonly dataDir: string;
  readonly store: GuardedEventStore;
  /** Opens an embedded log file (the new log is written through the event store port). */
  readonly openLogFile: (file: string) => EventStore;
  readonly commands: CommandDeps;
  readonly upcasters: Upcasters;
  readonly keyId: string;
  readonly stopRuntime: () => Promise<void>;
  readonly startRuntime: () => Promise<void>;
  /** Rebuilds the read models from the live log and swaps them in; rejects when that failed. */
  readonly rebuildReadModels: () => Promise<void>;
  readonly waitFor: (position: bigint) => Promise<void>;
  readonly afterSwap: () => Promise<void>;
}

export interface ReplaceResult {
  readonly archive: ArchivedLog;
  readonly eventsWritten: number;
  readonly pipelinesPaused: number;
}

export class ReplaceRunningError extends Error {
  constructor() {
    super('a replace of the log is running');
    this.name = 'ReplaceRunningError';
  }
}

/** The rebuild over the new log failed and the old log is live again. */
export class ReplaceRolledBackError extends Error {
  constructor(readonly reason: unknown) {
    super(
      `the read models could not be built from the document's log; the previous log is live again: ${reason instanceof Error ? reason.message : String(reason)}`,
    );
    this.name = 'ReplaceRolledBackError';
  }
}

export function logReplacer(deps: LogReplaceDeps) {
  let running = false;

  /**
   * Runs `change` (of the live log's events) with appends held and the subscriptions open now
   * fenced at the head: the runner of today's read models sees nothing of it. A failed change lifts the fence.
   */
  const underHold = async <T>(change: () => T): Promise<T> => {
    const hold = await deps.store.hold();
    try {
      const fence = deps.store.fenceOpenSubscriptions((await deps.store.headPosition()) ?? 0n);
      try {
        return change();
      } catch (error) {
        fence.lift();
        throw error;
      }
    } finally {
      hold.release();
    }
  };

  const replace = async (source: DocumentSource, context: CommandContext): Promise<ReplaceResult> => {
    const checked = await checkDocument(source, { upcasters: deps.upcasters, keyId: deps.keyId, store: undefined });
    const file = incomingLogFile(deps.dataDir, deps.commands.now());
    try {
      const incoming = deps.openLogFile(file);
      let eventsWritten: number;
      try {
        eventsWritten = await writeLog(incoming, documentEvents(source), { inFlight: 256 });
      } finally {
        await incoming.close();
      }

      await deps.stopRuntime();
      try {
        // Archived under the same hold as the swap: no append falls between the two.
        const archive = await underHold(() => {
          const archived = archiveLiveLog(deps.dataDir, deps.commands.now());
          try {
            replaceLiveLogWith(deps.dataDir, file);
          } catch (error) {
            removeLogFile(archived.path);
            throw error;
          }
          return archived;
        });
        try {
          await deps.rebuildReadModels();
        } catch (error) {
          await underHold(() => replaceLiveLogWith(deps.dataDir, archive.path));
          await deps.rebuildReadModels();
          throw new ReplaceRolledBackError(error);
        }
        const { paused, position } = await pauseImportedPipelines(deps.commands, context, checked.pipelineIds);
        if (position !== undefined) await deps.waitFor(position);
        await deps.afterSwap();
        return { archive, eventsWritten, pipelinesPaused: paused };
      } finally {
        await deps.startRuntime();
      }
    } finally {
      removeLogFile(file);
    }
  };

  return {
    /** Replaces the live log with the document's; one replace at a time. */
    async replace(source: DocumentSource, context: CommandContext): Promise<ReplaceResult> {
      if (running) throw new ReplaceRunningError();
      running = true;
      try {
        return await replace(source, context);
      } finally {
        running = false;
      }
    },
  };
}
export type LogReplacer = ReturnType<typeof logReplacer>;
