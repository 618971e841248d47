import type { EventStore, NewEvent } from '../eventstore/eventStore';
import type { ExportedEvent } from './installationDocument';

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
