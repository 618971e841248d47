import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { ADMIN, asRecord, noSecretInClear, startApi, type Api } from './apiFixtures';
import { allPages, ok, type Body } from './installationFixtures';

/**
 * Export a populated installation, import it into a fresh one with the same secret key, and
 * compare what every GET answers. The fresh installation is bootstrapped with ANOTHER superuser
 * (the importer): the document brings the source's own superuser, admin@example.com, whose email
 * the target's bootstrap account would otherwise already hold. The comparison is then made as
 * the same users on both sides (their password hashes travel with the log).
 */

const SECRET_KEY = randomBytes(32).toString('base64');
const IMPORTER = { email: 'importer@example.com', password: 'importer-password-1' };
const importerEnv = (key = SECRET_KEY) => ({
  POPSINK_SECRET_KEY: key,
  POPSINK_ADMIN_EMAIL: IMPORTER.email,
  POPSINK_ADMIN_PASSWORD: IMPORTER.password,
});
const SECRETS = Array.from({ length: 6 }, (_, i) => `kafka-secret-${i}-${randomUUID().slice(0, 6)}`);

interface Populated {
  readonly adminToken: string;
  readonly alice: { id: string; token: string };
  readonly pipelineIds: string[];
  readonly startedIds: Set<string>;
  readonly teamIds: string[];
}

let source: Api | undefined;
let target: Api | undefined;
const others: Api[] = [];
let world: Populated | undefined;
let document: Body | undefined;
let firstImport: Body | undefined;

noSecretInClear(test, () => source, SECRETS);

async function populate(api: Api): Promise<Populated> {
  const adminToken = await api.login(ADMIN.email, ADMIN.password);
  const alice = await api.register('alice@example.com');
  const bob = await api.register('bob@example.com');
  const carol = await api.register('carol@example.com');
  const aliceToken = await api.login('alice@example.com');
  await ok(api, 'PATCH', `/users/${bob.id}`, adminToken, { is_verified: true });

  const env = await ok(api, 'POST', '/envs/', aliceToken, { name: 'production' });
  const data = await ok(api, 'POST', '/teams/', aliceToken, { name: 'data', env_id: env['id'] });
  const ops = await ok(api, 'POST', '/teams/', aliceToken, { name: 'ops', env_id: env['id'] });
  await ok(api, 'POST', `/teams/${String(data['id'])}/members/bulk`, aliceToken, { members: [bob.id], owners: [carol.id] });
  await ok(api, 'POST', `/teams/${String(ops['id'])}/members/bulk`, aliceToken, { members: [carol.id] });
  await ok(api, 'PATCH', `/teams/${String(ops['id'])}`, aliceToken, { name: 'operations' });

  // Connectors of their own, with secrets, one of them changed since.
  const standalone = await ok(api, 'POST', '/connectors/', aliceToken, {
    name: 'events-source',
    team_id: data['id'],
    connector_type: 'KAFKA_SOURCE',
    config: {
      topic: 'events',
      bootstrap_servers: 'kafka:9092',
      security_protocol: 'SASL_PLAINTEXT',
      sasl_mechanism: 'PLAIN',
      sasl_username: 'u',
      sasl_password: SECRETS[0],
    },
  });
  await ok(api, 'PATCH', `/connectors/${String(standalone['id'])}`, aliceToken, { name: 'events-source-v2' });
  // A refused create whose name claim was made and released: the log keeps a claim for an owner
  // that never existed, which the import must take as it is.
  const blank = await api.request('POST', '/connectors/', {
    token: aliceToken,
    json: { name: ' ', team_id: data['id'], connector_type: 'KAFKA_TARGET', config: { bootstrap_server: 'kafka:9092' } },
  });
  if (blank.status !== 422) throw new Error(`a blank connector name: ${blank.status}`);
  await ok(api, 'POST', '/connectors/', aliceToken, {
    name: 'sink',
    team_id: ops['id'],
    connector_type: 'KAFKA_TARGET',
    config: { bootstrap_server: 'kafka:9092' },
  });

  const pipelineIds: string[] = [];
  const startedIds = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const name = `p${String(i).padStart(2, '0')}`;
    const team = i % 5 === 4 ? ops : data;
    const created = await ok(api, 'POST', '/pipelines/', aliceToken, {
      name,
      team_id: team['id'],
      source_name: `${name}-src`,
      source_type: 'KAFKA_SOURCE',
      source_config: {
        topic: `topic-${i}`,
        bootstrap_servers: 'kafka:9092',
        ...(i < 5
          ? { security_protocol: 'SASL_PLAINTEXT', sasl_mechanism: 'PLAIN', sasl_username: 'u', sasl_password: SECRETS[i + 1] }
          : {}),
      },
      target_name: `${name}-dst`,
      target_type: 'KAFKA_TARGET',
      target_config: { bootstrap_server: 'kafka:9092' },
    });
    const id = String(created['id']);
    pipelineIds.push(id);
    // History: renames and setting changes, some started, some paused again.
    if (i % 3 === 0) await ok(api, 'PATCH', `/pipelines/${id}`, aliceToken, { name: `${name}-renamed` });
    if (i % 4 === 0) await ok(api, 'PATCH', `/pipelines/${id}`, aliceToken, { subscription_backfill: true });
    if (i % 5 === 0) {
      await ok(api, 'POST', `/pipelines/${id}/start`, aliceToken);
      startedIds.add(id);
    }
    if (i % 10 === 0) {
      await ok(api, 'POST', `/pipelines/${id}/pause`, aliceToken);
      startedIds.delete(id);
    }
  }
  return {
    adminToken,
    alice: { id: alice.id, token: aliceToken },
    pipelineIds,
    startedIds,
    teamIds: [String(data['id']), String(ops['id'])],
  };
}

