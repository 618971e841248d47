import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { issuesOf, type ValidationIssue } from '../../domain/validationIssue';
import { ReservationEvent } from '../../domain/reservation/reservation';
import { decodeStored, type Upcasters } from '../../domain/upcasting/upcasters';
import { pipelines } from '../aggregates';
import type { EventStore, NewEvent } from '../eventstore/eventStore';
import type { CommandContext, CommandDeps } from '../handleCommand';
import { handleKeyedCommand } from '../keyedCommand';
import { pipelineStream } from '../streams';
import type { DocumentSource } from './documentStream';
import { DocumentHead, documentChecker, ExportedEvent } from './installationDocument';
import type { UnresolvedReference } from './references';

/** A run of consecutive events of one stream, appended in one call at exactly the source revisions. */
interface Run {
  readonly streamId: string;
  /** Revision of the run's first event in its stream. */
  readonly firstRevision: number;
  readonly events: NewEvent[];
}

export interface ImportPlan {
  /** In the document's (the source log's) order. */
  readonly runs: readonly Run[];
  readonly appendCount: number;
  /** Events of the document already stored here (same id, same stream, same place). */
  readonly alreadyStored: number;
  /** Streams of the document that already exist here with other events: importing would fork them. */
  readonly conflicts: readonly string[];
}

/**
 * What importing `events` would append. A stream of the document either does not exist here,
 * or holds a prefix of the document's stream (a previous import, complete or not: the rest is
 * appended), or holds the whole of it and more (nothing to append). Any other stream is a
 * conflict: e.g. the email reservation of this installation's own superuser, when the document
 * holds a user with the same email.
 */
export async function planImport(store: EventStore, events: readonly ExportedEvent[]): Promise<ImportPlan> {
  const byStream = new Map<string, ExportedEvent[]>();
  for (const event of events) {
    const list = byStream.get(event.stream_id) ?? [];
    list.push(event);
    byStream.set(event.stream_id, list);
  }
  const storedCount = new Map<string, number>();
  const conflicts: string[] = [];
  for (const [streamId, wanted] of byStream) {
    const stored = await store.readStream(streamId);
    const common = Math.min(stored.length, wanted.length);
    const forked = stored.slice(0, common).some((e, i) => e.id !== wanted[i]?.id);
    if (forked) conflicts.push(streamId);
    storedCount.set(streamId, common);
  }

  const runs: Run[] = [];
  let appendCount = 0;
  for (const event of events) {
    if (event.revision < (storedCount.get(event.stream_id) ?? 0)) continue;
    appendCount++;
    const newEvent: NewEvent = { id: event.id, type: event.type, data: event.data, metadata: event.metadata };
    const last = runs[runs.length - 1];
    if (last !== undefined && last.streamId === event.stream_id) last.events.push(newEvent);
    else runs.push({ streamId: event.stream_id, firstRevision: event.revision, events: [newEvent] });
  }
  return { runs, appendCount, alreadyStored: events.length - appendCount, conflicts };
}

