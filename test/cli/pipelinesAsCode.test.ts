import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SCHEMA_FILE, schemaText } from '../../scripts/pipelinesAsCodeSchema';
import { postgresTestConfig } from '../fixtures/postgresConfig';
import { testServer } from '../fixtures/testServers';
import { ADMIN, asRecord, startApi, type Api } from '../http/apiFixtures';
import { jsonLines, runCli, tempHome, type CliRun } from './cliFixtures';

// Pipelines as code: YAML files applied through the public API of real installations, the
// target connector on the test PostgreSQL (a mapper change is checked against its table).

const KAFKA_SECRET = `kafka-secret-${randomUUID()}`;
const member = `member-${randomUUID().slice(0, 8)}@example.com`;
const ORDER_MAPPER = [
  { key: 'id', path: '$.id', cast: 'int', primary_key: true },
  { key: 'name', path: '$.name', cast: 'string' },
];

/** A file declaring one environment, team, pair of connectors and pipeline with two subscriptions. */
function declaration(suffix: string, mapper: readonly object[]) {
  const pg = postgresTestConfig();
  return {
    format: 'popsink/v1',
    environments: [
      {
        name: `pac-${suffix}`,
        description: 'pipelines as code',
        use_retention: true,
        retention_configuration: { retention_ms: 3_600_000, retention_bytes: null },
      },
    ],
    teams: [
      {
        name: 'data',
        environment: `pac-${suffix}`,
        description: 'the data team',
        members: [{ email: ADMIN.email, role: 'owner' }, { email: member }],
      },
    ],
    connectors: [
      {
        name: 'orders-source',
        environment: `pac-${suffix}`,
        team: 'data',
        type: 'KAFKA_SOURCE',
        config: {
          topic: `orders-${suffix}`,
          bootstrap_servers: testServer('TEST_KAFKA_BROKERS'),
          security_protocol: 'SASL_PLAINTEXT',
          sasl_mechanism: 'PLAIN',
          sasl_username: 'etl',
          sasl_password: '${env:KAFKA_PASSWORD}',
        },
      },
      {
        name: 'warehouse',
        environment: `pac-${suffix}`,
        team: 'data',
        type: 'POSTGRES_TARGET',
        config: { ...pg, port: Number(pg.port), password: '${env:PG_PASSWORD}' },
      },
    ],
    pipelines: [
      {
        name: 'orders',
        environment: `pac-${suffix}`,
        team: 'data',
        source: 'orders-source',
        target: 'warehouse',
        datamodel: { error_table_enabled: true, error_table_name: `orders_${suffix}_errors` },
        subscriptions: [
          { target_table_name: `orders_${suffix}`, backfill: true, mapper_config: mapper },
          { target_table_name: `orders_${suffix}_copy`, consumer_id: `copy-${suffix}`, error_tolerance: 0.5, mapper_config: ORDER_MAPPER },
        ],
      },
    ],
  };
}

const writeYaml = (dir: string, name: string, document: unknown): string => {
  const file = join(dir, name);
  writeFileSync(file, typeof document === 'string' ? document : stringify(document));
  return file;
};

const serverOf = (api: Api): string => api.url.replace(/\/api$/, '');
const secretsEnv = { KAFKA_PASSWORD: KAFKA_SECRET, PG_PASSWORD: postgresTestConfig().password };

/** What an installation shows through its GETs, without ids, times and versions: two installations holding the same things compare equal. */
async function snapshot(api: Api, token: string) {
  const get = async (path: string) => (await api.request('GET', path, { token })).body;
  const items = async (path: string) => asRecord(await get(`${path}?limit=100`))['items'] as Record<string, unknown>[];
  const envs = await items('/envs/');
  const teams = await items('/teams/');
  const connectors = [
    ...((await get('/connectors/source-config')) as Record<string, unknown>[]),
    ...((await get('/connectors/target-config')) as Record<string, unknown>[]),
  ];
  const nameOf = (id: unknown, list: Record<string, unknown>[]) => list.find((item) => item['id'] === id)?.['name'] ?? id;
  const subscriptions = await items('/subscriptions/');
  const pipelines = await items('/pipelines/');
  const without = (item: Record<string, unknown>, fields: string[]) =>
    Object.fromEntries(Object.entries(item).filter(([field]) => !fields.includes(field)));
  return {
    envs: envs.map((env) => without(env, ['id'])),
    teams: await Promise.all(
      teams.map(async (team) => ({
        ...without(team, ['id', 'env_id']),
        env: nameOf(team['env_id'], envs),
        members: await get(`/teams/${String(team['id'])}/members`).then((list) =>
          (list as Record<string, unknown>[]).map((m) => `${String(m['email'])} ${String(m['role'])}`),
        ),
      })),
    ),
    connectors: connectors
      .map((connector): Record<string, unknown> => ({
        ...without(connector, ['id', 'team_id', 'created_at', 'updated_at']),
        team: nameOf(connector['team_id'], teams),
      }))
      .sort((a, b) => String(a['name']).localeCompare(String(b['name']))),
    pipelines: pipelines.map((pipeline) => ({
      ...without(pipeline, ['id', 'team_id', 'version', 'datamodel_id', 'subscription_consumer_id', 'created_at', 'updated_at']),
      existing_source_id: nameOf(pipeline['existing_source_id'], connectors),
      existing_target_id: nameOf(pipeline['existing_target_id'], connectors),
      subscriptions: subscriptions
        .filter((subscription) => subscription['pipeline_id'] === pipeline['id'])
        .map((subscription) =>
          without(subscription, [
            'id',
            'pipeline_id',
            'team_id',
            'updated_at',
            ...(String(subscription['consumer_id']).startsWith('popsink-') ? ['consumer_id'] : []),
          ]),
        ),
    })),
  };
}