const eventCount = async (api: Api, token: string): Promise<number> =>
  ((await ok(api, 'GET', '/users/export-all', token))['events'] as unknown[]).length;

test.before(async () => {
  source = await startApi({ env: { POPSINK_SECRET_KEY: SECRET_KEY } });
  world = await populate(source);
  document = await ok(source, 'GET', '/users/export-all', world.adminToken);
  target = await startApi({ env: importerEnv() });
  const importer = await target.login(IMPORTER.email, IMPORTER.password);
  const imported = await target.request('POST', '/users/import-all', { token: importer, json: document });
  if (imported.status !== 200) throw new Error(`import: ${imported.status} ${JSON.stringify(imported.body)}`);
  firstImport = asRecord(imported.body);
});

test.after.always(async () => {
  await source?.stop();
  await target?.stop();
  for (const api of others) await api.stop();
});

test('the export is a versioned document: state from the read models, the whole log, secrets sealed', (t) => {
  const doc = document ?? {};
  t.is(doc['format'], 'popsink.installation.v1');
  t.regex(String(doc['secret_key_fingerprint']), /^[0-9a-f]{16}$/);
  const state = asRecord(doc['state']);
  t.is((state['pipelines'] as unknown[]).length, 50);
  t.is((state['connectors'] as unknown[]).length, 102);
  t.is((state['users'] as unknown[]).length, 4);
  t.is((state['datamodels'] as unknown[]).length, 50);
  const events = doc['events'] as Body[];
  t.true(events.length > 300);
  t.deepEqual(Object.keys(events[0] ?? {}).sort(), ['data', 'id', 'metadata', 'revision', 'stream_id', 'type']);
  const text = JSON.stringify(doc);
  t.log(`${events.length} events, ${Math.round(text.length / 1024)} KiB (imports are bounded by POPSINK_BODY_LIMIT, 1mb by default)`);
  for (const secret of SECRETS) t.false(text.includes(secret));
  t.true(text.includes(`sealed:v1:${String(doc['secret_key_fingerprint'])}:`));
});

test('the import appends the whole log and pauses what was running', (t) => {
  const result = firstImport ?? {};
  t.is(result['events_in_document'], (document?.['events'] as unknown[]).length);
  t.is(result['events_appended'], result['events_in_document']);
  t.is(result['events_already_stored'], 0);
  t.is(result['pipelines_paused'], world?.startedIds.size);
  t.true((world?.startedIds.size ?? 0) > 0);
  t.like(asRecord(result['counts']), { users: 5, envs: 1, teams: 2, connectors: 102, pipelines: 50 });
});

