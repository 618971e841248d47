import type { TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import { ADMIN, asRecord, startApi, type Api } from './apiFixtures';
import { testServer } from '../fixtures/testServers';

/**
 * Every route of the API × every role, with the status each must get. The world:
 * - superuser: the configured admin; owns env E1 and team T0 in it;
 * - teamOwner: owns team T1 in E1 (and is a member of T0, which made E1 visible to them);
 * - teamMember: a member of T1;
 * - envMember: a member of T0 only, so E1's member but not T1's;
 * - outsider: owns an env of their own, E2, and nothing in E1;
 * - anonymous: no token.
 * Routes that destroy something get a fresh target per call.
 */
export const ROLES = ['superuser', 'teamOwner', 'teamMember', 'envMember', 'outsider', 'anonymous'] as const;
export type Role = (typeof ROLES)[number];

interface World {
  readonly api: Api;
  readonly tokens: Record<Exclude<Role, 'anonymous'>, string>;
  readonly ids: Record<Exclude<Role, 'anonymous'>, string>;
  readonly e1: string;
  readonly e1Name: string;
  readonly t1: string;
  readonly p1: string;
  /** P1's connectors. */
  readonly c1Source: string;
  readonly c1Target: string;
}

interface Row {
  readonly route: string;
  /** Builds the request for one role; may create fresh resources first. */
  readonly call: (world: World, role: Role) => Promise<{ path: string; json?: unknown; form?: Record<string, string>; token?: string }>;
  readonly expect: Readonly<Record<Role, number>>;
  /** Waits, after the calls, for what they started to finish (e.g. a rebuild) before other rows run. */
  readonly settle?: (world: World) => Promise<void>;
}

const all = (status: number, anonymous = 401): Record<Role, number> => ({
  superuser: status,
  teamOwner: status,
  teamMember: status,
  envMember: status,
  outsider: status,
  anonymous,
});
const superuserOnly = (status: number): Record<Role, number> => ({ ...all(403), superuser: status });
const e1Readers = (status: number, outsider = 403): Record<Role, number> => ({ ...all(status), outsider });
const t1Managers = (status: number): Record<Role, number> => ({ ...all(403), superuser: status, teamOwner: status });
const t1Operators = (status: number): Record<Role, number> => ({ ...t1Managers(status), teamMember: status });

/** The test Kafka broker (`npm test` starts it); unset, the rows that need it fail saying so. */
const tokenOf = (world: World, role: Role): string | undefined => (role === 'anonymous' ? undefined : world.tokens[role]);
const fresh = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

const pipelineBody = (world: World, name = fresh('p')) => ({
  name,
  team_id: world.t1,
  source_name: `${name}-src`,
  source_type: 'KAFKA_SOURCE',
  source_config: { topic: 'events', bootstrap_servers: '127.0.0.1:9' },
  target_name: `${name}-dst`,
  target_type: 'KAFKA_TARGET',
  target_config: { bootstrap_server: '127.0.0.1:9' },
});

async function freshPipeline(world: World, started = false): Promise<string> {
  const created = await world.api.request('POST', '/pipelines/', { token: world.tokens.teamOwner, json: pipelineBody(world) });
  const id = String(asRecord(created.body)['id']);
  if (started) await world.api.request('POST', `/pipelines/${id}/start`, { token: world.tokens.teamOwner });
  return id;
}

/** This world's export plus one event of a fresh stream: importing it needs an empty installation. */
async function notStoredYet(world: World): Promise<unknown> {
  const exported = asRecord((await world.api.request('GET', '/users/export-all', { token: world.tokens.superuser })).body);
  const metadata = { actorId: world.ids.superuser, correlationId: randomUUID(), causationId: randomUUID(), time: new Date().toISOString() };
  const probe = { id: randomUUID(), stream_id: fresh('probe'), revision: 0, type: 'Probe', data: {}, metadata };
  return { ...exported, events: [...(exported['events'] as unknown[]), probe] };
}

async function datamodelOf(world: World, pipelineId: string): Promise<string> {
  const pipeline = await world.api.request('GET', `/pipelines/${pipelineId}`, { token: world.tokens.superuser });
  return String(asRecord(pipeline.body)['datamodel_id']);
}

async function firstSubscriptionOf(world: World, pipelineId: string): Promise<string> {
  const listed = await world.api.request('GET', `/subscriptions/?pipeline_id=${pipelineId}`, { token: world.tokens.superuser });
  return String((asRecord(listed.body)['items'] as { id: string }[])[0]?.id);
}

/** A second subscription of a fresh pipeline, to be deleted. */
async function freshSubscription(world: World): Promise<string> {
  const json = { pipeline_id: await freshPipeline(world), target_table_name: fresh('table') };
  const created = await world.api.request('POST', '/subscriptions/', { token: world.tokens.teamOwner, json });
  return String(asRecord(created.body)['id']);
}

async function freshConnector(world: World): Promise<string> {
  const body = { name: fresh('c'), team_id: world.t1, connector_type: 'KAFKA_TARGET', config: { bootstrap_server: '127.0.0.1:9' } };
  return String(asRecord((await world.api.request('POST', '/connectors/', { token: world.tokens.teamOwner, json: body })).body)['id']);
}

async function freshTeam(world: World): Promise<string> {
  const team = await world.api.request('POST', '/teams/', { token: world.tokens.teamOwner, json: { name: fresh('t'), env_id: world.e1 } });
  const id = String(asRecord(team.body)['id']);
  await world.api.request('POST', `/teams/${id}/members/bulk`, {
    token: world.tokens.teamOwner,
    json: { members: [world.ids.teamMember] },
  });
  return id;
}

export const ROUTES: readonly Row[] = [
  { route: 'GET /livez', call: async () => ({ path: '/livez' }), expect: all(200, 200) },
  { route: 'GET /readyz', call: async () => ({ path: '/readyz' }), expect: all(200, 200) },
  { route: 'GET /healthchecks', call: async () => ({ path: '/healthchecks' }), expect: all(200, 200) },
  { route: 'GET /healthchecks/db', call: async () => ({ path: '/healthchecks/db' }), expect: all(200, 200) },
  {
    route: 'POST /auth/register',
    call: async () => ({ path: '/auth/register', json: { email: `${fresh('r')}@example.com`, password: 'password-123' } }),
    expect: all(201, 201),
  },
  {
    route: 'POST /auth/jwt/login',
    call: async (_world, role) => ({
      path: '/auth/jwt/login',
      form:
        role === 'superuser'
          ? { username: ADMIN.email, password: ADMIN.password }
          : { username: `${role === 'anonymous' ? 'teamMember' : role}@table.example.com`, password: 'password-123' },
    }),
    expect: all(200, 200),
  },
  {
    route: 'POST /auth/jwt/logout',
    call: async (world, role) => ({
      path: '/auth/jwt/logout',
      ...(role === 'anonymous'
        ? {}
        : {
            token: await world.api.login(
              role === 'superuser' ? ADMIN.email : `${role}@table.example.com`,
              role === 'superuser' ? ADMIN.password : 'password-123',
            ),
          }),
    }),
    expect: all(204),
  },
  {
    route: 'POST /auth/forgot-password',
    call: async () => ({ path: '/auth/forgot-password', json: { email: 'nobody@example.com' } }),
    expect: all(202, 202),
  },
  {
    route: 'POST /auth/reset-password',
    call: async () => ({ path: '/auth/reset-password', json: { token: `${randomUUID()}.nope`, password: 'password-123' } }),
    expect: all(400, 400),
  },
  { route: 'GET /users/me', call: async () => ({ path: '/users/me' }), expect: all(200) },
  { route: 'PATCH /users/me', call: async () => ({ path: '/users/me', json: {} }), expect: all(200) },
  {
    route: 'POST /users/me/change-password',
    call: async () => ({ path: '/users/me/change-password', json: { current_password: 'wrong-one', new_password: 'password-456' } }),
    expect: all(400),
  },
  {
    route: 'POST /users/me/service-account-token',
    call: async () => ({ path: '/users/me/service-account-token', json: { name: 'x' } }),
    expect: all(201),
  },
  { route: 'GET /users/me/service-account-tokens', call: async () => ({ path: '/users/me/service-account-tokens' }), expect: all(200) },
  {
    route: 'DELETE /users/me/service-account-tokens/{id}',
    call: async () => ({ path: `/users/me/service-account-tokens/${randomUUID()}` }),
    expect: all(404),
  },
  { route: 'GET /users', call: async () => ({ path: '/users' }), expect: superuserOnly(200) },
  { route: 'GET /users/{id}', call: async (world) => ({ path: `/users/${world.ids.teamMember}` }), expect: superuserOnly(200) },
  {
    route: 'PATCH /users/{id}',
    call: async (world) => ({ path: `/users/${(await world.api.register(`${fresh('p')}@example.com`)).id}`, json: { is_verified: true } }),
    expect: superuserOnly(200),
  },
  {
    route: 'DELETE /users/{id}',
    call: async (world) => ({ path: `/users/${(await world.api.register(`${fresh('d')}@example.com`)).id}` }),
    expect: superuserOnly(204),
  },
  { route: 'GET /users/export-all', call: async () => ({ path: '/users/export-all' }), expect: superuserOnly(200) },
  {
    // A valid document with one event not stored here: the superuser gets 409 (this world is not empty), nothing is appended.
    route: 'POST /users/import-all',
    call: async (world) => ({ path: '/users/import-all', json: await notStoredYet(world) }),
    expect: superuserOnly(409),
  },
  { route: 'POST /envs/', call: async () => ({ path: '/envs/', json: { name: fresh('env') } }), expect: all(201) },
  { route: 'GET /envs/', call: async () => ({ path: '/envs/' }), expect: all(200) },
  {
    route: 'GET /envs/filter-one',
    call: async (world) => ({ path: `/envs/filter-one?name=${world.e1Name}` }),
    expect: e1Readers(200, 404),
  },
  // A reachable cluster (the test broker) for every caller; anonymous is 401 before any check.
  {
    route: 'POST /envs/check-byok-credentials',
    call: async () => ({ path: '/envs/check-byok-credentials', json: { bootstrap_servers: testServer('TEST_KAFKA_BROKERS') } }),
    expect: all(200),
  },
  { route: 'GET /envs/{id}', call: async (world) => ({ path: `/envs/${world.e1}` }), expect: e1Readers(200) },
  {
    route: 'PATCH /envs/{id}',
    call: async (world) => ({ path: `/envs/${world.e1}`, json: { description: fresh('d') } }),
    expect: superuserOnly(200),
  },
  {
    route: 'DELETE /envs/{id}',
    call: async (world) => {
      const env = await world.api.request('POST', '/envs/', { token: world.tokens.superuser, json: { name: fresh('doomed') } });
      return { path: `/envs/${asRecord(env.body)['id']}` };
    },
    expect: superuserOnly(204),
  },
  {
    route: 'POST /teams/',
    call: async (world) => ({ path: '/teams/', json: { name: fresh('team'), env_id: world.e1 } }),
    expect: e1Readers(201),
  },
  { route: 'GET /teams/', call: async () => ({ path: '/teams/' }), expect: all(200) },
  {
    route: 'GET /teams/filter-one',
    call: async (world) => ({ path: `/teams/filter-one?name=T1&env_id=${world.e1}` }),
    expect: e1Readers(200, 404),
  },
  { route: 'GET /teams/{id}', call: async (world) => ({ path: `/teams/${world.t1}` }), expect: e1Readers(200) },
  {
    route: 'PATCH /teams/{id}',
    call: async (world) => ({ path: `/teams/${world.t1}`, json: { description: fresh('d') } }),
    expect: t1Managers(200),
  },
  { route: 'DELETE /teams/{id}', call: async (world) => ({ path: `/teams/${await freshTeam(world)}` }), expect: t1Managers(204) },
  { route: 'GET /teams/{id}/members', call: async (world) => ({ path: `/teams/${world.t1}/members` }), expect: e1Readers(200) },
  {
    route: 'POST /teams/{id}/members/bulk',
    call: async (world) => ({ path: `/teams/${world.t1}/members/bulk`, json: { members: [world.ids.teamMember] } }),
    expect: t1Managers(204),
  },
  {
    route: 'DELETE /teams/{id}/members/{user_id}',
    call: async (world) => ({ path: `/teams/${await freshTeam(world)}/members/${world.ids.teamMember}` }),
    // The member may leave the team; removing someone else needs ownership.
    expect: { ...t1Managers(204), teamMember: 204 },
  },
  { route: 'GET /user-logs', call: async () => ({ path: '/user-logs' }), expect: all(200) },
  { route: 'GET /connectors/source-config', call: async () => ({ path: '/connectors/source-config' }), expect: all(200) },
  { route: 'GET /connectors/target-config', call: async () => ({ path: '/connectors/target-config' }), expect: all(200) },
  { route: 'GET /connectors/filter-one', call: async () => ({ path: '/connectors/filter-one?name=P1-src' }), expect: e1Readers(200, 404) },
  {
    route: 'POST /connectors/',
    call: async (world) => ({
      path: '/connectors/',
      json: { name: fresh('c'), team_id: world.t1, connector_type: 'KAFKA_TARGET', config: { bootstrap_server: '127.0.0.1:9' } },
    }),
    expect: t1Operators(201),
  },
  { route: 'GET /connectors/{id}', call: async (world) => ({ path: `/connectors/${world.c1Source}` }), expect: e1Readers(200) },
  {
    route: 'PATCH /connectors/{id}',
    call: async (world) => ({ path: `/connectors/${world.c1Target}`, json: { name: fresh('renamed') } }),
    expect: t1Operators(200),
  },
  {
    route: 'DELETE /connectors/{id}',
    call: async (world) => ({ path: `/connectors/${await freshConnector(world)}` }),
    expect: t1Operators(204),
  },
  {
    route: 'GET /connectors/{id}/source-worker-config',
    call: async (world) => ({ path: `/connectors/${world.c1Source}/source-worker-config` }),
    expect: e1Readers(200),
  },
  {
    route: 'GET /connectors/{id}/target-worker-config',
    call: async (world) => ({ path: `/connectors/${world.c1Target}/target-worker-config` }),
    expect: e1Readers(200),
  },
  { route: 'GET /connectors/{id}/logs', call: async (world) => ({ path: `/connectors/${world.c1Source}/logs` }), expect: e1Readers(200) },
  {
    route: 'POST /connectors/{id}/start',
    call: async (world) => ({ path: `/connectors/${world.c1Source}/start` }),
    expect: t1Operators(202),
  },
  {
    route: 'POST /connectors/{id}/stop',
    call: async (world) => ({ path: `/connectors/${world.c1Source}/stop` }),
    expect: t1Operators(202),
  },
  { route: 'GET /datamodels/', call: async () => ({ path: '/datamodels/' }), expect: all(200) },
  {
    route: 'GET /datamodels/{id}',
    call: async (world) => ({ path: `/datamodels/${await datamodelOf(world, world.p1)}` }),
    expect: e1Readers(200),
  },
  {
    route: 'GET /datamodels/{id}/schema',
    call: async (world) => ({ path: `/datamodels/${await datamodelOf(world, world.p1)}/schema` }),
    expect: e1Readers(200),
  },
  {
    route: 'GET /datamodels/{id}/monitoring',
    call: async (world) => ({ path: `/datamodels/${await datamodelOf(world, world.p1)}/monitoring` }),
    expect: e1Readers(200),
  },
  {
    route: 'PATCH /datamodels/{id}/error-table',
    call: async (world) => ({
      path: `/datamodels/${await datamodelOf(world, world.p1)}/error-table`,
      json: { error_table_enabled: false },
    }),
    expect: t1Operators(200),
  },
  {
    route: 'DELETE /datamodels/{id}',
    call: async (world) => ({ path: `/datamodels/${await datamodelOf(world, await freshPipeline(world))}` }),
    expect: t1Operators(204),
  },
  { route: 'GET /subscriptions/', call: async () => ({ path: '/subscriptions/' }), expect: all(200) },
  {
    route: 'GET /subscriptions/{id}',
    call: async (world) => ({ path: `/subscriptions/${await firstSubscriptionOf(world, world.p1)}` }),
    expect: e1Readers(200),
  },
  // Rows that change a pipeline's settings use a fresh one: P1's version must not move under the PATCH row.
  {
    route: 'POST /subscriptions/',
    call: async (world) => ({
      path: '/subscriptions/',
      json: { pipeline_id: await freshPipeline(world), target_table_name: fresh('table') },
    }),
    expect: t1Operators(201),
  },
  {
    route: 'POST /subscriptions/subscribe-all',
    call: async (world) => ({
      path: '/subscriptions/subscribe-all',
      json: {
        pipeline_id: await freshPipeline(world),
        subscriptions: [{ target_table_name: fresh('a') }, { target_table_name: fresh('b') }],
      },
    }),
    expect: t1Operators(201),
  },
  {
    route: 'PATCH /subscriptions/{id}',
    call: async (world) => ({
      path: `/subscriptions/${await firstSubscriptionOf(world, await freshPipeline(world))}`,
      json: { backfill: true },
    }),
    expect: t1Operators(200),
  },
  {
    route: 'DELETE /subscriptions/{id}',
    call: async (world) => ({ path: `/subscriptions/${await freshSubscription(world)}` }),
    expect: t1Operators(204),
  },
  {
    route: 'POST /subscriptions/{id}/start',
    call: async (world) => ({ path: `/subscriptions/${await firstSubscriptionOf(world, await freshPipeline(world))}/start` }),
    expect: t1Operators(202),
  },
  {
    route: 'POST /subscriptions/{id}/pause',
    call: async (world) => ({ path: `/subscriptions/${await firstSubscriptionOf(world, await freshPipeline(world, true))}/pause` }),
    expect: t1Operators(202),
  },
  { route: 'POST /pipelines/', call: async (world) => ({ path: '/pipelines/', json: pipelineBody(world) }), expect: t1Operators(201) },
  { route: 'GET /pipelines/', call: async () => ({ path: '/pipelines/' }), expect: all(200) },
  { route: 'GET /pipelines/count-status', call: async () => ({ path: '/pipelines/count-status' }), expect: all(200) },
  { route: 'GET /pipelines/filter-one', call: async () => ({ path: '/pipelines/filter-one?name=P1' }), expect: e1Readers(200, 404) },
  { route: 'GET /pipelines/status/all-non-draft', call: async () => ({ path: '/pipelines/status/all-non-draft' }), expect: all(200) },
  { route: 'GET /pipelines/{id}', call: async (world) => ({ path: `/pipelines/${world.p1}` }), expect: e1Readers(200) },
  {
    route: 'GET /pipelines/{id}/worker-config',
    call: async (world) => ({ path: `/pipelines/${world.p1}/worker-config` }),
    expect: e1Readers(200),
  },
  {
    route: 'GET /pipelines/{id}/configuration',
    call: async (world) => ({ path: `/pipelines/${world.p1}/configuration` }),
    expect: e1Readers(200),
  },
  {
    route: 'POST /pipelines/{id}/configuration',
    call: async (world) => {
      const id = await freshPipeline(world);
      const exported = await world.api.request('GET', `/pipelines/${id}/configuration`, { token: world.tokens.teamOwner });
      return { path: `/pipelines/${id}/configuration`, json: exported.body };
    },
    expect: t1Operators(200),
  },
  { route: 'GET /pipelines/{id}/history', call: async (world) => ({ path: `/pipelines/${world.p1}/history` }), expect: e1Readers(200) },
  {
    route: 'GET /connectors/{id}/history',
    call: async (world) => ({ path: `/connectors/${world.c1Source}/history` }),
    expect: e1Readers(200),
  },
  { route: 'GET /pipelines/{id}/status', call: async (world) => ({ path: `/pipelines/${world.p1}/status` }), expect: e1Readers(200) },
  {
    route: 'GET /pipelines/{id}/latency-informations',
    call: async (world) => ({ path: `/pipelines/${world.p1}/latency-informations` }),
    expect: e1Readers(200),
  },
  { route: 'GET /pipelines/{id}/logs', call: async (world) => ({ path: `/pipelines/${world.p1}/logs` }), expect: e1Readers(200) },
  // P1 has no error table: those who may act on it learn so (409), the others are refused first.
  {
    route: 'GET /pipelines/{id}/error-rows',
    call: async (world) => ({ path: `/pipelines/${world.p1}/error-rows` }),
    expect: e1Readers(409),
  },
  {
    route: 'POST /pipelines/{id}/error-rows/replay',
    call: async (world) => ({ path: `/pipelines/${world.p1}/error-rows/replay`, json: { all: true } }),
    expect: t1Operators(409),
  },
  {
    route: 'PATCH /pipelines/{id}',
    call: async (world) => ({ path: `/pipelines/${world.p1}`, json: { subscription_backfill: true } }),
    expect: t1Operators(200),
  },
  {
    route: 'DELETE /pipelines/{id}',
    call: async (world) => ({ path: `/pipelines/${await freshPipeline(world)}` }),
    expect: t1Operators(204),
  },
  {
    route: 'POST /pipelines/{id}/start',
    call: async (world) => ({ path: `/pipelines/${await freshPipeline(world)}/start` }),
    expect: t1Operators(202),
  },
  {
    route: 'POST /pipelines/{id}/pause',
    call: async (world) => ({ path: `/pipelines/${await freshPipeline(world, true)}/pause` }),
    expect: t1Operators(202),
  },
  // A limit out of range: a 422 once authorised, without touching the (unreachable) source or target.
  {
    route: 'POST /pipelines/{id}/dry-run',
    call: async (world) => ({ path: `/pipelines/${world.p1}/dry-run`, json: { limit: 0 } }),
    expect: t1Operators(422),
  },
  // Not resource-scoped: every authenticated caller gets the same answer; anonymous 401 before the body is read.
  {
    route: 'POST /smt/process_mapper',
    call: async () => ({ path: '/smt/process_mapper', json: { config: [{ key: 'a', path: '$.a', cast: 'int' }], message: { a: '1' } } }),
    expect: all(200),
  },
  {
    route: 'POST /connector-types/kafka-source/check-credentials',
    call: async () => ({
      path: '/connector-types/kafka-source/check-credentials',
      json: { bootstrap_servers: testServer('TEST_KAFKA_BROKERS'), topic: 'test-topic', security_protocol: 'PLAINTEXT' },
    }),
    expect: all(200),
  },
  {
    route: 'POST /connector-types/kafka-source/list-topics',
    call: async () => ({
      path: '/connector-types/kafka-source/list-topics',
      json: { bootstrap_servers: testServer('TEST_KAFKA_BROKERS') },
    }),
    expect: all(200),
  },
  {
    route: 'POST /connector-types/kafka-source/fetch-messages',
    // No topic: a 422, the same for every caller, without touching a broker.
    call: async () => ({ path: '/connector-types/kafka-source/fetch-messages', json: { bootstrap_servers: 'kafka:9092', limit: 5 } }),
    expect: all(422),
  },
  {
    route: 'POST /connector-types/oracle-target/check-credentials',
    call: async () => ({ path: '/connector-types/oracle-target/check-credentials', json: { host: 'oracle.company.com', port: '1521' } }),
    expect: all(422),
  },
  {
    route: 'POST /connector-types/postgres-target/check-credentials',
    call: async () => ({
      path: '/connector-types/postgres-target/check-credentials',
      json: { host: 'db.company.com', port: 'not-a-port' },
    }),
    expect: all(422),
  },
  // A live rebuild: serial (AVA runs serial tests before the others) and settled, so that a slow
  // MongoDB rebuild does not make the other rows' writes wait past their read-your-writes timeout;
  // test/projections/liveRebuild.test.ts is where traffic during a rebuild is tested.
  { route: 'POST /admin/rebuild', call: async () => ({ path: '/admin/rebuild' }), expect: superuserOnly(202), settle: rebuildFinished },
  { route: 'GET /admin/rebuild', call: async () => ({ path: '/admin/rebuild' }), expect: superuserOnly(200) },
];

async function rebuildFinished(world: World): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt += 1) {
    const status = asRecord((await world.api.request('GET', '/admin/rebuild', { token: world.tokens.superuser })).body);
    if (status['running'] !== true) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the rebuild did not finish within 60 s');
}

