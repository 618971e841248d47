import test from 'ava';
import { randomUUID } from 'node:crypto';
import kafkajs, { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import type { KafkaTargetConfig } from '../../domain/connector/connectorConfig';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import { kafkaTarget, type KafkaTargetOptions } from '../../runtime/targets/kafkaTarget';
import { TargetError, type Row, type RowTarget, type TableSpec } from '../../runtime/targets/rowTarget';
import { closedPort } from '../fixtures/tcpPeers';
import { testServer } from '../fixtures/testServers';

/**
 * Against a real broker (Apache Kafka 4.x, scripts/services/kafka.sh): PLAINTEXT on
 * TEST_KAFKA_BROKERS, SASL_PLAINTEXT on TEST_KAFKA_SASL_BROKERS; `npm test` sets both. Unset,
 * these tests fail: they never pass by skipping. Each test writes to topics of its own.
 */
const SASL_USER = 'popsink';
const SASL_PASSWORD = 'popsink-secret';

const plaintext = (): KafkaTargetConfig => ({ bootstrap_server: testServer('TEST_KAFKA_BROKERS') });
const scram = (password = SASL_PASSWORD): KafkaTargetConfig => ({
  bootstrap_server: testServer('TEST_KAFKA_SASL_BROKERS'),
  security_protocol: 'SASL_PLAINTEXT',
  sasl_mechanism: 'SCRAM-SHA-512',
  sasl_username: SASL_USER,
  sasl_password: password,
});

const created: string[] = [];
const topicName = (label: string): string => {
  const name = `popsink-test-target-${label}-${randomUUID().slice(0, 8)}`;
  created.push(name);
  return name;
};

// Not a named export under ESM: Node's CommonJS export detection stops before it in kafkajs's index.
const { ConfigResourceTypes } = kafkajs;

const kafka = (): Kafka => new Kafka({ brokers: [testServer('TEST_KAFKA_BROKERS')], logLevel: logLevel.NOTHING });

async function withAdmin<T>(run: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.disconnect();
  }
}

test.after.always(async () => {
  if (created.length === 0 || (process.env.TEST_KAFKA_BROKERS ?? '') === '') return;
  // Only those that exist: kafkajs retries the deletion of a missing topic for seconds.
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics({ topics: created.filter((topic) => existing.has(topic)) });
  }).catch(() => undefined);
});

async function withTarget(
  config: KafkaTargetConfig,
  run: (target: RowTarget) => Promise<void>,
  options: Partial<KafkaTargetOptions> = {},
): Promise<void> {
  const target = kafkaTarget(config, { clientId: 'popsink-test-target', ...options });
  try {
    await run(target);
  } finally {
    await target.close();
  }
}

const column = (name: string, type: MapperColumn['type'], primary_key = false): MapperColumn => ({
  name,
  type,
  nullable: !primary_key,
  primary_key,
});

/**
 * The first `count` messages of a topic, read from the beginning by a throwaway group;
 * read_committed unless asked otherwise (kafkajs's default, as a downstream consumer would).
 */