/**
 * What may differ between the two installations, and why:
 * - a pipeline that was running (building / live / error) is `paused` in the target, and its
 *   `updated_at` is the time of that pause: an import starts no worker; an operator restarts it.
 *   Nothing else of a pipeline changes (version, settings, times of everything else); its
 *   subscriptions show the pipeline's state, so `paused` too;
 * - hence `count-status` counts them as paused, not building;
 * - the target has one more user, the importer (its bootstrap superuser), and one more audit
 *   entry per action of it (its registration, the pauses of the import): left out before comparing.
 * Everything else, ids, versions, times and the order of lists included, must be equal.
 */
const pausedByImport =
  (started: ReadonlySet<string>) =>
  (body: Body): Body =>
    started.has(String(body['id'])) ? { ...body, state: 'paused', updated_at: '(the pause of the import)' } : body;
/** A subscription shows its pipeline's state. */
const subscriptionPausedByImport =
  (started: ReadonlySet<string>) =>
  (body: Body): Body =>
    started.has(String(body['pipeline_id'])) ? { ...body, state: 'paused' } : body;
const runningCountedPaused = (counts: Body): Body => ({
  ...counts,
  paused: Number(counts['paused'] ?? 0) + Number(counts['building'] ?? 0),
  building: 0,
});

test('every GET answers the same in both installations (as the superuser and as a user)', async (t) => {
  if (source === undefined || target === undefined || world === undefined) return t.fail('not started');
  const paused = pausedByImport(world.startedIds);
  const sides = [
    { who: 'admin', src: world.adminToken, dst: await target.login(ADMIN.email, ADMIN.password) },
    { who: 'alice', src: world.alice.token, dst: await target.login('alice@example.com') },
  ];
  const importerId = String((await ok(target, 'GET', '/users/me', await target.login(IMPORTER.email, IMPORTER.password)))['id']);
  for (const { who, src, dst } of sides) {
    /** `normalize` is applied to both answers: it erases only what must differ. */
    const same = async (path: string, normalize: (body: Body) => Body = (b) => b) => {
      const expected = await ok(source!, 'GET', path, src);
      const got = await ok(target!, 'GET', path, dst);
      t.deepEqual(normalize(got), normalize(expected), `${who}: GET ${path}`);
    };
    /** Every page; `onlyInTarget` picks the items the target has on top (the importer's). */
    const sameList = async (
      path: string,
      normalize: (body: Body) => Body = (b) => b,
      onlyInTarget: (body: Body) => boolean = () => false,
    ) => {
      const expected = await allPages(source!, path, src);
      const got = (await allPages(target!, path, dst)).filter((item) => !onlyInTarget(item));
      t.deepEqual(got.map(normalize), expected.map(normalize), `${who}: GET ${path} (every page)`);
    };
    await same('/users/me');
    await same('/envs/');
    await same('/teams/');
    for (const teamId of world.teamIds) {
      await same(`/teams/${teamId}`);
      await same(`/teams/${teamId}/members`);
    }
    // No connector list in the API: each connector, by the ids the export's state holds.
    for (const connector of asRecord(document?.['state'])['connectors'] as Body[]) await same(`/connectors/${String(connector['id'])}`);
    await sameList('/pipelines/', paused);
    await sameList('/subscriptions/', subscriptionPausedByImport(world.startedIds));
    await sameList('/datamodels/');
    for (const id of world.pipelineIds) await same(`/pipelines/${id}`, paused);
    await same('/pipelines/count-status', runningCountedPaused);
    await sameList(
      '/user-logs',
      (entry) => entry,
      (entry) => entry['user_id'] === importerId || entry['resource_id'] === importerId,
    );
    if (who === 'admin')
      await sameList(
        '/users/',
        (u) => u,
        (u) => u['id'] === importerId,
      );
  }
});

test('importing the same document again changes nothing', async (t) => {
  if (target === undefined) return t.fail('not started');
  const importer = await target.login(IMPORTER.email, IMPORTER.password);
  const before = await eventCount(target, importer);
  const again = await target.request('POST', '/users/import-all', { token: importer, json: document });
  t.is(again.status, 200);
  t.like(asRecord(again.body), {
    events_appended: 0,
    events_already_stored: (document?.['events'] as unknown[]).length,
    pipelines_paused: 0,
  });
  t.deepEqual(asRecord(again.body)['counts'], firstImport?.['counts']);
  t.is(await eventCount(target, importer), before);
});

