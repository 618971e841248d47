import test from 'ava';
import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  ANY,
  AccessDeniedError,
  CancelledError,
  NO_STREAM,
  StreamDeletedError,
  UnavailableError,
  WrongExpectedVersionError,
  type Direction,
  type Position,
  type ReadPosition,
} from '@eventstore/db-client';
import { WrongExpectedRevisionError, type RecordedEvent } from '../../commands/eventstore/eventStore';
import {
  backoffDelay,
  esdbEventStore,
  headPositionPaged,
  isTransient,
  readAllPaged,
  resilientSubscription,
  toClientExpectedRevision,
  toRecordedEvent,
  toWrongExpectedRevision,
  type EsdbResolved,
  type ReadAllPage,
  type RetryPolicy,
} from '../../commands/eventstore/esdbEventStore';
import { eventStoreConformance } from '../conformance/eventStoreConformance';

const url = process.env.POPSINK_EVENTSTORE_URL;
if (url !== undefined && url !== '') {
  eventStoreConformance(test, 'esdb', async () => esdbEventStore(url));
} else {
  test('esdb: conformance suite (needs a server)', (t) => {
    const banner = 'SKIPPED: EventStoreDB conformance suite — set POPSINK_EVENTSTORE_URL=esdb://... to run it';
    console.log(`\n${'!'.repeat(banner.length)}\n${banner}\n${'!'.repeat(banner.length)}\n`);
    t.log(banner);
    t.pass();
  });
}

// ---------------------------------------------------------------------------------------------
// Everything below runs without EventStoreDB: the pure parts of the adapter, the real client
// pointed at a port nobody listens on.

const META = { actorId: 'actor-1', correlationId: 'corr-1', causationId: 'cause-1', time: '2024-01-01T00:00:00.000Z' };

const at = (p: bigint): Position => ({ commit: p, prepare: p });

/** A user event at $all position n*10 (revision n in stream `s`). */
const user = (n: number, stream = 's'): EsdbResolved => ({
  event: {
    streamId: stream,
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'Happened',
    revision: BigInt(n),
    isJson: true,
    data: { n },
    metadata: META,
    position: at(BigInt(n) * 10n),
  },
  commitPosition: BigInt(n) * 10n,
});

/** A system record at position n*10: a link, a stats event, or a metadata event. */
const system = (n: number, kind: 'link' | 'stats' | 'meta' = 'link'): EsdbResolved => ({
  event: {
    streamId: kind === 'link' ? '$ce-s' : kind === 'stats' ? '$stats-127.0.0.1:2113' : '$$s',
    id: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
    type: kind === 'link' ? '$>' : kind === 'stats' ? '$statsCollected' : '$metadata',
    revision: 0n,
    isJson: kind !== 'link',
    data: {},
    metadata: undefined,
    position: at(BigInt(n) * 10n),
  },
  commitPosition: BigInt(n) * 10n,
});

test('expected revisions map onto the client constants', (t) => {
  t.is(toClientExpectedRevision('no_stream'), NO_STREAM);
  t.is(toClientExpectedRevision('any'), ANY);
  t.is(toClientExpectedRevision(0n), 0n);
  t.is(toClientExpectedRevision(41n), 41n);
});

test("the client's wrong-expected-version error maps onto ours, including a missing stream", (t) => {
  const conflict = new WrongExpectedVersionError(undefined, { streamName: 's', expected: 'no_stream', current: 3n });
  const mapped = toWrongExpectedRevision('s', 'no_stream', conflict.actualVersion);
  t.true(mapped instanceof WrongExpectedRevisionError);
  t.is(mapped.streamId, 's');
  t.is(mapped.expected, 'no_stream');
  t.is(mapped.actual, 3n);

  const missing = new WrongExpectedVersionError(undefined, { streamName: 's', expected: 0n, current: 'no_stream' });
  t.is(toWrongExpectedRevision('s', 0n, missing.actualVersion).actual, 'no_stream');
});

