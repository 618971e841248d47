import test from 'ava';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { projectionRunnerSuite } from './projectionRunnerSuite';

projectionRunnerSuite(test, 'embedded', async () => memoryReadStore());
