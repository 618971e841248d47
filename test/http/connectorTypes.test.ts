import test from 'ava';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { asRecord, startApi, type Api } from './apiFixtures';
import { closedPort, withSilentListener } from '../fixtures/tcpPeers';
import { testServer } from '../fixtures/testServers';
import { postgresTestConfig } from '../fixtures/postgresConfig';
import { seedTopics } from '../fixtures/kafkaTopics';

/**
 * `/connector-types/...` and `/envs/check-byok-credentials` over real HTTP, against the real
 * Kafka (PLAINTEXT on TEST_KAFKA_BROKERS, SASL PLAIN / SCRAM on TEST_KAFKA_SASL_BROKERS) and
 * PostgreSQL (TEST_PG_URL) that `npm test` starts. Unset, these tests fail: they never pass by
 * skipping. Oracle has no server here: its failure paths run always, its ok path with ORACLE_URL.
 */

const SASL_USER = 'popsink';
const SASL_PASSWORD = 'popsink-secret';

// One topic with two partitions and 15 messages at fixed timestamps, alternating partitions.
const topic = `popsink-http-fetch-${randomUUID()}`;
const base = Date.UTC(2025, 10, 19, 10, 30, 0);
const produced = Array.from({ length: 15 }, (_, i) => ({
  partition: i % 2,
  key: `key-${i}`,
  value: JSON.stringify({ i, event_type: 'click' }),
  timestamp: new Date(base + i * 1000).toISOString(),
}));
const newestKeys = (n: number): string[] => produced.slice(produced.length - n).map(({ key }) => key);

let api: Api;
let token: string;

test.before(async () => {
  await seedTopics(testServer('TEST_KAFKA_BROKERS'), [{ topic, numPartitions: 2 }], topic, produced);

  api = await startApi();
  const email = `checker-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(email);
  token = await api.login(email);
});

test.after.always(async () => {
  await api?.stop();
  const brokers = process.env['TEST_KAFKA_BROKERS'];
  if (brokers === undefined || brokers === '') return;
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

/** A POST as the test's user; `as` gives another token, `null` none at all. */
const post = (path: string, json: unknown, as: string | null = token) => api.request('POST', path, { token: as ?? undefined, json });

/** Times a request: the contract's checks answer within 10 s. */
async function timedPost(path: string, json: unknown): Promise<{ status: number; body: unknown; ms: number }> {
  const started = Date.now();
  const response = await post(path, json);
  return { ...response, ms: Date.now() - started };
}

const plaintext = (extra: Record<string, unknown> = {}) => ({
  bootstrap_servers: testServer('TEST_KAFKA_BROKERS'),
  security_protocol: 'PLAINTEXT',
  ...extra,
});
const sasl = (mechanism: string, password = SASL_PASSWORD, extra: Record<string, unknown> = {}) => ({
  bootstrap_servers: testServer('TEST_KAFKA_SASL_BROKERS'),
  security_protocol: 'SASL_PLAINTEXT',
  sasl_mechanism: mechanism,
  sasl_username: SASL_USER,
  sasl_password: password,
  ...extra,
});

/** The first FastAPI issue of a 422. */
const firstIssue = (body: unknown): Record<string, unknown> => asRecord((asRecord(body)['detail'] as unknown[])[0]);

const KAFKA_CHECK = '/connector-types/kafka-source/check-credentials';
const LIST_TOPICS = '/connector-types/kafka-source/list-topics';
const FETCH = '/connector-types/kafka-source/fetch-messages';
const ORACLE_CHECK = '/connector-types/oracle-target/check-credentials';
const PG_CHECK = '/connector-types/postgres-target/check-credentials';
const BYOK_CHECK = '/envs/check-byok-credentials';

// --- kafka-source/check-credentials ---------------------------------------------------------

test("kafka check-credentials: the seed's Pattern 5 body (the config itself) against the real broker is 200 ok", async (t) => {
  const res = await timedPost(KAFKA_CHECK, {
    bootstrap_servers: testServer('TEST_KAFKA_BROKERS'),
    topic: 'test-topic',
    security_protocol: 'PLAINTEXT',
  });
  t.log(`PLAINTEXT check in ${res.ms} ms`);
  t.is(res.status, 200);
  t.deepEqual(res.body, { status: 'ok' });
  // The topic is optional for a credential check, and not looked up.
  t.deepEqual((await post(KAFKA_CHECK, { bootstrap_servers: testServer('TEST_KAFKA_BROKERS') })).body, { status: 'ok' });
});

for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
  test(`kafka check-credentials: SASL_PLAINTEXT ${mechanism} is 200; a wrong password is 400 with the broker's reason, never echoed`, async (t) => {
    const ok = await post(KAFKA_CHECK, sasl(mechanism, SASL_PASSWORD, { topic: 'any' }));
    t.is(ok.status, 200);
    t.deepEqual(ok.body, { status: 'ok' });

    const wrong = `wrong-${randomUUID()}`;
    const refused = await timedPost(KAFKA_CHECK, sasl(mechanism, wrong, { topic: 'any' }));
    t.log(`${mechanism} wrong password in ${refused.ms} ms: ${JSON.stringify(refused.body)}`);
    t.is(refused.status, 400);
    const detail = String(asRecord(refused.body)['detail']);
    t.regex(detail, /^Authentication failed \(SASL /);
    t.regex(detail, /invalid (username or password|credentials)/i);
    t.false(JSON.stringify(refused.body).includes(wrong));
    t.false(JSON.stringify(refused.body).includes(SASL_PASSWORD));
    t.true(refused.ms < 10_000);
  });
}

