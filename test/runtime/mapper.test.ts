import test, { type ExecutionContext } from 'ava';
import { isLeft } from 'fp-ts/lib/Either.js';
import { JSONPath } from 'jsonpath-plus';
import { ValueFailure, validateMapperConfig, type MapperEntry } from '../../domain/mapper/mapperSpec';
import { MESSAGE_COLUMN, compileMapper, jsonPathReader, queryJsonPath, type MapResult } from '../../runtime/mapper/mapper';

/** Entries as validation normalises them, so that the tests read like a config. */
function mapperOf(config: unknown[]) {
  const validated = validateMapperConfig(config, ['body', 'config']);
  if (isLeft(validated)) throw new Error(`invalid test config: ${JSON.stringify(validated.left)}`);
  return compileMapper(validated.right);
}
/** Entries that skip validation: what the runtime must survive even so. */
const raw = (entry: Partial<MapperEntry> & { key: string }): MapperEntry => ({ primary_key: false, nullable: true, ...entry });

const ok = (row: Record<string, unknown>): MapResult => ({ ok: true, row });
const failed = (column: string, reason: string | RegExp) => ({ column, reason });

function assertFailure(t: ExecutionContext, result: MapResult, expected: { column: string; reason: string | RegExp }) {
  if (result.ok) return t.fail(`mapped: ${JSON.stringify(result.row)}`);
  t.is(result.column, expected.column);
  if (typeof expected.reason === 'string') t.is(result.reason, expected.reason);
  else t.regex(result.reason, expected.reason);
}

// ---------------------------------------------------------------------------------------------
// Simple paths: compiled accessors

const order = {
  id: 'o-1',
  customer: { name: 'Ada', 'first name': 'Ada', 'x"y': 1, "it's": 2, tags: ['vip', 'eu'] },
  items: [
    { sku: 'A', price: 5, qty: 1 },
    { sku: 'B', price: 15, qty: 2 },
    { sku: 'C', price: 25, qty: 3, discount: null },
  ],
  matrix: [
    [1, 2],
    [3, 4],
  ],
  '0': 'zero',
};

test('given simple paths, when mapped, then each reads the value where it points', (t) => {
  const map = mapperOf([
    { key: 'id', path: '$.id' },
    { key: 'name', path: '$.customer.name' },
    { key: 'first_name', path: "$.customer['first name']" },
    { key: 'quoted_double', path: '$.customer["x\\"y"]' },
    { key: 'quoted_single', path: "$['customer']['it\\'s']" },
    { key: 'second_sku', path: '$.items[1].sku' },
    { key: 'tag', path: '$.customer.tags[0]' },
    { key: 'cell', path: '$.matrix[1][0]' },
    { key: 'zero', path: '$.0' },
    { key: 'tags', path: '$.customer.tags' },
    { key: 'whole', path: '$' },
  ]);
  t.deepEqual(
    map(order),
    ok({
      id: 'o-1',
      name: 'Ada',
      first_name: 'Ada',
      quoted_double: 1,
      quoted_single: 2,
      second_sku: 'B',
      tag: 'vip',
      cell: 3,
      zero: 'zero',
      tags: ['vip', 'eu'],
      whole: order,
    }),
  );
});

test('given paths to nothing, when mapped, then nullable columns are null', (t) => {
  const map = mapperOf([
    { key: 'missing', path: '$.nope' },
    { key: 'missing_intermediate', path: '$.nope.deeper.still' },
    { key: 'through_scalar', path: '$.id.length' },
    { key: 'out_of_range', path: '$.items[3].sku' },
    { key: 'array_length', path: '$.items.length' },
    { key: 'index_on_object', path: '$.customer[0]' },
    { key: 'explicit_null', path: '$.items[2].discount' },
  ]);
  t.deepEqual(
    map(order),
    ok({
      missing: null,
      missing_intermediate: null,
      through_scalar: null,
      out_of_range: null,
      array_length: null,
      index_on_object: null,
      explicit_null: null,
    }),
  );
});

test('given a root that is an array or a scalar, then paths read it as JSON', (t) => {
  t.deepEqual(mapperOf([{ key: 'a', path: '$[1].x' }])([{ x: 1 }, { x: 2 }]), ok({ a: 2 }));
  t.deepEqual(
    mapperOf([
      { key: 'a', path: '$.x' },
      { key: 'all', path: '$' },
    ])('"text"'),
    ok({ a: null, all: 'text' }),
  );
  t.deepEqual(mapperOf([{ key: 'a', path: '$.x' }])(42), ok({ a: null }));
});

