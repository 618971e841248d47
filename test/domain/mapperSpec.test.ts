import test, { type ExecutionContext } from 'ava';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  MapperEntry,
  ValueFailure,
  checkPath,
  compileCast,
  parseSimplePath,
  schemaOf,
  validateMapperConfig,
  type MapperCast,
} from '../../domain/mapper/mapperSpec';

const at = ['body', 'subscription_mapper_config'] as const;

/** given a config, when validated, then these errors (kind invalid, loc, code) and no others. */
function refuses(t: ExecutionContext, config: unknown, expected: { loc: (string | number)[]; code: string }[]) {
  const outcome = validateMapperConfig(config, at);
  if (!isLeft(outcome)) return t.fail(`accepted: ${JSON.stringify(outcome.right)}`);
  t.deepEqual(
    outcome.left.map(({ kind, loc, code }) => ({ kind, loc, code })),
    expected.map(({ loc, code }) => ({ kind: 'invalid', loc: [...at, ...loc], code })),
  );
  for (const error of outcome.left) t.truthy(error.message, `${error.code} says why`);
}

function accepts(t: ExecutionContext, config: unknown): MapperEntry[] {
  const outcome = validateMapperConfig(config, at);
  if (isLeft(outcome)) {
    t.fail(`refused: ${JSON.stringify(outcome.left)}`);
    return [];
  }
  return outcome.right;
}

// ---------------------------------------------------------------------------------------------
// Validation

test('given the seed example, then it is accepted and normalised with its defaults', (t) => {
  const entries = accepts(t, [
    { key: 'user_id', path: '$.user_id', cast: 'string', primary_key: true, nullable: false },
    { key: 'event_type', path: '$.event_type', cast: 'string', primary_key: false, nullable: false },
    { key: 'source', static: 'web' },
    { key: 'payload', path: '$' },
  ]);
  t.deepEqual(entries, [
    { key: 'user_id', path: '$.user_id', cast: 'string', primary_key: true, nullable: false },
    { key: 'event_type', path: '$.event_type', cast: 'string', primary_key: false, nullable: false },
    { key: 'source', static: 'web', primary_key: false, nullable: true },
    { key: 'payload', path: '$', primary_key: false, nullable: true },
  ]);
  for (const entry of entries) t.true(isRight(MapperEntry.decode(entry)), 'a normalised entry round-trips the event codec');
});

test('given a primary key without nullable, then it defaults to non-nullable', (t) => {
  t.deepEqual(accepts(t, [{ key: 'id', path: '$.id', cast: 'int', primary_key: true }]), [
    { key: 'id', path: '$.id', cast: 'int', primary_key: true, nullable: false },
  ]);
});

test('given null optional fields (a client echoing what it read), then they count as not given', (t) => {
  t.deepEqual(accepts(t, [{ key: 'a', path: '$.a', static: null, cast: null, cast_format: null, primary_key: null, nullable: null }]), [
    { key: 'a', path: '$.a', primary_key: false, nullable: true },
  ]);
});

test('given unknown fields, then they are stripped', (t) => {
  t.deepEqual(accepts(t, [{ key: 'a', path: '$.a', comment: 'x' }]), [{ key: 'a', path: '$.a', primary_key: false, nullable: true }]);
  const decoded = MapperEntry.decode({ key: 'a', path: '$.a', primary_key: false, nullable: true, comment: 'x' });
  t.deepEqual(isRight(decoded) ? decoded.right : undefined, { key: 'a', path: '$.a', primary_key: false, nullable: true });
});

test('given an empty config, then it is accepted (no column)', (t) => {
  t.deepEqual(accepts(t, []), []);
});

test('given no list or a non-object entry, then the list or the item is named', (t) => {
  refuses(t, { key: 'a' }, [{ loc: [], code: 'type_error.list' }]);
  refuses(
    t,
    [{ key: 'a', path: '$.a' }, 'a', null],
    [
      { loc: [1], code: 'type_error.dict' },
      { loc: [2], code: 'type_error.dict' },
    ],
  );
});