test('kafka check-credentials: an unknown host is 400 naming the host', async (t) => {
  const res = await timedPost(KAFKA_CHECK, { bootstrap_servers: 'no-such-broker.invalid:9092', topic: 'x' });
  t.is(res.status, 400);
  t.deepEqual(res.body, { detail: "Unknown host: 'no-such-broker.invalid' could not be resolved" });
  t.true(res.ms < 10_000);
});

test('kafka check-credentials: a port nobody listens on is 400 "connection refused"; PLAINTEXT on the SASL listener says so', async (t) => {
  const port = await closedPort();
  const refused = await post(KAFKA_CHECK, { bootstrap_servers: `127.0.0.1:${port}` });
  t.is(refused.status, 400);
  t.is(asRecord(refused.body)['detail'], `Connection refused by 127.0.0.1:${port}: no Kafka listener on that host and port`);
  const wrongProtocol = await post(KAFKA_CHECK, { bootstrap_servers: testServer('TEST_KAFKA_SASL_BROKERS') });
  t.is(wrongProtocol.status, 400);
  t.regex(String(asRecord(wrongProtocol.body)['detail']), /may require SASL or TLS/);
});

test('kafka check-credentials: a listener that never answers is a 400 timeout within 10 s', async (t) => {
  await withSilentListener(async (port) => {
    const res = await timedPost(KAFKA_CHECK, { bootstrap_servers: `127.0.0.1:${port}` });
    t.log(`silent listener answered in ${res.ms} ms: ${JSON.stringify(res.body)}`);
    t.is(res.status, 400);
    t.true(res.ms < 10_000, `${res.ms} ms`);
  });
});

test('kafka check-credentials: an invalid config is 422 naming the field', async (t) => {
  const noBrokers = await post(KAFKA_CHECK, { topic: 'x', security_protocol: 'PLAINTEXT' });
  t.is(noBrokers.status, 422);
  t.like(firstIssue(noBrokers.body), { loc: ['body', 'bootstrap_servers'], type: 'value_error.missing' });

  const noMechanism = await post(KAFKA_CHECK, {
    bootstrap_servers: 'k:9092',
    security_protocol: 'SASL_PLAINTEXT',
    sasl_username: 'u',
    sasl_password: 'p',
  });
  t.is(noMechanism.status, 422);
  t.like(firstIssue(noMechanism.body), { loc: ['body', 'sasl_mechanism'] });

  const badProtocol = await post(KAFKA_CHECK, { bootstrap_servers: 'k:9092', security_protocol: 'TLS' });
  t.is(badProtocol.status, 422);
  t.like(firstIssue(badProtocol.body), { loc: ['body', 'security_protocol'], type: 'type_error.enum' });

  // A topic, when given, is still a topic name.
  const badTopic = await post(KAFKA_CHECK, { bootstrap_servers: 'k:9092', topic: 'not a topic' });
  t.is(badTopic.status, 422);
  t.like(firstIssue(badTopic.body), { loc: ['body', 'topic'] });

  const notADict = await post(KAFKA_CHECK, ['k:9092']);
  t.is(notADict.status, 422);
  t.like(firstIssue(notADict.body), { loc: ['body'] });

  const malformed = await api.request('POST', KAFKA_CHECK, { token, raw: '{"bootstrap_servers": ' });
  t.is(malformed.status, 422);
  t.like(firstIssue(malformed.body), { loc: ['body'] });
});

