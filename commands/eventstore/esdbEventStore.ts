import type { Readable } from 'node:stream';
import { isLeft } from 'fp-ts/lib/Either.js';
import {
  ANY,
  BACKWARDS,
  END,
  FORWARDS,
  NO_STREAM,
  START,
  CancelledError,
  DeadlineExceededError,
  EventStoreDBClient,
  NotLeaderError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AppendResult as EsdbAppendResult,
  type CurrentRevision,
  type Direction,
  type ExpectedRevision as EsdbExpectedRevision,
  type JSONType,
  type Position,
  type ReadPosition,
  type ReadStreamOptions,
} from '@eventstore/db-client';
import {
  EventMetadata,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  type StartFrom,
  type Subscription,
} from './eventStore';

/*
 * EventStoreDB adapter. Requires EventStoreDB 22.6 or later: older servers do not report the $all
 * position of events read from a stream, and RecordedEvent.position is not optional.
 *
 * Positions. A $all position is {commit, prepare}. Since 20.6 every event appended through gRPC is a
 * self-committing record whose commit and prepare positions are both its own log position (EventStore
 * PR #2522 fixed the prepare half; before it gRPC reported the transaction's start), so the commit
 * position alone identifies an event, increases strictly along $all, and equals the position an append
 * reports for its last event. "after p" is therefore sent to the server as {commit: p, prepare: p}.
 * Only events written by the legacy TCP API inside explicit transactions share a commit position; this
 * store never writes those, and the client types (Position = {commit, prepare}: bigint) say nothing more.
 *
 * Reading and subscribing to $all needs the $admins or $ops role when the server runs with security on,
 * so the connection string must carry such credentials.
 */

/** How a subscription rides out a lost connection. */
export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Consecutive failed attempts (no event received in between) before `done` rejects. */
  readonly maxAttempts: number;
}

export interface EsdbEventStoreOptions {
  readonly resubscribe?: Partial<RetryPolicy>;
  /** Told about every resubscription, so an outage the subscription rides out can still be logged. */
  readonly onResubscribe?: (error: unknown, attempt: number, delayMs: number) => void;
}

// An ESDB restart can take minutes (index rebuild); a projection should outlast it, not die with it.
const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, maxAttempts: Number.POSITIVE_INFINITY };
const MAX_BATCH = 512;
const MIN_PAGE = 32;
const MAX_PAGE = 4_096;
const HEAD_PAGE = 256;
// How far back a conflicting append looks for its own events before calling it a real conflict.
const IDEMPOTENCY_SCAN = 1_024;
// What the server sends (Position.FromInt64(-1)) when a read result has no $all position.
const NO_POSITION = 2n ** 64n - 1n;

/** The parts of the client's recorded events this adapter reads; both stream and $all reads fit it. */
export interface EsdbRecord {
  readonly streamId: string;
  readonly id: string;
  readonly type: string;
  readonly revision: bigint;
  readonly isJson: boolean;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: Position;
}

export interface EsdbResolved {
  readonly event?: EsdbRecord;
  readonly commitPosition?: bigint;
}

export function toClientExpectedRevision(expected: ExpectedRevision): EsdbExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  return expected;
}

export function toWrongExpectedRevision(streamId: string, expected: ExpectedRevision, actual: CurrentRevision): WrongExpectedRevisionError {
  return new WrongExpectedRevisionError(streamId, expected, actual);
}

export function isSystemEvent(resolved: EsdbResolved): boolean {
  const event = resolved.event;
  return event === undefined || event.type.startsWith('$') || event.streamId.startsWith('$');
}

/** The event's commit position, or undefined when the server did not say (stream reads before 22.6). */
export function commitPositionOf(resolved: EsdbResolved): bigint | undefined {
  const fromRecord = resolved.event?.position?.commit;
  if (fromRecord !== undefined && fromRecord !== NO_POSITION) return fromRecord;
  const fromResult = resolved.commitPosition;
  if (fromResult !== undefined && fromResult !== NO_POSITION) return fromResult;
  return undefined;
}