test('export-all and import-all are for superusers only', async (t) => {
  if (target === undefined) return t.fail('not started');
  const alice = await target.login('alice@example.com');
  t.is((await target.request('GET', '/users/export-all', { token: alice })).status, 403);
  const refused = await target.request('POST', '/users/import-all', { token: alice, json: document });
  t.is(refused.status, 403);
  t.is((await target.request('POST', '/users/import-all', { token: alice, json: { not: 'a document' } })).status, 403);
  t.is((await target.request('GET', '/users/export-all')).status, 401);
});

test('into a non-empty installation: 409 and nothing appended, unless asked to merge', async (t) => {
  const api = await startApi({ env: importerEnv() });
  others.push(api);
  const importer = await api.login(IMPORTER.email, IMPORTER.password);
  await ok(api, 'POST', '/envs/', importer, { name: 'already-here' });
  const before = await eventCount(api, importer);
  const refused = await api.request('POST', '/users/import-all', { token: importer, json: document });
  t.is(refused.status, 409);
  t.deepEqual(refused.body, { detail: 'INSTALLATION_NOT_EMPTY' });
  t.is(await eventCount(api, importer), before);

  const merged = await api.request('POST', '/users/import-all?merge=true', { token: importer, json: document });
  t.is(merged.status, 200);
  t.like(asRecord(merged.body), { events_appended: (document?.['events'] as unknown[]).length });
  t.like(asRecord(asRecord(merged.body)['counts']), { envs: 2, pipelines: 50 });
});

test('a stream that exists here with other events is a conflict, refused before anything is appended', async (t) => {
  // Bootstrapped with the source's own superuser email: its reservation stream exists on both sides.
  const api = await startApi({ env: { POPSINK_SECRET_KEY: SECRET_KEY } });
  others.push(api);
  const admin = await api.login(ADMIN.email, ADMIN.password);
  const before = await eventCount(api, admin);
  const refused = await api.request('POST', '/users/import-all', { token: admin, json: document });
  t.is(refused.status, 409);
  t.is(asRecord(asRecord(refused.body)['detail'])['code'], 'IMPORT_STREAM_CONFLICT');
  t.is(await eventCount(api, admin), before);
});

test('another secret key: refused with SECRET_KEY_MISMATCH, nothing appended', async (t) => {
  const api = await startApi({ env: importerEnv(randomBytes(32).toString('base64')) });
  others.push(api);
  const importer = await api.login(IMPORTER.email, IMPORTER.password);
  const before = await eventCount(api, importer);
  const refused = await api.request('POST', '/users/import-all', { token: importer, json: document });
  t.is(refused.status, 409);
  t.deepEqual(refused.body, { detail: 'SECRET_KEY_MISMATCH' });
  // Relabelling the document does not help: the sealed secrets name the key that sealed them.
  const relabelled = await api.request('POST', '/users/import-all', {
    token: importer,
    json: {
      ...document,
      secret_key_fingerprint: String(asRecord(await ok(api, 'GET', '/users/export-all', importer))['secret_key_fingerprint']),
    },
  });
  t.deepEqual(relabelled.body, { detail: 'SECRET_KEY_MISMATCH' });
  t.is(await eventCount(api, importer), before);
});

test('a malformed document: 422, nothing appended', async (t) => {
  const api = await startApi({ env: importerEnv() });
  others.push(api);
  const importer = await api.login(IMPORTER.email, IMPORTER.password);
  const before = await eventCount(api, importer);
  const events = document?.['events'] as Body[];
  const broken = [
    { ...document, format: 'popsink.installation.v0' },
    { ...document, events: [...events.slice(0, -1), { ...events[events.length - 1], metadata: { actorId: 'x' } }] },
    // A revision gap, and an event of ours whose data does not decode: found after the codec.
    { ...document, events: events.map((e, i) => (i === 5 ? { ...e, revision: 99 } : e)) },
    { ...document, events: events.map((e, i) => (i === events.length - 1 ? { ...e, data: { nonsense: true } } : e)) },
    { ...document, events: [...events, events[0]] },
  ];
  for (const json of broken) {
    const refused = await api.request('POST', '/users/import-all', { token: importer, json });
    t.is(refused.status, 422);
    t.true(Array.isArray(asRecord(refused.body)['detail']));
  }
  t.is((await api.request('POST', '/users/import-all', { token: importer, raw: '{"format":' })).status, 422);
  t.is(await eventCount(api, importer), before);
  t.is((await ok(api, 'GET', '/pipelines/', importer))['total'], 0);
});
