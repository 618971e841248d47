import test, { type ExecutionContext } from 'ava';
import { changesOf, type Change } from '../../runtime/envelope/changeOf';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** The PostgreSQL connector's `source` block, as Debezium 2.x writes it. */
const source = {
  version: '2.7.3.Final',
  connector: 'postgresql',
  name: 'shop',
  ts_ms: 1718000000000,
  snapshot: 'false',
  db: 'shop',
  sequence: '["24023128","24023184"]',
  schema: 'public',
  table: 'orders',
  txId: 565,
  lsn: 24023184,
  xmin: null,
};

const row1 = { id: 1, customer: 'ada', total: '12.50', updated_at: 1717999999000000 };
const row1Paid = { ...row1, total: '13.00' };
const row2 = { ...row1, id: 2 };

/** The metadata fields the rows gain, for this source block and payload ts_ms. */
const meta = (op: string) => ({ __op: op, __source_ts_ms: 1718000000000, __ts_ms: 1718000000123, __table: 'orders', __db: 'shop' });

function payload(op: string, before: unknown, after: unknown) {
  return { before, after, source, op, ts_ms: 1718000000123, transaction: null };
}

const rowSchema = (name: string) => ({
  type: 'struct',
  fields: [
    { type: 'int32', optional: false, field: 'id' },
    { type: 'string', optional: true, field: 'customer' },
    { type: 'string', optional: true, field: 'total' },
    { type: 'int64', optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1, field: 'updated_at' },
  ],
  optional: true,
  name,
});

/** The JsonConverter's `schemas.enable=true` form of an event. */
function wrapped(event: ReturnType<typeof payload>) {
  return {
    schema: {
      type: 'struct',
      fields: [
        { ...rowSchema('shop.public.orders.Value'), field: 'before' },
        { ...rowSchema('shop.public.orders.Value'), field: 'after' },
        {
          type: 'struct',
          fields: [{ type: 'string', optional: false, field: 'db' }],
          optional: false,
          name: 'io.debezium.connector.postgresql.Source',
          field: 'source',
        },
        { type: 'string', optional: false, field: 'op' },
        { type: 'int64', optional: true, field: 'ts_ms' },
      ],
      optional: false,
      name: 'shop.public.orders.Envelope',
      version: 2,
    },
    payload: event,
  };
}

const keySchema = {
  type: 'struct',
  fields: [{ type: 'int32', optional: false, field: 'id' }],
  optional: false,
  name: 'shop.public.orders.Key',
};

const forms = [
  { form: 'bare', value: (event: ReturnType<typeof payload>) => json(event), key: (key: object) => json(key) },
  {
    form: 'schema-wrapped',
    value: (event: ReturnType<typeof payload>) => json(wrapped(event)),
    key: (key: object) => json({ schema: keySchema, payload: key }),
  },
] as const;

function assertInvalid(t: ExecutionContext, changes: readonly Change[], reason: RegExp) {
  t.is(changes.length, 1);
  const [change] = changes;
  if (change?.kind !== 'invalid') return t.fail(`not invalid: ${JSON.stringify(change)}`);
  t.regex(change.reason, reason);
}

// ---------------------------------------------------------------------------------------------
// Envelope 'none'

test('none: a value is upserted as the very same Buffer, unparsed', (t) => {
  const value = json(row1);
  const changes = changesOf(json({ id: 1 }), value, 'none');
  t.is(changes.length, 1);
  t.is(changes[0]?.kind, 'upsert');
  t.is((changes[0] as { root: unknown }).root, value);
});

test('none: a value that is not JSON is still handed over (the mapper reports it)', (t) => {
  const value = Buffer.from('not json at all');
  t.deepEqual(changesOf(null, value, 'none'), [{ kind: 'upsert', root: value }]);
});

test('none: a tombstone with an object key deletes by that object', (t) => {
  t.deepEqual(changesOf(json({ id: 1, region: 'eu' }), null, 'none'), [{ kind: 'delete', root: { id: 1, region: 'eu' } }]);
});

