import test from 'ava';
import { authorizationTable } from './authorizationTable';

const mongoUrl = process.env['POPSINK_MONGO_URL'];
if (mongoUrl === undefined) {
  test('MongoDB read models: authorization table', (t) =>
    t.fail('POPSINK_MONGO_URL is not set: run the suite with `npm test`, which starts FerretDB'));
} else {
  authorizationTable(test, 'MongoDB read models', () => mongoUrl);
}
