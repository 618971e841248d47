import test from 'ava';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaSourceConfig, KafkaTargetConfig } from '../../domain/connector/connectorConfig';
import { checkCredentials, fetchMessages, listTopics } from '../../runtime/kafka/kafkaTools';
import { kafkaTarget } from '../../runtime/targets/kafkaTarget';
import type { TableSpec } from '../../runtime/targets/rowTarget';
import { seedTopics, type SeedMessage } from '../fixtures/kafkaTopics';
import { timed } from '../fixtures/timedCheck';
import { testServer } from '../fixtures/testServers';

/**
 * TLS against a real broker (scripts/services/kafka.sh): SSL on TEST_KAFKA_SSL_BROKERS,
 * SASL_SSL (SCRAM) on TEST_KAFKA_SASL_SSL_BROKERS, both with a certificate for 127.0.0.1 signed
 * by a test CA whose PEM is at TEST_KAFKA_CA_CERT. Topics are seeded and cleaned up over
 * PLAINTEXT (TEST_KAFKA_BROKERS). `npm test` sets all four; unset, these tests fail.
 */
const caCert = (): string => readFileSync(testServer('TEST_KAFKA_CA_CERT'), 'utf8');
/** A real CA that did not sign the broker's certificate. */
const wrongCa = rootCertificates[0] ?? '';

const ssl = (overrides: Partial<KafkaSourceConfig> = {}): KafkaSourceConfig => ({
  topic,
  bootstrap_servers: testServer('TEST_KAFKA_SSL_BROKERS'),
  security_protocol: 'SSL',
  ca_cert: caCert(),
  include_metadata: false,
  ...overrides,
});
const saslSsl = (overrides: Partial<KafkaSourceConfig> = {}): KafkaSourceConfig => ({
  ...ssl(overrides),
  bootstrap_servers: testServer('TEST_KAFKA_SASL_SSL_BROKERS'),
  security_protocol: 'SASL_SSL',
  sasl_mechanism: 'SCRAM-SHA-256',
  sasl_username: 'popsink',
  sasl_password: 'popsink-secret',
  ...overrides,
});

const topic = `popsink-test-tls-${randomUUID()}`;
const targetTopic = `popsink-test-tls-target-${randomUUID().slice(0, 8)}`;
const base = Date.UTC(2025, 10, 19, 10, 30, 0);
const produced: SeedMessage[] = Array.from({ length: 5 }, (_, i) => ({
  partition: 0,
  key: `key-${i}`,
  value: JSON.stringify({ i }),
  timestamp: new Date(base + i * 1000).toISOString(),
}));

const plainKafka = (): Kafka => new Kafka({ brokers: testServer('TEST_KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });

test.before(() => seedTopics(testServer('TEST_KAFKA_BROKERS'), [{ topic, numPartitions: 1 }], topic, produced));

test.after.always(async () => {
  if ((process.env.TEST_KAFKA_BROKERS ?? '') === '') return;
  const admin = plainKafka().admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  await admin.deleteTopics({ topics: [topic, targetTopic].filter((name) => existing.has(name)) }).catch(() => undefined);
  await admin.disconnect();
});

for (const [protocol, config] of [
  ['SSL', ssl],
  ['SASL_SSL (SCRAM-SHA-256)', saslSsl],
] as const) {
  test(`${protocol}: check-credentials, topics and messages with the CA as ca_cert`, async (t) => {
    const check = await timed(() => checkCredentials(config()));
    t.log(`${protocol} check ok in ${check.ms} ms`);
    t.is(check.error, undefined);
    t.deepEqual(check.value, { status: 'ok' });

    t.true((await listTopics(config())).includes(topic));

    const messages = await fetchMessages(config(), 3);
    t.deepEqual(
      messages.map(({ key, value }) => ({ key, value })),
      produced.slice(2).map(({ key, value }) => ({ key, value })),
    );
  });

  for (const [label, ca] of [
    ['without ca_cert (the system CAs do not trust ours)', undefined],
    ['with a CA that did not sign the broker', wrongCa],
  ] as const) {
    test(`${protocol}: fails cleanly ${label}`, async (t) => {
      const { ms, error } = await timed(() => checkCredentials(config({ ca_cert: ca })));
      t.log(`${protocol} ${label}: ${ms} ms: ${error?.message}`);
      t.is(error?.reason, 'tls_failed');
      t.regex(error?.message ?? '', /certificate/i);
      t.false(error?.message.includes('popsink-secret'));
      t.true(ms < 10_000);
    });
  }
}

test('SSL: a ca_cert bundle that also holds a private key (a secret, see secretFieldsOf) still verifies the broker', async (t) => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  t.deepEqual(await checkCredentials(ssl({ ca_cert: `${caCert()}${key}` })), { status: 'ok' });
});

test('SSL: listTopics and fetchMessages fail with the same TLS error without the CA', async (t) => {
  const topics = await timed(() => listTopics(ssl({ ca_cert: undefined })));
  t.is(topics.error?.reason, 'tls_failed');
  t.true(topics.ms < 10_000);
  const fetched = await timed(() => fetchMessages(ssl({ ca_cert: undefined }), 3));
  t.is(fetched.error?.reason, 'tls_failed');
  t.true(fetched.ms < 10_000);
});

test('the Kafka row target prepares its topic and writes over SSL', async (t) => {
  const config: KafkaTargetConfig = { bootstrap_server: testServer('TEST_KAFKA_SSL_BROKERS'), security_protocol: 'SSL', ca_cert: caCert() };
  const table: TableSpec = {
    name: targetTopic,
    columns: [
      { name: 'id', type: 'int', primary_key: true, nullable: false },
      { name: 'name', type: 'string', primary_key: false, nullable: true },
    ],
  };
  const target = kafkaTarget(config, { clientId: 'popsink-test-tls' });
  try {
    await target.prepare(table);
    await target.write(table, [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
  } finally {
    await target.close();
  }
  const admin = plainKafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(targetTopic);
    t.is(
      offsets.reduce((sum, { high }) => sum + Number(high), 0),
      2,
    );
  } finally {
    await admin.disconnect();
  }
});

test('the Kafka row target refuses a broker it cannot verify, as a permanent TLS failure', async (t) => {
  const config: KafkaTargetConfig = { bootstrap_server: testServer('TEST_KAFKA_SSL_BROKERS'), security_protocol: 'SSL', ca_cert: wrongCa };
  const target = kafkaTarget(config, { clientId: 'popsink-test-tls', connectionTimeoutMs: 3000, retries: 0 });
  try {
    const error = await t.throwsAsync(() => target.prepare({ name: targetTopic, columns: [] }));
    t.like(error, { kind: 'permanent', code: 'tls_failed' });
  } finally {
    await target.close();
  }
});