test('given too many columns, then the list is refused', (t) => {
  refuses(
    t,
    Array.from({ length: 1001 }, (_, i) => ({ key: `c${i}`, path: '$.a' })),
    [{ loc: [], code: 'value_error.list.max_items' }],
  );
});

test('key: required, a string, a column identifier of at most 128 characters', (t) => {
  refuses(t, [{ path: '$.a' }], [{ loc: [0, 'key'], code: 'value_error.missing' }]);
  refuses(t, [{ key: 12, path: '$.a' }], [{ loc: [0, 'key'], code: 'type_error.str' }]);
  refuses(t, [{ key: '', path: '$.a' }], [{ loc: [0, 'key'], code: 'value_error.any_str.min_length' }]);
  refuses(t, [{ key: 'a'.repeat(129), path: '$.a' }], [{ loc: [0, 'key'], code: 'value_error.any_str.max_length' }]);
  for (const key of ['1abc', 'user-id', 'user id', ' id', 'id;drop', 'é', 'a.b', '"x"']) {
    refuses(t, [{ key, path: '$.a' }], [{ loc: [0, 'key'], code: 'value_error.str.regex' }]);
  }
  refuses(t, [{ key: '__proto__', path: '$.a' }], [{ loc: [0, 'key'], code: 'value_error.mapper.reserved_key' }]);
  accepts(t, [
    { key: '_a1', path: '$.a' },
    { key: 'A'.repeat(128), path: '$.a' },
    { key: 'constructor', path: '$.a' },
  ]);
});

test('key: a duplicate (also differing only in case) is refused at the later item', (t) => {
  refuses(
    t,
    [
      { key: 'id', path: '$.a' },
      { key: 'name', path: '$.b' },
      { key: 'ID', path: '$.c' },
      { key: 'id', static: 'x' },
    ],
    [
      { loc: [2, 'key'], code: 'value_error.mapper.duplicate_key' },
      { loc: [3, 'key'], code: 'value_error.mapper.duplicate_key' },
    ],
  );
  // Also when the duplicate has other problems of its own.
  refuses(
    t,
    [
      { key: 'id', path: '$.a' },
      { key: 'id', path: 'a' },
    ],
    [
      { loc: [1, 'path'], code: 'value_error.mapper.path' },
      { loc: [1, 'key'], code: 'value_error.mapper.duplicate_key' },
    ],
  );
});

test('path / static: exactly one of them', (t) => {
  refuses(t, [{ key: 'a' }], [{ loc: [0, 'path'], code: 'value_error.mapper.path_or_static' }]);
  refuses(t, [{ key: 'a', path: null, static: null }], [{ loc: [0, 'path'], code: 'value_error.mapper.path_or_static' }]);
  refuses(t, [{ key: 'a', path: '$.a', static: 'x' }], [{ loc: [0, 'static'], code: 'value_error.mapper.path_or_static' }]);
});

test('static: a string only, and it must pass its cast', (t) => {
  refuses(t, [{ key: 'a', static: 12 }], [{ loc: [0, 'static'], code: 'type_error.str' }]);
  refuses(t, [{ key: 'a', static: true }], [{ loc: [0, 'static'], code: 'type_error.str' }]);
  refuses(t, [{ key: 'a', static: 'abc', cast: 'int' }], [{ loc: [0, 'static'], code: 'value_error.mapper.static' }]);
  refuses(t, [{ key: 'a', static: '2025-02-30', cast: 'date' }], [{ loc: [0, 'static'], code: 'value_error.mapper.static' }]);
  accepts(t, [
    { key: 'a', static: '42', cast: 'int' },
    { key: 'b', static: '15/01/2025', cast: 'date', cast_format: '%d/%m/%Y' },
  ]);
});