test('given prototype keys in paths, then nothing inherited is ever reached', (t) => {
  const map = mapperOf([
    { key: 'proto_x', path: '$.__proto__.x' },
    { key: 'proto', path: '$.__proto__' },
    { key: 'ctor', path: '$.constructor' },
    { key: 'ctor_name', path: '$.constructor.name' },
    { key: 'ctor_proto', path: "$['constructor']['prototype']" },
    { key: 'to_string', path: '$.toString' },
    { key: 'has_own', path: '$.a.hasOwnProperty' },
    { key: 'array_ctor', path: '$.list.constructor' },
    { key: 'array_push', path: '$.list.push' },
  ]);
  const expected = {
    proto_x: null,
    proto: null,
    ctor: null,
    ctor_name: null,
    ctor_proto: null,
    to_string: null,
    has_own: null,
    array_ctor: null,
    array_push: null,
  };
  t.deepEqual(map({ a: {}, list: [] }), ok(expected));
  t.deepEqual(map('{"a": {}, "list": []}'), ok(expected));
  // An object whose prototype carries `x`: still not reachable through `$.__proto__.x`.
  t.deepEqual(map(Object.create({ x: 'inherited' }) as object), ok(expected));
});

test('given a message whose JSON has a "__proto__" field, then it is read as data and pollutes nothing', (t) => {
  const map = mapperOf([
    { key: 'proto_x', path: '$.__proto__.x' },
    { key: 'polluted', path: '$.polluted' },
  ]);
  t.deepEqual(map('{"__proto__": {"x": 1, "polluted": true}}'), ok({ proto_x: 1, polluted: null }));
  t.is(({} as Record<string, unknown>)['polluted'], undefined);
});

test('given a "__proto__" column key (unvalidated entry), then the row gets it as its own field', (t) => {
  const result = compileMapper([raw({ key: '__proto__', path: '$.a' }), raw({ key: 'b', path: '$.b' })])({ a: { polluted: true }, b: 1 });
  if (!result.ok) return t.fail(result.reason);
  t.is(Object.getPrototypeOf(result.row), Object.prototype);
  t.deepEqual(Object.keys(result.row), ['__proto__', 'b']);
  t.deepEqual(JSON.parse(JSON.stringify(result.row)), JSON.parse('{"__proto__": {"polluted": true}, "b": 1}'));
  t.is(({} as Record<string, unknown>)['polluted'], undefined);
});

// ---------------------------------------------------------------------------------------------
// Null handling, casts, statics

test('given a non-nullable column, when its value is missing or null, then the message fails naming it', (t) => {
  const map = mapperOf([
    { key: 'id', path: '$.id', cast: 'int', primary_key: true },
    { key: 'name', path: '$.name', nullable: false },
  ]);
  t.deepEqual(map({ id: 1, name: 'a' }), ok({ id: 1, name: 'a' }));
  assertFailure(t, map({ name: 'a' }), failed('id', 'missing non-nullable value'));
  assertFailure(t, map({ id: null, name: 'a' }), failed('id', 'missing non-nullable value'));
  assertFailure(t, map({ id: 1 }), failed('name', 'missing non-nullable value'));
});

test('given casts, when mapped, then each column is cast and a failed cast names its column and why', (t) => {
  const map = mapperOf([
    { key: 's', path: '$.s', cast: 'string' },
    { key: 'i', path: '$.i', cast: 'int' },
    { key: 'f', path: '$.f', cast: 'float' },
    { key: 'b', path: '$.b', cast: 'bool' },
    { key: 'd', path: '$.d', cast: 'date', cast_format: '%d/%m/%Y' },
    { key: 'dt', path: '$.dt', cast: 'datetime' },
    { key: 'tm', path: '$.tm', cast: 'time', cast_format: '%H%M' },
    { key: 'raw', path: '$.raw' },
  ]);
  t.deepEqual(
    map({ s: { a: 1 }, i: '42', f: '1.5', b: 'false', d: '29/02/2024', dt: 1736937000000, tm: '0930', raw: [1, { b: 2 }] }),
    ok({ s: '{"a":1}', i: 42, f: 1.5, b: false, d: '2024-02-29', dt: '2025-01-15T10:30:00Z', tm: '09:30:00', raw: [1, { b: 2 }] }),
  );
  assertFailure(t, map({ i: 1.5 }), failed('i', 'not an integer: 1.5'));
  assertFailure(t, map({ i: 'abc' }), failed('i', 'not an integer: "abc"'));
  assertFailure(t, map({ f: 'x' }), failed('f', /not a number/));
  assertFailure(t, map({ b: 'yes' }), failed('b', /not a boolean/));
  assertFailure(t, map({ d: '30/02/2025' }), failed('d', 'no such date: 2025-02-30'));
  assertFailure(t, map({ dt: 'yesterday' }), failed('dt', /not an ISO-8601 datetime/));
  assertFailure(t, map({ tm: '2460' }), failed('tm', /does not match cast_format/));
});