// --- kafka-source/list-topics ---------------------------------------------------------------

test("kafka list-topics: a sorted array of topic names with the test's topic, no internal ones, over PLAINTEXT and SASL", async (t) => {
  const res = await post(LIST_TOPICS, plaintext({ topic: topic }));
  t.is(res.status, 200);
  const topics = res.body as string[];
  t.true(Array.isArray(topics));
  t.true(topics.every((name) => typeof name === 'string'));
  t.true(topics.includes(topic));
  t.false(topics.some((name) => name.startsWith('__')));
  t.deepEqual(topics, [...topics].sort());
  // No topic needed to list them.
  const overSasl = await post(LIST_TOPICS, sasl('SCRAM-SHA-512'));
  t.is(overSasl.status, 200);
  t.true((overSasl.body as string[]).includes(topic));
});

test('kafka list-topics: wrong password and unknown host are 400; invalid config 422', async (t) => {
  const wrong = await post(LIST_TOPICS, sasl('SCRAM-SHA-256', 'not-the-password'));
  t.is(wrong.status, 400);
  t.regex(String(asRecord(wrong.body)['detail']), /^Authentication failed/);
  t.false(JSON.stringify(wrong.body).includes('not-the-password'));
  const nowhere = await post(LIST_TOPICS, { bootstrap_servers: 'no-such-broker.invalid' });
  t.is(nowhere.status, 400);
  t.regex(String(asRecord(nowhere.body)['detail']), /^Unknown host: 'no-such-broker.invalid'/);
  const invalid = await post(LIST_TOPICS, { bootstrap_servers: 'host:99999' });
  t.is(invalid.status, 422);
  t.like(firstIssue(invalid.body), { loc: ['body', 'bootstrap_servers'] });
});

// --- kafka-source/fetch-messages ------------------------------------------------------------

test('kafka fetch-messages: the produced messages, the last 10 by default, oldest first, with partition, offset, timestamp, key and value', async (t) => {
  const res = await timedPost(FETCH, plaintext({ topic }));
  t.log(`fetch-messages in ${res.ms} ms`);
  t.is(res.status, 200);
  const messages = res.body as Record<string, unknown>[];
  t.is(messages.length, 10);
  for (const message of messages) t.deepEqual(Object.keys(message).sort(), ['key', 'offset', 'partition', 'timestamp', 'value']);
  const expected = produced.slice(5);
  t.deepEqual(
    messages.map(({ key, value, timestamp, partition }) => ({ key, value, timestamp, partition })),
    expected,
  );
  // Message i is offset floor(i / 2) of partition i % 2.
  t.deepEqual(
    messages.map(({ offset }) => offset),
    expected.map((_, j) => Math.floor((j + 5) / 2)),
  );
});

test('kafka fetch-messages: respects the limit, flat in the body, as ?limit=, or with the config wrapped', async (t) => {
  const flat = await post(FETCH, plaintext({ topic, limit: 3 }));
  t.is(flat.status, 200);
  t.deepEqual(
    (flat.body as { key: string }[]).map(({ key }) => key),
    newestKeys(3),
  );

  const query = await post(`${FETCH}?limit=4`, plaintext({ topic }));
  t.is(query.status, 200);
  t.deepEqual(
    (query.body as { key: string }[]).map(({ key }) => key),
    newestKeys(4),
  );

  const wrapped = await post(FETCH, { config: plaintext({ topic }), limit: 2 });
  t.is(wrapped.status, 200);
  t.deepEqual(
    (wrapped.body as { key: string }[]).map(({ key }) => key),
    newestKeys(2),
  );

  const wrappedDefault = await post(FETCH, { config: sasl('PLAIN', SASL_PASSWORD, { topic }) });
  t.is(wrappedDefault.status, 200);
  t.deepEqual(
    (wrappedDefault.body as { key: string }[]).map(({ key }) => key),
    newestKeys(10),
  );

  const all = await post(FETCH, plaintext({ topic, limit: 1000 }));
  t.is((all.body as unknown[]).length, produced.length);
});

