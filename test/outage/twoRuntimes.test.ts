import test from 'ava';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AssignerProtocol } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { RUNTIME_METRICS } from '../../projections/collections';
import { testServer } from '../fixtures/testServers';
import { asRecord, type Api } from '../http/apiFixtures';
import {
  createOrdersToPostgres,
  createTopic,
  kafkaOf,
  killProcessGroup,
  orderMessages,
  pipelineState,
  produce,
  rowCounts,
  separateProcessesEnv,
  spawnRuntime,
  startDataPlane,
  until,
} from '../dataplane/dataplaneFixtures';

/**
 * Two runtime processes (distinct POPSINK_RUNTIME_ID, one data dir, one MongoDB database) and the
 * API in this process: both run a worker for the subscription and split the source partitions
 * through its consumer group; every valid row lands once; after one runtime is SIGKILLed, the
 * other takes over every partition and what is produced next lands too.
 */
const MESSAGES = Number(process.env['OUTAGE_TWO_RUNTIMES_MESSAGES'] ?? 200_000);
const MORE = Math.max(1000, Math.round(MESSAGES / 10));
const PARTITIONS = 4;
const INVALID_EVERY = 1000;

const shared = separateProcessesEnv();
const RUNTIME_IDS = ['runtime-a', 'runtime-b'] as const;

let api: Api | undefined;
let mongo: MongoClient | undefined;
const runtimes = new Map<string, { child: ChildProcess; output: string[] }>();

test.after.always(async () => {
  await Promise.all([...runtimes.values()].map(({ child }) => killProcessGroup(child)));
  await mongo?.close();
  await api?.stop();
});

/** Starts a runtime and waits for its "popsink runtime started" line. */
async function startRuntime(runtimeId: string): Promise<void> {
  const output: string[] = [];
  const child = spawnRuntime({ ...shared, POPSINK_RUNTIME_ID: runtimeId, POPSINK_LOG_LEVEL: 'info' }, output);
  runtimes.set(runtimeId, { child, output });
  await until(
    `${runtimeId} started`,
    async () => ({ exited: child.exitCode, started: output.join('').includes('popsink runtime started') }),
    ({ exited, started }) => started || exited !== null,
    60_000,
  );
  if (child.exitCode !== null) throw new Error(`${runtimeId} exited ${child.exitCode}: ${output.join('').slice(-2000)}`);
}

const tail = (): string => [...runtimes].map(([id, { output }]) => `--- ${id}\n${output.join('').slice(-2000)}`).join('\n');

interface MetricsDoc {
  runtime_id: string;
  messages_in: number;
  messages_out: number;
  errors: number;
  partitions: { partition: number; offset: string; lag: number }[];
}

/** Each runtime's metrics document of the pipeline (one per runtime and subscription), as the runtimes flushed them. */
async function metricsByRuntime(pipelineId: string): Promise<Map<string, MetricsDoc>> {
  const docs = await mongo!
    .db(shared['POPSINK_MONGO_DATABASE'])
    .collection(RUNTIME_METRICS)
    .find({ pipeline_id: pipelineId, _deleted: { $ne: true } })
    .toArray();
  return new Map(docs.map((doc) => [String(doc['runtime_id']), doc as unknown as MetricsDoc]));
}

/** The source topic's end offsets, by partition. */
async function endOffsets(brokers: string, topic: string): Promise<Map<number, string>> {
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, high]));
  } finally {
    await admin.disconnect();
  }
}

/** The consumer group's members and their partitions of `topic`. */
async function groupMembers(brokers: string, groupId: string, topic: string): Promise<{ state: string; members: number[][] }> {
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    const [group] = (await admin.describeGroups([groupId])).groups;
    const members = (group?.members ?? []).map((member) =>
      [...(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[topic] ?? [])].sort(),
    );
    return { state: group?.state ?? 'unknown', members };
  } finally {
    await admin.disconnect();
  }
}

/** The partitions whose reported next offset is the topic's end offset, per runtime. */
const caughtUp = (doc: MetricsDoc | undefined, ends: Map<number, string>): number[] =>
  (doc?.partitions ?? [])
    .filter(({ partition, offset }) => ends.get(partition) === offset)
    .map(({ partition }) => partition)
    .sort();

