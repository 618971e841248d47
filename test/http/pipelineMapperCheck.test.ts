import test from 'ava';
import { randomUUID } from 'node:crypto';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';
import { closedPort } from '../fixtures/tcpPeers';
import { asRecord, noSecretInClear, startTeamApi, type Api } from './apiFixtures';

/**
 * `PATCH /pipelines/{id}` with a new `subscription_mapper_config`, against the real PostgreSQL at
 * TEST_PG_URL (unset, the suite fails): a column type the live table cannot take is a 422 at
 * its mapper entry; a compatible change (an added column) is saved; a table that does not exist
 * yet, or a target that cannot be reached, is no reason to refuse.
 */

let api: Api;
let token: string;
let teamId: string;
const tables: string[] = [];

test.before(async () => {
  ({ api, token, teamId } = await startTeamApi('mapper-check', 'Schema Team'));
});
/** The unreachable target's password (the test server's equals its user name, so cannot be searched for). */
const SECRET = `mapper-check-secret-${randomUUID().slice(0, 8)}`;
noSecretInClear(test, () => api, [SECRET]);
test.after.always(async () => {
  await api?.stop();
  if (process.env.TEST_PG_URL === undefined || process.env.TEST_PG_URL === '') return;
  for (const table of tables) await admin((client) => client.query(`DROP TABLE IF EXISTS public."${table}"`));
});

const mapper = [
  { key: 'id', path: '$.id', cast: 'int', primary_key: true },
  { key: 'active', path: '$.active', cast: 'bool' },
];

/** A draft Kafka → PostgreSQL pipeline writing to `table` (the source is never read here). */
async function pipelineTo(table: string, targetConfig = postgresTestConfig()): Promise<string> {
  const name = `check-${randomUUID().slice(0, 8)}`;
  const created = await api.request('POST', '/pipelines/', {
    token,
    json: {
      name,
      team_id: teamId,
      source_name: `${name}-src`,
      source_type: 'KAFKA_SOURCE',
      source_config: { topic: 'orders', bootstrap_servers: '127.0.0.1:9' },
      target_name: `${name}-dst`,
      target_type: 'POSTGRES_TARGET',
      target_config: targetConfig,
      subscription_target_table_name: table,
      subscription_mapper_config: mapper,
    },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  return String(asRecord(created.body)['id']);
}

async function existingTable(definition: string): Promise<string> {
  const table = `mapper_check_${randomUUID().slice(0, 8)}`;
  tables.push(table);
  await admin((client) => client.query(`CREATE TABLE public."${table}" (${definition})`));
  return table;
}

test('a mapper type the live table cannot take answers 422 at its entry, naming column, live type and wanted type', async (t) => {
  const table = await existingTable('id bigint PRIMARY KEY, active boolean, payload integer');
  const id = await pipelineTo(table);
  const changed = [mapper[0], { key: 'active', path: '$.active', cast: 'int' }, { key: 'payload', path: '$.payload' }];
  const res = await api.request('PATCH', `/pipelines/${id}`, { token, json: { subscription_mapper_config: changed } });
  t.is(res.status, 422);
  const detail = asRecord(res.body)['detail'] as { loc: unknown[]; msg: string; type: string }[];
  t.deepEqual(
    detail.map((issue) => issue.loc),
    [
      ['body', 'subscription_mapper_config', 1, 'cast'],
      ['body', 'subscription_mapper_config', 2, 'cast'],
    ],
  );
  t.regex(detail[0]?.msg ?? '', /column "active" is boolean in the existing table, which cannot take the mapper's int values/);
  t.regex(detail[1]?.msg ?? '', /column "payload" is integer .* json values/);
  t.is(detail[0]?.type, 'value_error.mapper.incompatible_column');
  // Nothing was saved.
  const read = asRecord((await api.request('GET', `/pipelines/${id}`, { token })).body);
  t.is(read['version'], 1);
});

test('a compatible change (a column added, a column the table has) is saved, and the table is left as it is', async (t) => {
  const table = await existingTable('id bigint PRIMARY KEY, active boolean');
  const id = await pipelineTo(table);
  const grown = [...mapper, { key: 'note', path: '$.note', cast: 'string' }];
  const res = await api.request('PATCH', `/pipelines/${id}`, { token, json: { subscription_mapper_config: grown } });
  t.is(res.status, 200);
  t.is(asRecord(res.body)['version'], 2);
  const columns = await admin(
    async (client) =>
      (
        await client.query(
          `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        )
      ).rows,
  );
  t.deepEqual(columns, [{ column_name: 'id' }, { column_name: 'active' }]);
});

test('no table yet, or a target that cannot be reached: the mapper is saved unchecked (the worker refuses a mismatch at start)', async (t) => {
  const absent = await pipelineTo(`mapper_check_absent_${randomUUID().slice(0, 8)}`);
  const changed = [mapper[0], { key: 'active', path: '$.active', cast: 'int' }];
  t.is((await api.request('PATCH', `/pipelines/${absent}`, { token, json: { subscription_mapper_config: changed } })).status, 200);

  const table = await existingTable('id bigint PRIMARY KEY, active boolean');
  const unreachable = await pipelineTo(
    table,
    postgresTestConfig({ host: '127.0.0.1', port: String(await closedPort()), password: SECRET }),
  );
  const started = Date.now();
  t.is((await api.request('PATCH', `/pipelines/${unreachable}`, { token, json: { subscription_mapper_config: changed } })).status, 200);
  t.true(Date.now() - started < 5000);
});
