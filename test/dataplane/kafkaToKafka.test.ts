import test from 'ava';
import { randomUUID } from 'node:crypto';
import { asRecord } from '../http/apiFixtures';
import { testServer } from '../fixtures/testServers';
import {
  createOrdersToKafka,
  createTopic,
  DATAPLANE_RETENTION_MS,
  kafkaOf,
  orderMessages,
  produce,
  useDataPlane,
  until,
} from './dataplaneFixtures';

const world = useDataPlane(test);

async function topicRetentionMs(brokers: string, topic: string): Promise<string | undefined> {
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    // 2 is the TOPIC resource type (kafkajs's ConfigResourceTypes, not importable by name under ESM).
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }],
    });
    return described.resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue;
  } finally {
    await admin.disconnect();
  }
}

/** Every message of a topic as a read_committed consumer sees it: keys, values as text, headers as text. */
async function readTopic(
  brokers: string,
  topic: string,
  expected: number,
): Promise<{ key: string | null; text: string | null; headers: Record<string, string> }[]> {
  // Never auto-created by this reader: the worker must be the one creating the topic.
  const consumer = kafkaOf(brokers).consumer({ groupId: `reader-${randomUUID()}`, readUncommitted: false, allowAutoTopicCreation: false });
  const seen: { key: string | null; text: string | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  // The worker creates the topic when it starts: wait for it.
  await until(
    `topic ${topic}`,
    () =>
      consumer.subscribe({ topics: [topic], fromBeginning: true }).then(
        () => true,
        () => false,
      ),
    (ok) => ok,
    60_000,
  );
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
        seen.push({ key: message.key?.toString() ?? null, text: message.value?.toString() ?? null, headers });
      }
    },
  });
  await until(
    `${expected} messages in ${topic}`,
    async () => seen.length,
    (n) => n >= expected,
    120_000,
  );
  // A little longer: any duplicate beyond the expected count shows up too.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await consumer.disconnect();
  return seen;
}

for (const exactlyOnce of [false, true]) {
  test(`Kafka → Kafka${exactlyOnce ? ' exactly-once' : ''}: every valid message mapped once into the target topic, keyed by the primary key`, async (t) => {
    const { api, token } = world();
    const brokers = testServer('TEST_KAFKA_BROKERS');
    const suffix = randomUUID().slice(0, 8);
    const source = `k2k-in-${suffix}`;
    const target = `k2k-out-${suffix}`;
    await createTopic(brokers, source, 2);
    const { values, valid, invalid } = orderMessages(20_000, 50);
    const { pipelineId: id } = await createOrdersToKafka(world(), { brokers, source, target, exactlyOnce });
    await produce(brokers, source, values);
    t.is((await api.request('POST', `/pipelines/${id}/start`, { token })).body, 'BUILDING');

    const rows = (await readTopic(brokers, target, valid)).map(({ key, text }) => ({ key, value: JSON.parse(text ?? 'null') as unknown }));
    t.is(rows.length, valid, 'no message lost, none duplicated');
    t.is(new Set(rows.map((row) => row.key)).size, valid);
    t.deepEqual(
      rows.find((row) => row.key === '1'),
      { key: '1', value: { id: 1, name: 'customer-1', amount: 0.01, source: 'e2e' } },
    );
    // The error topic holds each rejected message as it was, with headers saying where from and why.
    const errors = await readTopic(brokers, `${target}-errors`, invalid);
    t.is(errors.length, invalid);
    t.is(
      new Set(errors.map(({ headers }) => `${headers['popsink.error.partition']}@${headers['popsink.error.offset']}`)).size,
      invalid,
      'each rejected message once',
    );
    t.like(errors[0]?.headers, { 'popsink.error.topic': source });
    t.true(values.includes(errors[0]?.text ?? ''), 'the original value');
    t.is(await topicRetentionMs(brokers, target), String(DATAPLANE_RETENTION_MS), "the topic the worker created has the env's retention");
    await until(
      'live',
      async () => asRecord((await api.request('GET', `/pipelines/${id}`, { token })).body)['state'],
      (state) => state === 'live',
      30_000,
    );
  });
}
