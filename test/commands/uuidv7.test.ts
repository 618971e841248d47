import test from 'ava';
import { uuidv7 } from '../../commands/uuidv7';

test('a v7 UUID is well formed and sorts by its time', (t) => {
  const id = uuidv7(1_700_000_000_000);
  t.regex(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.true(uuidv7(1_700_000_000_000) < uuidv7(1_700_000_000_001));
  t.is(id.slice(0, 13).replace('-', ''), (1_700_000_000_000).toString(16).padStart(12, '0'));
  t.not(uuidv7(5), uuidv7(5));
});