test(`two runtimes share ${PARTITIONS} partitions of ${MESSAGES} messages; one SIGKILLed, the other takes over`, async (t) => {
  const world = await startDataPlane({ ...shared, POPSINK_ROLE: 'api' });
  api = world.api;
  mongo = await MongoClient.connect(shared['POPSINK_MONGO_URL'] ?? '');
  const brokers = testServer('TEST_KAFKA_BROKERS');
  testServer('TEST_PG_URL');
  const suffix = randomUUID().slice(0, 8);
  const topic = `two-runtimes-${suffix}`;
  const table = `two_runtimes_${suffix}`;
  await createTopic(brokers, topic, PARTITIONS);
  const { pipelineId } = await createOrdersToPostgres(world, { brokers, topic, table });
  const groupId = asRecord((await api.request('GET', `/pipelines/${pipelineId}`, { token: world.token })).body)['subscription_consumer_id'];
  t.is(typeof groupId, 'string');

  // Ids 0..MESSAGES+MORE-1; the first MESSAGES once both runtimes hold partitions, the rest after one runtime died.
  const all = orderMessages(MESSAGES + MORE, INVALID_EVERY);
  const first = orderMessages(MESSAGES, INVALID_EVERY);

  await Promise.all(RUNTIME_IDS.map(startRuntime));
  const started = Date.now();
  t.is((await api.request('POST', `/pipelines/${pipelineId}/start`, { token: world.token })).body, 'BUILDING');

  // (a) both runtimes in the group, each with some partitions, before there is anything to read:
  // one worker alone drains the whole backlog in seconds, so a backlog produced first races the second join.
  const group = await until(
    'two members with partitions each',
    () => groupMembers(brokers, String(groupId), topic),
    ({ state, members }) => state === 'Stable' && members.length === 2 && members.every((partitions) => partitions.length > 0),
    60_000,
  );
  t.log(`consumer group ${group.state} ${Date.now() - started} ms after the start: members' partitions ${JSON.stringify(group.members)}`);

  // Each runtime reports its partitions at assignment, before any message of theirs. The documents
  // are flushed about once a second: one may still show the whole topic from before the rebalance.
  const reported = (docs: Map<string, MetricsDoc>) =>
    [...docs.values()].flatMap((doc) => doc.partitions.map(({ partition }) => partition)).sort();
  const assigned = await until(
    'both runtimes report their assigned partitions, each partition once',
    () => metricsByRuntime(pipelineId),
    (docs) =>
      RUNTIME_IDS.every((id) => (docs.get(id)?.partitions.length ?? 0) > 0) &&
      JSON.stringify(reported(docs)) === JSON.stringify([...Array(PARTITIONS).keys()]),
    30_000,
  );
  t.log(`runtime_metrics before any message: ${[...assigned].map(([id, doc]) => `${id}: ${JSON.stringify(doc.partitions)}`).join('; ')}`);
  t.true(
    [...assigned.values()].every((doc) => doc.partitions.every(({ offset, lag }) => offset === '0' && lag === 0)),
    'nothing committed, nothing to read yet',
  );

  const producing = Date.now();
  await produce(brokers, topic, all.values.slice(0, MESSAGES), 10_000);
  t.log(`produced ${MESSAGES} messages on ${PARTITIONS} partitions in ${Date.now() - producing} ms`);

  // (b) every valid row, once
  const rows = await until(
    'every valid row',
    () => rowCounts(table),
    ({ ids }) => ids >= first.valid,
    240_000,
  ).catch((error: unknown) => {
    t.log(tail());
    throw error;
  });
  const done = Date.now();
  t.log(
    `all ${first.valid} valid rows ${done - producing} ms after the first message was produced (${Math.round(first.valid / ((done - producing) / 1000))} rows/s)`,
  );
  t.is(rows.ids, first.valid, 'no row lost');
  t.is(rows.rows, rows.ids, 'no row duplicated');

  // (a) again, from the runtimes' own reports: two runtime ids, disjoint non-empty partition sets covering the topic
  let ends = await endOffsets(brokers, topic);
  const reports = await until(
    "both runtimes' metrics at the end offsets",
    () => metricsByRuntime(pipelineId),
    (docs) => [...docs.values()].flatMap((doc) => caughtUp(doc, ends)).length >= PARTITIONS,
    30_000,
  );
  const owned = new Map([...reports].map(([id, doc]) => [id, doc.partitions.map(({ partition }) => partition).sort()]));
  const finished = new Map([...reports].map(([id, doc]) => [id, caughtUp(doc, ends)]));
  t.log(
    `runtime_metrics: ${[...reports].map(([id, doc]) => `${id}: partitions ${JSON.stringify(doc.partitions)} (at the end offset: ${JSON.stringify(finished.get(id))}) in ${doc.messages_in} out ${doc.messages_out} errors ${doc.errors}`).join('; ')}`,
  );
  const latency = asRecord((await api.request('GET', `/pipelines/${pipelineId}/latency-informations`, { token: world.token })).body);
  t.log(
    `latency-informations: in ${String(latency['messages_in'])} out ${String(latency['messages_out'])} errors ${String(latency['errors'])} lag ${String(latency['lag_total'])} p50 ${String(latency['p50_ms'])} ms p99 ${String(latency['p99_ms'])} ms, partitions ${JSON.stringify(latency['partitions'])}`,
  );
  // Each runtime flushes its document about once a second: the merged lag must not depend on which one was last.
  const lags: unknown[] = [];
  for (let poll = 0; poll < 8; poll += 1) {
    lags.push(
      asRecord((await api.request('GET', `/pipelines/${pipelineId}/latency-informations`, { token: world.token })).body)['lag_total'],
    );
    await sleep(400);
  }
  t.log(`latency-informations lag_total over 3 s: ${JSON.stringify(lags)}`);
  t.deepEqual([...reports.keys()].sort(), [...RUNTIME_IDS], 'one metrics document per runtime');
  const disjointCover = (sets: Map<string, number[]>, what: string) => {
    const [a = [], b = []] = RUNTIME_IDS.map((id) => sets.get(id) ?? []);
    t.true(a.length > 0 && b.length > 0, `${what}: each runtime has some partitions`);
    t.deepEqual(
      a.filter((partition) => b.includes(partition)),
      [],
      `${what}: disjoint`,
    );
    t.deepEqual([...a, ...b].sort(), [...Array(PARTITIONS).keys()], `${what}: together every partition`);
  };
  disjointCover(finished, 'partitions each runtime brought to the end offset');
  disjointCover(owned, 'partitions in each runtime_metrics document');
  t.is((latency['partitions'] as unknown[]).length, PARTITIONS);
  t.deepEqual(
    lags,
    lags.map(() => 0),
    'latency-informations: no lag left',
  );

  // (c) one runtime SIGKILLed (with its workers): the other takes every partition over
  const [survivor, victim] = RUNTIME_IDS;
  const killed = Date.now();
  await killProcessGroup(runtimes.get(victim)!.child);
  runtimes.delete(victim);
  const mark = Date.now();
  await produce(brokers, topic, all.values.slice(MESSAGES), 10_000);
  t.log(`${victim} group SIGKILLed; produced ${MORE} more messages in ${Date.now() - mark} ms`);
  const after = await until(
    'every valid row after the kill',
    () => rowCounts(table),
    ({ ids }) => ids >= all.valid,
    180_000,
  ).catch((error: unknown) => {
    t.log(tail());
    throw error;
  });
  t.log(
    `all ${all.valid} valid rows ${Date.now() - killed} ms after the kill (the dead member leaves the group when its session times out)`,
  );
  t.is(after.ids, all.valid, 'no row lost');
  t.is(after.rows, after.ids, 'no row duplicated');
  const alone = await until(
    'one member with every partition',
    () => groupMembers(brokers, String(groupId), topic),
    ({ state, members }) => state === 'Stable' && members.length === 1,
    60_000,
  );
  t.deepEqual(alone.members, [[...Array(PARTITIONS).keys()]], 'the survivor holds every partition');
  ends = await endOffsets(brokers, topic);
  const takenOver = await until(
    `${survivor} at every end offset`,
    () => metricsByRuntime(pipelineId),
    (docs) => caughtUp(docs.get(survivor), ends).length === PARTITIONS,
    30_000,
  );
  const last = takenOver.get(survivor)!;
  t.is((await pipelineState(world, pipelineId)).state, 'live');
  const complaints = runtimes
    .get(survivor)!
    .output.join('')
    .split('\n')
    .filter((line) => /"level":"(warn|error)"/.test(line));
  t.log(
    `${survivor}: ${complaints.length} warn / error lines${complaints.length > 0 ? `, last: ${complaints.slice(-3).join(' | ')}` : ''}`,
  );
  t.log(
    `${survivor} alone: partitions ${JSON.stringify(last.partitions)} in ${last.messages_in} out ${last.messages_out} errors ${last.errors}`,
  );
});
