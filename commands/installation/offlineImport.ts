import type { EventStore } from '../eventstore/eventStore';
import type { CommandDeps } from '../handleCommand';
import type { DocumentPart, DocumentSource } from './documentStream';
import { checkDocument, documentEvents, pauseImportedPipelines, writeLog } from './installationImport';
import { incomingLogFile, installLogFile, removeLogFile } from './sqliteLogFiles';
import type { Upcasters } from '../../domain/upcasting/upcasters';

/** Where an offline import writes: the embedded log of a data dir, or an EventStoreDB. */
export type OfflineTarget =
  | { readonly kind: 'embedded'; readonly dataDir: string; readonly open: (file: string) => EventStore }
  | { readonly kind: 'eventstoredb'; readonly store: EventStore };

export interface OfflineImportDeps {
  readonly target: OfflineTarget;
  /** Fingerprint of the secret key the installation will run with. */
  readonly keyId: string;
  readonly upcasters: Upcasters;
  readonly commandsOf: (store: EventStore) => CommandDeps;
  readonly now: () => Date;
  readonly onProgress?: (progress: { readonly phase: 'check' | 'write'; readonly events: number }) => void;
}

export interface OfflineImportResult {
  readonly events: number;
  readonly pipelinesPaused: number;
}

export class LogNotEmptyError extends Error {
  constructor() {
    super('the event log is not empty: an offline import writes only into the log of an installation that never started');
    this.name = 'LogNotEmptyError';
  }
}

/**
 * Writes a document's log into the empty log of an installation that is not running; its first
 * start then builds the read models from it. The document is checked whole first (format, secret
 * key, references), so a refused one writes nothing. The embedded log is written into a file of its
 * own that becomes the live log only once complete; EventStoreDB is written in place, in order.
 * Running pipelines of the document come back paused, as after an import into a running platform.
 * Takes `live` over: it is closed when this returns or throws.
 */
export async function importIntoEmptyLog(source: DocumentSource, live: EventStore, deps: OfflineImportDeps): Promise<OfflineImportResult> {
  try {
    return await importInto(source, live, deps);
  } finally {
    await live.close().catch(() => undefined);
  }
}

async function importInto(source: DocumentSource, live: EventStore, deps: OfflineImportDeps): Promise<OfflineImportResult> {
  if ((await live.headPosition()) !== undefined) throw new LogNotEmptyError();
  let events = 0;
  const counted = async function* (): AsyncGenerator<DocumentPart> {
    for await (const part of source.parts()) {
      if (part.kind === 'event' && ++events % 10_000 === 0) deps.onProgress?.({ phase: 'check', events });
      yield part;
    }
  };
  const checked = await checkDocument({ parts: counted }, { upcasters: deps.upcasters, keyId: deps.keyId, store: undefined });
  const onWritten = (written: number): void => deps.onProgress?.({ phase: 'write', events: written });

  if (deps.target.kind === 'eventstoredb') {
    const written = await writeLog(live, documentEvents(source), { inFlight: 1, onWritten });
    const commands = deps.commandsOf(live);
    const { paused } = await pauseImportedPipelines(commands, { actorId: 'system', correlationId: commands.newId() }, checked.pipelineIds);
    return { events: written, pipelinesPaused: paused };
  }

  const file = incomingLogFile(deps.target.dataDir, deps.now());
  const incoming = deps.target.open(file);
  try {
    const written = await writeLog(incoming, documentEvents(source), { inFlight: 256, onWritten });
    const commands = deps.commandsOf(incoming);
    const { paused } = await pauseImportedPipelines(commands, { actorId: 'system', correlationId: commands.newId() }, checked.pipelineIds);
    await incoming.close();
    // Checked again: another process may have written the live log meanwhile.
    if ((await live.headPosition()) !== undefined) throw new LogNotEmptyError();
    await live.close();
    installLogFile(deps.target.dataDir, file);
    return { events: written, pipelinesPaused: paused };
  } catch (error) {
    await incoming.close().catch(() => undefined);
    removeLogFile(file);
    throw error;
  }
}