const pipelineVersion = async (api: Api, token: string, name: string): Promise<number> =>
  Number(asRecord((await api.request('GET', `/pipelines/filter-one?name=${name}`, { token })).body)['version']);

const assertNoSecret = (t: { false(value: boolean, message?: string): void }, ...runs: CliRun[]) => {
  for (const run of runs) t.false(`${run.stdout}${run.stderr}`.includes(KAFKA_SECRET), 'a secret was printed');
};

test('apply a file to an empty installation, again (no change), with an edited mapper (one version), and its YAML export into a second installation', async (t) => {
  const first = await startApi();
  const second = await startApi();
  t.teardown(() => first.stop());
  t.teardown(() => second.stop());
  await first.register(member);
  await second.register(member);
  const token = await first.login(ADMIN.email, ADMIN.password);
  const env = { HOME: tempHome(), POPSINK_TOKEN: token, ...secretsEnv };
  const dir = tempHome();
  const suffix = randomUUID().slice(0, 8);
  const file = writeYaml(dir, 'popsink.yaml', declaration(suffix, ORDER_MAPPER));
  const cli = (args: string[], environment: Record<string, string> = env) => runCli([...args, '--server', serverOf(first)], environment);

  const planned = await cli(['plan', '-f', file]);
  t.is(planned.code, 0, planned.stderr);
  t.regex(planned.stdout, new RegExp(`^\\+ create environment pac-${suffix}$`, 'm'));
  t.regex(planned.stdout, new RegExp(`^\\+ create member pac-${suffix}/data ${member}$`, 'm'));
  t.regex(planned.stdout, new RegExp(`^\\+ create pipeline pac-${suffix}/data/orders$`, 'm'));
  t.regex(planned.stdout, /^Plan: 6 to create, 0 to change, 0 to delete\.$/m);
  t.is(
    (await first.request('GET', '/pipelines/', { token })).body !== undefined &&
      asRecord((await first.request('GET', '/pipelines/', { token })).body)['total'],
    0,
    'plan changes nothing',
  );

  const applied = await cli(['apply', '-f', file]);
  t.is(applied.code, 0, applied.stderr);
  t.regex(applied.stdout, /^Applied: 6 created, 0 changed, 0 deleted\.$/m);
  const pipeline = asRecord((await first.request('GET', '/pipelines/filter-one?name=orders', { token })).body);
  t.like(pipeline, {
    team_name: 'data',
    source_name: 'orders-source',
    target_name: 'warehouse',
    datamodel_error_table_enabled: true,
    subscription_target_table_name: `orders_${suffix}`,
    subscription_backfill: true,
  });
  t.like(asRecord(pipeline['source_config']), { sasl_password: '********', topic: `orders-${suffix}` });
  const subscriptions = asRecord((await first.request('GET', `/subscriptions/?pipeline_id=${String(pipeline['id'])}`, { token })).body)[
    'items'
  ] as Record<string, unknown>[];
  t.deepEqual(
    subscriptions.map((s) => [s['target_table_name'], s['consumer_id'] === `copy-${suffix}`]),
    [
      [`orders_${suffix}`, false],
      [`orders_${suffix}_copy`, true],
    ],
  );
  const members = (await first.request('GET', `/teams/${String(pipeline['team_id'])}/members`, { token })).body as Record<
    string,
    unknown
  >[];
  t.deepEqual(
    members.map((m) => `${String(m['email'])} ${String(m['role'])}`),
    [`${ADMIN.email} owner`, `${member} member`],
  );

  const version = await pipelineVersion(first, token, 'orders');
  const again = await cli(['apply', '-f', file]);
  t.is(again.code, 0, again.stderr);
  t.is(again.stdout.trim(), 'No changes: the installation matches the files.');
  t.is(await pipelineVersion(first, token, 'orders'), version, 'a second apply leaves the pipeline as it was');

  // A stored secret cannot be compared: it is sent again only when asked, and never shown.
  const rotation = await cli(['plan', '-f', file, '--update-secrets']);
  t.regex(
    rotation.stdout,
    new RegExp(`^~ change connector pac-${suffix}/data/orders-source: config.sasl_password \\(secret, from the environment\\)$`, 'm'),
  );

  writeYaml(dir, 'popsink.yaml', declaration(suffix, [...ORDER_MAPPER, { key: 'amount', path: '$.amount', cast: 'float' }]));
  const edit = await cli(['plan', '-f', file, '--json']);
  t.deepEqual(jsonLines(edit.stdout)[0], {
    action: 'update',
    kind: 'pipeline',
    name: `pac-${suffix}/data/orders`,
    fields: [`subscriptions[orders_${suffix}].mapper_config`],
  });
  const edited = await cli(['apply', '-f', file]);
  t.is(edited.code, 0, edited.stderr);
  t.regex(edited.stdout, /^Applied: 0 created, 1 changed, 0 deleted\.$/m);
  t.is(await pipelineVersion(first, token, 'orders'), version + 1, 'one version for an edited mapper');
  t.is((await cli(['apply', '-f', file])).stdout.trim(), 'No changes: the installation matches the files.');

  // The export names everything by name and holds each secret as a placeholder.
  const exported = await cli(['export', '--format', 'yaml', '--out', join(dir, 'exported.yaml'), '--json']);
  t.is(exported.code, 0, exported.stderr);
  t.deepEqual(jsonLines(exported.stdout)[0]?.['variables'], ['ORDERS_SOURCE_SASL_PASSWORD', 'WAREHOUSE_PASSWORD']);
  const text = readFileSync(join(dir, 'exported.yaml'), 'utf8');
  t.true(text.includes('sasl_password: ${env:ORDERS_SOURCE_SASL_PASSWORD}'));
  t.false(text.includes('********'), 'no mask is exported');
  t.false(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.test(text), 'no id is exported');
  const printed = await cli(['export', '--format', 'yaml']);
  t.is(printed.stdout, text, 'without --out, the YAML goes to stdout');

  const secondToken = await second.login(ADMIN.email, ADMIN.password);
  const secondEnv = {
    HOME: tempHome(),
    POPSINK_TOKEN: secondToken,
    ORDERS_SOURCE_SASL_PASSWORD: KAFKA_SECRET,
    WAREHOUSE_PASSWORD: secretsEnv.PG_PASSWORD,
  };
  const imported = await runCli(['apply', '-f', join(dir, 'exported.yaml'), '--server', serverOf(second)], secondEnv);
  t.is(imported.code, 0, imported.stderr);
  t.deepEqual(await snapshot(second, secondToken), await snapshot(first, token));
  t.is(
    (await runCli(['plan', '-f', join(dir, 'exported.yaml'), '--server', serverOf(second)], secondEnv)).stdout.trim(),
    'No changes: the installation matches the files.',
  );

  // Deletion only with --prune: a subscription left out of the file is kept, then deleted.
  const pruned = declaration(suffix, [...ORDER_MAPPER, { key: 'amount', path: '$.amount', cast: 'float' }]);
  pruned.pipelines[0]?.subscriptions.pop();
  writeYaml(dir, 'popsink.yaml', pruned);
  const kept = await cli(['apply', '-f', file]);
  t.regex(
    kept.stdout,
    new RegExp(
      `^No changes: the installation matches the files\\.\\n1 not in the files, kept \\(--prune deletes them\\): subscription pac-${suffix}/data/orders\\[orders_${suffix}_copy\\]$`,
      'm',
    ),
  );
  const deleted = await cli(['apply', '-f', file, '--prune']);
  t.is(deleted.code, 0, deleted.stderr);
  t.regex(deleted.stdout, new RegExp(`^- delete subscription pac-${suffix}/data/orders\\[orders_${suffix}_copy\\]$`, 'm'));
  t.is(asRecord((await first.request('GET', `/subscriptions/?pipeline_id=${String(pipeline['id'])}`, { token })).body)['total'], 1);
  assertNoSecret(t, planned, applied, again, rotation, edit, edited, exported, printed, imported, kept, deleted);
});