test('kafka fetch-messages: a missing topic is 400 with the reason; a missing topic field is 422', async (t) => {
  const missing = `popsink-http-missing-${randomUUID()}`;
  const res = await timedPost(FETCH, plaintext({ topic: missing }));
  t.is(res.status, 400);
  t.deepEqual(res.body, { detail: `Topic '${missing}' does not exist (or this user is not allowed to describe it)` });
  t.true(res.ms < 10_000);

  const noTopic = await post(FETCH, plaintext());
  t.is(noTopic.status, 422);
  t.like(firstIssue(noTopic.body), { loc: ['body', 'topic'], type: 'value_error.missing' });

  const wrappedNoTopic = await post(FETCH, { config: plaintext(), limit: 2 });
  t.is(wrappedNoTopic.status, 422);
  t.like(firstIssue(wrappedNoTopic.body), { loc: ['body', 'config', 'topic'] });
});

test('kafka fetch-messages: wrong password and unknown host are 400 like the check', async (t) => {
  const wrong = await post(FETCH, sasl('SCRAM-SHA-256', 'not-the-password', { topic }));
  t.is(wrong.status, 400);
  t.regex(String(asRecord(wrong.body)['detail']), /^Authentication failed/);
  t.false(JSON.stringify(wrong.body).includes('not-the-password'));
  const nowhere = await post(FETCH, { bootstrap_servers: 'no-such-broker.invalid:9092', topic });
  t.is(nowhere.status, 400);
  t.regex(String(asRecord(nowhere.body)['detail']), /^Unknown host/);
});

test('kafka fetch-messages: the limit is an integer from 1 to 1000, else 422 at its loc', async (t) => {
  for (const [limit, type] of [
    [0, 'value_error.number.not_ge'],
    [1001, 'value_error.number.not_le'],
    [2.5, 'type_error.integer'],
    ['ten', 'type_error.integer'],
  ] as const) {
    const res = await post(FETCH, plaintext({ topic, limit }));
    t.is(res.status, 422, `limit ${limit}`);
    t.like(firstIssue(res.body), { loc: ['body', 'limit'], type });
  }
  const query = await post(`${FETCH}?limit=abc`, plaintext({ topic }));
  t.is(query.status, 422);
  t.like(firstIssue(query.body), { loc: ['query', 'limit'] });
  // Config and limit problems are reported together.
  const both = await post(FETCH, { bootstrap_servers: 'k:9092', limit: 0 });
  t.is(both.status, 422);
  t.deepEqual(
    (asRecord(both.body)['detail'] as { loc: unknown }[]).map(({ loc }) => loc),
    [
      ['body', 'topic'],
      ['body', 'limit'],
    ],
  );
});

// --- postgres-target/check-credentials ------------------------------------------------------

/** The test server as a check's body: the config without the optional fields, which the API defaults. */
const pgConfig = (overrides: Record<string, unknown> = {}) => {
  const { schema: _schema, sslmode: _sslmode, ...required } = postgresTestConfig();
  return { ...required, ...overrides };
};

test('postgres check-credentials: the real server is 200 ok (port as a string or a number, schema and sslmode defaulted)', async (t) => {
  const res = await timedPost(PG_CHECK, pgConfig());
  t.log(`PostgreSQL check in ${res.ms} ms`);
  t.is(res.status, 200);
  t.deepEqual(res.body, { status: 'ok' });
  const numeric = await post(PG_CHECK, pgConfig({ port: Number(pgConfig().port), schema: 'public', sslmode: 'disable' }));
  t.is(numeric.status, 200);
});

test("postgres check-credentials: a wrong password is 400 with the server's reason, never echoed", async (t) => {
  const wrong = `wrong-${randomUUID()}`;
  const res = await post(PG_CHECK, pgConfig({ password: wrong }));
  t.is(res.status, 400);
  t.regex(String(asRecord(res.body)['detail']), /^Authentication failed: .*password authentication failed/);
  t.false(JSON.stringify(res.body).includes(wrong));
});