test('none: a tombstone with a scalar JSON key deletes by the scalar', (t) => {
  t.deepEqual(changesOf(Buffer.from('42'), null, 'none'), [{ kind: 'delete', root: 42 }]);
  t.deepEqual(changesOf(Buffer.from('"abc"'), null, 'none'), [{ kind: 'delete', root: 'abc' }]);
  t.deepEqual(changesOf(Buffer.from('true'), null, 'none'), [{ kind: 'delete', root: true }]);
});

test('none: a tombstone key that is not JSON is its UTF-8 text', (t) => {
  t.deepEqual(changesOf(Buffer.from('order-17'), null, 'none'), [{ kind: 'delete', root: 'order-17' }]);
  t.deepEqual(changesOf(Buffer.from('commande-é'), null, 'none'), [{ kind: 'delete', root: 'commande-é' }]);
});

test('none: a tombstone without a usable key is invalid', (t) => {
  assertInvalid(t, changesOf(null, null, 'none'), /tombstone without a key/);
  assertInvalid(t, changesOf(Buffer.from('null'), null, 'none'), /JSON null/);
  assertInvalid(t, changesOf(Buffer.alloc(0), null, 'none'), /empty key/);
  assertInvalid(t, changesOf(Buffer.from([0x6f, 0xff, 0xfe]), null, 'none'), /not valid UTF-8/);
  assertInvalid(t, changesOf(Buffer.from('[1,2]'), null, 'none'), /JSON array/);
});

// ---------------------------------------------------------------------------------------------
// Envelope 'debezium'

for (const { form, value, key } of forms) {
  test(`debezium (${form}): c and r upsert "after" with its metadata`, (t) => {
    for (const op of ['c', 'r']) {
      t.deepEqual(
        changesOf(key({ id: 1 }), value(payload(op, null, row1)), 'debezium'),
        [{ kind: 'upsert', root: { ...row1, ...meta(op) } }],
        op,
      );
    }
  });

  test(`debezium (${form}): u without a key change is one upsert of "after"`, (t) => {
    t.deepEqual(changesOf(key({ id: 1 }), value(payload('u', row1, row1Paid)), 'debezium'), [
      { kind: 'upsert', root: { ...row1Paid, ...meta('u') } },
    ]);
  });

  test(`debezium (${form}): u with a key change deletes "before" then upserts "after"`, (t) => {
    t.deepEqual(changesOf(key({ id: 1 }), value(payload('u', row1, row2)), 'debezium'), [
      { kind: 'delete', root: { ...row1, ...meta('u') } },
      { kind: 'upsert', root: { ...row2, ...meta('u') } },
    ]);
  });

  test(`debezium (${form}): u with a null "before" (no old image) is one upsert`, (t) => {
    t.deepEqual(changesOf(key({ id: 1 }), value(payload('u', null, row2)), 'debezium'), [
      { kind: 'upsert', root: { ...row2, ...meta('u') } },
    ]);
  });

  test(`debezium (${form}): d deletes by "before"`, (t) => {
    t.deepEqual(changesOf(key({ id: 1 }), value(payload('d', row1, null)), 'debezium'), [
      { kind: 'delete', root: { ...row1, ...meta('d') } },
    ]);
  });

  test(`debezium (${form}): d with a null "before" deletes by the key`, (t) => {
    t.deepEqual(changesOf(key({ id: 1 }), value(payload('d', null, null)), 'debezium'), [
      { kind: 'delete', root: { id: 1, ...meta('d') } },
    ]);
  });

  test(`debezium (${form}): t (truncate) is skipped`, (t) => {
    const changes = changesOf(null, value(payload('t', null, null)), 'debezium');
    t.is(changes.length, 1);
    t.like(changes[0], { kind: 'skip' });
    t.regex((changes[0] as { why: string }).why, /truncate/);
  });
}

test('debezium: m (logical decoding message) is skipped', (t) => {
  const message = { op: 'm', ts_ms: 1718000000123, source, message: { prefix: 'audit', content: 'aGVsbG8=' } };
  const changes = changesOf(null, json(message), 'debezium');
  t.is(changes.length, 1);
  t.like(changes[0], { kind: 'skip' });
  t.regex((changes[0] as { why: string }).why, /message/);
});