// Nothing listens on port 9: a refusal that made any API call would say `cannot reach`.
const NOWHERE = 'http://127.0.0.1:9';

test('a file that breaks the schema is refused before any API call, naming the file, line, path and problem', async (t) => {
  const dir = tempHome();
  const document = declaration('x', ORDER_MAPPER);
  const broken = {
    ...document,
    pipelines: [
      {
        ...document.pipelines[0],
        sorce: 'orders-source',
        subscriptions: [{ target_table_name: 't', mapper_config: [{ key: 'id', cast: 'integer' }] }],
      },
    ],
  };
  const file = writeYaml(dir, 'broken.yaml', broken);
  const run = await runCli(['apply', '-f', file, '--server', NOWHERE], { HOME: tempHome(), POPSINK_TOKEN: 'unused', ...secretsEnv });
  t.is(run.code, 1);
  t.notRegex(run.stderr, /cannot reach/);
  t.regex(run.stderr, /the files were refused before any API call/);
  t.regex(run.stderr, new RegExp(`${file}:\\d+: pipelines\\[0\\]\\.sorce: unknown field`));
  t.regex(
    run.stderr,
    new RegExp(`${file}:\\d+: pipelines\\[0\\]\\.subscriptions\\[0\\]\\.mapper_config\\[0\\]\\.cast: must be one of: "string", "int"`),
  );
  // The domain's rules too: a mapper entry without a path or static value (the schema says it now,
  // with the line; the domain's check stays behind it).
  const unmapped = writeYaml(dir, 'unmapped.yaml', {
    ...document,
    pipelines: [{ ...document.pipelines[0], subscriptions: [{ target_table_name: 't', mapper_config: [{ key: 'id' }] }] }],
  });
  const domain = await runCli(['plan', '-f', unmapped, '--server', NOWHERE], { HOME: tempHome(), POPSINK_TOKEN: 'unused', ...secretsEnv });
  t.is(domain.code, 1);
  t.regex(domain.stderr, new RegExp(`${unmapped}:\\d+: pipelines\\[0\\]\\.subscriptions\\[0\\]\\.mapper_config\\[0\\]`));
  t.notRegex(domain.stderr, /cannot reach/);
});