test('path: starts with $, balanced, no filter or script', (t) => {
  refuses(t, [{ key: 'a', path: 'a.b' }], [{ loc: [0, 'path'], code: 'value_error.mapper.path' }]);
  refuses(t, [{ key: 'a', path: '' }], [{ loc: [0, 'path'], code: 'value_error.mapper.path' }]);
  refuses(t, [{ key: 'a', path: 7 }], [{ loc: [0, 'path'], code: 'type_error.str' }]);
  for (const path of [
    '$.items[?(@.price > 10)]',
    "$..[?(@.constructor.constructor('return process')().exit())]",
    '$.items[(@.length-1)]',
    '$..*@other()',
    "$..['a(b)']",
    '$.a[',
    '$.a]',
    "$['a",
    '$a',
    `$.${'a'.repeat(1100)}`,
  ]) {
    refuses(t, [{ key: 'a', path }], [{ loc: [0, 'path'], code: 'value_error.mapper.path' }]);
  }
  accepts(
    t,
    ['$', '$.a', '$.a.b[0].c', "$['x y']", '$["a(b)"]', '$..id', '$.items[*].id', '$.items[0:2]', "$['a','b']", '$.*'].map((path, i) => ({
      key: `c${i}`,
      path,
    })),
  );
});

test('cast: one of the seven, cast_format only with date, datetime and time, in the supported syntax', (t) => {
  refuses(t, [{ key: 'a', path: '$.a', cast: 'integer' }], [{ loc: [0, 'cast'], code: 'type_error.enum' }]);
  refuses(t, [{ key: 'a', path: '$.a', cast_format: '%Y' }], [{ loc: [0, 'cast_format'], code: 'value_error.mapper.cast_format' }]);
  refuses(
    t,
    [{ key: 'a', path: '$.a', cast: 'int', cast_format: '%Y' }],
    [{ loc: [0, 'cast_format'], code: 'value_error.mapper.cast_format' }],
  );
  for (const [cast, cast_format] of [
    ['date', '%Y-%m-%Q'],
    ['date', '%Y-%m-%d %'],
    ['date', '%Y-%m'],
    ['datetime', '%H:%M'],
    ['time', '%M:%S'],
    ['time', '%I:%M'],
    ['time', '%H:%M %p'],
    ['date', '%Y-%Y-%m-%d'],
    ['date', '%Y-%m-%d %y'],
  ]) {
    refuses(t, [{ key: 'a', path: '$.a', cast, cast_format }], [{ loc: [0, 'cast_format'], code: 'value_error.mapper.cast_format' }]);
  }
  refuses(t, [{ key: 'a', path: '$.a', cast: 'date', cast_format: 5 }], [{ loc: [0, 'cast_format'], code: 'type_error.str' }]);
  accepts(t, [
    { key: 'a', path: '$.a', cast: 'date', cast_format: '%d/%m/%Y' },
    { key: 'b', path: '$.a', cast: 'datetime', cast_format: '%Y-%m-%d %H:%M:%S.%f%z' },
    { key: 'c', path: '$.a', cast: 'time', cast_format: '%I:%M %p' },
    { key: 'd', path: '$.a', cast: 'date', cast_format: '%d %b %Y (100%%)' },
  ]);
});

test('primary_key / nullable: booleans, and a primary key cannot be nullable', (t) => {
  refuses(
    t,
    [{ key: 'a', path: '$.a', primary_key: true, nullable: true }],
    [{ loc: [0, 'nullable'], code: 'value_error.mapper.nullable_primary_key' }],
  );
  refuses(
    t,
    [{ key: 'a', path: '$.a', primary_key: 'yes', nullable: 0 }],
    [
      { loc: [0, 'primary_key'], code: 'type_error.bool' },
      { loc: [0, 'nullable'], code: 'type_error.bool' },
    ],
  );
});

test('every problem of every item is reported at once, in order', (t) => {
  refuses(
    t,
    [
      { key: 'ok', path: '$.ok' },
      { key: '9x', path: 'x', cast: 'int', cast_format: '%Y' },
      { key: 'b', static: 'x', cast: 'bool', primary_key: true, nullable: true },
    ],
    [
      { loc: [1, 'key'], code: 'value_error.str.regex' },
      { loc: [1, 'path'], code: 'value_error.mapper.path' },
      { loc: [1, 'cast_format'], code: 'value_error.mapper.cast_format' },
      { loc: [2, 'static'], code: 'value_error.mapper.static' },
      { loc: [2, 'nullable'], code: 'value_error.mapper.nullable_primary_key' },
    ],
  );
});

