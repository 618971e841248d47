import type { ExecutionContext, TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import type { Doc, FindQuery, Page, ReadStore, WriteOp } from '../../projections/readStore';

/**
 * The behaviour every read store adapter promises. A store may be a shared server, so every
 * test works on collections and checkpoints with names of its own and never looks elsewhere.
 */
export function readStoreConformance(test: TestFn, name: string, open: () => Promise<ReadStore>): void {
  const unique = (label: string): string => `rs_${label}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const up = (collection: string, id: string, position: bigint, set: Record<string, unknown>): WriteOp => ({
    kind: 'upsert',
    collection,
    id,
    set,
    position,
  });
  const rm = (collection: string, id: string, position: bigint): WriteOp => ({ kind: 'remove', collection, id, position });
  const ids = (page: Page): string[] => page.items.map((doc) => doc.id);

  const withStore = async (body: (store: ReadStore) => Promise<void>): Promise<void> => {
    const store = await open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  /** Asserts the ids (in order) and the total of a query. */
  const expectFind = async (
    t: ExecutionContext,
    store: ReadStore,
    collection: string,
    query: FindQuery,
    expectedIds: string[],
    expectedTotal = expectedIds.length,
  ): Promise<void> => {
    const page = await store.find(collection, query);
    t.deepEqual(ids(page), expectedIds, JSON.stringify(query));
    t.is(page.total, expectedTotal, `total of ${JSON.stringify(query)}`);
  };

  test(`${name}: upsert creates a document, later upserts merge their fields`, async (t) => {
    await withStore(async (store) => {
      const c = unique('merge');
      const other = unique('merge_other');
      await store.apply([]);
      await store.apply([up(c, 'a', 1n, { name: 'Alpha', n: 1, tags: ['x'] })]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', name: 'Alpha', n: 1, tags: ['x'] });

      await store.apply([up(c, 'a', 2n, { n: 2, tags: ['x', 'y'], nested: { k: 'v', deep: [1, { z: null }] } })]);
      t.deepEqual(await store.get(c, 'a'), {
        id: 'a',
        name: 'Alpha',
        n: 2,
        tags: ['x', 'y'],
        nested: { k: 'v', deep: [1, { z: null }] },
      });

      t.is(await store.get(c, 'missing'), undefined);
      // The same id in another collection is another document.
      t.is(await store.get(other, 'a'), undefined);
      await store.apply([up(other, 'a', 1n, { name: 'Other' })]);
      t.deepEqual(await store.get(other, 'a'), { id: 'a', name: 'Other' });
      t.deepEqual((await store.get(c, 'a'))?.name, 'Alpha');
    });
  });

  test(`${name}: values of every JSON type round-trip and hidden fields never show`, async (t) => {
    await withStore(async (store) => {
      const c = unique('types');
      const body = { s: 'text', int: 42, float: -1.5, yes: true, no: false, nil: null, list: [1, 'two', false], obj: { a: { b: 'c' } } };
      await store.apply([up(c, 'a', 7n, body), up(c, 'b', 8n, { s: 'gone' }), rm(c, 'b', 9n)]);
      const expected: Doc = { id: 'a', ...body };
      t.deepEqual(await store.get(c, 'a'), expected);
      const page = await store.find(c, {});
      t.deepEqual(page, { items: [expected], total: 1 });
      for (const doc of [await store.get(c, 'a'), ...page.items]) {
        t.deepEqual(
          Object.keys(doc ?? {}).filter((k) => k.startsWith('_')),
          [],
        );
      }
    });
  });

  test(`${name}: an op applies only when newer than the document's position`, async (t) => {
    await withStore(async (store) => {
      const c = unique('guard');
      await store.apply([up(c, 'a', 10n, { v: 'ten' })]);

      await store.apply([up(c, 'a', 5n, { v: 'five', extra: true })]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', v: 'ten' }, 'older upsert ignored');
      await store.apply([up(c, 'a', 10n, { v: 'again' })]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', v: 'ten' }, 'equal upsert ignored');
      await store.apply([up(c, 'a', 11n, { v: 'eleven' })]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', v: 'eleven' }, 'newer upsert applied');

      await store.apply([rm(c, 'a', 9n)]);
      t.truthy(await store.get(c, 'a'), 'older remove ignored');
      await store.apply([rm(c, 'a', 11n)]);
      t.truthy(await store.get(c, 'a'), 'equal remove ignored');
      await store.apply([rm(c, 'a', 12n)]);
      t.is(await store.get(c, 'a'), undefined, 'newer remove applied');
    });
  });

  test(`${name}: ops of one batch apply in order, each with its own guard`, async (t) => {
    await withStore(async (store) => {
      const c = unique('batch');
      const d = unique('batch_other');
      await store.apply([
        up(c, 'a', 3n, { v: 3 }),
        up(d, 'a', 1n, { v: 'd1' }),
        up(c, 'a', 2n, { v: 2, old: true }),
        up(c, 'a', 4n, { w: 4 }),
        up(c, 'b', 1n, { v: 1, gone: true }),
        rm(c, 'b', 2n),
        up(d, 'a', 5n, { v: 'd5' }),
        up(c, 'b', 1n, { v: 'stale' }),
        up(c, 'b', 3n, { v: 'back' }),
        up(d, 'a', 4n, { v: 'd4' }),
      ]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', v: 3, w: 4 });
      t.deepEqual(await store.get(c, 'b'), { id: 'b', v: 'back' });
      t.deepEqual(await store.get(d, 'a'), { id: 'a', v: 'd5' });
    });
  });

  test(`${name}: positions beyond 2^53 are compared exactly`, async (t) => {
    await withStore(async (store) => {
      const c = unique('bigpos');
      const base = 2n ** 60n;
      // As doubles base and base + 1n are the same number, so a lossy store would skip this.
      await store.apply([up(c, 'a', base, { v: 'base' }), up(c, 'a', base + 1n, { v: 'next' })]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', v: 'next' });
      await store.apply([up(c, 'a', base, { v: 'replayed' })]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', v: 'next' });

      const top = 2n ** 63n - 1n;
      await store.apply([up(c, 'b', top - 1n, { v: 'almost' }), up(c, 'b', top, { v: 'top' }), up(c, 'b', top - 1n, { v: 'old' })]);
      t.deepEqual(await store.get(c, 'b'), { id: 'b', v: 'top' });
    });
  });

  test(`${name}: replaying a batch, a prefix of it or any single op changes nothing`, async (t) => {
    await withStore(async (store) => {
      const c = unique('replay');
      const d = unique('replay_other');
      const ops: WriteOp[] = [
        up(c, 'a', 1n, { name: 'A', n: 1 }),
        up(c, 'b', 2n, { name: 'B', n: 2 }),
        up(d, 'a', 3n, { name: 'dA' }),
        up(c, 'a', 4n, { n: 10 }),
        rm(c, 'b', 5n),
        up(c, 'c', 6n, { name: 'C' }),
        rm(d, 'a', 7n),
        up(d, 'a', 8n, { name: 'dA2' }),
        up(c, 'c', 9n, { n: 3, name: 'C2' }),
        rm(c, 'c', 10n),
        up(c, 'b', 11n, { name: 'B2' }),
      ];
      const snapshot = async (): Promise<Page[]> => [await store.find(c, {}), await store.find(d, {})];

      await store.apply(ops);
      const first = await snapshot();
      t.deepEqual(first, [
        {
          items: [
            { id: 'a', name: 'A', n: 10 },
            { id: 'b', name: 'B2' },
          ],
          total: 2,
        },
        { items: [{ id: 'a', name: 'dA2' }], total: 1 },
      ]);

      await store.apply(ops);
      t.deepEqual(await snapshot(), first, 'whole batch replayed');
      for (const op of ops) await store.apply([op]);
      t.deepEqual(await snapshot(), first, 'each op replayed alone');
      await store.apply(ops.slice(0, 6));
      t.deepEqual(await snapshot(), first, 'prefix replayed');
      await store.apply([...ops].reverse());
      t.deepEqual(await snapshot(), first, 'batch replayed backwards');
    });
  });

  test(`${name}: a tombstone hides the document and outlives replays of older upserts`, async (t) => {
    await withStore(async (store) => {
      const c = unique('tomb');
      await store.apply([up(c, 'a', 1n, { name: 'x', keep: 1, status: 'on' }), up(c, 'b', 1n, { status: 'on' })]);
      await store.apply([rm(c, 'a', 2n)]);

      t.is(await store.get(c, 'a'), undefined);
      await expectFind(t, store, c, {}, ['b']);
      await expectFind(t, store, c, { where: { status: 'on' } }, ['b']);
      t.deepEqual(await store.countBy(c, 'status'), { on: 1 });

      await store.apply([up(c, 'a', 1n, { name: 'x', keep: 1, status: 'on' })]);
      t.is(await store.get(c, 'a'), undefined, 'older upsert replayed after the delete');
      await store.apply([up(c, 'a', 2n, { name: 'same position' })]);
      t.is(await store.get(c, 'a'), undefined, 'upsert at the delete position');

      // A newer upsert re-creates the document from scratch: deleted fields stay deleted.
      await store.apply([up(c, 'a', 3n, { name: 'y' })]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', name: 'y' });

      // Removing a document never seen still guards against its older upserts.
      await store.apply([rm(c, 'z', 5n)]);
      await store.apply([up(c, 'z', 4n, { name: 'late' })]);
      t.is(await store.get(c, 'z'), undefined);
      await store.apply([up(c, 'z', 6n, { name: 'new' })]);
      t.deepEqual(await store.get(c, 'z'), { id: 'z', name: 'new' });
    });
  });

  test(`${name}: where matches equality, one-of lists and null (absent counts as null)`, async (t) => {
    await withStore(async (store) => {
      const c = unique('where');
      await store.apply([
        up(c, 'a', 1n, { status: 'running', kind: 'pg', n: 1, on: true }),
        up(c, 'b', 2n, { status: 'stopped', kind: 'pg', n: 2, on: false }),
        up(c, 'c', 3n, { status: 'running', kind: 'kafka', n: 3, on: true, owner: null }),
        up(c, 'd', 4n, { status: 'failed', kind: 'pg', n: 2 }),
        up(c, 'e', 5n, { status: 'running', kind: 'pg', n: 1, on: true, owner: 'u1' }),
        up(c, 'f', 6n, { status: 'running', kind: 'pg', owner: 'u2' }),
        rm(c, 'f', 7n),
      ]);
      await expectFind(t, store, c, { where: { status: 'running' } }, ['a', 'c', 'e']);
      await expectFind(t, store, c, { where: { status: 'running', kind: 'pg' } }, ['a', 'e']);
      await expectFind(t, store, c, { where: { status: ['stopped', 'failed'] } }, ['b', 'd']);
      await expectFind(t, store, c, { where: { status: ['running'], n: [1, 3] } }, ['a', 'c', 'e']);
      await expectFind(t, store, c, { where: { n: 2 } }, ['b', 'd']);
      await expectFind(t, store, c, { where: { on: false } }, ['b']);
      await expectFind(t, store, c, { where: { on: true } }, ['a', 'c', 'e']);
      await expectFind(t, store, c, { where: { owner: null } }, ['a', 'b', 'c', 'd']);
      await expectFind(t, store, c, { where: { owner: 'u1' } }, ['e']);
      await expectFind(t, store, c, { where: { owner: [null, 'u1'] } }, ['a', 'b', 'c', 'd', 'e']);
      await expectFind(t, store, c, { where: { owner: 'u2' } }, [], 0);
      await expectFind(t, store, c, { where: { status: [] } }, [], 0);
      await expectFind(t, store, c, { where: { status: 'nope' } }, [], 0);
      await expectFind(t, store, c, { where: { n: '1' } }, [], 0);
      await expectFind(t, store, c, { where: { id: ['e', 'b', 'zz'] } }, ['b', 'e']);
      await expectFind(t, store, c, { where: {} }, ['a', 'b', 'c', 'd', 'e']);
    });
  });

  test(`${name}: anyOf requires at least one of its where clauses, on top of where`, async (t) => {
    await withStore(async (store) => {
      const c = unique('anyof');
      await store.apply([
        up(c, 'a', 1n, { owner: 'u1', team: 't1', kind: 'x' }),
        up(c, 'b', 2n, { owner: 'u2', team: 't1', kind: 'y' }),
        up(c, 'c', 3n, { owner: 'u2', team: 't2', kind: 'x' }),
        up(c, 'd', 4n, { owner: 'u3', kind: 'x' }),
        up(c, 'e', 5n, { owner: 'u1', team: 't2', kind: 'x' }),
        rm(c, 'e', 6n),
      ]);
      await expectFind(t, store, c, { anyOf: [{ owner: 'u1' }, { team: ['t2'] }] }, ['a', 'c']);
      await expectFind(t, store, c, { where: { kind: 'x' }, anyOf: [{ owner: 'u2' }, { team: 't1' }] }, ['a', 'c']);
      await expectFind(
        t,
        store,
        c,
        {
          anyOf: [
            { owner: 'u3', team: null },
            { owner: 'u3', team: 't1' },
          ],
        },
        ['d'],
      );
      await expectFind(t, store, c, { anyOf: [{ owner: 'u2', team: 't1' }] }, ['b']);
      await expectFind(t, store, c, { anyOf: [{ owner: 'nobody' }] }, [], 0);
      await expectFind(t, store, c, { anyOf: [] }, [], 0);
      await expectFind(
        t,
        store,
        c,
        { anyOf: [{ kind: 'x' }, { owner: 'u2' }], sort: [{ field: 'owner', direction: 'desc' }], skip: 1, limit: 2 },
        ['b', 'c'],
        4,
      );
    });
  });

  test(`${name}: range bounds one field inclusively, strings and numbers in their own order`, async (t) => {
    await withStore(async (store) => {
      const c = unique('range');
      await store.apply([
        up(c, 'r1', 1n, { time: '2026-01-01T00:00:00.000Z', n: 1, kind: 'a' }),
        up(c, 'r2', 2n, { time: '2026-01-02T00:00:00.000Z', n: 2, kind: 'b' }),
        up(c, 'r3', 3n, { time: '2026-01-03T00:00:00.000Z', n: 10, kind: 'a' }),
        up(c, 'r4', 4n, { n: 3, kind: 'a' }),
        up(c, 'r5', 5n, { time: '2026-01-02T12:00:00.000Z', n: 2, kind: 'a' }),
        rm(c, 'r5', 6n),
      ]);
      const range = (gte?: string | number, lte?: string | number, field = 'time'): FindQuery => ({
        range: { field, ...(gte !== undefined ? { gte } : {}), ...(lte !== undefined ? { lte } : {}) },
      });
      await expectFind(t, store, c, range('2026-01-02T00:00:00.000Z'), ['r2', 'r3']);
      await expectFind(t, store, c, range('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'), ['r1', 'r2']);
      await expectFind(t, store, c, range('2026-01-01T12:00:00.000Z', '2026-01-02T23:59:59.999Z'), ['r2']);
      await expectFind(t, store, c, range('2027'), [], 0);
      // A document without the field is outside any range, also one with only an upper bound.
      await expectFind(t, store, c, range(undefined, '2026-01-02T00:00:00.000Z'), ['r1', 'r2']);
      // Numbers compare as numbers (10 is not between "2" and "3" as text would have it).
      await expectFind(t, store, c, range(2, 10, 'n'), ['r2', 'r3', 'r4']);
      await expectFind(t, store, c, range(3, undefined, 'n'), ['r3', 'r4']);
      await expectFind(
        t,
        store,
        c,
        { ...range('2026-01-01T00:00:00.000Z'), where: { kind: 'a' }, sort: [{ field: 'time', direction: 'desc' }] },
        ['r3', 'r1'],
      );
      t.deepEqual(await store.find(c, range()), await store.find(c, {}), 'no bound, no constraint');
    });
  });

  test(`${name}: search is a case-insensitive substring match that takes the text literally`, async (t) => {
    await withStore(async (store) => {
      const c = unique('search');
      await store.apply([
        up(c, 'a', 1n, { name: 'Orders (EU) v1.2', env: 'prod' }),
        up(c, 'b', 2n, { name: 'orders-eu-v1x2', env: 'dev' }),
        up(c, 'c', 3n, { name: 'Customers [prod]*', env: 'prod' }),
        up(c, 'd', 4n, { name: 'a+b=c? $5 ^up | path\\to {2}', env: 'dev' }),
        up(c, 'e', 5n, { env: 'prod' }),
        up(c, 'f', 6n, { name: 'ORDERS removed' }),
        rm(c, 'f', 7n),
      ]);
      const search = (text: string, extra: FindQuery = {}): FindQuery => ({ ...extra, search: { field: 'name', text } });
      await expectFind(t, store, c, search('orders'), ['a', 'b']);
      await expectFind(t, store, c, search('ORDERS (eu)'), ['a']);
      await expectFind(t, store, c, search('v1.2'), ['a']);
      await expectFind(t, store, c, search('[PROD]*'), ['c']);
      await expectFind(t, store, c, search('[prod]+'), [], 0);
      await expectFind(t, store, c, search('a+b=c? $5 ^UP'), ['d']);
      await expectFind(t, store, c, search('path\\to {2}'), ['d']);
      await expectFind(t, store, c, search('|'), ['d']);
      await expectFind(t, store, c, search('.*'), [], 0);
      await expectFind(t, store, c, search('^orders'), [], 0);
      await expectFind(t, store, c, search(''), ['a', 'b', 'c', 'd']);
      await expectFind(t, store, c, search('o', { where: { env: 'prod' } }), ['a', 'c']);
      await expectFind(t, store, c, search('ORD', { sort: [{ field: 'name', direction: 'desc' }], limit: 1 }), ['b'], 2);
      await expectFind(t, store, c, { search: { field: 'env', text: 'PRO' } }, ['a', 'c', 'e']);
    });
  });

  test(`${name}: sort ascending and descending, ties always broken by id`, async (t) => {
    await withStore(async (store) => {
      const c = unique('sort');
      await store.apply([
        up(c, 'd', 1n, { n: 2, g: 'x', name: 'delta' }),
        up(c, 'a', 2n, { n: 1, g: 'y', name: 'alpha' }),
        up(c, 'c', 3n, { n: 2, g: 'y', name: 'Charlie' }),
        up(c, 'b', 4n, { n: 1, g: 'x', name: 'bravo' }),
        up(c, 'e', 5n, { n: 3, g: 'x', name: 'echo' }),
      ]);
      const sorted = (...keys: [string, 'asc' | 'desc'][]): FindQuery => ({
        sort: keys.map(([field, direction]) => ({ field, direction })),
      });
      await expectFind(t, store, c, {}, ['a', 'b', 'c', 'd', 'e']);
      await expectFind(t, store, c, sorted(['n', 'asc']), ['a', 'b', 'c', 'd', 'e']);
      await expectFind(t, store, c, sorted(['n', 'desc']), ['e', 'c', 'd', 'a', 'b']);
      await expectFind(t, store, c, sorted(['g', 'asc'], ['n', 'desc']), ['e', 'd', 'b', 'c', 'a']);
      await expectFind(t, store, c, sorted(['g', 'desc'], ['n', 'asc']), ['a', 'c', 'b', 'd', 'e']);
      // Code-unit order: upper case sorts before lower case.
      await expectFind(t, store, c, sorted(['name', 'asc']), ['c', 'a', 'b', 'd', 'e']);
      await expectFind(t, store, c, sorted(['id', 'desc']), ['e', 'd', 'c', 'b', 'a']);
    });
  });

  test(`${name}: skip and limit page through a stable order and report the full total`, async (t) => {
    await withStore(async (store) => {
      const c = unique('page');
      const ns = [2, 1, 3, 2, 1, 2, 3];
      await store.apply(ns.map((n, i) => up(c, `id${i}`, BigInt(i + 1), { n })));
      const order = ['id1', 'id4', 'id0', 'id3', 'id5', 'id2', 'id6'];
      const byN: FindQuery = { sort: [{ field: 'n', direction: 'asc' }] };
      await expectFind(t, store, c, byN, order);

      const pages: string[] = [];
      for (let skip = 0; skip < ns.length; skip += 3) {
        const page = await store.find(c, { ...byN, skip, limit: 3 });
        t.is(page.total, 7);
        t.true(page.items.length <= 3);
        pages.push(...ids(page));
      }
      t.deepEqual(pages, order);

      await expectFind(t, store, c, { ...byN, skip: 2, limit: 3 }, ['id0', 'id3', 'id5'], 7);
      await expectFind(t, store, c, { ...byN, skip: 5 }, ['id2', 'id6'], 7);
      await expectFind(t, store, c, { ...byN, skip: 10, limit: 3 }, [], 7);
      await expectFind(t, store, c, { ...byN, limit: 0 }, [], 7);
      await expectFind(t, store, c, { ...byN, where: { n: 2 }, limit: 2 }, ['id0', 'id3'], 3);
      await expectFind(t, store, c, { ...byN, where: { n: 2 }, skip: 1, limit: 5 }, ['id3', 'id5'], 3);
    });
  });

  test(`${name}: countBy counts visible documents per value, absent and null under "null"`, async (t) => {
    await withStore(async (store) => {
      const c = unique('count');
      t.deepEqual(await store.countBy(c, 'status'), {});
      await store.apply([
        up(c, 'a', 1n, { status: 'running', kind: 'pg', on: true, n: 1 }),
        up(c, 'b', 2n, { status: 'running', kind: 'kafka', on: true, n: 2 }),
        up(c, 'c', 3n, { status: 'stopped', kind: 'pg', on: false, n: 1 }),
        up(c, 'd', 4n, { kind: 'pg' }),
        up(c, 'e', 5n, { status: null, kind: 'kafka' }),
        up(c, 'f', 6n, { status: 'running', kind: 'pg' }),
        rm(c, 'f', 7n),
      ]);
      t.deepEqual(await store.countBy(c, 'status'), { running: 2, stopped: 1, null: 2 });
      t.deepEqual(await store.countBy(c, 'status', { kind: 'pg' }), { running: 1, stopped: 1, null: 1 });
      t.deepEqual(await store.countBy(c, 'status', { kind: ['kafka'], on: true }), { running: 1 });
      t.deepEqual(await store.countBy(c, 'on'), { true: 2, false: 1, null: 2 });
      t.deepEqual(await store.countBy(c, 'n', { kind: 'pg' }), { 1: 2, null: 1 });
      t.deepEqual(await store.countBy(c, 'status', { kind: 'none' }), {});
    });
  });

  test(`${name}: checkpoints round-trip bigint positions`, async (t) => {
    await withStore(async (store) => {
      const cp = unique('cp');
      const other = unique('cp_other');
      t.is(await store.getCheckpoint(cp), undefined);
      await store.setCheckpoint(cp, 0n);
      t.is(await store.getCheckpoint(cp), 0n);
      await store.setCheckpoint(cp, 2n ** 40n + 7n);
      t.is(await store.getCheckpoint(cp), 2n ** 40n + 7n);
      await store.setCheckpoint(cp, 2n ** 62n + 1n);
      t.is(await store.getCheckpoint(cp), 2n ** 62n + 1n);
      // A checkpoint is simply overwritten, also backwards (a rebuild restarts from scratch).
      await store.setCheckpoint(cp, 5n);
      t.is(await store.getCheckpoint(cp), 5n);
      t.is(await store.getCheckpoint(other), undefined);
      await store.setCheckpoint(other, 2n ** 33n);
      t.is(await store.getCheckpoint(cp), 5n);
      t.is(await store.getCheckpoint(other), 2n ** 33n);
    });
  });

  test(`${name}: reset drops the given collections (tombstones included) and checkpoint only`, async (t) => {
    await withStore(async (store) => {
      const a = unique('reset_a');
      const b = unique('reset_b');
      const kept = unique('reset_kept');
      const cp = unique('cp');
      const keptCp = unique('cp_kept');
      await store.apply([
        up(a, 'x', 10n, { v: 'a' }),
        up(a, 'gone', 11n, { v: 'a' }),
        rm(a, 'gone', 12n),
        up(b, 'x', 13n, { v: 'b' }),
        up(kept, 'x', 14n, { v: 'kept' }),
      ]);
      await store.setCheckpoint(cp, 14n);
      await store.setCheckpoint(keptCp, 14n);

      await store.reset([a, b, unique('never_written')], cp);

      t.is(await store.getCheckpoint(cp), undefined);
      t.is(await store.getCheckpoint(keptCp), 14n);
      t.is(await store.get(a, 'x'), undefined);
      await expectFind(t, store, a, {}, [], 0);
      await expectFind(t, store, b, {}, [], 0);
      t.deepEqual(await store.countBy(b, 'v'), {});
      t.deepEqual(await store.get(kept, 'x'), { id: 'x', v: 'kept' });

      // A rebuild replays from the start: old positions apply again, the tombstone is gone too.
      await store.apply([up(a, 'x', 1n, { v: 'rebuilt' }), up(a, 'gone', 2n, { v: 'back' })]);
      await expectFind(t, store, a, {}, ['gone', 'x']);
      t.deepEqual(await store.get(a, 'x'), { id: 'x', v: 'rebuilt' });

      await store.reset([a], cp);
      await store.reset([a], cp);
      await expectFind(t, store, a, {}, [], 0);
    });
  });

  test(`${name}: ensureIndexes is idempotent and leaves results unchanged`, async (t) => {
    await withStore(async (store) => {
      const c = unique('idx');
      await store.ensureIndexes(c, ['status', 'n']);
      await store.ensureIndexes(c, []);
      await store.apply([
        up(c, 'a', 1n, { status: 'on', n: 2 }),
        up(c, 'b', 2n, { status: 'off', n: 1 }),
        up(c, 'c', 3n, { status: 'on', n: 1 }),
      ]);
      await store.ensureIndexes(c, ['status', 'n']);
      await store.ensureIndexes(c, ['n', 'status', 'id']);
      await store.ensureIndexes(c, ['status']);
      await expectFind(t, store, c, { where: { status: 'on' }, sort: [{ field: 'n', direction: 'asc' }] }, ['c', 'a']);
      t.deepEqual(await store.countBy(c, 'status'), { on: 2, off: 1 });
      t.deepEqual(await store.get(c, 'b'), { id: 'b', status: 'off', n: 1 });
    });
  });

  test(`${name}: filters on several indexed fields give every match once, whichever field narrows most`, async (t) => {
    await withStore(async (store) => {
      const c = unique('narrow');
      await store.ensureIndexes(c, ['team', 'state']);
      const team = (i: number) => (i % 2 === 0 ? 't0' : 't1');
      const state = (i: number) => (i % 10 === 0 ? 'building' : 'draft');
      await store.apply(
        Array.from({ length: 40 }, (_, i) => up(c, `d${String(i).padStart(2, '0')}`, BigInt(i + 1), { team: team(i), state: state(i) })),
      );
      const ids = (keep: (i: number) => boolean) =>
        Array.from({ length: 40 }, (_, i) => i)
          .filter(keep)
          .map((i) => `d${String(i).padStart(2, '0')}`);
      const byId = [{ field: 'id', direction: 'asc' as const }];
      // The state narrows most here (4 building), the team there (no team t9).
      await expectFind(
        t,
        store,
        c,
        { where: { team: 't0', state: 'building' }, sort: byId },
        ids((i) => i % 2 === 0 && i % 10 === 0),
      );
      await expectFind(
        t,
        store,
        c,
        { where: { team: ['t0', 't0', 't1'], state: ['building', 'building'] }, sort: byId },
        ids((i) => i % 10 === 0),
      );
      await expectFind(t, store, c, { where: { team: ['t9'], state: 'draft' }, sort: byId }, [], 0);
      await expectFind(
        t,
        store,
        c,
        { where: { team: 't1', state: ['draft', 'gone'] }, sort: byId },
        ids((i) => i % 2 === 1),
      );
    });
  });

  test(`${name}: one batch can update and remove hundreds of existing documents`, async (t) => {
    await withStore(async (store) => {
      const c = unique('many');
      const id = (i: number): string => `doc${String(i).padStart(3, '0')}`;
      const count = 300;
      await store.apply(Array.from({ length: count }, (_, i) => up(c, id(i), 1n, { v: 0, keep: true })));
      await store.apply(Array.from({ length: count }, (_, i) => (i % 5 === 0 ? rm(c, id(i), 2n) : up(c, id(i), 2n, { v: i }))));
      const page = await store.find(c, { where: { keep: true } });
      t.is(page.total, count - count / 5);
      t.deepEqual(
        page.items,
        Array.from({ length: count }, (_, i) => i)
          .filter((i) => i % 5 !== 0)
          .map((i) => ({ id: id(i), v: i, keep: true })),
      );
    });
  });

  test(`${name}: a large shuffled batch ends with each document's newest op, whatever the order`, async (t) => {
    await withStore(async (store) => {
      const c = unique('bulk');
      // Deterministic shuffle so a failure reproduces.
      let seed = 12345;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const shuffle = <T>(items: T[]): T[] => {
        const copy = [...items];
        for (let i = copy.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
        }
        return copy;
      };
      const ops: WriteOp[] = Array.from({ length: 2500 }, (_, i) => {
        const id = `doc${String(i % 60).padStart(2, '0')}`;
        const position = BigInt(i + 1);
        return random() < 0.2 ? rm(c, id, position) : up(c, id, position, { v: i + 1 });
      });
      const newest = new Map<string, WriteOp>();
      for (const op of ops) newest.set(op.id, op);
      const expected = [...newest.values()]
        .filter((op) => op.kind === 'upsert')
        .map((op) => ({ id: op.id, v: Number(op.position) }))
        .sort((x, y) => (x.id < y.id ? -1 : 1));

      await store.apply(shuffle(ops));
      const page = await store.find(c, {});
      t.deepEqual(page, { items: expected, total: expected.length });
      t.true(expected.length > 0 && expected.length < 60, 'the batch mixes live and removed documents');

      await store.apply(shuffle(ops));
      t.deepEqual(await store.find(c, {}), page, 'replayed in another order');
    });
  });
}
