import test from 'ava';
import { authorizationTable } from './authorizationTable';

authorizationTable(test, 'embedded read models', () => undefined);