test('transport failures are transient; refusals and unknown failures are not', (t) => {
  const grpcError = (code: number, message: string): Error => Object.assign(new Error(message), { code });
  const socketError = (code: string): Error => Object.assign(new Error(code), { code });

  t.true(isTransient(new UnavailableError()));
  t.true(isTransient(new CancelledError()));
  // What the client throws when it cannot even reach the server to ask for its features.
  t.true(isTransient(grpcError(14, '14 UNAVAILABLE: No connection established')));
  t.true(isTransient(grpcError(13, '13 INTERNAL: Received RST_STREAM with code 2 (Internal server error)')));
  t.true(isTransient(socketError('ECONNRESET')));
  t.true(isTransient(new Error('Failed to discover after 10 attempts.')));

  t.false(isTransient(new AccessDeniedError()));
  t.false(isTransient(StreamDeletedError.fromStreamName('s')));
  t.false(isTransient(grpcError(13, '13 INTERNAL: Exception was thrown by handler.')));
  t.false(isTransient(grpcError(3, '3 INVALID_ARGUMENT')));
  t.false(isTransient(new Error('projection broke')));
  t.false(isTransient('not even an error'));
});

test('backoff doubles from the initial delay and stays under the cap', (t) => {
  const policy: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 10 };
  const noJitter = (): number => 1;
  t.deepEqual(
    [1, 2, 3, 4, 5, 50].map((attempt) => backoffDelay(attempt, policy, noJitter)),
    [100, 200, 400, 800, 1_000, 1_000],
  );
  for (let attempt = 1; attempt < 20; attempt++) {
    const delay = backoffDelay(attempt, policy);
    t.true(delay >= 80 && delay <= 1_000);
  }
});

test('a recorded event is decoded with its commit position and validated metadata', (t) => {
  const decoded = toRecordedEvent(user(7, 'orders-1'));
  t.deepEqual(decoded, {
    id: '00000000-0000-4000-8000-000000000007',
    type: 'Happened',
    data: { n: 7 },
    metadata: META,
    streamId: 'orders-1',
    revision: 7n,
    position: 70n,
  });
});

test('the position comes from the record, else from the read result, never from the "no position" marker', (t) => {
  const base = user(1).event!;
  const noPosition = 2n ** 64n - 1n;
  t.is(toRecordedEvent({ event: { ...base, position: undefined }, commitPosition: 55n }).position, 55n);
  t.is(toRecordedEvent({ event: { ...base, position: at(noPosition) }, commitPosition: 56n }).position, 56n);
  // A stream read from a server older than 22.6.
  const error = t.throws(() => toRecordedEvent({ event: { ...base, position: at(noPosition) } }));
  t.regex(error?.message ?? '', /22\.6/);
});

test('events this store cannot have written are refused, not guessed at', (t) => {
  const base = user(1).event!;
  t.throws(() => toRecordedEvent({ event: { ...base, isJson: false, data: new Uint8Array([1]) } }), {
    message: /not JSON/,
  });
  t.throws(() => toRecordedEvent({ event: { ...base, metadata: { actorId: 'a' } } }), { message: /corrupt metadata/ });
  t.throws(() => toRecordedEvent({ event: { ...base, metadata: new Uint8Array([1, 2]) } }), {
    message: /corrupt metadata/,
  });
  t.throws(() => toRecordedEvent({}), { message: /without an event/ });
});

/**
 * $all as the server serves it: forwards reads include the starting position, backwards reads
 * exclude it. Records which pages were requested and whether each was read to its end.
 */
