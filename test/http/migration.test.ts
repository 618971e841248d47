import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, asRecord, noSecretInClear, startApi, type Api } from './apiFixtures';
import { allPages, ok, type Body } from './installationFixtures';

/**
 * Moving an installation as README's "Moving an installation" says: A and B both started with
 * the same POPSINK_ADMIN_EMAIL and POPSINK_SECRET_KEY; B holds nothing but its bootstrap
 * superuser, so the document's account with that email takes its place, and every GET answers
 * the same on both (running pipelines aside: an import brings them back paused). Then the
 * replace mode over a non-empty installation, and its refusals.
 */
const SECRET_KEY = randomBytes(32).toString('base64');
const SECRETS = [`sasl-${randomUUID()}`, `pg-${randomUUID()}`];
/** B runs API and runtime in one process: what can swap its log while running. */
const SINGLE_PROCESS = { POPSINK_SECRET_KEY: SECRET_KEY, POPSINK_ROLE: 'all', POPSINK_WORKER_PROCESSES: '1' };

let a: Api | undefined;
let b: Api | undefined;
const others: Api[] = [];
let document: Body | undefined;
let imported: Body | undefined;
let adminA = '';
const started = new Set<string>();
const pipelineIds: string[] = [];
let connectorIds: string[] = [];
let errorsConnectorId = '';
const teamIds: string[] = [];

noSecretInClear(test, () => b, SECRETS);

async function populate(api: Api): Promise<void> {
  adminA = await api.login(ADMIN.email, ADMIN.password);
  const alice = await api.register('alice@example.com');
  const bob = await api.register('bob@example.com');
  const aliceToken = await api.login('alice@example.com');
  const env = await ok(api, 'POST', '/envs/', aliceToken, { name: 'production' });
  for (const name of ['data', 'ops'])
    teamIds.push(String((await ok(api, 'POST', '/teams/', aliceToken, { name, env_id: env['id'] }))['id']));
  await ok(api, 'POST', `/teams/${teamIds[0]}/members/bulk`, aliceToken, { members: [bob.id] });
  const errors = await ok(api, 'POST', '/connectors/', aliceToken, {
    name: 'errors-db',
    team_id: teamIds[0],
    connector_type: 'POSTGRES_TARGET',
    config: { host: 'db', port: '5432', database: 'dw', user: 'etl', password: SECRETS[1] },
  });
  errorsConnectorId = String(errors['id']);
  for (let i = 0; i < 6; i++) {
    const created = await ok(api, 'POST', '/pipelines/', aliceToken, {
      name: `p${i}`,
      team_id: teamIds[i % 2],
      source_name: `p${i}-src`,
      source_type: 'KAFKA_SOURCE',
      source_config: {
        topic: `t${i}`,
        bootstrap_servers: 'kafka:9092',
        ...(i === 0 ? { security_protocol: 'SASL_PLAINTEXT', sasl_mechanism: 'PLAIN', sasl_username: 'u', sasl_password: SECRETS[0] } : {}),
      },
      target_name: `p${i}-dst`,
      target_type: 'KAFKA_TARGET',
      target_config: { bootstrap_server: 'kafka:9092' },
    });
    const id = String(created['id']);
    pipelineIds.push(id);
    if (i === 0)
      await ok(api, 'PATCH', `/pipelines/${id}`, aliceToken, {
        datamodel_error_table_enabled: true,
        datamodel_error_table_name: 'errors',
        datamodel_error_table_target_id: errors['id'],
      });
    if (i % 2 === 0)
      await ok(api, 'POST', '/subscriptions/', aliceToken, { pipeline_id: id, target_table_name: `extra_${i}`, mapper_config: [] });
    if (i % 3 === 0) {
      await ok(api, 'POST', `/pipelines/${id}/start`, aliceToken);
      started.add(id);
    }
  }
  await ok(api, 'PATCH', `/users/${alice.id}`, adminA, { is_verified: true });
}