test('given static values, then they go through the same cast, once', (t) => {
  const map = mapperOf([
    { key: 'source', static: 'web' },
    { key: 'version', static: '3', cast: 'int' },
    { key: 'enabled', static: 'TRUE', cast: 'bool' },
    { key: 'since', static: '15/01/2025', cast: 'date', cast_format: '%d/%m/%Y' },
  ]);
  const expected = ok({ source: 'web', version: 3, enabled: true, since: '2025-01-15' });
  t.deepEqual(map({}), expected);
  t.deepEqual(map('{"anything": 1}'), expected);
});

test('given unvalidated bad entries, then the mapper compiles and each message fails naming the column', (t) => {
  assertFailure(t, compileMapper([raw({ key: 'v', static: 'abc', cast: 'int' })])({}), failed('v', 'not an integer: "abc"'));
  assertFailure(
    t,
    compileMapper([raw({ key: 'd', path: '$.d', cast: 'date', cast_format: '%Q' })])({ d: 'x' }),
    failed('d', /unsupported directive %Q/),
  );
  assertFailure(t, compileMapper([raw({ key: 'p', path: 'd' })])({ d: 'x' }), failed('p', /must start with \$/));
  assertFailure(t, compileMapper([raw({ key: 'n' })])({}), failed('n', /neither path nor static/));
});

test('given several failing columns, then the first in config order is reported', (t) => {
  const map = mapperOf([
    { key: 'a', path: '$.a', cast: 'int' },
    { key: 'b', path: '$.b', nullable: false },
  ]);
  assertFailure(t, map({ a: 'x' }), failed('a', /not an integer/));
});

// ---------------------------------------------------------------------------------------------
// Messages

test('given JSON text or bytes, then the message is parsed first; bad JSON or UTF-8 fails on column $', (t) => {
  const map = mapperOf([{ key: 'a', path: '$.a.b', cast: 'int' }]);
  t.deepEqual(map('{"a": {"b": "7"}}'), ok({ a: 7 }));
  t.deepEqual(map(Buffer.from('{"a": {"b": 7}}')), ok({ a: 7 }));
  t.deepEqual(map(new TextEncoder().encode('{"a": {"b": 8}}')), ok({ a: 8 }));
  assertFailure(t, map('{"a": '), failed(MESSAGE_COLUMN, /^message is not valid JSON/));
  assertFailure(t, map(''), failed(MESSAGE_COLUMN, /^message is not valid JSON/));
  assertFailure(t, map(Uint8Array.from([0x7b, 0xff, 0x7d])), failed(MESSAGE_COLUMN, 'message is not valid UTF-8'));
});

test('given one compiled mapper, then every message gets its own row, columns in config order', (t) => {
  const map = mapperOf([
    { key: 'z', path: '$.z' },
    { key: 'a', path: '$.a' },
  ]);
  const first = map({ a: 1, z: 2 });
  const second = map({ a: 3, z: 4 });
  if (!first.ok || !second.ok) return t.fail();
  t.not(first.row, second.row);
  t.deepEqual(Object.keys(first.row), ['z', 'a']);
  t.deepEqual(first.row, { z: 2, a: 1 });
});

// ---------------------------------------------------------------------------------------------
// Paths that need jsonpath-plus

test('given wildcard, descendant, slice and union paths, then the column holds every match in order', (t) => {
  const map = mapperOf([
    { key: 'skus', path: '$.items[*].sku' },
    { key: 'prices', path: '$..price' },
    { key: 'first_two', path: '$.items[0:2].sku' },
    { key: 'last', path: '$.items[-1:].sku' },
    { key: 'union', path: '$.customer[name,tags]' },
    { key: 'values', path: '$.customer.tags.*' },
    { key: 'none', path: '$..nothing' },
  ]);
  t.deepEqual(
    map(order),
    ok({
      skus: ['A', 'B', 'C'],
      prices: [5, 15, 25],
      first_two: ['A', 'B'],
      last: ['C'],
      union: ['Ada', ['vip', 'eu']],
      values: ['vip', 'eu'],
      none: null,
    }),
  );
});

test('given a jsonpath-plus path with a cast, then one match is cast and several are an error', (t) => {
  const map = mapperOf([{ key: 'id', path: '$..id', cast: 'int', nullable: false }]);
  t.deepEqual(map({ deep: { deeper: { id: '12' } } }), ok({ id: 12 }));
  assertFailure(t, map({ a: { id: 1 }, b: { id: 2 } }), failed('id', 'path matched 2 values; a cast needs exactly one'));
  assertFailure(t, map({ a: {} }), failed('id', 'missing non-nullable value'));
});