async function buildWorld(api: Api): Promise<World> {
  const superuser = await api.login(ADMIN.email, ADMIN.password);
  const users = {
    teamOwner: await api.register('teamOwner@table.example.com'),
    teamMember: await api.register('teamMember@table.example.com'),
    envMember: await api.register('envMember@table.example.com'),
    outsider: await api.register('outsider@table.example.com'),
  };
  const tokens = {
    superuser,
    teamOwner: await api.login('teamOwner@table.example.com'),
    teamMember: await api.login('teamMember@table.example.com'),
    envMember: await api.login('envMember@table.example.com'),
    outsider: await api.login('outsider@table.example.com'),
  };
  const me = asRecord((await api.request('GET', '/users/me', { token: superuser })).body);
  const e1Name = fresh('E1');
  const e1 = String(asRecord((await api.request('POST', '/envs/', { token: superuser, json: { name: e1Name } })).body)['id']);
  const t0 = String(asRecord((await api.request('POST', '/teams/', { token: superuser, json: { name: 'T0', env_id: e1 } })).body)['id']);
  await api.request('POST', `/teams/${t0}/members/bulk`, { token: superuser, json: { members: [users.teamOwner.id, users.envMember.id] } });
  const t1 = String(
    asRecord((await api.request('POST', '/teams/', { token: tokens.teamOwner, json: { name: 'T1', env_id: e1 } })).body)['id'],
  );
  await api.request('POST', `/teams/${t1}/members/bulk`, { token: tokens.teamOwner, json: { members: [users.teamMember.id] } });
  await api.request('POST', '/envs/', { token: tokens.outsider, json: { name: fresh('E2') } });
  const partial = { api, tokens, e1, e1Name, t1 } as const;
  const ids = {
    superuser: String(me['id']),
    ...Object.fromEntries(Object.entries(users).map(([role, user]) => [role, user.id])),
  } as World['ids'];
  const p1 = asRecord(
    (
      await api.request('POST', '/pipelines/', {
        token: tokens.teamOwner,
        json: pipelineBody({ ...partial, ids, p1: '', c1Source: '', c1Target: '' }, 'P1'),
      })
    ).body,
  )['id'];
  const connectorNamed = async (name: string) =>
    String(
      asRecord((await api.request('GET', `/connectors/filter-one?name=${name}&team_id=${t1}`, { token: tokens.teamOwner })).body)['id'],
    );
  return { ...partial, ids, p1: String(p1), c1Source: await connectorNamed('P1-src'), c1Target: await connectorNamed('P1-dst') };
}

/** Registers one test per route; each calls the route as every role over real HTTP. */
export function authorizationTable(test: TestFn, name: string, mongoUrl: () => string | undefined): void {
  let world: World | undefined;
  test.before(async () => {
    world = await buildWorld(await startApi({ mongoUrl: mongoUrl() }));
  });
  test.after.always(async () => {
    await world?.api.stop();
  });
  for (const row of ROUTES) {
    (row.settle === undefined ? test : test.serial)(`${name}: ${row.route}`, async (t) => {
      if (world === undefined) return t.fail('the world was not built');
      const [method = 'GET'] = row.route.split(' ');
      const got: Partial<Record<Role, number>> = {};
      for (const role of ROLES) {
        const request = await row.call(world, role);
        const token = 'token' in request ? request.token : tokenOf(world, role);
        const answer = await world.api.request(method, request.path, {
          token,
          ...(request.json !== undefined ? { json: request.json } : {}),
          ...(request.form ? { form: request.form } : {}),
        });
        got[role] = answer.status;
        // A status the row does not expect is explained by its body in the failure report.
        if (answer.status !== row.expect[role]) t.log(`${role}: ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      await row.settle?.(world);
      t.deepEqual(got, row.expect);
    });
  }
}
