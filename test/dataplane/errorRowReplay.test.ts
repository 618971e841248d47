import test from 'ava';
import { randomUUID } from 'node:crypto';
import { closedPort, withSilentListener } from '../fixtures/tcpPeers';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';
import { testServer } from '../fixtures/testServers';
import { jsonLines, runCli, tempHome } from '../cli/cliFixtures';
import { asRecord } from '../http/apiFixtures';
import {
  createOrdersToKafka,
  createOrdersToPostgres,
  createPipeline,
  createTopic,
  kafkaOf,
  ORDER_MAPPER,
  pipelineState,
  useDataPlane,
  until,
} from './dataplaneFixtures';

/**
 * Error rows on the real PostgreSQL and Kafka: the worker writes rows the target refuses to the
 * error table; they are listed with filters, replayed once the table is fixed (landing once, never
 * twice), a row that fails again keeps its new reason; who replayed what is in the history, the
 * audit log and `popsink audit`.
 */
const world = useDataPlane(test);

interface ErrorRowItem {
  id: string;
  partition: number;
  offset: string;
  stage: string;
  reason_code: string;
  message: string;
  key_text: string | null;
  value_text: string | null;
  value_base64: string | null;
  first_seen: string;
  attempts: number;
  replayed_at: string | null;
  replay_outcome: string | null;
  pipeline_version: number;
}

/**
 * 40 orders (ORDER_MAPPER), id i on partition i % 2 (so at offset i / 2 rounded down): 5 and 12
 * have a negative amount, 21 too and no source, 30 is not JSON.
 */
const ORDERS = Array.from({ length: 40 }, (_, id) => ({
  partition: id % 2,
  key: String(id),
  value:
    id === 30
      ? '{not json'
      : JSON.stringify({
          id,
          name: `order-${id}`,
          amount: id === 5 || id === 12 || id === 21 ? -5 : id,
          ...(id === 21 ? {} : { meta: { source: 'e2e' } }),
        }),
}));

const rowsOf = (table: string): Promise<{ id: string; name: string | null; amount: number }[]> =>
  admin(async (client) => (await client.query(`SELECT id, name, amount FROM "public"."${table}" ORDER BY id`)).rows);

async function errorRows(pipelineId: string, query = ''): Promise<{ status: number; items: ErrorRowItem[]; total: number; body: unknown }> {
  const { api, token } = world();
  const answer = await api.request('GET', `/pipelines/${pipelineId}/error-rows${query}`, { token });
  const body = asRecord(answer.body);
  return { status: answer.status, items: (body['items'] ?? []) as ErrorRowItem[], total: Number(body['total']), body: answer.body };
}

const replay = (pipelineId: string, json: unknown) =>
  world().api.request('POST', `/pipelines/${pipelineId}/error-rows/replay`, { token: world().token, json });

/** A started Kafka → PostgreSQL pipeline into a table with CHECK (amount >= 0), its error rows written: 36 rows landed, 4 refused. */
async function ordersPipeline(): Promise<{ pipelineId: string; table: string }> {
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const suffix = randomUUID().slice(0, 8);
  const topic = `replay-${suffix}`;
  const table = `replay_${suffix}`;
  await createTopic(brokers, topic, 2);
  await admin((client) =>
    client.query(
      `CREATE TABLE "public"."${table}" (id bigint PRIMARY KEY, name text NOT NULL, amount double precision CHECK (amount >= 0), source text)`,
    ),
  );
  const producer = kafkaOf(brokers).producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: ORDERS });
  await producer.disconnect();
  const { pipelineId } = await createOrdersToPostgres(world(), { brokers, topic, table });
  await world().api.request('POST', `/pipelines/${pipelineId}/start`, { token: world().token });
  await until(
    '36 rows and 4 error rows',
    async () => ({ rows: (await rowsOf(table).catch(() => [])).length, errors: (await errorRows(pipelineId)).total }),
    ({ rows, errors }) => rows === 36 && errors === 4,
    120_000,
  );
  return { pipelineId, table };
}