test('debezium: the tombstone after a delete is skipped', (t) => {
  const changes = changesOf(json({ id: 1 }), null, 'debezium');
  t.is(changes.length, 1);
  t.like(changes[0], { kind: 'skip' });
  t.regex((changes[0] as { why: string }).why, /tombstone/);
});

test('debezium: u is one upsert when the key is absent, not JSON, or the key fields are equal', (t) => {
  const event = json(payload('u', row1, row2));
  const upsertOnly = [{ kind: 'upsert', root: { ...row2, ...meta('u') } }];
  t.deepEqual(changesOf(null, event, 'debezium'), upsertOnly);
  t.deepEqual(changesOf(Buffer.from('order-1'), event, 'debezium'), upsertOnly);
  t.deepEqual(changesOf(Buffer.from('1'), event, 'debezium'), upsertOnly);
  // Only the key's fields count: `total` changes, `customer` (the key here) does not.
  t.deepEqual(changesOf(json({ customer: 'ada' }), json(payload('u', row1, row1Paid)), 'debezium'), [
    { kind: 'upsert', root: { ...row1Paid, ...meta('u') } },
  ]);
});

test('debezium: key fields are compared as JSON values, key order ignored', (t) => {
  const before = { id: { tenant: 't1', n: 1 }, v: 1 };
  const same = { id: { n: 1, tenant: 't1' }, v: 2 };
  const moved = { id: { n: 2, tenant: 't1' }, v: 2 };
  t.is(changesOf(json({ id: {} }), json(payload('u', before, same)), 'debezium').length, 1);
  t.deepEqual(
    changesOf(json({ id: {} }), json(payload('u', before, moved)), 'debezium').map((c) => c.kind),
    ['delete', 'upsert'],
  );
});

test('debezium: a key field missing from "before" is no key change', (t) => {
  t.deepEqual(changesOf(json({ id: 1 }), json(payload('u', { customer: 'ada' }, row2)), 'debezium'), [
    { kind: 'upsert', root: { ...row2, ...meta('u') } },
  ]);
});

test('debezium: metadata is null when the event lacks source or ts_ms', (t) => {
  const bare = { before: null, after: row1, op: 'c' };
  t.deepEqual(changesOf(null, json(bare), 'debezium'), [
    { kind: 'upsert', root: { ...row1, __op: 'c', __source_ts_ms: null, __ts_ms: null, __table: null, __db: null } },
  ]);
});

test('debezium: metadata wins over a source column of the same name', (t) => {
  const after = { ...row1, __op: 'column value', __table: 'column value' };
  const changes = changesOf(null, json(payload('c', null, after)), 'debezium');
  t.like(changes[0], { kind: 'upsert', root: { id: 1, __op: 'c', __table: 'orders' } });
});

test.serial('debezium: roots are new objects, the parsed input is not mutated', (t) => {
  // Capture what changesOf parses, to look at it afterwards.
  const parse = JSON.parse;
  const parsed: unknown[] = [];
  JSON.parse = (text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    const result: unknown = parse(text, reviver);
    parsed.push(result);
    return result;
  };
  let changes: readonly Change[];
  try {
    changes = changesOf(json({ id: 1 }), json(payload('u', row1, row2)), 'debezium');
  } finally {
    JSON.parse = parse;
  }
  const event = parsed.find(
    (value): value is { before: unknown; after: unknown } => typeof value === 'object' && value !== null && 'op' in value,
  );
  t.deepEqual(event, payload('u', row1, row2), 'the parsed event is as it came');
  t.deepEqual(changes, [
    { kind: 'delete', root: { ...row1, ...meta('u') } },
    { kind: 'upsert', root: { ...row2, ...meta('u') } },
  ]);
  t.not((changes[0] as { root: unknown }).root, event?.before);
  t.not((changes[1] as { root: unknown }).root, event?.after);
});