// ---------------------------------------------------------------------------------------------
// Schema and paths

test('schemaOf: the column list of /datamodels/{id}/schema, json when no cast', (t) => {
  const entries = accepts(t, [
    { key: 'id', path: '$.id', cast: 'int', primary_key: true },
    { key: 'at', path: '$.at', cast: 'datetime', nullable: false },
    { key: 'raw', path: '$.raw' },
  ]);
  t.deepEqual(schemaOf(entries), [
    { name: 'id', type: 'int', nullable: false, primary_key: true },
    { name: 'at', type: 'datetime', nullable: false, primary_key: false },
    { name: 'raw', type: 'json', nullable: true, primary_key: false },
  ]);
});

test('parseSimplePath: dotted names, indexes and quoted names become keys; anything else is not simple', (t) => {
  t.deepEqual(parseSimplePath('$'), []);
  t.deepEqual(parseSimplePath('$.a.b'), ['a', 'b']);
  t.deepEqual(parseSimplePath('$.a[0].b'), ['a', 0, 'b']);
  t.deepEqual(parseSimplePath('$.a.b[12]'), ['a', 'b', 12]);
  t.deepEqual(parseSimplePath('$.a.0'), ['a', 0]);
  t.deepEqual(parseSimplePath("$['x y']"), ['x y']);
  t.deepEqual(parseSimplePath('$["x"]["a.b"]'), ['x', 'a.b']);
  t.deepEqual(parseSimplePath("$['it\\'s']['*']['']"), ["it's", '*', '']);
  t.deepEqual(parseSimplePath('$.user-id.été_1'), ['user-id', 'été_1']);
  t.deepEqual(parseSimplePath('$.__proto__.x'), ['__proto__', 'x']);
  for (const path of [
    'a',
    '$..id',
    '$.*',
    '$.a[*]',
    '$.a[0:2]',
    '$.a[-1]',
    '$.a[01]',
    "$['a','b']",
    '$.a[?(@.x)]',
    '$.a.',
    '$.a[',
    "$['a",
    "$['a'",
    '$.a^',
    '$.a~',
    '$ .a',
  ]) {
    t.is(parseSimplePath(path), undefined, path);
  }
  t.is(checkPath('$.a.b'), undefined);
});

// ---------------------------------------------------------------------------------------------
// Casts: given a cast (and format), when a value is cast, then this value or a failure.

function castsTo(t: ExecutionContext, cast: MapperCast | undefined, format: string | undefined, cases: [unknown, unknown][]) {
  const compiled = compileCast(cast, format);
  if (isLeft(compiled)) return t.fail(compiled.left);
  for (const [input, expected] of cases)
    t.deepEqual(compiled.right(input), expected, `${cast} ${format ?? ''} of ${JSON.stringify(input)}`);
}
function assertFailure(t: ExecutionContext, cast: MapperCast, format: string | undefined, input: unknown, reason: string) {
  const compiled = compileCast(cast, format);
  if (isLeft(compiled)) return t.fail(compiled.left);
  t.deepEqual(compiled.right(input), new ValueFailure(reason));
}
function refusesCast(t: ExecutionContext, cast: MapperCast, format: string | undefined, inputs: unknown[]) {
  const compiled = compileCast(cast, format);
  if (isLeft(compiled)) return t.fail(compiled.left);
  for (const input of inputs) {
    const result = compiled.right(input);
    t.true(result instanceof ValueFailure, `${cast} ${format ?? ''} must refuse ${JSON.stringify(input)}, gave ${JSON.stringify(result)}`);
    if (result instanceof ValueFailure) t.true(result.reason.length > 0);
  }
}

test('no cast: the JSON value as it is', (t) => {
  castsTo(t, undefined, undefined, [
    ['a', 'a'],
    [1.5, 1.5],
    [false, false],
    [{ a: [1] }, { a: [1] }],
  ]);
});