test.before(async () => {
  a = await startApi({ env: { POPSINK_SECRET_KEY: SECRET_KEY } });
  await populate(a);
  document = await ok(a, 'GET', '/users/export-all', adminA);
  connectorIds = (asRecord(document['state'])['connectors'] as Body[]).map((c) => String(c['id']));
  b = await startApi({ env: SINGLE_PROCESS });
  const bootstrap = await b.login(ADMIN.email, ADMIN.password);
  const res = await b.request('POST', '/users/import-all', { token: bootstrap, json: document });
  if (res.status !== 200) throw new Error(`import: ${res.status} ${JSON.stringify(res.body)}`);
  imported = asRecord(res.body);
});

test.after.always(async () => {
  await a?.stop();
  await b?.stop();
  for (const api of others) await api.stop();
});

test('B, holding only its bootstrap superuser, takes the document whole and says whose account replaced its own', (t) => {
  const result = imported ?? {};
  t.is(result['mode'], 'replace');
  t.is(result['events_in_document'], (document?.['events'] as unknown[]).length);
  t.is(result['pipelines_paused'], started.size);
  const replaced = asRecord(result['superuser_replaced']);
  t.is(replaced['email'], ADMIN.email);
  t.not(replaced['user_id'], replaced['previous_user_id']);
  t.regex(String(asRecord(result['archived_log'])['name']), /\.sqlite$/);
  t.true(existsSync(join(b?.dataDir ?? '', 'archive')));
});

/** A running pipeline comes back paused; its `updated_at` is the pause's. */
const pausedByImport = (body: Body): Body =>
  started.has(String(body['id'])) ? { ...body, state: 'paused', updated_at: '(paused by the import)' } : body;
const subscriptionPaused = (body: Body): Body => (started.has(String(body['pipeline_id'])) ? { ...body, state: 'paused' } : body);
const runningCountedPaused = (counts: Body): Body => ({
  ...counts,
  paused: Number(counts['paused'] ?? 0) + Number(counts['building'] ?? 0),
  building: 0,
});

test('every list and every GET answers the same on A and B, as the admin', async (t) => {
  if (a === undefined || b === undefined) return t.fail('not started');
  const adminB = await b.login(ADMIN.email, ADMIN.password);
  const importer = String(asRecord(imported?.['superuser_replaced'])['previous_user_id']);
  /** What only B has: the pauses of the import, done by the account that asked for it. */
  const byImporter = (entry: Body): boolean => entry['user_id'] === importer || entry['actor_id'] === importer;
  const same = async (path: string, normalize: (body: Body) => Body = (x) => x): Promise<void> => {
    t.deepEqual(normalize(await ok(b!, 'GET', path, adminB)), normalize(await ok(a!, 'GET', path, adminA)), `GET ${path}`);
  };
  const sameList = async (path: string, normalize: (body: Body) => Body = (x) => x): Promise<void> => {
    const expected = (await allPages(a!, path, adminA)).map(normalize);
    const got = (await allPages(b!, path, adminB)).filter((item) => !byImporter(item)).map(normalize);
    t.deepEqual(got, expected, `GET ${path} (every page)`);
  };
  await same('/users/me');
  await sameList('/users/');
  await sameList('/envs/');
  await sameList('/teams/');
  for (const id of teamIds) {
    await same(`/teams/${id}`);
    t.deepEqual(await ok(b, 'GET', `/teams/${id}/members`, adminB), await ok(a, 'GET', `/teams/${id}/members`, adminA), `members of ${id}`);
  }
  for (const id of connectorIds) {
    await same(`/connectors/${id}`);
    await sameList(`/connectors/${id}/history`);
  }
  await sameList('/pipelines/', pausedByImport);
  await sameList('/subscriptions/', subscriptionPaused);
  await sameList('/datamodels/');
  await same('/pipelines/count-status', runningCountedPaused);
  for (const id of pipelineIds) {
    await same(`/pipelines/${id}`, pausedByImport);
    await sameList(`/pipelines/${id}/history`);
  }
  await sameList('/user-logs');
  const first = await ok(b, 'GET', `/pipelines/${pipelineIds[0]}`, adminB);
  t.true(JSON.stringify(first).includes(errorsConnectorId), 'the error table still points at its connector');
  t.is(asRecord(first['source_config'])['sasl_password'], '********');
});