export function toRecordedEvent(resolved: EsdbResolved): RecordedEvent {
  const event = resolved.event;
  if (event === undefined) throw new Error('EventStoreDB returned a read result without an event');
  const where = `Event ${event.id} in stream ${event.streamId}`;
  const position = commitPositionOf(resolved);
  if (position === undefined) {
    throw new Error(`${where} came without its $all position; EventStoreDB 22.6 or later is required`);
  }
  if (!event.isJson) throw new Error(`${where} is not JSON; this store only reads events it wrote`);
  const metadata = EventMetadata.decode(event.metadata);
  if (isLeft(metadata)) throw new Error(`${where} has corrupt metadata`);
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: metadata.right,
    streamId: event.streamId,
    revision: event.revision,
    position,
  };
}

// The client JSON.stringify()s the data of a JSON event whatever its shape, so every JSON value
// round-trips; its JSONType merely leaves out top-level numbers, booleans and null.
function jsonData(event: NewEvent): JSONType {
  if (event.data === undefined) throw new TypeError(`Event ${event.id}: data must be a JSON value, got undefined`);
  return event.data as JSONType;
}

const toEventData = (event: NewEvent) => jsonEvent({ id: event.id, type: event.type, data: jsonData(event), metadata: event.metadata });

function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

const atPosition = (p: bigint): Position => ({ commit: p, prepare: p });

/**
 * Reads a client read to its end before anything else happens. A read left half-consumed (an early
 * return, or an exception in the loop body) keeps its gRPC call alive, and the client's dispose()
 * then waits for it forever.
 */
async function drain<T>(read: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
}

/** One bounded read of $all; `client.readAll` in production, an array in the unit tests. */
export type ReadAllPage = (from: ReadPosition, maxCount: number, direction: Direction) => AsyncIterable<EsdbResolved>;

/**
 * Up to `limit` non-system events strictly after `from`. The client has no server-side filter for
 * reads, so system events are skipped here and pages continue until enough are found. A page starts
 * at the last position of the previous one because the server includes the starting event in
 * forward reads; events at or before the cursor are skipped for that reason.
 */
export async function readAllPaged(readPage: ReadAllPage, from: StartFrom, limit: number): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  if (limit <= 0) return out;
  const after = from === 'start' ? undefined : from.after;
  let cursor: Position | undefined = after === undefined ? undefined : atPosition(after);
  for (;;) {
    const pageSize = Math.min(Math.max(limit - out.length + 1, MIN_PAGE), MAX_PAGE);
    const page = await drain(readPage(cursor ?? START, pageSize, FORWARDS));
    let last: Position | undefined;
    for (const resolved of page) {
      const position = resolved.event?.position;
      if (position === undefined) continue;
      last = position;
      if (out.length >= limit) continue;
      if (cursor !== undefined && comparePositions(position, cursor) <= 0) continue;
      if (after !== undefined && position.commit <= after) continue;
      if (isSystemEvent(resolved)) continue;
      out.push(toRecordedEvent(resolved));
    }
    if (out.length >= limit || page.length < pageSize || last === undefined) return out;
    cursor = last;
  }
}

/** Position of the newest non-system event, reading $all backwards past the system events after it. */
export async function headPositionPaged(readPage: ReadAllPage): Promise<bigint | undefined> {
  let cursor: Position | undefined;
  for (;;) {
    const page = await drain(readPage(cursor ?? END, HEAD_PAGE, BACKWARDS));
    let last: Position | undefined;
    let found: bigint | undefined;
    for (const resolved of page) {
      const position = resolved.event?.position;
      if (position === undefined) continue;
      last = position;
      if (found !== undefined) continue;
      if (cursor !== undefined && comparePositions(position, cursor) >= 0) continue;
      if (!isSystemEvent(resolved)) found = position.commit;
    }
    if (found !== undefined) return found;
    if (page.length < HEAD_PAGE || last === undefined) return undefined;
    cursor = last;
  }
}

