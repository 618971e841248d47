import test from 'ava';
import { newEventId } from '../../infrastructure/ids/eventIds';

test('event ids are v7 UUIDs that grow in the order they are made, within one millisecond too', (t) => {
  const ids = Array.from({ length: 10_000 }, newEventId);
  for (const id of ids) t.regex(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.deepEqual([...ids].sort(), ids, 'sorted as made');
  t.is(new Set(ids).size, ids.length);
  const millisecond = Date.now().toString(16).padStart(12, '0').slice(0, 8);
  t.is(ids.at(-1)?.slice(0, 8), millisecond, 'the time leads');
});