async function consume(topic: string, count: number, { readUncommitted = false } = {}): Promise<(KafkaMessage & { partition: number })[]> {
  const consumer = kafka().consumer({ groupId: `popsink-test-reader-${randomUUID()}`, readUncommitted, maxWaitTimeInMs: 100 });
  const messages: (KafkaMessage & { partition: number })[] = [];
  let timer: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${messages.length} of ${count} messages of ${topic} within 30 s`)), 30_000);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            messages.push(...batch.messages.map((message) => ({ ...message, partition: batch.partition })));
            if (messages.length >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return messages.slice(0, count);
}

/** The exactly-once method of a target built with a transactionalId (which must have it). */
function writeWithOffsets(target: RowTarget): NonNullable<RowTarget['writeWithOffsets']> {
  if (target.writeWithOffsets === undefined) throw new Error('the target has no writeWithOffsets');
  return target.writeWithOffsets.bind(target);
}

const text = (buffer: Buffer | null): string | null => (buffer === null ? null : buffer.toString('utf8'));
const keysAndValues = (messages: readonly KafkaMessage[]) => messages.map(({ key, value }) => ({ key: text(key), value: text(value) }));

/** Fails the test unless `run` throws a TargetError; answers it and how long it took. */
async function targetFailure(run: () => Promise<void>): Promise<{ error: TargetError; ms: number }> {
  const started = Date.now();
  try {
    await run();
  } catch (error: unknown) {
    if (error instanceof TargetError) return { error, ms: Date.now() - started };
    throw error;
  }
  throw new Error('expected a TargetError');
}

/** Polls until the group's committed offsets of the topic are what `expected` says (markers are written after commit returns). */
async function committedOffsets(groupId: string, topic: string, expected: string): Promise<string[]> {
  return withAdmin(async (admin) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const found = (offsets?.partitions ?? []).map(({ offset }) => offset);
      if (found.every((offset) => offset === expected) || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
}

// --- prepare ---------------------------------------------------------------------------------

test("prepare creates the missing topic with the environment's retention", async (t) => {
  const topic = topicName('retention');
  const table: TableSpec = { name: topic, columns: [column('id', 'int', true)] };
  await withTarget(plaintext(), (target) => target.prepare(table), { retention: { retention_ms: 3_600_000, retention_bytes: 10_485_760 } });
  const configs = await withAdmin((admin) =>
    admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'retention.bytes'] }],
      includeSynonyms: false,
    }),
  );
  const entries = Object.fromEntries(
    (configs.resources[0]?.configEntries ?? []).map(({ configName, configValue }) => [configName, configValue]),
  );
  t.deepEqual(entries, { 'retention.ms': '3600000', 'retention.bytes': '10485760' });
});

test('prepare keeps an existing topic as it is; a key always lands on the same partition', async (t) => {
  const topic = topicName('existing');
  await withAdmin((admin) =>
    admin.createTopics({
      topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '86400000' }] }],
      waitForLeaders: true,
    }),
  );
  const table: TableSpec = { name: topic, columns: [column('id', 'string', true), column('n', 'int')] };
  const rows = Array.from({ length: 60 }, (_, n) => ({ id: `k${n % 6}`, n }));
  await withTarget(
    plaintext(),
    async (target) => {
      await target.prepare(table);
      await target.prepare(table);
      await target.write(table, rows);
    },
    { retention: { retention_ms: 1000 } },
  );
  const [metadata, configs] = await withAdmin((admin) =>
    Promise.all([
      admin.fetchTopicMetadata({ topics: [topic] }),
      admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
        includeSynonyms: false,
      }),
    ]),
  );
  t.is(metadata.topics[0]?.partitions.length, 3);
  t.is(configs.resources[0]?.configEntries[0]?.configValue, '86400000');

  const partitionsByKey = new Map<string, Set<number>>();
  for (const { key, partition } of await consume(topic, rows.length)) {
    partitionsByKey.set(text(key) ?? '', (partitionsByKey.get(text(key) ?? '') ?? new Set()).add(partition));
  }
  t.is(partitionsByKey.size, 6);
  t.true([...partitionsByKey.values()].every((partitions) => partitions.size === 1));
});

// --- write -----------------------------------------------------------------------------------

test('write: one key column is the key as text; the value is the row as JSON, in column order', async (t) => {
  const topic = topicName('single');
  const table: TableSpec = {
    name: topic,
    columns: [column('name', 'string'), column('id', 'int', true), column('tags', 'json'), column('at', 'datetime')],
  };
  await withTarget(plaintext(), async (target) => {
    await target.prepare(table);
    await target.write(table, [
      { id: 42, name: 'Ada', tags: ['x', { y: 1 }], at: '2025-11-19T10:30:00Z' },
      { at: null, id: 'text-id', name: 'Bob' },
    ]);
  });
  t.deepEqual(keysAndValues(await consume(topic, 2)), [
    { key: '42', value: '{"name":"Ada","id":42,"tags":["x",{"y":1}],"at":"2025-11-19T10:30:00Z"}' },
    { key: 'text-id', value: '{"name":"Bob","id":"text-id","tags":null,"at":null}' },
  ]);
});

test('write: several key columns make a JSON array key; no key column, no key', async (t) => {
  const composite: TableSpec = {
    name: topicName('composite'),
    columns: [column('region', 'string', true), column('id', 'int', true), column('v', 'float')],
  };
  const keyless: TableSpec = { name: topicName('keyless'), columns: [column('v', 'bool')] };
  await withTarget(plaintext(), async (target) => {
    await target.prepare(composite);
    await target.prepare(keyless);
    await target.write(composite, [{ region: 'eu', id: 7, v: 1.5 }]);
    await target.write(keyless, [{ v: true }, { v: false }]);
  });
  t.deepEqual(keysAndValues(await consume(composite.name, 1)), [{ key: '["eu",7]', value: '{"region":"eu","id":7,"v":1.5}' }]);
  t.deepEqual(keysAndValues(await consume(keyless.name, 2)), [
    { key: null, value: '{"v":true}' },
    { key: null, value: '{"v":false}' },
  ]);
});

test('write: a 10k-row batch (more than a record batch may hold) lands entirely, once', async (t) => {
  const topic = topicName('bulk');
  const table: TableSpec = { name: topic, columns: [column('id', 'int', true), column('payload', 'string')] };
  const rows: Row[] = Array.from({ length: 10_000 }, (_, id) => ({ id, payload: `row ${id} `.padEnd(200, '.') }));
  let ms = 0;
  await withTarget(plaintext(), async (target) => {
    await target.prepare(table);
    const started = Date.now();
    await target.write(table, rows);
    ms = Date.now() - started;
  });
  t.log(`10k rows (~2.3 MB) in ${ms} ms: ${Math.round(10_000 / (ms / 1000))} rows/s`);
  const [offsets] = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  t.is(offsets?.high, '10000');
  const messages = await consume(topic, 10_000);
  t.deepEqual(
    messages.map(({ key }) => text(key)),
    rows.map(({ id }) => String(id)),
  );
});

test('write: a row larger than the broker accepts is a rejection of that row, with the error name the broker gave', async (t) => {
  const table: TableSpec = { name: topicName('too-large'), columns: [column('id', 'int', true), column('blob', 'string')] };
  await withTarget(plaintext(), async (target) => {
    await target.prepare(table);
    const { error } = await targetFailure(() => target.write(table, [{ id: 1, blob: 'x'.repeat(2 * 1024 * 1024) }]));
    t.log(error.message);
    t.is(error.kind, 'rejected');
    t.is(error.targetCode, 'MESSAGE_TOO_LARGE');
    // The target recovers: the next batch goes through.
    await target.write(table, [{ id: 2, blob: 'small' }]);
  });
  t.deepEqual(keysAndValues(await consume(table.name, 1)), [{ key: '2', value: '{"id":2,"blob":"small"}' }]);
});

test('write over SASL_PLAINTEXT with SCRAM-SHA-512', async (t) => {
  const table: TableSpec = { name: topicName('scram'), columns: [column('id', 'int', true)] };
  await withTarget(scram(), async (target) => {
    await target.prepare(table);
    await target.write(table, [{ id: 1 }]);
  });
  t.deepEqual(keysAndValues(await consume(table.name, 1)), [{ key: '1', value: '{"id":1}' }]);
});

// --- failures --------------------------------------------------------------------------------

test('a port nobody listens on is a transient failure, within a bounded time', async (t) => {
  const port = await closedPort();
  const table: TableSpec = { name: topicName('refused'), columns: [column('id', 'int', true)] };
  await withTarget({ bootstrap_server: `127.0.0.1:${port}` }, async (target) => {
    const prepare = await targetFailure(() => target.prepare(table));
    t.log(`prepare refused in ${prepare.ms} ms: ${prepare.error.message}`);
    t.like(prepare.error, { kind: 'transient', code: 'connection_refused' });
    t.true(prepare.ms < 15_000, `${prepare.ms} ms`);
    const write = await targetFailure(() => target.write(table, [{ id: 1 }]));
    t.is(write.error.kind, 'transient');
    t.true(write.ms < 15_000, `${write.ms} ms`);
  });
});

test('a wrong SASL password is a permanent failure whose message does not quote it', async (t) => {
  const wrong = `wrong-${randomUUID()}`;
  const table: TableSpec = { name: topicName('wrong-password'), columns: [column('id', 'int', true)] };
  await withTarget(scram(wrong), async (target) => {
    const { error, ms } = await targetFailure(() => target.prepare(table));
    t.log(`wrong password in ${ms} ms: ${error.message}`);
    t.like(error, { kind: 'permanent', code: 'auth_failed' });
    t.false(error.message.includes(wrong));
  });
});

test('close is idempotent; without a transactionalId there is no writeWithOffsets', async (t) => {
  const target = kafkaTarget(plaintext(), { clientId: 'popsink-test-target' });
  t.is(target.writeWithOffsets, undefined);
  await target.prepare({ name: topicName('close'), columns: [column('id', 'int', true)] });
  await target.close();
  await target.close();
  t.pass();
});

// --- exactly-once ----------------------------------------------------------------------------

test('writeWithOffsets: rows and source offsets commit together; the group resumes after them', async (t) => {
  const source = topicName('eos-source');
  const table: TableSpec = { name: topicName('eos-target'), columns: [column('id', 'int', true), column('n', 'int')] };
  const groupId = `popsink-test-eos-${randomUUID()}`;
  await withAdmin((admin) => admin.createTopics({ topics: [{ topic: source }], waitForLeaders: true }));
  const producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: source, messages: Array.from({ length: 5 }, (_, id) => ({ value: JSON.stringify({ id, n: id * 10 }) })) });

  let commitMs = 0;
  await withTarget(
    plaintext(),
    async (target) => {
      await target.prepare(table);
      // The worker's loop, reduced: map a batch, write it with the offset after its last message.
      const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: source, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const rows = batch.messages.map(({ value }) => JSON.parse(text(value) ?? 'null') as Row);
              const next = (BigInt(batch.lastOffset()) + 1n).toString();
              const started = Date.now();
              await writeWithOffsets(target)(table, [{ kind: 'upsert', rows }], {
                consumerGroupId: groupId,
                topic: source,
                partitions: [{ partition: batch.partition, offset: next }],
              });
              commitMs = Date.now() - started;
              if (next === '5') resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
    },
    { transactionalId: `popsink-test-tx-${randomUUID()}` },
  );
  t.log(`writeWithOffsets (last batch) committed in ${commitMs} ms`);

  t.deepEqual(await committedOffsets(groupId, source, '5'), ['5']);
  t.deepEqual(
    keysAndValues(await consume(table.name, 5)).map(({ key }) => key),
    ['0', '1', '2', '3', '4'],
  );
  // A consumer of the group now starts after the written batch.
  await producer.send({ topic: source, messages: [{ value: 'after' }] });
  await producer.disconnect();
  const resumed = kafka().consumer({ groupId, maxWaitTimeInMs: 100 });
  await resumed.connect();
  await resumed.subscribe({ topic: source, fromBeginning: true });
  const first = await new Promise<KafkaMessage>((resolve, reject) => {
    resumed.run({ autoCommit: false, eachMessage: async ({ message }) => resolve(message) }).catch(reject);
  });
  await resumed.disconnect();
  t.like(first, { offset: '5' });
  t.is(text(first.value), 'after');
});

test('writeWithOffsets: a failed transaction is aborted: its rows stay invisible and its offsets uncommitted', async (t) => {
  const source = topicName('abort-source');
  const table: TableSpec = { name: topicName('abort-target'), columns: [column('id', 'int', true), column('blob', 'string')] };
  const abortedGroup = `popsink-test-aborted-${randomUUID()}`;
  const committedGroup = `popsink-test-committed-${randomUUID()}`;
  await withAdmin((admin) => admin.createTopics({ topics: [{ topic: source }], waitForLeaders: true }));
  const offsets = (consumerGroupId: string, offset: string) => ({ consumerGroupId, topic: source, partitions: [{ partition: 0, offset }] });
  // The small rows go out in a first send of the transaction; the oversized one fails the second.
  const failing: Row[] = [
    { id: 1, blob: 'a' },
    { id: 2, blob: 'b' },
    { id: 3, blob: 'x'.repeat(2 * 1024 * 1024) },
  ];

  await withTarget(
    plaintext(),
    async (target) => {
      await target.prepare(table);
      const { error } = await targetFailure(() =>
        writeWithOffsets(target)(table, [{ kind: 'upsert', rows: failing }], offsets(abortedGroup, '3')),
      );
      t.log(`aborted: ${error.message}`);
      t.is(error.kind, 'rejected');
      await writeWithOffsets(target)(table, [{ kind: 'upsert', rows: [{ id: 4, blob: 'd' }] }], offsets(committedGroup, '4'));
    },
    { transactionalId: `popsink-test-tx-${randomUUID()}` },
  );

  // The aborted rows did reach the log: read_uncommitted sees them, read_committed does not.
  t.deepEqual(
    (await consume(table.name, 3, { readUncommitted: true })).map(({ key }) => text(key)),
    ['1', '2', '4'],
  );
  t.deepEqual(
    (await consume(table.name, 1)).map(({ key }) => text(key)),
    ['4'],
  );
  t.deepEqual(await committedOffsets(committedGroup, source, '4'), ['4']);
  // The committed transaction came after the aborted one ended: nothing of it is pending.
  t.deepEqual(await committedOffsets(abortedGroup, source, '-1'), ['-1']);
});
