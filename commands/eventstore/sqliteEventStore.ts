import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
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
import { pollingSubscription } from './pollingSubscription';

export interface SqliteEventStoreOptions {
  /** How often a live subscription looks for events appended by other processes. */
  readonly pollIntervalMs?: number;
  /**
   * `full` (default): an acknowledged append survives a process kill and a power loss.
   * `normal`: it survives a process kill; the last appends may be lost on power loss, for
   * several times the write throughput (one fsync per checkpoint instead of per commit).
   */
  readonly synchronous?: 'full' | 'normal';
}

/** The log's one table; exported so the benchmark can measure the bare library on the same shape. */
export const EVENTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY AUTOINCREMENT,
  id        TEXT    NOT NULL UNIQUE,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
);`;

const Row = t.type({
  position: t.bigint,
  id: t.string,
  stream_id: t.string,
  revision: t.bigint,
  type: t.string,
  data: t.string,
  metadata: t.string,
});
type Row = t.TypeOf<typeof Row>;

function toRecorded(row: unknown): RecordedEvent {
  const decoded = Row.decode(row);
  if (isLeft(decoded)) throw new Error('Corrupt row in the event store');
  const r = decoded.right;
  const metadata = EventMetadata.decode(JSON.parse(r.metadata));
  if (isLeft(metadata)) throw new Error(`Event ${r.id} has corrupt metadata`);
  return {
    id: r.id,
    type: r.type,
    data: JSON.parse(r.data) as unknown,
    metadata: metadata.right,
    streamId: r.stream_id,
    revision: r.revision,
    position: r.position,
  };
}

/**
 * Embedded event store: one SQLite file in WAL mode. Appends from several processes
 * on one machine are serialised by SQLite's write lock; live subscribers in other processes see
 * them by polling, those in this process are woken at once.
 */
export function sqliteEventStore(file: string, options: SqliteEventStoreOptions = {}): EventStore {
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 10000');
  db.exec(EVENTS_SCHEMA);
  db.defaultSafeIntegers(true);

  const appended = new EventEmitter();
  appended.setMaxListeners(0);

  const lastOfStream = db.prepare<[string], { revision: bigint; position: bigint }>(
    'SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
  );
  const findById = db.prepare<[string], { stream_id: string; position: bigint }>('SELECT stream_id, position FROM events WHERE id = ?');
  const insert = db.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const selectStream = db.prepare('SELECT * FROM events WHERE stream_id = ? ORDER BY revision');
  const selectAll = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
  const selectHead = db.prepare<[], { position: bigint }>('SELECT MAX(position) AS position FROM events');

  const appendTx = db.transaction((streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendResult => {
    const last = lastOfStream.get(streamId);
    const already = events.map((e) => findById.get(e.id));
    if (events.length > 0 && already.every((row) => row?.stream_id === streamId)) {
      // A retry or re-import of a batch already stored: acknowledge it again, change nothing.
      const lastStored = already[already.length - 1];
      return { nextRevision: last?.revision ?? -1n, position: lastStored?.position ?? 0n };
    }
    if (already.some((row) => row !== undefined)) {
      throw new Error(`Stream ${streamId}: some of these event ids are already stored elsewhere in the log`);
    }
    const actual = last?.revision;
    const matches = expected === 'any' || (expected === 'no_stream' ? actual === undefined : actual === expected);
    if (!matches) throw new WrongExpectedRevisionError(streamId, expected, actual ?? 'no_stream');

    let revision = actual ?? -1n;
    let position = 0n;
    for (const e of events) {
      revision += 1n;
      const info = insert.run(e.id, streamId, revision, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata));
      position = BigInt(info.lastInsertRowid);
    }
    return { nextRevision: revision, position };
  });

  // Group commit: every append queued during one turn of the event loop is written in one
  // transaction, so concurrent requests share one fsync. Each append runs in its own savepoint
  // (a nested better-sqlite3 transaction), so a conflict refuses that append alone.
  type Outcome = { readonly ok: AppendResult } | { readonly error: unknown };
  interface Queued {
    readonly streamId: string;
    readonly events: readonly NewEvent[];
    readonly expected: ExpectedRevision;
    readonly settle: (outcome: Outcome) => void;
  }
  const queue: Queued[] = [];
  const commitQueued = db.transaction((batch: readonly Queued[]): Outcome[] =>
    batch.map((q) => {
      try {
        return { ok: appendTx(q.streamId, q.events, q.expected) };
      } catch (error) {
        return { error };
      }
    }),
  );
  const flush = (): void => {
    const batch = queue.splice(0);
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = commitQueued.immediate(batch);
    } catch (error) {
      for (const q of batch) q.settle({ error });
      return;
    }
    appended.emit('append');
    batch.forEach((q, i) => q.settle(outcomes[i] ?? { error: new Error('append lost its outcome') }));
  };

  const afterOf = (from: StartFrom): bigint => (from === 'start' ? 0n : from.after);

  const readAll = async (from: StartFrom, limit: number): Promise<RecordedEvent[]> => selectAll.all(afterOf(from), limit).map(toRecorded);

  return {
    append(streamId, events, expected) {
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({
          streamId,
          events,
          expected,
          settle: (o) => ('ok' in o ? resolve(o.ok) : reject(o.error instanceof Error ? o.error : new Error(String(o.error)))),
        });
        if (queue.length === 1) setImmediate(flush);
      });
    },

    async readStream(streamId) {
      return selectStream.all(streamId).map(toRecorded);
    },

    readAll,

    subscribeToAll(from, handler): Subscription {
      return pollingSubscription({ from, readAll, handler, appended, pollIntervalMs });
    },

    async headPosition() {
      return selectHead.get()?.position ?? undefined;
    },

    async close() {
      flush();
      appended.emit('close');
      db.close();
    },
  };
}