test('postgres check-credentials: unknown host, refused port, unknown database and schema are 400 with the reason', async (t) => {
  const nowhere = await timedPost(PG_CHECK, pgConfig({ host: 'no-such-db.invalid' }));
  t.is(nowhere.status, 400);
  t.deepEqual(nowhere.body, { detail: "Unknown host: 'no-such-db.invalid' could not be resolved" });
  t.true(nowhere.ms < 10_000);
  const port = await closedPort();
  const refused = await post(PG_CHECK, pgConfig({ host: '127.0.0.1', port: String(port) }));
  t.is(refused.status, 400);
  t.regex(String(asRecord(refused.body)['detail']), /^Connection refused/);
  const database = `nodb_${randomUUID().slice(0, 8)}`;
  const noDatabase = await post(PG_CHECK, pgConfig({ database }));
  t.deepEqual(noDatabase, { status: 400, body: { detail: `Database "${database}" does not exist` } });
  const noSchema = await post(PG_CHECK, pgConfig({ schema: 'no_such_schema' }));
  t.is(noSchema.status, 400);
  t.regex(String(asRecord(noSchema.body)['detail']), /Schema "no_such_schema" does not exist/);
});

test('postgres check-credentials: an invalid config is 422 naming the field', async (t) => {
  const badPort = await post(PG_CHECK, pgConfig({ port: 'abc' }));
  t.is(badPort.status, 422);
  t.like(firstIssue(badPort.body), { loc: ['body', 'port'] });
  const { password: _password, ...noPassword } = pgConfig();
  const missing = await post(PG_CHECK, noPassword);
  t.is(missing.status, 422);
  t.like(firstIssue(missing.body), { loc: ['body', 'password'], type: 'value_error.missing' });
  const badMode = await post(PG_CHECK, pgConfig({ sslmode: 'prefer-ish' }));
  t.is(badMode.status, 422);
  t.like(firstIssue(badMode.body), { loc: ['body', 'sslmode'], type: 'type_error.enum' });
});

// --- oracle-target/check-credentials --------------------------------------------------------

/** The seed's Pattern 5 Oracle body, pointed at a host of the test's choosing. */
const oracleConfig = (overrides: Record<string, unknown> = {}) => ({
  host: 'oracle.company.com',
  port: '1521',
  database: 'ORCL',
  user: 'etl_user',
  password: 'etl_pass_secret',
  server_name: 'XE',
  server_id: 'oraclesrv01',
  ...overrides,
});

test("oracle check-credentials: the seed's body against an unreachable host is a clean 400 within 10 s, no password in it", async (t) => {
  const nowhere = await timedPost(ORACLE_CHECK, oracleConfig({ host: 'no-such-oracle.invalid' }));
  t.log(`unknown Oracle host in ${nowhere.ms} ms: ${JSON.stringify(nowhere.body)}`);
  t.is(nowhere.status, 400);
  t.regex(String(asRecord(nowhere.body)['detail']), /^Unknown host: 'no-such-oracle.invalid'/);
  t.true(nowhere.ms < 10_000);
  const port = await closedPort();
  const refused = await timedPost(ORACLE_CHECK, oracleConfig({ host: '127.0.0.1', port: String(port) }));
  t.log(`closed Oracle port in ${refused.ms} ms: ${JSON.stringify(refused.body)}`);
  t.is(refused.status, 400);
  t.is(asRecord(refused.body)['detail'], `Connection refused by 127.0.0.1:${port}: no Oracle listener on that host and port`);
  t.false(JSON.stringify([nowhere.body, refused.body]).includes('etl_pass_secret'));
});

test('oracle check-credentials: an invalid config is 422 naming the field', async (t) => {
  const { server_name: _serverName, ...noService } = oracleConfig();
  const missing = await post(ORACLE_CHECK, noService);
  t.is(missing.status, 422);
  t.like(firstIssue(missing.body), { loc: ['body', 'server_name'], type: 'value_error.missing' });
  const badPort = await post(ORACLE_CHECK, oracleConfig({ port: '0' }));
  t.is(badPort.status, 422);
  t.like(firstIssue(badPort.body), { loc: ['body', 'port'] });
});

