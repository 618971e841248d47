import test from 'ava';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { readStoreConformance } from '../conformance/readStoreConformance';

readStoreConformance(test, 'memory', async () => memoryReadStore());
