import test from 'ava';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { type KafkaSourceConfig, type KafkaTargetConfig } from '../../domain/connector/connectorConfig';
import { kafkaClientConfig } from '../../runtime/kafka/kafkaClientConfig';
import { checkCredentials, fetchMessages, listTopics } from '../../runtime/kafka/kafkaTools';
import { closedPort, withSilentListener } from '../fixtures/tcpPeers';
import { timed } from '../fixtures/timedCheck';
import { testServer } from '../fixtures/testServers';
import { seedTopics, type SeedMessage } from '../fixtures/kafkaTopics';

/**
 * Against a real broker (Apache Kafka 4.x, scripts/services/kafka.sh): PLAINTEXT on
 * TEST_KAFKA_BROKERS, SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256/512) on TEST_KAFKA_SASL_BROKERS.
 * `npm test` starts it and sets both. Unset, these tests fail: they never pass by skipping.
 */
const SASL_USER = 'popsink';
const SASL_PASSWORD = 'popsink-secret';

const plaintext = (topic = 'unused'): KafkaSourceConfig => ({
  topic,
  bootstrap_servers: testServer('TEST_KAFKA_BROKERS'),
  include_metadata: false,
});
const sasl = (mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', password = SASL_PASSWORD, topic = 'unused'): KafkaSourceConfig => ({
  topic,
  bootstrap_servers: testServer('TEST_KAFKA_SASL_BROKERS'),
  security_protocol: 'SASL_PLAINTEXT',
  sasl_mechanism: mechanism,
  sasl_username: SASL_USER,
  sasl_password: password,
  include_metadata: false,
});

// One topic with three partitions and 30 messages whose order is fixed by explicit timestamps:
// messages 0..19 round-robin over the partitions, 20..29 all in partition 2, so the newest
// messages overall are not spread evenly (a per-partition share of the limit would be wrong).
const topic = `popsink-test-fetch-${randomUUID()}`;
const emptyTopic = `popsink-test-empty-${randomUUID()}`;
const base = Date.UTC(2025, 10, 19, 10, 30, 0);
const produced: SeedMessage[] = Array.from({ length: 30 }, (_, i) => ({
  partition: i < 20 ? i % 3 : 2,
  key: i === 7 ? null : `key-${i}`,
  value: i === 8 ? 'not json: café' : JSON.stringify({ i, event_type: 'click' }),
  timestamp: new Date(base + i * 1000).toISOString(),
}));
test.before(() =>
  seedTopics(
    testServer('TEST_KAFKA_BROKERS'),
    [
      { topic, numPartitions: 3 },
      { topic: emptyTopic, numPartitions: 2 },
    ],
    topic,
    produced,
  ),
);

test.after.always(async () => {
  const brokers = process.env.TEST_KAFKA_BROKERS;
  if (brokers === undefined || brokers === '') return;
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, emptyTopic] }).catch(() => undefined);
  await admin.disconnect();
});

const newest = (n: number) =>
  produced.slice(produced.length - n).map(({ key, value, timestamp, partition }) => ({ key, value, timestamp, partition }));

// --- kafkaClientConfig (pure) ----------------------------------------------------------------

test('client config: brokers from the comma list, SASL per mechanism, fast-failing timeouts and retries', (t) => {
  const config = kafkaClientConfig({
    topic: 't',
    bootstrap_servers: ' k1:9093, k2 ',
    security_protocol: 'SASL_SSL',
    sasl_mechanism: 'SCRAM-SHA-512',
    sasl_username: 'u',
    sasl_password: 'p',
    include_metadata: false,
  });
  t.deepEqual(config.brokers, ['k1:9093', 'k2:9092']);
  t.deepEqual(config.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  t.is(config.ssl, true);
  t.true((config.requestTimeout ?? Infinity) < 10_000);
  t.true((config.connectionTimeout ?? Infinity) < 10_000);
  t.true((config.retry?.retries ?? Infinity) <= 2);
  t.is(config.clientId, 'popsink-on-prem');
  t.is(config.logLevel, logLevel.NOTHING);
});

test("client config: SSL trusts the connector's CA when given; PLAINTEXT has neither TLS nor SASL", (t) => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const target: KafkaTargetConfig = { bootstrap_server: 'k:9093', security_protocol: 'SSL', ca_cert: ca };
  t.deepEqual(kafkaClientConfig(target).ssl, { ca: [ca], rejectUnauthorized: true });
  t.is(kafkaClientConfig({ ...target, ca_cert: '' }).ssl, true);
  const plain = kafkaClientConfig({ bootstrap_server: 'k:9092', sasl_mechanism: 'PLAIN', sasl_username: 'u', sasl_password: 'p' });
  t.is(plain.ssl, false);
  t.is(plain.sasl, undefined);
});

// --- check-credentials -----------------------------------------------------------------------