test('string: numbers and booleans as text, objects and arrays as JSON', (t) => {
  castsTo(t, 'string', undefined, [
    ['abc', 'abc'],
    ['', ''],
    [42, '42'],
    [1.5, '1.5'],
    [true, 'true'],
    [{ a: 1 }, '{"a":1}'],
    [[1, 'x'], '[1,"x"]'],
  ]);
});

test('int: integers from numbers or integer text, within the safe range', (t) => {
  castsTo(t, 'int', undefined, [
    [42, 42],
    [-7, -7],
    [1.0, 1],
    [-0, 0],
    ['42', 42],
    ['-42', -42],
    ['+5', 5],
    ['007', 7],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['-9007199254740991', -9007199254740991],
  ]);
  refusesCast(t, 'int', undefined, [1.5, '1.5', 'abc', '', ' 1', '1e3', true, {}, [1], 2 ** 53, '9007199254740993', 1e21]);
});

test('float: finite numbers from numbers or decimal text', (t) => {
  castsTo(t, 'float', undefined, [
    [1.5, 1.5],
    [3, 3],
    ['1.5', 1.5],
    ['-0.25', -0.25],
    ['.5', 0.5],
    ['1e3', 1000],
    ['2.5E-3', 0.0025],
    ['7', 7],
  ]);
  refusesCast(t, 'float', undefined, ['abc', '', '1,5', 'NaN', 'Infinity', '1e999', '0x10', true, {}]);
});

test('bool: true/false, "true"/"false" (any case), 1/0, "1"/"0"', (t) => {
  castsTo(t, 'bool', undefined, [
    [true, true],
    [false, false],
    ['true', true],
    ['False', false],
    ['TRUE', true],
    [1, true],
    [0, false],
    ['1', true],
    ['0', false],
  ]);
  refusesCast(t, 'bool', undefined, ['yes', 'no', '', 2, -1, 0.5, '01', {}, []]);
});

test('date without format: strict ISO-8601 YYYY-MM-DD, real dates only', (t) => {
  castsTo(t, 'date', undefined, [
    ['2025-01-15', '2025-01-15'],
    ['2024-02-29', '2024-02-29'],
    ['0001-01-01', '0001-01-01'],
  ]);
  refusesCast(t, 'date', undefined, [
    '2025-02-30',
    '2023-02-29',
    '2025-13-01',
    '2025-00-10',
    '2025-1-5',
    '20250115',
    '2025-01-15T10:00:00Z',
    '0000-01-01',
    20250115,
    '',
  ]);
});

test('datetime without format: ISO-8601 to UTC, or epoch milliseconds', (t) => {
  castsTo(t, 'datetime', undefined, [
    ['2025-01-15T10:30:00Z', '2025-01-15T10:30:00Z'],
    ['2025-01-15T10:30:00+02:00', '2025-01-15T08:30:00Z'],
    ['2025-01-15T00:30:00+0100', '2025-01-14T23:30:00Z'],
    ['2025-01-15T23:30:00-05', '2025-01-16T04:30:00Z'],
    ['2025-01-15 10:30', '2025-01-15T10:30:00Z'],
    ['2025-01-15T10:30:00.5Z', '2025-01-15T10:30:00.500000Z'],
    ['2025-01-15T10:30:00.123456789Z', '2025-01-15T10:30:00.123456Z'],
    ['2025-01-15', '2025-01-15T00:00:00Z'],
    ['2024-12-31T23:59:59-00:30', '2025-01-01T00:29:59Z'],
    [0, '1970-01-01T00:00:00Z'],
    [1736937000000, '2025-01-15T10:30:00Z'],
    [1736937000123, '2025-01-15T10:30:00.123000Z'],
    [-1, '1969-12-31T23:59:59.999000Z'],
    [1736937000000.5, '2025-01-15T10:30:00.000500Z'],
  ]);
  refusesCast(t, 'datetime', undefined, [
    '2025-02-30T10:00:00Z',
    '2025-01-15T24:00:00Z',
    '2025-01-15T10:60:00Z',
    '2025-01-15T10:00:60Z',
    '2025-01-15T10:00:00+25:00',
    '2025-01-15T10:00:00+02:ab',
    '2025-01-15T10:00:00+0',
    '2025-01-15T10:00:00Zz',
    '2025-01-15T10:00:00.Z',
    '2025-01-15T10:00:00 ',
    '2025-01-15T',
    '2025-01-15T1:00',
    '2025/01/15',
    '15/01/2025',
    '1736937000000',
    'now',
    true,
    1e20,
    '0001-01-01T00:00:00+01:00',
  ]);
});