function fakeAll(log: readonly EsdbResolved[]) {
  const pages: { from: ReadPosition; maxCount: number; direction: Direction; drained: boolean }[] = [];
  const positionOf = (r: EsdbResolved): bigint => r.event!.position!.commit;
  const readPage: ReadAllPage = (from, maxCount, direction) => {
    const page = { from, maxCount, direction, drained: false };
    pages.push(page);
    let selected: EsdbResolved[];
    if (direction === 'forwards') {
      selected = from === 'start' ? [...log] : from === 'end' ? [] : log.filter((r) => positionOf(r) >= from.commit);
    } else {
      const before = from === 'end' ? log : from === 'start' ? [] : log.filter((r) => positionOf(r) < from.commit);
      selected = [...before].reverse();
    }
    selected = selected.slice(0, maxCount);
    return (async function* () {
      yield* selected;
      page.drained = true;
    })();
  };
  return { readPage, pages };
}

const positions = (events: readonly RecordedEvent[]): bigint[] => events.map((e) => e.position);

test('readAll skips system records, pages past them, and stops at the limit', async (t) => {
  // Two user events separated by more system records than fit in one page.
  const systemRecords = Array.from({ length: 300 }, (_, i) => system(2 + i, i % 2 ? 'link' : 'stats'));
  const log = [user(1), ...systemRecords, user(400), system(401, 'meta'), user(402)];
  const { readPage, pages } = fakeAll(log);

  t.deepEqual(positions(await readAllPaged(readPage, 'start', 100)), [10n, 4_000n, 4_020n]);
  t.true(pages.length > 1, 'needed more than one page');
  t.true(
    pages.every((p) => p.drained),
    'every page was read to its end',
  );

  t.deepEqual(positions(await readAllPaged(readPage, 'start', 2)), [10n, 4_000n]);
  t.deepEqual(await readAllPaged(readPage, 'start', 0), []);
});

test('readAll after a position starts strictly after it', async (t) => {
  const log = [user(1), user(2), system(3), user(4), user(5)];
  const { readPage } = fakeAll(log);
  t.deepEqual(positions(await readAllPaged(readPage, { after: 20n }, 10)), [40n, 50n]);
  t.deepEqual(positions(await readAllPaged(readPage, { after: 30n }, 1)), [40n]);
  t.deepEqual(await readAllPaged(readPage, { after: 50n }, 10), []);
});

test('readAll pages through a long log without losing or repeating events', async (t) => {
  const log = Array.from({ length: 5_000 }, (_, i) => (i % 7 === 3 ? system(i + 1) : user(i + 1)));
  const { readPage } = fakeAll(log);
  const expected = log.filter((r) => !r.event!.type.startsWith('$')).map((r) => r.event!.position!.commit);
  const all = positions(await readAllPaged(readPage, 'start', 100_000));
  t.deepEqual(all, expected);
  const tail = positions(await readAllPaged(readPage, { after: expected[1_000]! }, 100_000));
  t.deepEqual(tail, expected.slice(1_001));
});

test('headPosition finds the last user event behind many system records', async (t) => {
  const log = [user(1), user(2), ...Array.from({ length: 600 }, (_, i) => system(3 + i, 'stats'))];
  t.is(await headPositionPaged(fakeAll(log).readPage), 20n);
  t.is(await headPositionPaged(fakeAll([system(1), system(2)]).readPage), undefined);
  t.is(await headPositionPaged(fakeAll([]).readPage), undefined);
});

// --- the resubscribing loop, fed by fake server subscriptions --------------------------------

type FakeSource = PassThrough & { unsubscribe(): Promise<void>; unsubscribed: boolean };

function fakeSource(): FakeSource {
  const stream = new PassThrough({ objectMode: true, highWaterMark: 4 });
  const source = Object.assign(stream, {
    unsubscribed: false,
    async unsubscribe(): Promise<void> {
      source.unsubscribed = true;
    },
  });
  return source;
}

