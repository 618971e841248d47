import test from 'ava';
import * as t from 'io-ts';
import { CorruptReadModelError, documentsOf } from '../../projections/documents';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';

const Thing = t.type({ id: t.string, name: t.string, size: t.number });
// Exact types strip unknown fields into a new object: nothing to remember.
const ExactThing = t.exact(Thing);

test('a document read again is answered without decoding only while it is the same stored object: a rewrite is decoded again', async (t) => {
  const store = memoryReadStore();
  const things = documentsOf(Thing, 'things', store);
  await store.apply([{ kind: 'upsert', collection: 'things', id: 'a', set: { name: 'one', size: 1 }, position: 1n }]);
  const first = await things.get('a');
  t.deepEqual(first, { id: 'a', name: 'one', size: 1 });
  t.is(await things.get('a'), first, 'the same object, known to match');
  t.deepEqual((await things.find({})).items, [first]);

  await store.apply([{ kind: 'upsert', collection: 'things', id: 'a', set: { size: 'large' }, position: 2n }]);
  await t.throwsAsync(things.get('a'), { instanceOf: CorruptReadModelError });
  await t.throwsAsync(things.find({ where: { name: 'one' } }), { instanceOf: CorruptReadModelError });

  await store.apply([{ kind: 'upsert', collection: 'things', id: 'a', set: { size: 2 }, position: 3n }]);
  t.deepEqual(await things.first({ name: 'one' }), { id: 'a', name: 'one', size: 2 });
});

test('a codec that answers another object than the stored one decodes on every read', async (t) => {
  const store = memoryReadStore();
  const things = documentsOf(ExactThing, 'things', store);
  await store.apply([{ kind: 'upsert', collection: 'things', id: 'a', set: { name: 'one', size: 1, extra: true }, position: 1n }]);
  const first = await things.get('a');
  t.deepEqual(first, { id: 'a', name: 'one', size: 1 });
  t.not(await things.get('a'), first);
  t.deepEqual(await things.get('a'), first);
});