test('the shipped JSON Schema is the one the codecs generate', (t) => {
  t.is(readFileSync(SCHEMA_FILE, 'utf8'), schemaText(), 'regenerate it: npx tsx scripts/pipelinesAsCodeSchema.ts');
});

test('a missing environment variable and a secret written in clear are refused before any API call', async (t) => {
  const dir = tempHome();
  const file = writeYaml(dir, 'popsink.yaml', declaration('y', ORDER_MAPPER));
  const run = await runCli(['plan', '-f', file, '--server', NOWHERE], {
    HOME: tempHome(),
    POPSINK_TOKEN: 'unused',
    KAFKA_PASSWORD: KAFKA_SECRET,
  });
  t.is(run.code, 1);
  t.notRegex(run.stderr, /cannot reach/);
  t.regex(run.stderr, new RegExp(`${file}: connectors\\[1\\]\\.config\\.password: environment variable PG_PASSWORD is not set`));
  const document = declaration('y', ORDER_MAPPER);
  const clear = writeYaml(dir, 'clear.yaml', {
    ...document,
    connectors: document.connectors.map((connector) =>
      connector.type === 'KAFKA_SOURCE' ? { ...connector, config: { ...connector.config, sasl_password: KAFKA_SECRET } } : connector,
    ),
  });
  const inClear = await runCli(['plan', '-f', clear, '--server', NOWHERE], { HOME: tempHome(), POPSINK_TOKEN: 'unused', ...secretsEnv });
  t.is(inClear.code, 1);
  t.regex(inClear.stderr, /connectors\[0\]\.config\.sasl_password: a secret comes from an environment variable/);
  assertNoSecret(t, run, inClear);
});

test("an API refusal stops apply non-zero with the API's status and reason", async (t) => {
  const api = await startApi();
  t.teardown(() => api.stop());
  const adminToken = await api.login(ADMIN.email, ADMIN.password);
  // An environment name another user holds: this user cannot see it, so the plan creates it, and the API refuses.
  t.is((await api.request('POST', '/envs/', { token: adminToken, json: { name: 'pac-taken' } })).status, 201);
  const user = `pac-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(user);
  const dir = tempHome();
  const file = writeYaml(dir, 'popsink.yaml', {
    format: 'popsink/v1',
    environments: [{ name: 'pac-taken' }],
    teams: [{ name: 'data', environment: 'pac-taken' }],
  });
  const run = await runCli(['apply', '-f', file, '--server', serverOf(api)], { HOME: tempHome(), POPSINK_TOKEN: await api.login(user) });
  t.not(run.code, 0);
  t.regex(run.stderr, /\+ create environment pac-taken failed: HTTP (409|400): ENV_NAME/);
  t.regex(run.stderr, /nothing was changed/);
  t.is(run.stdout, '');
});