const oracleUrl = process.env['ORACLE_URL'];
if (oracleUrl !== undefined && oracleUrl !== '') {
  test('oracle check-credentials: the ORACLE_URL database is 200 ok, and a wrong password 400', async (t) => {
    // user/password@host:port/service; the password may hold '@' or '/': the last '@' ends it.
    const at = oracleUrl.lastIndexOf('@');
    const slash = oracleUrl.indexOf('/');
    const [, host = '', port = '', service = ''] = /^([^:]+):(\d+)\/(.+)$/.exec(oracleUrl.slice(at + 1)) ?? [];
    const config = {
      host,
      port,
      user: oracleUrl.slice(0, slash),
      password: oracleUrl.slice(slash + 1, at),
      server_name: service,
      database: service,
      server_id: service,
    };
    const ok = await post(ORACLE_CHECK, config);
    t.deepEqual(ok, { status: 200, body: { status: 'ok' } });
    const wrong = await post(ORACLE_CHECK, { ...config, password: 'not-the-password' });
    t.is(wrong.status, 400);
    t.regex(String(asRecord(wrong.body)['detail']), /^Authentication failed/);
  });
}

// --- envs/check-byok-credentials ------------------------------------------------------------

test('byok check: a reachable Kafka cluster is 200 ok, over PLAINTEXT and SASL, with either broker field name', async (t) => {
  const plain = await timedPost(BYOK_CHECK, { bootstrap_servers: testServer('TEST_KAFKA_BROKERS'), security_protocol: 'PLAINTEXT' });
  t.log(`BYOK check in ${plain.ms} ms`);
  t.deepEqual({ status: plain.status, body: plain.body }, { status: 200, body: { status: 'ok' } });
  const scram = await post(BYOK_CHECK, sasl('SCRAM-SHA-256'));
  t.deepEqual(scram, { status: 200, body: { status: 'ok' } });
  // KAFKA_TARGET's field name, with its other fields (ignored where they do not apply).
  const target = await post(BYOK_CHECK, { bootstrap_server: testServer('TEST_KAFKA_BROKERS'), ca_cert: '', group_id: 'g' });
  t.deepEqual(target, { status: 200, body: { status: 'ok' } });
  // A whole KAFKA_SOURCE config works too (its topic is not needed).
  const source = await post(BYOK_CHECK, plaintext({ topic: 'user-events', consumer_group_id: 'c' }));
  t.deepEqual(source, { status: 200, body: { status: 'ok' } });
});

test("byok check: wrong password and unknown host are 400 with the reason; an invalid config is 422 in the client's field names", async (t) => {
  const wrong = await post(BYOK_CHECK, sasl('PLAIN', 'not-the-password'));
  t.is(wrong.status, 400);
  t.regex(String(asRecord(wrong.body)['detail']), /^Authentication failed \(SASL PLAIN\)/);
  t.false(JSON.stringify(wrong.body).includes('not-the-password'));
  const nowhere = await post(BYOK_CHECK, { bootstrap_servers: 'no-such-broker.invalid:9092' });
  t.deepEqual(nowhere, { status: 400, body: { detail: "Unknown host: 'no-such-broker.invalid' could not be resolved" } });

  const empty = await post(BYOK_CHECK, {});
  t.is(empty.status, 422);
  t.like(firstIssue(empty.body), { loc: ['body', 'bootstrap_servers'], type: 'value_error.missing' });
  const badBrokers = await post(BYOK_CHECK, { bootstrap_servers: 'a b:1' });
  t.is(badBrokers.status, 422);
  t.like(firstIssue(badBrokers.body), { loc: ['body', 'bootstrap_servers'] });
  const badSingular = await post(BYOK_CHECK, { bootstrap_server: 'a b:1' });
  t.is(badSingular.status, 422);
  t.like(firstIssue(badSingular.body), { loc: ['body', 'bootstrap_server'] });
  const noUser = await post(BYOK_CHECK, {
    bootstrap_servers: 'k:9092',
    security_protocol: 'SASL_SSL',
    sasl_mechanism: 'PLAIN',
    sasl_password: 'x',
  });
  t.is(noUser.status, 422);
  t.like(firstIssue(noUser.body), { loc: ['body', 'sasl_username'] });
});

// --- authentication -------------------------------------------------------------------------

test('every route needs an authenticated caller: 401 without a token or with a bad one, even for an invalid body', async (t) => {
  for (const path of [KAFKA_CHECK, LIST_TOPICS, FETCH, ORACLE_CHECK, PG_CHECK, BYOK_CHECK]) {
    for (const json of [plaintext({ topic }), {}]) {
      t.deepEqual(await post(path, json, null), { status: 401, body: { detail: 'Unauthorized' } }, path);
      t.is((await post(path, json, 'not-a-token')).status, 401, path);
    }
  }
});