const TRANSIENT_GRPC_CODES = new Set([
  1, // CANCELLED by the server (shutdown, leader change); cancellations of our own are never reported
  4, // DEADLINE_EXCEEDED
  10, // ABORTED: the server timed the operation out
  14, // UNAVAILABLE
]);
const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Whether resubscribing may help: the connection went away, as opposed to the server refusing us. */
export function isTransient(error: unknown): boolean {
  if (
    error instanceof UnavailableError ||
    error instanceof CancelledError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError
  ) {
    return true;
  }
  if (!(error instanceof Error)) return false;
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'number') {
    if (TRANSIENT_GRPC_CODES.has(code)) return true;
    // INTERNAL also covers server bugs; only a reset connection is worth another try.
    return code === 13 && /RST_STREAM|ECONNRESET|Connection dropped|Stream removed/i.test(error.message);
  }
  if (typeof code === 'string') return TRANSIENT_SOCKET_CODES.has(code);
  // Cluster discovery gives up after its own attempts; the cluster may well be back later.
  return error.message.startsWith('Failed to discover');
}

export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  // Jitter keeps many subscriptions of one process from reconnecting in lockstep.
  return Math.round(exponential * (0.8 + 0.2 * random()));
}

/** What the retry loop needs of a live subscription; the client's AllStreamSubscription is one. */
export type SubscriptionSource = Readable & { unsubscribe(): Promise<void> };

/**
 * Pulls whatever the source has buffered, up to `max` items. Only the source's buffer (its
 * highWaterMark) is ever read ahead: while the handler runs nobody calls read(), the buffer fills,
 * the piped gRPC stream pauses and HTTP/2 flow control holds the server back.
 */
function batchReader(source: Readable) {
  let failure: { readonly error: unknown } | undefined;
  let ended = false;
  let notify: (() => void) | undefined;
  const poke = (): void => {
    const wake = notify;
    notify = undefined;
    wake?.();
  };
  source.on('readable', poke);
  // Never removed: the client emits transport errors with a bare emit(), which throws when nobody listens.
  source.on('error', (error: unknown) => {
    failure ??= { error };
    poke();
  });
  // A cancelled gRPC call errors without ending the pipe into the source, so 'close' (from destroy()) counts too.
  source.on('end', () => {
    ended = true;
    poke();
  });
  source.on('close', () => {
    ended = true;
    poke();
  });
  return {
    /** The next batch; undefined once the source ended; throws the source's error after its buffered items. */
    async next(max: number): Promise<EsdbResolved[] | undefined> {
      for (;;) {
        const items: EsdbResolved[] = [];
        while (items.length < max) {
          const item = source.read() as EsdbResolved | null;
          if (item === null) break;
          items.push(item);
        }
        if (items.length > 0) return items;
        if (failure !== undefined) throw failure.error;
        if (ended) return undefined;
        await new Promise<void>((resolve) => (notify = resolve));
      }
    },
  };
}

export interface ResilientSubscriptionDeps {
  readonly from: StartFrom;
  /** Opens a server subscription strictly after `after` (from the start when undefined). */
  readonly open: (after: bigint | undefined) => SubscriptionSource;
  readonly handler: (batch: readonly RecordedEvent[]) => Promise<void>;
  readonly retry: RetryPolicy;
  readonly maxBatch: number;
  readonly onResubscribe?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Called once the subscription is over, however it ended. */
  readonly onEnd?: () => void;
}

/**
 * A subscription that survives lost connections: it resubscribes strictly after the last position
 * the handler has finished with, so nothing is skipped and, barring a crash inside the handler,
 * nothing is delivered twice. Events at or before that position are dropped in case the server
 * replays some. A handler error, or a server error that retrying cannot fix, ends it.
 */
