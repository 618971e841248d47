import test from 'ava';
import { identitySuite } from './identitySuite';

const mongoUrl = process.env['POPSINK_MONGO_URL'];
if (mongoUrl === undefined) {
  test('MongoDB read models: identity API', (t) =>
    t.fail('POPSINK_MONGO_URL is not set: run the suite with `npm test`, which starts FerretDB'));
} else {
  identitySuite(test, 'MongoDB', () => mongoUrl);
}