test('check-credentials: ok on PLAINTEXT', async (t) => {
  const { ms, value, error } = await timed(() => checkCredentials(plaintext()));
  t.log(`PLAINTEXT ok in ${ms} ms`);
  t.is(error, undefined);
  t.deepEqual(value, { status: 'ok' });
});

for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`check-credentials: ok on SASL_PLAINTEXT with ${mechanism}`, async (t) => {
    const { ms, value, error } = await timed(() => checkCredentials(sasl(mechanism)));
    t.log(`SASL ${mechanism} ok in ${ms} ms`);
    t.is(error, undefined);
    t.deepEqual(value, { status: 'ok' });
  });

  test(`check-credentials: a wrong password is an authentication failure (${mechanism}), never echoed`, async (t) => {
    const wrong = `wrong-${randomUUID()}`;
    const { ms, error } = await timed(() => checkCredentials(sasl(mechanism, wrong)));
    t.log(`SASL ${mechanism} wrong password in ${ms} ms: ${error?.message}`);
    t.is(error?.reason, 'auth_failed');
    t.regex(error?.message ?? '', /^Authentication failed \(SASL /);
    t.regex(error?.message ?? '', /invalid (username or password|credentials)/i);
    t.false(error?.message.includes(wrong));
    t.true(ms < 10_000);
  });
}

test('check-credentials: an unknown host is reported as a DNS failure naming the host', async (t) => {
  const { ms, error } = await timed(() => checkCredentials({ ...plaintext(), bootstrap_servers: 'no-such-broker.invalid:9092' }));
  t.log(`unknown host in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'unknown_host');
  t.is(error?.message, "Unknown host: 'no-such-broker.invalid' could not be resolved");
  t.true(ms < 10_000);
});

test('check-credentials: a port nobody listens on is "connection refused"', async (t) => {
  const port = await closedPort();
  const { ms, error } = await timed(() => checkCredentials({ ...plaintext(), bootstrap_servers: `127.0.0.1:${port}` }));
  t.log(`refused in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'connection_refused');
  t.is(error?.message, `Connection refused by 127.0.0.1:${port}: no Kafka listener on that host and port`);
  t.true(ms < 10_000);
});

test('check-credentials: PLAINTEXT against the SASL listener, and SASL against the PLAINTEXT one, say so', async (t) => {
  const noSasl = await timed(() => checkCredentials({ ...plaintext(), bootstrap_servers: testServer('TEST_KAFKA_SASL_BROKERS') }));
  t.log(`PLAINTEXT on the SASL port in ${noSasl.ms} ms: ${noSasl.error?.message}`);
  t.is(noSasl.error?.reason, 'connection_closed');
  t.regex(noSasl.error?.message ?? '', /may require SASL or TLS/);
  const unexpected = await timed(() => checkCredentials({ ...sasl('PLAIN'), bootstrap_servers: testServer('TEST_KAFKA_BROKERS') }));
  t.log(`SASL on the PLAINTEXT port in ${unexpected.ms} ms: ${unexpected.error?.message}`);
  t.is(unexpected.error?.reason, 'connection_closed');
  t.regex(unexpected.error?.message ?? '', /does not expect SASL/);
});

