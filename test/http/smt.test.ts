import test from 'ava';
import { randomUUID } from 'node:crypto';
import { asRecord, startApi, type Api } from './apiFixtures';

/** `POST /smt/process_mapper` over real HTTP: the workers' mapper engine, tried on sample messages. */

let api: Api;
let token: string;

test.before(async () => {
  api = await startApi();
  const email = `mapper-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(email);
  token = await api.login(email);
});

test.after.always(async () => {
  await api?.stop();
});

const PROCESS = '/smt/process_mapper';
const processMapper = (json: unknown) => api.request('POST', PROCESS, { token, json });
const issues = (body: unknown): Record<string, unknown>[] => asRecord(body)['detail'] as Record<string, unknown>[];

/** A mapper with mixed casts, a static column, a formatted datetime and a nested path. */
const config = [
  { key: 'id', path: '$.id', cast: 'int', primary_key: true },
  { key: 'email', path: '$.user.email', cast: 'string' },
  { key: 'amount', path: '$.amount', cast: 'float' },
  { key: 'active', path: '$.flags[0]', cast: 'bool' },
  { key: 'created_at', path: '$.created', cast: 'datetime', cast_format: '%Y-%m-%d %H:%M:%S' },
  { key: 'source', static: 'kafka' },
  { key: 'note', path: '$.note', nullable: true },
];

const message = (id: unknown, extra: Record<string, unknown> = {}) => ({
  id,
  user: { email: `u${String(id)}@example.com` },
  amount: '12.5',
  flags: ['true'],
  created: '2025-11-19 10:30:00',
  ...extra,
});

test('one message gives a one-row array of mapped columns', async (t) => {
  const res = await processMapper({ config, message: message('42', { note: { any: 'json' } }) });
  t.is(res.status, 200);
  t.deepEqual(res.body, [
    {
      id: 42,
      email: 'u42@example.com',
      amount: 12.5,
      active: true,
      created_at: '2025-11-19T10:30:00Z',
      source: 'kafka',
      note: { any: 'json' },
    },
  ]);
});

test('an array of messages gives one row per message, in order; JSON text is a message too; an empty list is []', async (t) => {
  const res = await processMapper({ config, message: [message(1), message(2, { flags: [false] }), JSON.stringify(message(3))] });
  t.is(res.status, 200);
  const rows = res.body as Record<string, unknown>[];
  t.deepEqual(
    rows.map(({ id, active, note }) => ({ id, active, note })),
    [
      { id: 1, active: true, note: null },
      { id: 2, active: false, note: null },
      { id: 3, active: true, note: null },
    ],
  );
  t.deepEqual(await processMapper({ config, message: [] }), { status: 200, body: [] });
});

test('a message that fails is 422 naming the column and why', async (t) => {
  const res = await processMapper({ config, message: message('forty-two') });
  t.is(res.status, 422);
  const [issue, ...rest] = issues(res.body);
  t.deepEqual(rest, []);
  t.like(issue, { loc: ['body', 'message'], type: 'value_error.mapper', ctx: { column: 'id' } });
  t.regex(String(issue?.['msg']), /^column 'id': not an integer: "forty-two"$/);

  // A missing primary key (not nullable).
  const { id: _id, ...noId } = message(1);
  const missing = await processMapper({ config, message: noId });
  t.is(missing.status, 422);
  t.like(issues(missing.body)[0], {
    loc: ['body', 'message'],
    msg: "column 'id': missing non-nullable value",
    ctx: { column: 'id', reason: 'missing non-nullable value' },
  });

  // A date that does not match its cast_format.
  const badDate = await processMapper({ config, message: message(1, { created: '19/11/2025' }) });
  t.is(badDate.status, 422);
  t.like(issues(badDate.body)[0], { ctx: { column: 'created_at' } });
  t.regex(String(issues(badDate.body)[0]?.['msg']), /^column 'created_at': /);
});

test('in a list, each failing message is reported at its index; the others are not', async (t) => {
  const res = await processMapper({
    config,
    message: [message(1), message(2, { amount: 'lots' }), message(3), JSON.stringify(message('x'))],
  });
  t.is(res.status, 422);
  t.deepEqual(
    issues(res.body).map(({ loc, ctx }) => ({ loc, column: asRecord(ctx)['column'] })),
    [
      { loc: ['body', 'message', 1], column: 'amount' },
      { loc: ['body', 'message', 3], column: 'id' },
    ],
  );
  // Text that is not JSON is the message's own failure.
  const text = await processMapper({ config, message: ['{"id": '] });
  t.is(text.status, 422);
  t.like(issues(text.body)[0], { loc: ['body', 'message', 0], ctx: { column: '$' } });
  t.regex(String(issues(text.body)[0]?.['msg']), /^message is not valid JSON/);
});

test('an invalid mapper config is 422 with the loc of every faulty field', async (t) => {
  const res = await processMapper({
    config: [
      { key: 'id', path: '$.id', cast: 'integer' },
      { key: 'both', path: '$.a', static: 'b' },
      { key: 'when', path: '$.t', cast: 'date', cast_format: '%Q' },
      { path: '$.nokey' },
      { key: 'evil', path: '$..[?(@.constructor)]' },
    ],
    message: { id: 1 },
  });
  t.is(res.status, 422);
  const locs = issues(res.body).map(({ loc }) => loc);
  t.deepEqual(locs, [
    ['body', 'config', 0, 'cast'],
    ['body', 'config', 1, 'static'],
    ['body', 'config', 2, 'cast_format'],
    ['body', 'config', 3, 'key'],
    ['body', 'config', 4, 'path'],
  ]);
  t.like(issues(res.body)[0], { type: 'type_error.enum' });

  const duplicate = await processMapper({
    config: [
      { key: 'a', path: '$.a' },
      { key: 'A', path: '$.b' },
    ],
    message: {},
  });
  t.is(duplicate.status, 422);
  t.like(issues(duplicate.body)[0], { loc: ['body', 'config', 1, 'key'] });

  const notAList = await processMapper({ config: { key: 'a', path: '$.a' }, message: {} });
  t.is(notAList.status, 422);
  t.like(issues(notAList.body)[0], { loc: ['body', 'config'], type: 'type_error.list' });
});

test('a body without config or message, or with a message that is not an object, is 422', async (t) => {
  const empty = await processMapper({});
  t.is(empty.status, 422);
  t.deepEqual(
    issues(empty.body).map(({ loc, type }) => ({ loc, type })),
    [
      { loc: ['body', 'config'], type: 'value_error.missing' },
      { loc: ['body', 'message'], type: 'value_error.missing' },
    ],
  );
  const number = await processMapper({ config, message: 5 });
  t.is(number.status, 422);
  t.like(issues(number.body)[0], { loc: ['body', 'message'], type: 'type_error.dict' });
  const inList = await processMapper({ config, message: [message(1), null] });
  t.is(inList.status, 422);
  t.like(issues(inList.body)[0], { loc: ['body', 'message', 1], type: 'type_error.dict' });
  const list = await processMapper([{ config, message: message(1) }]);
  t.is(list.status, 422);
  t.like(issues(list.body)[0], { loc: ['body'] });
  const malformed = await api.request('POST', PROCESS, { token, raw: '{"config": [' });
  t.is(malformed.status, 422);
  t.like(issues(malformed.body)[0], { loc: ['body'] });
});

test('an unauthenticated call is 401, even with a valid body', async (t) => {
  const res = await api.request('POST', PROCESS, { json: { config, message: message(1) } });
  t.deepEqual(res, { status: 401, body: { detail: 'Unauthorized' } });
  t.is((await api.request('POST', PROCESS, { token: 'not-a-token', json: {} })).status, 401);
});