test('time without format: ISO-8601 HH:MM[:SS[.ffffff]]', (t) => {
  castsTo(t, 'time', undefined, [
    ['10:30', '10:30:00'],
    ['10:30:05', '10:30:05'],
    ['23:59:59.5', '23:59:59.500000'],
    ['00:00:00.000001', '00:00:00.000001'],
    ['00:00:00.000', '00:00:00'],
  ]);
  refusesCast(t, 'time', undefined, ['24:00', '10:60', '10:30:60', '1:30', '10:30Z', '10h30', 1030, '']);
});

test('date with format: %Y-%m-%d, %d/%m/%Y, %y, month names; strict, invalid dates refused', (t) => {
  castsTo(t, 'date', '%Y-%m-%d', [['2025-01-15', '2025-01-15']]);
  castsTo(t, 'date', '%d/%m/%Y', [
    ['15/01/2025', '2025-01-15'],
    ['5/1/2025', '2025-01-05'],
    ['29/02/2024', '2024-02-29'],
  ]);
  refusesCast(t, 'date', '%d/%m/%Y', [
    '30/02/2025',
    '29/02/2023',
    '32/01/2025',
    '15/13/2025',
    '2025-01-15',
    '15/01/2025 ',
    '15/01/25',
    15012025,
  ]);
  castsTo(t, 'date', '%d.%m.%y', [
    ['15.01.25', '2025-01-15'],
    ['15.01.69', '1969-01-15'],
  ]);
  castsTo(t, 'date', '%d %b %Y', [
    ['15 Jan 2025', '2025-01-15'],
    ['1 feb 2024', '2024-02-01'],
  ]);
  castsTo(t, 'date', '%B %d, %Y', [['September 3, 2025', '2025-09-03']]);
  castsTo(t, 'date', '%Y%m%d', [['20250115', '2025-01-15']]);
  // A datetime text read as a date keeps the date as written.
  castsTo(t, 'date', '%Y-%m-%dT%H:%M:%S%z', [['2025-01-15T23:30:00-05:00', '2025-01-15']]);
});

test('datetime with format: %Y-%m-%dT%H:%M:%S, %f microseconds, %z offsets to UTC; no offset is UTC', (t) => {
  castsTo(t, 'datetime', '%Y-%m-%dT%H:%M:%S', [['2025-01-15T10:30:05', '2025-01-15T10:30:05Z']]);
  castsTo(t, 'datetime', '%Y-%m-%d %H:%M:%S.%f', [
    ['2025-01-15 10:30:05.123456', '2025-01-15T10:30:05.123456Z'],
    ['2025-01-15 10:30:05.5', '2025-01-15T10:30:05.500000Z'],
  ]);
  castsTo(t, 'datetime', '%Y-%m-%d %H:%M:%S%z', [
    ['2025-01-15 10:30:05+0200', '2025-01-15T08:30:05Z'],
    ['2025-01-15 10:30:05-03:30', '2025-01-15T14:00:05Z'],
    ['2025-01-15 10:30:05Z', '2025-01-15T10:30:05Z'],
  ]);
  castsTo(t, 'datetime', '%d/%m/%Y %I:%M %p', [
    ['15/01/2025 12:05 AM', '2025-01-15T00:05:00Z'],
    ['15/01/2025 12:05 pm', '2025-01-15T12:05:00Z'],
    ['15/01/2025 3:05 PM', '2025-01-15T15:05:00Z'],
  ]);
  castsTo(t, 'datetime', '%Y-%m-%d', [['2025-01-15', '2025-01-15T00:00:00Z']]);
  refusesCast(t, 'datetime', '%Y-%m-%d %H:%M:%S', [
    '2025-02-30 10:00:00',
    '2025-01-15 25:00:00',
    '2025-01-15T10:00:00',
    '2025-01-15 10:00',
    1736937000000,
  ]);
  refusesCast(t, 'datetime', '%Y-%m-%d %H:%M:%S%z', ['2025-01-15 10:30:05+2400']);
});

