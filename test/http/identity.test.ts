import test from 'ava';
import { identitySuite } from './identitySuite';

identitySuite(test, 'embedded', () => undefined);