export function resilientSubscription(deps: ResilientSubscriptionDeps): Subscription {
  let stopping = false;
  let source: SubscriptionSource | undefined;
  let wake: (() => void) | undefined;
  let last = deps.from === 'start' ? undefined : deps.from.after;

  const release = async (s: SubscriptionSource): Promise<void> => {
    try {
      await s.unsubscribe();
    } catch {
      // The call never started (no connection): there is nothing to cancel.
    }
    s.destroy();
  };

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async (): Promise<void> => {
    let failures = 0;
    while (!stopping) {
      const current = deps.open(last);
      source = current;
      const reader = batchReader(current);
      let transportError: { readonly error: unknown } | undefined;
      try {
        for (;;) {
          let received: EsdbResolved[] | undefined;
          try {
            received = await reader.next(deps.maxBatch);
          } catch (error) {
            transportError = { error };
            break;
          }
          if (received === undefined || stopping) break;
          failures = 0;
          const batch: RecordedEvent[] = [];
          for (const resolved of received) {
            if (isSystemEvent(resolved)) continue;
            const event = toRecordedEvent(resolved);
            if (last !== undefined && event.position <= last) continue;
            batch.push(event);
          }
          const tail = batch[batch.length - 1];
          if (tail === undefined) continue;
          await deps.handler(batch);
          last = tail.position;
        }
      } finally {
        source = undefined;
        await release(current);
      }
      if (stopping) return;
      if (transportError !== undefined && !isTransient(transportError.error)) throw transportError.error;
      // The server ending a subscription on its own means it is going away: same as a lost connection.
      const reason = transportError?.error ?? new Error('EventStoreDB ended the subscription');
      failures += 1;
      if (failures > deps.retry.maxAttempts) throw reason instanceof Error ? reason : new Error(String(reason));
      const delay = backoffDelay(failures, deps.retry);
      deps.onResubscribe?.(reason, failures, delay);
      await pause(delay);
      wake = undefined;
    }
  };

  // finally() rather than then(): `done` must stay unhandled when nobody awaits it, so a failure is not silent.
  const done = run().finally(() => deps.onEnd?.());
  return {
    done,
    async stop() {
      stopping = true;
      wake?.();
      const current = source;
      if (current !== undefined) await release(current);
      await done.catch(() => undefined);
    },
  };
}

/**
 * An append is idempotent on the server only when its expected revision is the one it had the first
 * time, or 'any' while the event ids are still in the server's cache of recent writes:
 * - expected revision below the stream's revision: the server compares the ids of the events that
 *   follow it; all equal → success without writing (the revision and position it reports are those of
 *   the original write, not the stream's current ones, if the stream has moved on since); the first
 *   one different → wrong expected version; only some equal → wrong expected version too.
 * - expected revision equal to the stream's revision (a retry that re-read the stream first): no id
 *   check at all, the events are written a second time.
 * - 'any': checked only against that in-memory cache, so after a restart or eviction they are written again.
 * A conflicting append therefore looks for its ids among the stream's last IDEMPOTENCY_SCAN events
 * before reporting a conflict, which covers retries carrying another expected revision.
 */