async function until(condition: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const fastRetry: RetryPolicy = { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 };

function harness(options: {
  from?: { after: bigint } | 'start';
  handler?: (batch: readonly RecordedEvent[]) => Promise<void>;
  retry?: RetryPolicy;
  maxBatch?: number;
}) {
  const sources: FakeSource[] = [];
  const opens: (bigint | undefined)[] = [];
  const received: bigint[] = [];
  const batches: number[] = [];
  const retries: unknown[] = [];
  const subscription = resilientSubscription({
    from: options.from ?? 'start',
    retry: options.retry ?? fastRetry,
    maxBatch: options.maxBatch ?? 100,
    onResubscribe: (error) => retries.push(error),
    open: (after) => {
      opens.push(after);
      const source = fakeSource();
      sources.push(source);
      return source;
    },
    handler: async (batch) => {
      batches.push(batch.length);
      await options.handler?.(batch);
      received.push(...positions(batch));
    },
  });
  const source = (i: number): FakeSource => {
    const s = sources[i];
    if (s === undefined) throw new Error(`no subscription #${i}`);
    return s;
  };
  return { subscription, sources, source, opens, received, batches, retries };
}

test('subscription: delivers in order, skipping system records', async (t) => {
  const h = harness({});
  for (const r of [user(1), system(2), user(3)]) h.source(0).write(r);
  await until(() => h.received.length === 2, 'two events');
  t.deepEqual(h.received, [10n, 30n]);
  await h.subscription.stop();
  await h.subscription.done;
  t.true(h.source(0).unsubscribed);
  t.true(h.source(0).destroyed);
});

test('subscription: after a lost connection it resubscribes after the last delivered position', async (t) => {
  const h = harness({ from: { after: 10n } });
  h.source(0).write(user(1)); // at the checkpoint: already handled before, not delivered again
  h.source(0).write(user(2));
  h.source(0).write(user(3));
  await until(() => h.received.length === 2, 'the first events');
  h.source(0).emit('error', new UnavailableError());
  await until(() => h.sources.length === 2, 'the resubscription');
  t.deepEqual(h.opens, [10n, 30n]);
  t.true(h.source(0).destroyed, 'the dead subscription was released');
  t.true(h.retries[0] instanceof UnavailableError);

  // The server may repeat what it had sent; those are dropped.
  h.source(1).write(user(3));
  h.source(1).write(user(4));
  await until(() => h.received.length === 3, 'the event after the reconnect');
  t.deepEqual(h.received, [20n, 30n, 40n]);
  await h.subscription.stop();
});

test('subscription: events buffered before the connection broke are still delivered', async (t) => {
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const h = harness({ handler: () => gate, maxBatch: 1 });
  h.source(0).write(user(1));
  await until(() => h.batches.length === 1, 'the first batch');
  h.source(0).write(user(2));
  h.source(0).emit('error', new UnavailableError());
  release();
  await until(() => h.sources.length === 2, 'the resubscription');
  t.deepEqual(h.received, [10n, 20n]);
  t.deepEqual(h.opens, [undefined, 20n]);
  await h.subscription.stop();
});

test('subscription: a server that ends the subscription by itself is resubscribed too', async (t) => {
  const h = harness({});
  h.source(0).write(user(1));
  await until(() => h.received.length === 1, 'the event');
  h.source(0).end();
  await until(() => h.sources.length === 2, 'the resubscription');
  t.deepEqual(h.opens, [undefined, 10n]);
  await h.subscription.stop();
});

test('subscription: a refusal ends it with the server error, without retrying', async (t) => {
  const h = harness({});
  const denied = new AccessDeniedError();
  h.source(0).emit('error', denied);
  const error = await t.throwsAsync(h.subscription.done);
  t.is(error, denied);
  t.is(h.sources.length, 1);
  t.true(h.source(0).destroyed);
});

test('subscription: gives up after maxAttempts consecutive failures', async (t) => {
  const h = harness({ retry: { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 2 } });
  const fail = async (i: number): Promise<void> => {
    await until(() => h.sources.length > i, `subscription #${i}`);
    h.source(i).emit('error', new UnavailableError());
  };
  await fail(0);
  await fail(1);
  await fail(2);
  const error = await t.throwsAsync(h.subscription.done);
  t.true(error instanceof UnavailableError);
  t.is(h.sources.length, 3);
});

test('subscription: receiving events resets the failure count', async (t) => {
  const h = harness({ retry: { initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 1 } });
  for (let i = 0; i < 4; i++) {
    await until(() => h.sources.length > i, `subscription #${i}`);
    h.source(i).write(user(i + 1));
    await until(() => h.received.length === i + 1, `event ${i + 1}`);
    h.source(i).emit('error', new UnavailableError());
  }
  await until(() => h.sources.length === 5, 'the fifth subscription');
  await h.subscription.stop();
  t.deepEqual(h.received, [10n, 20n, 30n, 40n]);
});

test('subscription: a failing handler ends it with the handler error and releases the server call', async (t) => {
  const h = harness({
    handler: async () => {
      throw new Error('projection broke');
    },
  });
  h.source(0).write(user(1));
  await t.throwsAsync(h.subscription.done, { message: 'projection broke' });
  t.true(h.source(0).unsubscribed);
  t.is(h.sources.length, 1);
});

test('subscription: stop() waits for the batch in flight and nothing is delivered after it', async (t) => {
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  const h = harness({
    handler: async () => {
      await gate;
      finished = true;
    },
  });
  h.source(0).write(user(1));
  await until(() => h.batches.length === 1, 'the batch to start');
  let stopped = false;
  const stopping = h.subscription.stop().then(() => (stopped = true));
  h.source(0).write(user(2));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.false(stopped, 'stop() returned while the handler was still running');
  release();
  await stopping;
  t.true(finished);
  t.deepEqual(h.received, [10n]);
  await h.subscription.done;
});

test('subscription: stop() interrupts the wait before a resubscription', async (t) => {
  const h = harness({ retry: { initialDelayMs: 60_000, maxDelayMs: 60_000, maxAttempts: 5 } });
  h.source(0).emit('error', new UnavailableError());
  await until(() => h.retries.length === 1, 'the retry to be scheduled');
  const started = Date.now();
  await h.subscription.stop();
  t.true(Date.now() - started < 1_000);
  t.is(h.sources.length, 1);
});

test('subscription: one batch at a time, never larger than maxBatch', async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  const h = harness({
    maxBatch: 8,
    handler: async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
    },
  });
  const writer = (async () => {
    for (let i = 1; i <= 100; i++) {
      // Respect the source's back-pressure like the piped gRPC stream does.
      if (!h.source(0).write(user(i))) await new Promise((resolve) => h.source(0).once('drain', resolve));
    }
  })();
  await until(() => h.received.length === 100, 'all events', 10_000);
  await writer;
  await h.subscription.stop();
  t.is(maxInFlight, 1);
  t.true(h.batches.every((n) => n >= 1 && n <= 8));
  t.true(h.batches.length < 100, 'events were batched');
  t.deepEqual(
    h.received,
    Array.from({ length: 100 }, (_, i) => BigInt(i + 1) * 10n),
  );
});

// --- the real client against a port nobody listens on ----------------------------------------

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

test('without a server: appends fail as transient, subscriptions keep retrying until closed', async (t) => {
  const port = await closedPort();
  const retries: unknown[] = [];
  const store = esdbEventStore(`esdb://127.0.0.1:${port}?tls=false`, {
    resubscribe: { initialDelayMs: 10, maxDelayMs: 20 },
    onResubscribe: (error) => retries.push(error),
  });
  try {
    const appendError = await t.throwsAsync(
      store.append('s', [{ id: '6f1c1c3e-6f0a-4c55-9a43-0f4c8f8d1a01', type: 'T', data: {}, metadata: META }], 'any'),
    );
    t.true(isTransient(appendError));
    t.false(appendError instanceof WrongExpectedRevisionError);

    let delivered = 0;
    const subscription = store.subscribeToAll('start', async () => {
      delivered++;
    });
    await until(() => retries.length >= 3, 'three resubscriptions', 15_000);
    t.true(retries.every(isTransient));
    await store.close();
    await subscription.done;
    t.is(delivered, 0);
  } finally {
    await store.close().catch(() => undefined);
  }
});