test('time with format: %H:%M:%S, %I %p, %f', (t) => {
  castsTo(t, 'time', '%H:%M:%S', [
    ['10:30:05', '10:30:05'],
    ['9:5:7', '09:05:07'],
  ]);
  castsTo(t, 'time', '%H%M', [['0930', '09:30:00']]);
  castsTo(t, 'time', '%I:%M:%S.%f %p', [['11:59:59.000250 PM', '23:59:59.000250']]);
  castsTo(t, 'time', '%Y-%m-%d %H:%M', [['2025-01-15 10:30', '10:30:00']]);
  refusesCast(t, 'time', '%H:%M:%S', ['24:00:00', '10:61:00', '10:30', 'ab:cd:ef']);
  refusesCast(t, 'time', '%Y-%m-%d %H:%M', ['2025-02-30 10:30']);
});

test('int: a sign alone, inner signs and non-ASCII digits are no integer text', (t) => {
  castsTo(t, 'int', undefined, [
    ['-0', 0],
    ['+0', 0],
  ]);
  refusesCast(t, 'int', undefined, ['+', '-', '+-1', '1-', '1 ', '\u0663', '\uff11']);
});

test('formats of digits: the fixed-width form and the shorter forms read alike, whichever way they are scanned', (t) => {
  castsTo(t, 'date', '%d%m%Y', [
    ['15012025', '2025-01-15'],
    ['1112025', '2025-01-11'],
    ['512025', '2025-01-05'],
  ]);
  // A two-digit field out of its range is read as a one-digit one followed by the rest, as the
  // regular expression does, or refused when that does not fit either.
  castsTo(t, 'time', '%H%M', [['245', '02:45:00']]);
  assertFailure(t, 'date', '%d%m%Y', '3122025', 'no such date: 2025-02-31');
  refusesCast(t, 'date', '%d%m%Y', ['32012025', '00012025', '15002025', '1501202a', '150120255']);
  castsTo(t, 'datetime', '%Y%m%d%H%M%S', [['20250115103005', '2025-01-15T10:30:05Z']]);
  castsTo(t, 'datetime', '%y%m%d %H:%M:%S.%f', [
    ['250115 23:59:59.000001', '2025-01-15T23:59:59.000001Z'],
    ['680115 00:00:00.5', '2068-01-15T00:00:00.500000Z'],
  ]);
  castsTo(t, 'date', '%%%Y%m%d', [['%20250115', '2025-01-15']]);
});

test('datetime: an offset that moves the time across midnight, a month or a year moves the date too', (t) => {
  castsTo(t, 'datetime', undefined, [
    ['2025-03-01T01:00:00+02:00', '2025-02-28T23:00:00Z'],
    ['2024-03-01T01:00:00+02:00', '2024-02-29T23:00:00Z'],
    ['2025-12-31T22:30:00.25-01:30', '2026-01-01T00:00:00.250000Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'],
  ]);
  castsTo(t, 'datetime', '%d/%m/%Y %H:%M%z', [['01/01/2025 00:00+0001', '2024-12-31T23:59:00Z']]);
  refusesCast(t, 'datetime', undefined, ['9999-12-31T23:59:59-00:01']);
});

test('compileCast: refuses a bad format with the reason, never throws', (t) => {
  for (const format of ['%Q', '%', '%Y-%m', '%H', '%Y%Y-%m-%d']) {
    const compiled = compileCast('date', format);
    t.true(isLeft(compiled), format);
  }
  t.true(isRight(compileCast('date', '%d/%m/%Y (%%)')));
});