export function esdbEventStore(connectionString: string, options: EsdbEventStoreOptions = {}): EventStore {
  // KurrentDB's clients take kurrentdb:// and kdb:// as synonyms; this 6.x client knows only esdb://.
  const url = connectionString.replace(/^(?:kurrentdb|kdb)(?=(\+discover)?:\/\/)/, 'esdb');
  const client = EventStoreDBClient.connectionString(url);
  const retry: RetryPolicy = {
    initialDelayMs: options.resubscribe?.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs,
    maxDelayMs: options.resubscribe?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    maxAttempts: options.resubscribe?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
  };
  const subscriptions = new Set<Subscription>();

  const readPage: ReadAllPage = (fromPosition, maxCount, direction) => client.readAll({ fromPosition, maxCount, direction });

  /** The whole stream, or its last `maxCount` events newest first; undefined when it does not exist. */
  const readRaw = async (streamId: string, backwards?: { maxCount: number }): Promise<EsdbResolved[] | undefined> => {
    const options: ReadStreamOptions = backwards ? { direction: BACKWARDS, fromRevision: END, maxCount: backwards.maxCount } : {};
    try {
      return await drain(client.readStream(streamId, options));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
  };

  const lastEventOf = async (streamId: string): Promise<RecordedEvent | undefined> => {
    const [last] = (await readRaw(streamId, { maxCount: 1 })) ?? [];
    return last && toRecordedEvent(last);
  };

  /** The result an append of `events` would have had if they are all already stored in the stream. */
  const alreadyStored = async (streamId: string, events: readonly NewEvent[]): Promise<AppendResult | undefined> => {
    // The client hands ids back in lowercase canonical form, whatever form they were sent in.
    const wanted = new Set(events.map((e) => e.id.toLowerCase()));
    const lastId = events[events.length - 1]?.id.toLowerCase();
    const tail = await readRaw(streamId, { maxCount: IDEMPOTENCY_SCAN });
    const head = tail?.[0]?.event?.revision;
    const found = new Set<string>();
    let lastPosition: bigint | undefined;
    for (const resolved of tail ?? []) {
      const id = resolved.event?.id.toLowerCase();
      if (id === undefined || !wanted.has(id)) continue;
      found.add(id);
      if (id === lastId && lastPosition === undefined) lastPosition = toRecordedEvent(resolved).position;
    }
    if (head === undefined || lastPosition === undefined || found.size !== wanted.size) return undefined;
    return { nextRevision: head, position: lastPosition };
  };

  // The server is never asked to append nothing: it answers with a meaningless revision.
  const appendNothing = async (streamId: string, expected: ExpectedRevision): Promise<AppendResult> => {
    const last = await lastEventOf(streamId);
    const matches = expected === 'any' || (expected === 'no_stream' ? last === undefined : last?.revision === expected);
    if (!matches) throw toWrongExpectedRevision(streamId, expected, last?.revision ?? 'no_stream');
    return { nextRevision: last?.revision ?? -1n, position: last?.position ?? 0n };
  };

  return {
    async append(streamId, events, expected) {
      if (events.length === 0) return appendNothing(streamId, expected);
      let result: EsdbAppendResult;
      try {
        result = await client.appendToStream(streamId, events.map(toEventData), {
          expectedRevision: toClientExpectedRevision(expected),
        });
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        const stored = await alreadyStored(streamId, events);
        if (stored !== undefined) return stored;
        throw toWrongExpectedRevision(streamId, expected, error.actualVersion);
      }
      if (!result.success) {
        // Only with throwOnAppendFailure=false in the connection string; the reported revision is unreliable then.
        const stored = await alreadyStored(streamId, events);
        if (stored !== undefined) return stored;
        throw toWrongExpectedRevision(streamId, expected, (await lastEventOf(streamId))?.revision ?? 'no_stream');
      }
      if (result.position !== undefined) {
        return { nextRevision: result.nextExpectedRevision, position: result.position.commit };
      }
      // Idempotent writes reach here on servers that cannot tell where the original write landed.
      const stored = await alreadyStored(streamId, events);
      if (stored === undefined) throw new Error(`Stream ${streamId}: the append succeeded but reported no position`);
      return stored;
    },

    async readStream(streamId) {
      return ((await readRaw(streamId)) ?? []).map(toRecordedEvent);
    },

    readAll: (from, limit) => readAllPaged(readPage, from, limit),

    subscribeToAll(from, handler) {
      const subscription: Subscription = resilientSubscription({
        from,
        handler,
        retry,
        maxBatch: MAX_BATCH,
        onResubscribe: options.onResubscribe,
        onEnd: () => subscriptions.delete(subscription),
        open: (after) =>
          client.subscribeToAll(
            {
              fromPosition: after === undefined ? START : atPosition(after),
              // Server-side, so catching up does not ship every link and stats event over the wire.
              filter: excludeSystemEvents(),
            },
            { highWaterMark: MAX_BATCH },
          ),
      });
      subscriptions.add(subscription);
      return subscription;
    },

    headPosition: () => headPositionPaged(readPage),

    async close() {
      // Disposing cancels the subscriptions' calls, which would leave their loops waiting forever.
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await client.dispose();
    },
  };
}
