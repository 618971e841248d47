import test from 'ava';
import { randomUUID } from 'node:crypto';
import { Long, MongoClient } from 'mongodb';
import { mongoReadStore } from '../../projections/readstore/mongoReadStore';
import type { ReadStore } from '../../projections/readStore';
import { readStoreConformance } from '../conformance/readStoreConformance';

const url = process.env.POPSINK_MONGO_URL;

if (url === undefined || url === '') {
  // The project's test script always starts FerretDB; a silent skip would hide a broken setup.
  test('mongo read store: POPSINK_MONGO_URL is set', (t) => {
    t.fail(
      'POPSINK_MONGO_URL is not set. Run the tests with `npm test`, or start a server with ' +
        '`export POPSINK_MONGO_URL=$(bash scripts/services/ferretdb.sh start)`.',
    );
  });
} else {
  // One database per run, so runs against a shared or long-lived server never see each other.
  const database = `popsink_rs_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const open = (): Promise<ReadStore> => mongoReadStore(url, { database });

  test.after.always('drop the test database', async () => {
    const client = new MongoClient(url);
    try {
      await client.connect();
      await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
  });

  readStoreConformance(test, 'mongo', open);

  /** Raw access to what the adapter stored, for checks readers cannot see. */
  const raw = async <T>(body: (client: MongoClient) => Promise<T>): Promise<T> => {
    const client = new MongoClient(url);
    try {
      await client.connect();
      return await body(client);
    } finally {
      await client.close();
    }
  };

  test('mongo: positions are stored as exact int64 and deletes as bare tombstones', async (t) => {
    const store = await open();
    try {
      const c = `rs_stored_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      await store.apply([
        { kind: 'upsert', collection: c, id: 'a', set: { v: 1 }, position: 2n ** 60n + 1n },
        { kind: 'upsert', collection: c, id: 'b', set: { v: 1, w: 2 }, position: 3n },
        { kind: 'remove', collection: c, id: 'b', position: 4n },
      ]);
      const docs = await raw((client) =>
        client.db(database).collection<{ _id: string }>(c).find({}, { useBigInt64: true }).sort({ _id: 1 }).toArray(),
      );
      t.deepEqual(docs, [
        { _id: 'a', _pos: 2n ** 60n + 1n, _deleted: false, v: 1 },
        { _id: 'b', _pos: 4n, _deleted: true },
      ]);
      const [first] = await raw((client) =>
        client.db(database).collection<{ _id: string; _pos?: unknown }>(c).find({ _id: 'a' }, { promoteLongs: false }).toArray(),
      );
      t.true(first?._pos instanceof Long, 'stored as BSON int64');
    } finally {
      await store.close();
    }
  });

  test('mongo: rejects reserved fields and positions outside int64 without writing', async (t) => {
    const store = await open();
    try {
      const c = `rs_reject_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      await t.throwsAsync(store.apply([{ kind: 'upsert', collection: c, id: 'a', set: { _pos: 1 }, position: 1n }]), {
        message: /reserved/,
      });
      await t.throwsAsync(store.apply([{ kind: 'upsert', collection: c, id: 'a', set: { v: 1 }, position: 2n ** 63n }]), {
        instanceOf: RangeError,
      });
      await t.throwsAsync(store.setCheckpoint(`cp_${c}`, -(2n ** 63n) - 1n), { instanceOf: RangeError });
      t.is(await store.get(c, 'a'), undefined);
    } finally {
      await store.close();
    }
  });

  test('mongo: an undefined field value removes the field', async (t) => {
    const store = await open();
    try {
      const c = `rs_unset_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      await store.apply([
        { kind: 'upsert', collection: c, id: 'a', set: { v: 1, w: 2 }, position: 1n },
        { kind: 'upsert', collection: c, id: 'a', set: { w: undefined, x: 3 }, position: 2n },
      ]);
      t.deepEqual(await store.get(c, 'a'), { id: 'a', v: 1, x: 3 });
    } finally {
      await store.close();
    }
  });
}