test('debezium: a column named __proto__ stays a plain field', (t) => {
  const changes = changesOf(null, Buffer.from('{"op":"c","after":{"id":1,"__proto__":{"polluted":true}}}'), 'debezium');
  const root = (changes[0] as { root: Record<string, unknown> }).root;
  t.is(Object.getPrototypeOf(root), Object.prototype);
  t.true(Object.hasOwn(root, '__proto__'));
  t.is(({} as Record<string, unknown>)['polluted'], undefined);
});

const invalidInputs: ReadonlyArray<{ name: string; key?: Buffer; value: Buffer; reason: RegExp }> = [
  { name: 'not JSON', value: Buffer.from('{"op": "c", after'), reason: /^value is not valid JSON/ },
  { name: 'invalid UTF-8', value: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), reason: /^value is not valid UTF-8$/ },
  { name: 'an array', value: json([payload('c', null, row1)]), reason: /not a Debezium change event: the value is an array/ },
  { name: 'a number', value: Buffer.from('42'), reason: /not a Debezium change event: the value is a number/ },
  { name: 'JSON null', value: Buffer.from('null'), reason: /not a Debezium change event: the value is JSON null/ },
  { name: 'no op', value: json({ before: null, after: row1, source }), reason: /^not a Debezium change event: no "op" field$/ },
  {
    name: 'a wrapper whose payload is null',
    value: json({ schema: {}, payload: null }),
    reason: /no "op" field \(its "payload" is not an object\)/,
  },
  { name: 'op not a string', value: json({ ...payload('c', null, row1), op: 1 }), reason: /"op" is a number, not a string/ },
  { name: "op 'x'", value: json(payload('x', null, row1)), reason: /unknown op "x"/ },
  { name: 'c without after', value: json({ op: 'c', before: null, source }), reason: /^Debezium "c" event has no "after" row$/ },
  { name: 'r with a null after', value: json(payload('r', null, null)), reason: /^Debezium "r" event has no "after" row$/ },
  { name: 'u with a string after', value: json(payload('u', row1, 'row')), reason: /"u" event's "after" is a string, not a row object/ },
  { name: 'u with an array before', value: json(payload('u', [1], row1)), reason: /"u" event's "before" is an array, not a row object/ },
  {
    name: 'd with neither before nor key',
    value: json(payload('d', null, null)),
    reason: /"d" event has no "before" row and no key object/,
  },
  { name: 'd with a scalar key only', key: Buffer.from('1'), value: json(payload('d', null, null)), reason: /no key object/ },
];

for (const { name, key, value, reason } of invalidInputs) {
  test(`debezium: invalid: ${name}`, (t) => {
    assertInvalid(t, changesOf(key ?? null, value, 'debezium'), reason);
  });
}

test('an unknown op is cut short in its reason', (t) => {
  const changes = changesOf(null, json(payload('x'.repeat(500), null, row1)), 'debezium');
  assertInvalid(t, changes, /unknown op "x+…/);
  t.true((changes[0] as { reason: string }).reason.length < 120);
});

test('never throws: random bytes and hostile nesting', (t) => {
  // A small deterministic generator (xorshift32), so a failure reproduces.
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const alphabet = Buffer.concat([Buffer.from('{}[]":,0123456789abcdeflnrstu \\'), Buffer.from([0xff, 0xc3])]);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(Array.from({ length: next() % 24 }, () => alphabet[next() % alphabet.length] ?? 0));
    for (const envelope of ['none', 'debezium'] as const) {
      t.notThrows(() => changesOf(bytes, i % 2 === 0 ? null : bytes, envelope));
    }
  }
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const event = `{"op":"u","before":{"id":${deep}},"after":{"id":${deep}}}`;
  let changes: readonly Change[] = [];
  t.notThrows(() => {
    changes = changesOf(Buffer.from('{"id":1}'), Buffer.from(event), 'debezium');
  });
  t.deepEqual(
    changes.map((c) => c.kind),
    ['delete', 'upsert'],
    'too deep to compare: counted as a key change, which is safe',
  );
});