test('replace over a non-empty installation: archived and listed; an invalid document or another key leaves the old log live', async (t) => {
  if (b === undefined) return t.fail('not started');
  const c = await startApi({ env: SINGLE_PROCESS });
  others.push(c);
  const admin = await c.login(ADMIN.email, ADMIN.password);
  await ok(c, 'POST', '/envs/', admin, { name: 'mine' });
  const events = document?.['events'] as Body[];

  const invalid = await c.request('POST', '/users/import-all?mode=replace', {
    token: admin,
    json: { ...document, events: events.map((e, i) => (i === events.length - 1 ? { ...e, revision: 99 } : e)) },
  });
  t.is(invalid.status, 422);
  const foreign = await startApi({ env: { ...SINGLE_PROCESS, POPSINK_SECRET_KEY: randomBytes(32).toString('base64') } });
  others.push(foreign);
  const foreignAdmin = await foreign.login(ADMIN.email, ADMIN.password);
  const refused = await foreign.request('POST', '/users/import-all?mode=replace', { token: foreignAdmin, json: document });
  t.deepEqual(refused.body, { detail: 'SECRET_KEY_MISMATCH' });
  t.is(((await ok(c, 'GET', '/envs/', admin))['items'] as Body[]).map((e) => e['name']).join(), 'mine', 'the old log is still live');
  t.deepEqual(await ok(c, 'GET', '/users/import-all/archives', admin), { items: [] });

  t.is((await c.request('POST', '/users/import-all', { token: admin, json: document })).status, 409);
  const replaced = await c.request('POST', '/users/import-all?mode=replace', { token: admin, json: document });
  t.is(replaced.status, 200, JSON.stringify(replaced.body));
  t.like(asRecord(replaced.body), { mode: 'replace', pipelines_paused: started.size });
  const again = await c.login(ADMIN.email, ADMIN.password);
  t.deepEqual(
    ((await ok(c, 'GET', '/envs/', again))['items'] as Body[]).map((e) => e['name']),
    ['production'],
  );
  t.is((await ok(c, 'GET', '/pipelines/', again))['total'], pipelineIds.length);
  const archives = (await ok(c, 'GET', '/users/import-all/archives', again))['items'] as Body[];
  t.is(archives.length, 1);
  t.is(archives[0]?.['name'], asRecord(asRecord(replaced.body)['archived_log'])['name']);
  // The runtime came back, and starts nothing the import paused.
  t.deepEqual(c.platform.supervisor?.workers(), []);
});

test('replace needs one process on the embedded log; a merge whose ids clash lists them', async (t) => {
  const api = await startApi({ env: { POPSINK_SECRET_KEY: SECRET_KEY } });
  others.push(api);
  const admin = await api.login(ADMIN.email, ADMIN.password);
  const refused = await api.request('POST', '/users/import-all?mode=replace', { token: admin, json: document });
  t.is(refused.status, 409);
  t.is(asRecord(asRecord(refused.body)['detail'])['code'], 'REPLACE_UNAVAILABLE');
  await api.register('alice@example.com');
  const clash = await api.request('POST', '/users/import-all?mode=merge', { token: admin, json: document });
  t.is(clash.status, 409);
  const detail = asRecord(asRecord(clash.body)['detail']);
  t.is(detail['code'], 'IMPORT_STREAM_CONFLICT');
  const values = (detail['conflicts'] as Body[]).map((c) => c['value']).sort();
  t.deepEqual(values, ['admin@example.com', 'alice@example.com']);
});