test('list with filters; replay lands the rows the fixed table takes, once; a row that fails again keeps its new reason; recorded in history, user-logs and popsink audit', async (t) => {
  const { api, token } = world();
  const { pipelineId, table } = await ordersPipeline();

  // --- list
  const all = await errorRows(pipelineId);
  t.is(all.status, 200);
  t.deepEqual(
    all.items.map((row) => [row.id, row.stage, row.reason_code]),
    [
      ['0-6', 'target', '23514'],
      ['0-15', 'parse', 'PARSE_FAILED'],
      ['1-2', 'target', '23514'],
      ['1-10', 'target', '23514'],
    ],
  );
  const five = all.items.find((row) => row.id === '1-2');
  t.like(five, {
    partition: 1,
    offset: '2',
    key_text: '5',
    value_text: ORDERS[5]?.value,
    attempts: 1,
    replayed_at: null,
    replay_outcome: null,
    pipeline_version: 1,
  });
  t.is(Buffer.from(five?.value_base64 ?? '', 'base64').toString('utf8'), ORDERS[5]?.value ?? '');
  t.regex(five?.message ?? '', /check constraint/);
  t.false(Number.isNaN(Date.parse(five?.first_seen ?? '')));

  const ids = async (query: string) => (await errorRows(pipelineId, query)).items.map((row) => row.id);
  t.deepEqual(await ids('?stage=target'), ['0-6', '1-2', '1-10']);
  t.deepEqual(await ids('?reason_code=PARSE_FAILED'), ['0-15']);
  t.deepEqual(await ids('?partition=1'), ['1-2', '1-10']);
  t.deepEqual(await ids('?partition=0&offset_from=7&offset_to=15'), ['0-15']);
  t.deepEqual(await ids('?offset_to=6'), ['0-6', '1-2']);
  t.deepEqual(await ids(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), []);
  t.is((await errorRows(pipelineId, `?until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).total, 4);
  t.is((await errorRows(pipelineId, '?replayed=false')).total, 4);
  t.is((await errorRows(pipelineId, '?replayed=true')).total, 0);
  const paged = await errorRows(pipelineId, '?skip=1&limit=2');
  t.deepEqual([paged.items.map((row) => row.id), paged.total], [['0-15', '1-2'], 4]);
  const badTime = await errorRows(pipelineId, '?since=yesterday');
  t.is(badTime.status, 422);
  t.like((asRecord(badTime.body)['detail'] as unknown[])[0], { loc: ['query', 'since'] });
  t.is((await errorRows(pipelineId, '?stage=sideways')).status, 422);

  // --- the table fixed for two of them; the third now breaks another rule
  await admin(async (client) => {
    await client.query(`ALTER TABLE "public"."${table}" DROP CONSTRAINT "${table}_amount_check"`);
    await client.query(`ALTER TABLE "public"."${table}" ALTER COLUMN source SET NOT NULL`);
  });
  const before = asRecord((await api.request('GET', `/pipelines/${pipelineId}`, { token })).body);

  const first = await replay(pipelineId, { stage: 'target' });
  t.is(first.status, 200, JSON.stringify(first.body));
  t.deepEqual(first.body, { selected: 3, applied: 2, failed: 1, skipped_already_applied: 0, remaining: 0 });
  const landed = await rowsOf(table);
  t.is(landed.length, 38);
  t.deepEqual(
    landed.filter((row) => ['5', '12'].includes(row.id)),
    [
      { id: '5', name: 'order-5', amount: -5 },
      { id: '12', name: 'order-12', amount: -5 },
    ],
  );
  const marked = new Map((await errorRows(pipelineId)).items.map((row) => [row.id, row]));
  t.is(marked.size, 4, 'no error row is deleted');
  for (const id of ['0-6', '1-2']) {
    t.like(marked.get(id), { replay_outcome: 'applied', attempts: 1, reason_code: '23514' });
    t.false(Number.isNaN(Date.parse(marked.get(id)?.replayed_at ?? '')));
  }
  const again = marked.get('1-10');
  t.like(again, { replay_outcome: 'failed', attempts: 2, stage: 'target', reason_code: '23502', first_seen: all.items[3]?.first_seen });
  t.regex(again?.message ?? '', /null value in column "source"/);
  t.like(marked.get('0-15'), { replay_outcome: null, attempts: 1 }, 'outside the filter');
  t.deepEqual(await ids('?replayed=true'), ['0-6', '1-2', '1-10']);

  // --- a second replay of the applied rows applies nothing (through the CLI)
  const cli = { HOME: tempHome(), POPSINK_TOKEN: token };
  const server = api.url.replace(/\/api$/, '');
  const second = await runCli(['errors', 'replay', pipelineId, '--ids', '0-6,1-2', '--json', '--server', server], cli);
  t.is(second.code, 0, second.stderr);
  t.deepEqual(jsonLines(second.stdout), [{ selected: 2, applied: 0, failed: 0, skipped_already_applied: 2, remaining: 0 }]);
  t.deepEqual(await rowsOf(table), landed, 'the target is unchanged');
  const listed = await runCli(['errors', 'list', pipelineId, '--replayed', 'true', '--json', '--server', server], cli);
  t.is(listed.code, 0, listed.stderr);
  t.deepEqual(
    jsonLines(listed.stdout).map((row) => [row['id'], row['replay_outcome']]),
    [
      ['0-6', 'applied'],
      ['1-2', 'applied'],
      ['1-10', 'failed'],
    ],
  );
  t.is((await runCli(['errors', 'replay', pipelineId, '--server', server], cli)).code, 2, 'a replay needs --ids, --all or filters');

  // --- everything: the applied ones skipped, the others fail again (attempts counted), nothing lands twice
  const everything = await replay(pipelineId, { all: true });
  t.deepEqual(everything.body, { selected: 4, applied: 0, failed: 2, skipped_already_applied: 2, remaining: 0 });
  t.like((await errorRows(pipelineId, '?reason_code=PARSE_FAILED')).items[0], { attempts: 2, replay_outcome: 'failed', stage: 'parse' });
  t.deepEqual(await rowsOf(table), landed);

  // --- the pipeline itself did not change
  const after = asRecord((await api.request('GET', `/pipelines/${pipelineId}`, { token })).body);
  t.deepEqual([after['version'], after['state']], [before['version'], before['state']]);
  t.is((await pipelineState(world(), pipelineId)).state, 'live');

  // --- who replayed what: the history, the audit log, popsink audit
  const history = (asRecord((await api.request('GET', `/pipelines/${pipelineId}/history`, { token })).body)['items'] ?? []) as Record<
    string,
    unknown
  >[];
  const replays = history.filter((entry) => entry['event_type'] === 'PipelineErrorRowsReplayed');
  t.is(replays.length, 3);
  t.like(replays[2], {
    actor_email: 'admin@example.com',
    version: before['version'],
    changes: [],
    details: { selection: { filter: { stage: 'target' } }, applied: 2, failed: 1 },
  });
  t.like(replays[1], { details: { selection: { ids: ['0-6', '1-2'] }, applied: 0, skipped_already_applied: 2 } });
  const logs = asRecord(
    (await api.request('GET', `/user-logs?resource_id=${pipelineId}&event_type=PipelineErrorRowsReplayed`, { token })).body,
  );
  t.is(logs['total'], 3);
  t.like((logs['items'] as Record<string, unknown>[])[0], {
    resource_type: 'pipeline',
    details: { selection: { all: true }, counts: { applied: 0, failed: 2 } },
  });
  const audit = await runCli(['audit', '--resource', pipelineId, '--json'], { POPSINK_DATA_DIR: api.dataDir });
  t.is(audit.code, 0, audit.stderr);
  const audited = jsonLines(audit.stdout).filter((entry) => entry['event_type'] === 'PipelineErrorRowsReplayed');
  t.is(audited.length, 3);
  t.like(audited[0], { actor_email: 'admin@example.com', details: { selection: '{"filter":{"stage":"target"}}' } });
  t.regex(String(asRecord(audited[0]?.['details'])['counts']), /"applied":2/);
});

test('authorisation: another team is refused (403), an unknown pipeline or subscription is 404; a replay asks for exactly one selection (422)', async (t) => {
  const { api, token } = world();
  const { pipelineId } = await createPipeline(world(), {
    name: `authz-${randomUUID().slice(0, 8)}`,
    team_id: world().teamId,
    source_name: `authz-src-${randomUUID().slice(0, 8)}`,
    source_type: 'KAFKA_SOURCE',
    source_config: { topic: 'authz', bootstrap_servers: testServer('TEST_KAFKA_BROKERS') },
    target_name: `authz-dst-${randomUUID().slice(0, 8)}`,
    target_type: 'POSTGRES_TARGET',
    target_config: postgresTestConfig(),
    subscription_error_table_enabled: true,
    subscription_error_table_name: `authz_errors_${randomUUID().slice(0, 8)}`,
  });
  const outsider = `outsider-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(outsider);
  const outsiderToken = await api.login(outsider);
  await api.request('POST', '/envs/', { token: outsiderToken, json: { name: `outsider-env-${randomUUID().slice(0, 8)}` } });
  await api.request('POST', '/teams/', { token: outsiderToken, json: { name: `outsider-team-${randomUUID().slice(0, 8)}` } });
  t.is((await api.request('GET', `/pipelines/${pipelineId}/error-rows`, { token: outsiderToken })).status, 403);
  t.is(
    (await api.request('POST', `/pipelines/${pipelineId}/error-rows/replay`, { token: outsiderToken, json: { all: true } })).status,
    403,
  );
  t.is((await api.request('GET', `/pipelines/${randomUUID()}/error-rows`, { token })).status, 404);
  t.is((await api.request('GET', `/pipelines/${pipelineId}/error-rows?subscription_id=${randomUUID()}`, { token })).status, 404);
  t.is((await api.request('GET', `/pipelines/${pipelineId}/error-rows?subscription_id=nope`, { token })).status, 422);

  // A draft's error table that does not exist yet holds no row.
  t.like((await api.request('GET', `/pipelines/${pipelineId}/error-rows`, { token })).body, { items: [], total: 0 });
  for (const body of [
    {},
    { all: false },
    { all: true, stage: 'target' },
    { ids: ['0-1'], all: true },
    { ids: [] },
    { ids: ['zero-one'] },
  ]) {
    t.is(
      (await api.request('POST', `/pipelines/${pipelineId}/error-rows/replay`, { token, json: body })).status,
      422,
      JSON.stringify(body),
    );
  }
});

test('a Kafka error topic cannot be listed (409); an unreachable error table answers 503 within 10 s, never a hang', async (t) => {
  const { api, token } = world();
  const brokers = testServer('TEST_KAFKA_BROKERS');
  const suffix = randomUUID().slice(0, 8);
  const { pipelineId: toKafka } = await createOrdersToKafka(world(), {
    brokers,
    source: `src-${suffix}`,
    target: `dst-${suffix}`,
    exactlyOnce: false,
  });
  const kafka = await api.request('GET', `/pipelines/${toKafka}/error-rows`, { token });
  t.is(kafka.status, 409);
  t.regex(String(asRecord(kafka.body)['detail']), /^ERROR_ROWS_NOT_QUERYABLE: /);

  const toPostgresAt = (port: number, name: string) =>
    createPipeline(world(), {
      name,
      team_id: world().teamId,
      source_name: `${name}-src`,
      source_type: 'KAFKA_SOURCE',
      source_config: { topic: 'nowhere', bootstrap_servers: brokers },
      target_name: `${name}-dst`,
      target_type: 'POSTGRES_TARGET',
      target_config: postgresTestConfig({ host: '127.0.0.1', port: String(port) }),
      subscription_mapper_config: ORDER_MAPPER,
      subscription_error_table_enabled: true,
      subscription_error_table_name: 'errors',
    });
  const { pipelineId: refused } = await toPostgresAt(await closedPort(), `refused-${suffix}`);
  const replayed = await api.request('POST', `/pipelines/${refused}/error-rows/replay`, { token, json: { all: true } });
  t.is(replayed.status, 503, JSON.stringify(replayed.body));
  t.regex(String(asRecord(replayed.body)['detail']), /^TARGET_UNREACHABLE: /);

  await withSilentListener(async (port) => {
    const { pipelineId: silent } = await toPostgresAt(port, `silent-${suffix}`);
    const started = Date.now();
    const listed = await api.request('GET', `/pipelines/${silent}/error-rows`, { token });
    t.is(listed.status, 503);
    t.regex(String(asRecord(listed.body)['detail']), /^ERROR_TABLE_UNREACHABLE: /);
    t.true(Date.now() - started <= 10_500, `answered after ${Date.now() - started} ms`);
  });
});
