import test from 'ava';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import type { FindQuery, ReadStore, Scalar, WriteOp } from '../../projections/readStore';
import { readStoreConformance } from '../conformance/readStoreConformance';

readStoreConformance(test, 'memory', async () => memoryReadStore());

/**
 * The same store with the fields the suite filters on indexed: half declared before the first
 * write, half after it (over documents already stored), so both paths answer the suite.
 */
function indexedEverywhere(): ReadStore {
  const store = memoryReadStore();
  const declaredFirst = ['status', 'kind', 'n', 'on'];
  const declaredLater = ['owner', 'team', 'env', 'time', 'name'];
  let writes = 0;
  return {
    ...store,
    async apply(ops) {
      const fields = writes === 0 ? declaredFirst : writes === 1 ? declaredLater : [];
      for (const collection of new Set(ops.map((op) => op.collection))) await store.ensureIndexes(collection, fields);
      await store.apply(ops);
      writes += 1;
    },
  };
}
readStoreConformance(test, 'memory, indexed', async () => indexedEverywhere());

/** A deterministic generator (mulberry32), so a failure replays. */
const prng = (seed: number): (() => number) => {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
};

/** What `query` selects, by reading every document: the reference the indexed paths are held to. */
const scan = (docs: ReadonlyMap<string, Record<string, unknown>>, query: FindQuery): string[] =>
  [...docs.entries()]
    .filter(([, doc]) =>
      Object.entries(query.where ?? {}).every(([field, wanted]) =>
        (Array.isArray(wanted) ? wanted : [wanted]).includes((doc[field] ?? null) as Scalar),
      ),
    )
    .filter(([, doc]) => {
      if (query.search === undefined) return true;
      const value = doc[query.search.field];
      return typeof value === 'string' && value.toLowerCase().includes(query.search.text.toLowerCase());
    })
    .map(([id]) => id)
    .sort();

test('memory: indexes, trigrams and search columns select what a scan selects, through upserts, removes and re-creations', async (t) => {
  const random = prng(13);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const teams = ['t1', 't2', 't3', 't4'];
  const states = ['draft', 'live', 'paused'];
  const names = ['Orders', 'orders-EU', 'Clicks', 'ORDERS xyz', 'payments', 'xyz-Clicks', 'Ünïcode Orders'];
  const reference = new Map<string, Record<string, unknown>>();
  const indexed = memoryReadStore();
  await indexed.ensureIndexes('pipes', ['team', 'state', 'name']);
  // Searched only from half-way, so its search column is built over documents already stored; its
  // name is not declared as indexed, so searches scan its lower-cased names instead of using trigrams.
  const late = memoryReadStore();
  await late.ensureIndexes('pipes', ['team']);
  const queries = (): FindQuery[] => [
    { where: { team: pick(teams) } },
    { where: { team: [pick(teams), pick(teams)], state: pick(states) } },
    { search: { field: 'name', text: pick(['xyz', 'ORD', 'clicks', 'Ü', '', 'qqq', 'code orders']) } },
    // A team is about a quarter of the collection: the search column is read, then the team checked.
    { where: { team: pick(teams) }, search: { field: 'name', text: pick(['xyz', 'orders']) } },
    // One state of one team can be narrower than the column: the index is read, then the name checked.
    { where: { team: pick(teams), state: pick(states), name: pick(names) }, search: { field: 'name', text: 'o' } },
  ];
  let position = 0n;
  for (let round = 0; round < 400; round++) {
    const id = `p${Math.floor(random() * 40)}`;
    position += 1n;
    // Some writes set one field only; a name can be a number, which no search matches.
    const set = random() < 0.5 ? { team: pick(teams), state: pick(states), name: pick([...names, 7]) } : { state: pick(states) };
    const op: WriteOp =
      random() < 0.2 ? { kind: 'remove', collection: 'pipes', id, position } : { kind: 'upsert', collection: 'pipes', id, position, set };
    if (op.kind === 'remove') reference.delete(id);
    else reference.set(id, { ...reference.get(id), ...set });
    await indexed.apply([op]);
    await late.apply([op]);
    for (const query of queries()) {
      const expected = scan(reference, query);
      for (const store of round < 200 ? [indexed] : [indexed, late]) {
        const page = await store.find('pipes', query);
        t.deepEqual(page.items.map((doc) => doc.id).sort(), expected, JSON.stringify(query));
        t.is(page.total, expected.length);
        const counts = await store.countBy('pipes', 'state', query.where);
        t.is(
          Object.values(counts).reduce((sum, n) => sum + n, 0),
          scan(reference, { ...(query.where ? { where: query.where } : {}) }).length,
        );
      }
    }
  }
});

test('versionOf: the same object until a write changes the collection; a stale write, another collection or a read keep it', async (t) => {
  const store = memoryReadStore();
  const upsert = (collection: string, id: string, position: bigint): WriteOp => ({
    kind: 'upsert',
    collection,
    id,
    set: { n: 1 },
    position,
  });
  const before = store.versionOf('users');
  t.is(store.versionOf('users'), before);
  await store.apply([upsert('users', 'u1', 5n)]);
  const written = store.versionOf('users');
  t.not(written, before);
  await store.apply([upsert('users', 'u1', 4n), upsert('teams', 't1', 6n)]);
  await store.get('users', 'u1');
  t.is(store.versionOf('users'), written, 'a write older than the stored document changes nothing');
  await store.apply([{ kind: 'remove', collection: 'users', id: 'u1', position: 7n }]);
  const removed = store.versionOf('users');
  t.not(removed, written);
  await store.reset(['users'], 'checkpoint');
  t.not(store.versionOf('users'), removed);
});