test('given descendant paths, then they walk own data only', (t) => {
  const map = mapperOf([{ key: 'ctors', path: '$..constructor' }]);
  t.deepEqual(map({ a: { b: [{}] } }), ok({ ctors: null }));
  t.deepEqual(map('{"a": {"constructor": 1}}'), ok({ ctors: [1] }));
});

test('given a filter without any script (jsonpath-plus needs eval for it), then it is refused: validation 422s, runtime fails the column', (t) => {
  const filter = '$.items[?(@.price > 10)].sku';
  const validated = validateMapperConfig([{ key: 'expensive', path: filter }], ['body', 'config']);
  t.true(isLeft(validated));
  if (isLeft(validated)) t.deepEqual(validated.left[0]?.loc, ['body', 'config', 0, 'path']);
  assertFailure(t, compileMapper([raw({ key: 'expensive', path: filter })])(order), failed('expensive', /script evaluation is disabled/));
});

// ---------------------------------------------------------------------------------------------
// Remote code execution: a user-supplied filter must never run.

const FLAG = '__popsinkMapperRce';
const flagPayload = `$..[?(@.constructor.constructor('globalThis.${FLAG} = true; return true')())]`;
const flagRaised = () => (globalThis as Record<string, unknown>)[FLAG] === true;

test.serial('control: with native evaluation, the payload really runs code (so the next tests prove something)', (t) => {
  delete (globalThis as Record<string, unknown>)[FLAG];
  JSONPath({ path: flagPayload, json: { a: { b: 1 } }, eval: 'native', ignoreEvalErrors: true });
  t.true(flagRaised(), 'the payload escapes the sandbox when evaluation is on');
  delete (globalThis as Record<string, unknown>)[FLAG];
});

const payloads = [
  flagPayload,
  "$..[?(@.constructor.constructor('return process')().exit())]",
  `$.items[(@.constructor.constructor('globalThis.${FLAG} = true')())]`,
  `$..[?(@ && (globalThis.${FLAG} = true))]`,
  `$.items[0,(@.constructor.constructor('globalThis.${FLAG} = true')())]`,
  '$.items[?(@.price > 10)]',
  '$..*@other()',
];
// Every payload's script segment is reached on this message (items is an array of objects).
const target = { a: { b: 1 }, items: [{ price: 1 }, { price: 20 }] };

test.serial('given filter and script payloads, when mapped, then nothing executes and every message fails the column', (t) => {
  delete (globalThis as Record<string, unknown>)[FLAG];
  for (const path of payloads) {
    const map = compileMapper([raw({ key: 'x', path })]);
    for (const message of [target, JSON.stringify(target), {}]) {
      const result = map(message);
      t.false(result.ok, path);
      if (!result.ok) t.is(result.column, 'x');
    }
    t.true(jsonPathReader(path, false)(target) instanceof ValueFailure, path);
  }
  t.false(flagRaised(), 'no payload ran');
  t.pass('process.exit() was not called: this test is still running');
});

test.serial(
  'given the payloads straight to jsonpath-plus as the mapper calls it (eval: false), then it refuses them before evaluating',
  (t) => {
    delete (globalThis as Record<string, unknown>)[FLAG];
    for (const path of payloads) {
      const result = queryJsonPath(path, target);
      t.true(result instanceof ValueFailure, `${path} gave ${JSON.stringify(result)}`);
    }
    t.false(flagRaised(), 'no payload ran');
  },
);

// ---------------------------------------------------------------------------------------------
// The benchmark's baseline engine agrees with the compiled accessors

test('given the jsonpath engine, then simple paths give the same rows as the compiled accessors', (t) => {
  const validated = validateMapperConfig(
    [
      { key: 'id', path: '$.id', nullable: false },
      { key: 'name', path: "$.customer['first name']", cast: 'string' },
      { key: 'tags', path: '$.customer.tags' },
      { key: 'sku', path: '$.items[1].sku' },
      { key: 'qty', path: '$.items[2].qty', cast: 'int' },
      { key: 'missing', path: '$.a.b.c' },
      { key: 'skus', path: '$.items[*].sku' },
      { key: 'source', static: 'web' },
    ],
    ['body', 'config'],
  );
  if (isLeft(validated)) return t.fail();
  const compiled = compileMapper(validated.right);
  const baseline = compileMapper(validated.right, { engine: 'jsonpath' });
  for (const message of [order, JSON.stringify(order), { id: 1 }, {}]) t.deepEqual(compiled(message), baseline(message));
});