export class ImportAppendFailed extends Error {
  constructor(
    readonly streamId: string,
    /** Events appended before the failure (they stay: the port has no multi-stream transaction). */
    readonly appended: number,
    readonly reason: unknown,
  ) {
    super(`import stopped at stream ${streamId} after ${appended} events: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'ImportAppendFailed';
  }
}

/**
 * Appends the plan run by run, in the source log's order, each at the revision it had there
 * (so a concurrent writer makes it fail rather than interleave). Stops at the first failure,
 * naming the stream; what was appended before stays, and importing the same document again
 * (with `merge`) appends the rest. Returns the position of the last event appended.
 */
export async function appendPlan(store: EventStore, plan: ImportPlan): Promise<bigint | undefined> {
  let position: bigint | undefined;
  let appended = 0;
  for (const run of plan.runs) {
    try {
      const result = await store.append(run.streamId, run.events, run.firstRevision === 0 ? 'no_stream' : BigInt(run.firstRevision - 1));
      position = result.position;
    } catch (error) {
      throw new ImportAppendFailed(run.streamId, appended, error);
    }
    appended += run.events.length;
  }
  return position;
}

/** Why a document is not imported; nothing of it was written. */
export type ImportRefusal =
  | { readonly code: 'INVALID_DOCUMENT'; readonly issues: readonly ValidationIssue[] }
  | { readonly code: 'SECRET_KEY_MISMATCH' }
  | { readonly code: 'IMPORT_UNRESOLVED_REFERENCES'; readonly references: readonly UnresolvedReference[] }
  /** Streams of the document that exist here with other events (a unique value held by another resource). */
  | { readonly code: 'IMPORT_STREAM_CONFLICT'; readonly message: string; readonly conflicts: readonly StreamConflict[] }
  /** `empty` mode into an installation that holds more than its bootstrap superuser. */
  | { readonly code: 'INSTALLATION_NOT_EMPTY' }
  /** Replacing the log needs the embedded event log and one process. */
  | { readonly code: 'REPLACE_UNAVAILABLE' };

export class ImportRefused extends Error {
  constructor(readonly refusal: ImportRefusal) {
    super(refusal.code);
    this.name = 'ImportRefused';
  }
}

export interface CheckedDocument {
  readonly head: DocumentHead;
  readonly eventCount: number;
  /** Ids of the pipelines the document holds: they come back paused. */
  readonly pipelineIds: readonly string[];
}

/** Past this many problems the rest are not worth listing. */
const MAX_ISSUES = 100;

/**
 * Reads a whole document once, without keeping its log, and refuses it unless every event is
 * well formed (documentChecker), every secret was sealed with `keyId` (the key of this
 * installation: another key's secrets could never be opened here), and every id an event points
 * at names a resource of the document or of `store` (none when the log is to be replaced).
 */
export async function checkDocument(
  source: DocumentSource,
  options: { readonly upcasters: Upcasters; readonly keyId: string; readonly store: EventStore | undefined },
): Promise<CheckedDocument> {
  const checker = documentChecker(options.upcasters);
  const issues: ValidationIssue[] = [];
  const head: Record<string, unknown> = {};
  const pipelineIds: string[] = [];
  let eventCount = 0;
  let sawEvents = false;
  for await (const part of source.parts()) {
    if (part.kind === 'field') {
      if (part.key === 'events') issues.push({ loc: ['body', 'events'], msg: 'value is not a valid list', type: 'type_error.list' });
      else head[part.key] = part.value;
      continue;
    }
    sawEvents = true;
    eventCount++;
    if (issues.length >= MAX_ISSUES) continue;
    const decoded = ExportedEvent.decode(part.value);
    if (isLeft(decoded)) {
      issues.push(...issuesOf(decoded.left, ['body', 'events', part.index]));
      continue;
    }
    issues.push(...checker.check(decoded.right, part.index));
    if (decoded.right.revision === 0 && decoded.right.stream_id.startsWith(pipelineStream('')))
      pipelineIds.push(decoded.right.stream_id.slice(pipelineStream('').length));
  }
  if (!sawEvents && !('events' in head)) issues.push({ loc: ['body', 'events'], msg: 'field required', type: 'value_error.missing' });
  const decodedHead = DocumentHead.decode(head);
  if (isLeft(decodedHead)) issues.unshift(...issuesOf(decodedHead.left, ['body']));
  if (isLeft(decodedHead) || issues.length > 0) throw new ImportRefused({ code: 'INVALID_DOCUMENT', issues: issues.slice(0, MAX_ISSUES) });

  if (decodedHead.right.secret_key_fingerprint !== options.keyId || [...checker.sealingKeys].some((id) => id !== options.keyId)) {
    throw new ImportRefused({ code: 'SECRET_KEY_MISMATCH' });
  }
  const unresolved = await checker.references.unresolved(options.store);
  if (unresolved.length > 0) throw new ImportRefused({ code: 'IMPORT_UNRESOLVED_REFERENCES', references: unresolved.slice(0, MAX_ISSUES) });
  return { head: decodedHead.right, eventCount, pipelineIds };
}

/** The events of a document `checkDocument` accepted, read again, decoded again (a file may have changed since). */
export async function* documentEvents(source: DocumentSource): AsyncGenerator<ExportedEvent> {
  for await (const part of source.parts()) {
    if (part.kind !== 'event') continue;
    const decoded = ExportedEvent.decode(part.value);
    if (isLeft(decoded)) throw new Error(`events[${part.index}] changed since the document was checked`);
    yield decoded.right;
  }
}

/** Events of one stream appended in one call, at most: a long stream is appended in several. */
const RUN_LIMIT = 500;

/**
 * Writes a checked document's log into an empty log, in document order, each event at the
 * revision it had (a writer that got there first makes it fail rather than interleave).
 * `inFlight` appends are sent before the first is awaited: only for a store that writes appends
 * in the order they were sent (the embedded one); 1 otherwise. Stops at the first failure.
 */
export async function writeLog(
  store: EventStore,
  events: AsyncIterable<ExportedEvent>,
  options: { readonly inFlight: number; readonly onWritten?: (events: number) => void },
): Promise<number> {
  let written = 0;
  let run: { streamId: string; firstRevision: number; events: NewEvent[] } | undefined;
  let pending: Promise<unknown>[] = [];
  const settle = async (): Promise<void> => {
    const outcomes = await Promise.allSettled(pending);
    pending = [];
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    options.onWritten?.(written);
  };
  const send = async (): Promise<void> => {
    if (run === undefined) return;
    const { streamId, firstRevision, events: batch } = run;
    run = undefined;
    const appended = store.append(streamId, batch, firstRevision === 0 ? 'no_stream' : BigInt(firstRevision - 1)).then(
      () => (written += batch.length),
      (error: unknown) => {
        throw new ImportAppendFailed(streamId, written, error);
      },
    );
    // Awaited by `settle` later: a failure meanwhile is not an unhandled rejection.
    appended.catch(() => undefined);
    pending.push(appended);
    if (pending.length >= options.inFlight) await settle();
  };
  for await (const event of events) {
    if (run !== undefined && (run.streamId !== event.stream_id || run.events.length >= RUN_LIMIT)) await send();
    run ??= { streamId: event.stream_id, firstRevision: event.revision, events: [] };
    run.events.push({ id: event.id, type: event.type, data: event.data, metadata: event.metadata });
  }
  await send();
  await settle();
  return written;
}

/**
 * Pipelines an import brought in that were running come back paused: no worker starts on an
 * import; an operator starts them again. Returns how many it paused and the last position written.
 */
export async function pauseImportedPipelines(
  commands: CommandDeps,
  context: CommandContext,
  pipelineIds: Iterable<string>,
): Promise<{ paused: number; position: bigint | undefined }> {
  let paused = 0;
  let position: bigint | undefined;
  for (const pipelineId of pipelineIds) {
    const outcome = await handleKeyedCommand(commands, context, pipelines, pipelineId, { type: 'PausePipeline' });
    if (!isRight(outcome) || outcome.right.events.length === 0) continue;
    paused++;
    position = outcome.right.position ?? position;
  }
  return { paused, position };
}

/** A stream of the document that exists here with other events, said in an operator's words when it is a unique value. */
export interface StreamConflict {
  readonly stream_id: string;
  /** e.g. `email`, `env-name`; absent for an aggregate's own stream. */
  readonly scope?: string;
  readonly value?: string;
  /** Who holds the value here, and who holds it in the document. */
  readonly held_here_by?: string;
  readonly held_in_document_by?: string;
}

/** Who a reservation stream names as holder at its end. */
const holderIn = (
  events: readonly { type: string; data: unknown; version: number | undefined }[],
  upcasters: Upcasters,
): { scope: string; value: string; ownerId: string | undefined } | undefined => {
  let found: { scope: string; value: string; ownerId: string | undefined } | undefined;
  for (const event of events) {
    const decoded = decodeStored(ReservationEvent, upcasters, event);
    if (isLeft(decoded)) return undefined;
    const { scope, value, ownerId } = decoded.right.data;
    found = { scope, value, ownerId: decoded.right.type === 'ReservationReleased' ? undefined : ownerId };
  }
  return found;
};

export async function explainConflicts(
  store: EventStore,
  streams: readonly string[],
  documentEventsOf: (streamId: string) => readonly ExportedEvent[],
  upcasters: Upcasters,
): Promise<StreamConflict[]> {
  const explained: StreamConflict[] = [];
  for (const streamId of streams) {
    const here = holderIn(
      (await store.readStream(streamId)).map((e) => ({ type: e.type, data: e.data, version: e.metadata.schemaVersion })),
      upcasters,
    );
    const there = holderIn(
      documentEventsOf(streamId).map((e) => ({ type: e.type, data: e.data, version: e.metadata.schemaVersion })),
      upcasters,
    );
    if (here === undefined || there === undefined) {
      explained.push({ stream_id: streamId });
      continue;
    }
    explained.push({
      stream_id: streamId,
      scope: here.scope,
      value: here.value,
      ...(here.ownerId !== undefined ? { held_here_by: here.ownerId } : {}),
      ...(there.ownerId !== undefined ? { held_in_document_by: there.ownerId } : {}),
    });
  }
  return explained;
}
