import type { TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import {
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type StartFrom,
} from '../../commands/eventstore/eventStore';

/**
 * The behaviour every event store adapter promises. Stores may be shared between tests
 * (a server), so every test works on streams of its own prefix and ignores the rest.
 */
export function eventStoreConformance(test: TestFn, name: string, open: () => Promise<EventStore>): void {
  const newEvent = (type: string, data: unknown = {}): NewEvent => ({
    id: randomUUID(),
    type,
    data,
    metadata: { actorId: 'actor-1', correlationId: randomUUID(), causationId: randomUUID(), time: new Date().toISOString() },
  });
  const events = (n: number, type = 'Happened'): NewEvent[] => Array.from({ length: n }, (_, i) => newEvent(type, { i }));
  const prefix = (): string => `conf${randomUUID().replaceAll('-', '')}-`;

  const withStore = async (body: (store: EventStore) => Promise<void>): Promise<void> => {
    const store = await open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  const collect = (
    store: EventStore,
    from: StartFrom,
    streamPrefix: string,
    until: number,
  ): { received: RecordedEvent[]; reached: Promise<void>; stop: () => Promise<void> } => {
    const received: RecordedEvent[] = [];
    let reachedResolve = (): void => undefined;
    const reached = new Promise<void>((resolve) => (reachedResolve = resolve));
    const sub = store.subscribeToAll(from, async (batch) => {
      received.push(...batch.filter((e) => e.streamId.startsWith(streamPrefix)));
      if (received.length >= until) reachedResolve();
    });
    return { received, reached, stop: () => sub.stop() };
  };

  const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);

  test(`${name}: appends to a new stream with no_stream and numbers revisions from 0`, async (t) => {
    await withStore(async (store) => {
      const stream = `${prefix()}a`;
      const result = await store.append(stream, events(3), 'no_stream');
      t.is(result.nextRevision, 2n);
      const read = await store.readStream(stream);
      t.deepEqual(
        read.map((e) => e.revision),
        [0n, 1n, 2n],
      );
      t.deepEqual(
        read.map((e) => e.data),
        [{ i: 0 }, { i: 1 }, { i: 2 }],
      );
      t.is(read[2]?.position, result.position);
    });
  });

  test(`${name}: no_stream on an existing stream is a conflict`, async (t) => {
    await withStore(async (store) => {
      const stream = `${prefix()}a`;
      await store.append(stream, events(1), 'no_stream');
      const error = await t.throwsAsync(store.append(stream, events(1), 'no_stream'), {
        instanceOf: WrongExpectedRevisionError,
      });
      t.is(error?.actual, 0n);
      t.is((await store.readStream(stream)).length, 1);
    });
  });

  test(`${name}: an exact expected revision must match the stream's last revision`, async (t) => {
    await withStore(async (store) => {
      const stream = `${prefix()}a`;
      await store.append(stream, events(2), 'no_stream');
      await t.throwsAsync(store.append(stream, events(1), 0n), { instanceOf: WrongExpectedRevisionError });
      const ok = await store.append(stream, events(1), 1n);
      t.is(ok.nextRevision, 2n);
      const missing = await t.throwsAsync(store.append(`${prefix()}missing`, events(1), 0n), {
        instanceOf: WrongExpectedRevisionError,
      });
      t.is(missing?.actual, 'no_stream');
    });
  });

  test(`${name}: any appends whatever the stream's state`, async (t) => {
    await withStore(async (store) => {
      const stream = `${prefix()}a`;
      await store.append(stream, events(1), 'any');
      const result = await store.append(stream, events(1), 'any');
      t.is(result.nextRevision, 1n);
    });
  });

  test(`${name}: concurrent writers with the same expected revision: exactly one wins`, async (t) => {
    await withStore(async (store) => {
      const stream = `${prefix()}a`;
      await store.append(stream, events(1), 'no_stream');
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => store.append(stream, events(1), 0n)));
      t.is(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      for (const o of outcomes) {
        if (o.status === 'rejected') t.true(o.reason instanceof WrongExpectedRevisionError);
      }
      t.is((await store.readStream(stream)).length, 2);
    });
  });

  test(`${name}: reads back type, data and metadata; a missing stream reads empty`, async (t) => {
    await withStore(async (store) => {
      const stream = `${prefix()}a`;
      const original = newEvent('Created', { name: 'x', nested: { list: [1, 'two', null] } });
      await store.append(stream, [original], 'no_stream');
      const [read] = await store.readStream(stream);
      t.is(read?.id, original.id);
      t.is(read?.type, 'Created');
      t.is(read?.streamId, stream);
      t.deepEqual(read?.data, original.data);
      t.deepEqual(read?.metadata, original.metadata);
      t.deepEqual(await store.readStream(`${prefix()}nothing`), []);
    });
  });

  test(`${name}: the schema version of an event's data travels in its metadata, absent where it was absent`, async (t) => {
    await withStore(async (store) => {
      const stream = `${prefix()}a`;
      const unversioned = newEvent('Created');
      const versioned = { ...newEvent('Renamed'), metadata: { ...unversioned.metadata, schemaVersion: 3 } };
      await store.append(stream, [unversioned, versioned], 'no_stream');
      const [first, second] = await store.readStream(stream);
      t.false(first !== undefined && 'schemaVersion' in first.metadata);
      t.is(second?.metadata.schemaVersion, 3);
    });
  });

  test(`${name}: re-appending stored event ids is a no-op`, async (t) => {
    await withStore(async (store) => {
      const stream = `${prefix()}a`;
      const batch = events(3);
      const first = await store.append(stream, batch, 'no_stream');
      const again = await store.append(stream, batch, 'no_stream');
      t.is(again.nextRevision, first.nextRevision);
      t.is((await store.readStream(stream)).length, 3);
      const all = await store.readAll('start', 100_000);
      t.is(all.filter((e) => e.streamId === stream).length, 3);
    });
  });

  test(`${name}: readAll orders events of all streams by strictly increasing position`, async (t) => {
    await withStore(async (store) => {
      const p = prefix();
      await store.append(`${p}a`, events(2, 'A'), 'no_stream');
      await store.append(`${p}b`, events(2, 'B'), 'no_stream');
      await store.append(`${p}a`, events(1, 'A'), 1n);
      const mine = (await store.readAll('start', 100_000)).filter((e) => e.streamId.startsWith(p));
      t.deepEqual(
        mine.map((e) => e.type),
        ['A', 'A', 'B', 'B', 'A'],
      );
      for (let i = 1; i < mine.length; i++) t.true(mine[i]!.position > mine[i - 1]!.position);
      const afterSecond = (await store.readAll({ after: mine[1]!.position }, 100_000)).filter((e) => e.streamId.startsWith(p));
      t.deepEqual(
        afterSecond.map((e) => e.id),
        mine.slice(2).map((e) => e.id),
      );
      const head = await store.headPosition();
      t.true(head !== undefined && head >= mine[4]!.position);
    });
  });

  test(`${name}: a subscription catches up, then delivers live events, in order`, async (t) => {
    await withStore(async (store) => {
      const p = prefix();
      await store.append(`${p}a`, events(3), 'no_stream');
      const sub = collect(store, 'start', p, 6);
      await store.append(`${p}b`, events(2), 'no_stream');
      await store.append(`${p}a`, events(1), 2n);
      await within(sub.reached, 10_000, 'live events');
      await sub.stop();
      t.is(sub.received.length, 6);
      t.deepEqual(
        sub.received.map((e) => `${e.streamId.slice(p.length)}${e.revision}`),
        ['a0', 'a1', 'a2', 'b0', 'b1', 'a3'],
      );
    });
  });

  test(`${name}: resubscribing after a checkpoint delivers exactly the rest`, async (t) => {
    await withStore(async (store) => {
      const p = prefix();
      await store.append(`${p}a`, events(5), 'no_stream');
      const first = collect(store, 'start', p, 5);
      await within(first.reached, 10_000, 'catch-up');
      await first.stop();
      const checkpoint = first.received[2]!.position;
      const second = collect(store, { after: checkpoint }, p, 3);
      await store.append(`${p}a`, events(1), 4n);
      await within(second.reached, 10_000, 'resubscribed events');
      await second.stop();
      t.deepEqual(
        second.received.map((e) => e.revision),
        [3n, 4n, 5n],
      );
    });
  });

  test(`${name}: the next batch waits for the handler (back-pressure)`, async (t) => {
    await withStore(async (store) => {
      const p = prefix();
      let inFlight = 0;
      let maxInFlight = 0;
      let seen = 0;
      let done = (): void => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const sub = store.subscribeToAll('start', async (batch) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen += batch.filter((e) => e.streamId.startsWith(p)).length;
        inFlight--;
        if (seen >= 20) done();
      });
      for (let i = 0; i < 20; i++) await store.append(`${p}a`, events(1), 'any');
      await within(finished, 10_000, 'all events');
      await sub.stop();
      t.is(maxInFlight, 1);
      t.is(seen, 20);
    });
  });

  test(`${name}: a failing handler ends the subscription with its error`, async (t) => {
    await withStore(async (store) => {
      const p = prefix();
      await store.append(`${p}a`, events(1), 'no_stream');
      const sub = store.subscribeToAll('start', async (batch) => {
        if (batch.some((e) => e.streamId.startsWith(p))) throw new Error('projection broke');
      });
      await t.throwsAsync(within(sub.done, 10_000, 'the subscription to fail'), { message: 'projection broke' });
    });
  });
}