test('check-credentials: TLS against a plaintext listener is a TLS failure', async (t) => {
  const { ms, error } = await timed(() => checkCredentials({ ...plaintext(), security_protocol: 'SSL' }));
  t.log(`SSL on the PLAINTEXT port in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'tls_failed');
});

test('check-credentials: a listener that never answers is a timeout within 10 s', async (t) => {
  await withSilentListener(async (port) => {
    const { ms, error } = await timed(() => checkCredentials({ ...plaintext(), bootstrap_servers: `127.0.0.1:${port}` }));
    t.log(`silent listener in ${ms} ms: ${error?.message}`);
    t.is(error?.reason, 'timeout');
    t.true(ms < 10_000, `${ms} ms`);
  });
});

test('the hard deadline holds whatever kafkajs does (here a 1.5 s budget)', async (t) => {
  await withSilentListener(async (port) => {
    const { ms, error } = await timed(() => listTopics({ ...plaintext(), bootstrap_servers: `127.0.0.1:${port}` }, { timeoutMs: 1500 }));
    t.log(`list-topics, 1.5 s budget on a silent listener: ${ms} ms: ${error?.message}`);
    t.is(error?.reason, 'timeout');
    t.true(ms < 1500, `${ms} ms`);
    const fetch = await timed(() =>
      fetchMessages({ ...plaintext(topic), bootstrap_servers: `127.0.0.1:${port}` }, 10, { timeoutMs: 1500 }),
    );
    t.log(`fetch-messages, 1.5 s budget on a silent listener: ${fetch.ms} ms`);
    t.is(fetch.error?.reason, 'timeout');
    t.true(fetch.ms < 1500, `${fetch.ms} ms`);
  });
});

// --- list-topics -----------------------------------------------------------------------------

test('list-topics: has the topics the test created, none of the internal ones', async (t) => {
  const { ms, value } = await timed(() => listTopics(plaintext()));
  t.log(`list-topics in ${ms} ms (${value?.length} topics)`);
  t.true(value?.includes(topic));
  t.true(value?.includes(emptyTopic));
  t.false(value?.some((name) => name.startsWith('__')));
  t.deepEqual(value, [...(value ?? [])].sort());
  const overSasl = await listTopics(sasl('SCRAM-SHA-256'));
  t.true(overSasl.includes(topic));
});

// --- fetch-messages --------------------------------------------------------------------------

test.serial('fetch-messages: the last 10 by default, oldest first, and no consumer group left behind', async (t) => {
  const { ms, value } = await timed(() => fetchMessages(plaintext(topic)));
  t.log(`fetch-messages (10) in ${ms} ms`);
  t.deepEqual(
    value?.map(({ key, value: v, timestamp, partition }) => ({ key, value: v, timestamp, partition })),
    newest(10),
  );
  // The throwaway group is gone (serial test: no other preview runs meanwhile).
  const admin = new Kafka({ brokers: [testServer('TEST_KAFKA_BROKERS')], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const { groups } = await admin.listGroups();
  await admin.disconnect();
  t.deepEqual(
    groups.filter(({ groupId }) => groupId.startsWith('popsink-preview-')),
    [],
  );
});

test("fetch-messages: respects the limit, across partitions; offsets are the partition's", async (t) => {
  const four = await fetchMessages(plaintext(topic), 4);
  t.deepEqual(
    four.map(({ key }) => key),
    ['key-26', 'key-27', 'key-28', 'key-29'],
  );
  // Partition 2 holds 6 (i = 2, 5, ..., 17) + 10 (i = 20..29) messages: key-29 is its offset 15.
  t.like(four[3], { partition: 2, offset: 15 });
  const twelve = await fetchMessages(plaintext(topic), 12);
  t.deepEqual(
    twelve.map(({ key, partition }) => ({ key, partition })),
    newest(12).map(({ key, partition }) => ({ key, partition })),
  );
  t.deepEqual(new Set(twelve.map(({ partition }) => partition)), new Set([0, 1, 2]));
  const all = await fetchMessages(plaintext(topic), 1000);
  t.is(all.length, 30);
  t.deepEqual(
    all.map(({ key, value, timestamp, partition }) => ({ key, value, timestamp, partition })),
    newest(30),
  );
});

test('fetch-messages: keys and values are UTF-8 text, not parsed; a null key stays null', async (t) => {
  const all = await fetchMessages(plaintext(topic), 30);
  t.like(all[7], { key: null });
  t.like(all[8], { value: 'not json: café' });
  t.like(all[9], { value: '{"i":9,"event_type":"click"}', timestamp: new Date(base + 9000).toISOString() });
});

test('fetch-messages: works over SASL too', async (t) => {
  const { ms, value } = await timed(() => fetchMessages(sasl('SCRAM-SHA-512', SASL_PASSWORD, topic), 3));
  t.log(`fetch-messages over SASL SCRAM-SHA-512 in ${ms} ms`);
  t.deepEqual(
    value?.map(({ key }) => key),
    ['key-27', 'key-28', 'key-29'],
  );
});

test('fetch-messages: an empty topic gives an empty list', async (t) => {
  t.deepEqual(await fetchMessages(plaintext(emptyTopic)), []);
});

test('fetch-messages: a missing topic is reported, and not created', async (t) => {
  const missing = `popsink-test-missing-${randomUUID()}`;
  const { ms, error } = await timed(() => fetchMessages(plaintext(missing)));
  t.log(`missing topic in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'unknown_topic');
  t.is(error?.message, `Topic '${missing}' does not exist (or this user is not allowed to describe it)`);
  t.false((await listTopics(plaintext())).includes(missing));
});

test('fetch-messages: wrong password and unknown host fail like the check does', async (t) => {
  const wrong = await timed(() => fetchMessages(sasl('PLAIN', 'not-the-password', topic)));
  t.is(wrong.error?.reason, 'auth_failed');
  t.false(wrong.error?.message.includes('not-the-password'));
  const nowhere = await timed(() => fetchMessages({ ...plaintext(topic), bootstrap_servers: 'no-such-broker.invalid:9092' }));
  t.is(nowhere.error?.reason, 'unknown_host');
});

test('fetch-messages: the limit is 1 to 1000', async (t) => {
  await t.throwsAsync(() => fetchMessages(plaintext(topic), 0), { instanceOf: RangeError });
  await t.throwsAsync(() => fetchMessages(plaintext(topic), 1001), { instanceOf: RangeError });
});
