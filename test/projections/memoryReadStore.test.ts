import test from 'ava';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import type { ReadStore } from '../../projections/readStore';
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
