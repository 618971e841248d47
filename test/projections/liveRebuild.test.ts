import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { ADMIN, asRecord, startApi, type Api } from '../http/apiFixtures';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { generationalReadStore, GENERATION_CHECKPOINT } from '../../projections/blueGreenReadStore';

/**
 * Rebuild while serving: a populated API rebuilds its read models into a new generation while
 * readers list and get, and a writer creates teams and pipelines and reads each back at once.
 * No request may fail, no list may ever shrink (a half-built generation must stay invisible),
 * and after the swap every answer is the one from before, plus the writes made meanwhile.
 */

const PIPELINES = Number(process.env['LIVE_REBUILD_PIPELINES'] ?? 40);
/** Team edits, one event each: they make the log longer cheaply, so that the rebuild takes a while. */
const EDITS = Number(process.env['LIVE_REBUILD_EDITS'] ?? 1500);
const READERS = 4;

interface World {
  readonly api: Api;
  readonly token: string;
  readonly teamId: string;
}

async function populate(api: Api): Promise<World> {
  const token = await api.login(ADMIN.email, ADMIN.password);
  const env = await api.request('POST', '/envs/', { token, json: { name: `env-${randomUUID().slice(0, 8)}` } });
  if (env.status !== 201) throw new Error(`env: ${env.status} ${JSON.stringify(env.body)}`);
  const team = await api.request('POST', '/teams/', { token, json: { name: 'rebuilders' } });
  if (team.status !== 201) throw new Error(`team: ${team.status} ${JSON.stringify(team.body)}`);
  const world = { api, token, teamId: String(asRecord(team.body)['id']) };
  for (let i = 0; i < 3; i++) await api.register(`user-${i}-${randomUUID().slice(0, 8)}@example.com`);
  for (let i = 0; i < PIPELINES; i += 8) {
    await Promise.all(Array.from({ length: Math.min(8, PIPELINES - i) }, (_, j) => createPipeline(world, `p${i + j}`)));
  }
  // One team per lane: edits of one stream in parallel would conflict.
  const lanes = await Promise.all(
    Array.from({ length: 16 }, async (_, lane) =>
      String(asRecord((await api.request('POST', '/teams/', { token, json: { name: `lane-${lane}` } })).body)['id']),
    ),
  );
  await Promise.all(
    lanes.map(async (teamId, lane) => {
      for (let i = lane; i < EDITS; i += lanes.length) {
        const edited = await api.request('PATCH', `/teams/${teamId}`, { token, json: { description: `edit ${i}` } });
        if (edited.status !== 200) throw new Error(`edit: ${edited.status} ${JSON.stringify(edited.body)}`);
      }
    }),
  );
  return world;
}

async function createPipeline(world: World, name: string): Promise<string> {
  const created = await world.api.request('POST', '/pipelines/', {
    token: world.token,
    json: {
      name: `${name}-${randomUUID().slice(0, 6)}`,
      team_id: world.teamId,
      source_name: `${name}-src-${randomUUID().slice(0, 6)}`,
      source_type: 'KAFKA_SOURCE',
      source_config: { topic: 'events', bootstrap_servers: '127.0.0.1:9' },
      target_name: `${name}-dst-${randomUUID().slice(0, 6)}`,
      target_type: 'KAFKA_TARGET',
      target_config: { bootstrap_server: '127.0.0.1:9' },
    },
  });
  if (created.status !== 201) throw new Error(`pipeline ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  return String(asRecord(created.body)['id']);
}

const LISTS = [
  '/pipelines/',
  '/teams/',
  '/envs/',
  '/users',
  '/connectors/source-config',
  '/connectors/target-config',
  '/subscriptions/',
] as const;

/** A page's items and total; the connector lists answer a plain array. */
const pageOf = (body: unknown): { items: Record<string, unknown>[]; total: number } =>
  Array.isArray(body)
    ? { items: body as Record<string, unknown>[], total: body.length }
    : { items: asRecord(body)['items'] as Record<string, unknown>[], total: Number(asRecord(body)['total']) };

async function listAll(world: World, path: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let skip = 0; ; skip += 100) {
    const page = await world.api.request('GET', `${path}?skip=${skip}&limit=100`, { token: world.token });
    if (page.status !== 200) throw new Error(`GET ${path}: ${page.status} ${JSON.stringify(page.body)}`);
    const { items: pageItems, total } = pageOf(page.body);
    if (Array.isArray(page.body)) return pageItems;
    items.push(...pageItems);
    if (items.length >= total) return items;
  }
}

/** Every list, paged through, and every pipeline by id. */
async function snapshot(world: World): Promise<Record<string, Map<string, unknown>>> {
  const result: Record<string, Map<string, unknown>> = {};
  for (const path of LISTS) result[path] = new Map((await listAll(world, path)).map((item) => [String(item['id']), item]));
  const pipelines = new Map<string, unknown>();
  for (const id of result['/pipelines/']?.keys() ?? [])
    pipelines.set(id, (await world.api.request('GET', `/pipelines/${id}`, { token: world.token })).body);
  result['GET /pipelines/{id}'] = pipelines;
  return result;
}

interface Load {
  readonly served: () => number;
  readonly failures: string[];
  readonly createdPipelines: string[];
  readonly createdTeams: string[];
  stop(): Promise<void>;
}

/** Readers that list and get, and a writer that creates and reads its write back at once. */
function startLoad(world: World, minimum: Record<string, number>, pipelineIds: readonly string[]): Load {
  let served = 0;
  let running = true;
  const failures: string[] = [];
  const createdPipelines: string[] = [];
  const createdTeams: string[] = [];
  const check = (what: string, status: number, expected: number, body: unknown): boolean => {
    served++;
    if (status === expected) return true;
    failures.push(`${what}: ${status} ${JSON.stringify(body)}`);
    return false;
  };
  const reader = async (n: number): Promise<void> => {
    for (let i = n; running; i++) {
      const path = LISTS[i % LISTS.length] ?? '/pipelines/';
      const list = await world.api.request('GET', `${path}?limit=5`, { token: world.token });
      if (check(`GET ${path}`, list.status, 200, list.body)) {
        const { total } = pageOf(list.body);
        if (total < (minimum[path] ?? 0))
          failures.push(`GET ${path}: total ${total} < ${minimum[path]} (a partial generation was visible)`);
      }
      const id = pipelineIds[i % pipelineIds.length] ?? '';
      const one = await world.api.request('GET', `/pipelines/${id}`, { token: world.token });
      check(`GET /pipelines/${id}`, one.status, 200, one.body);
    }
  };
  const writer = async (): Promise<void> => {
    for (let i = 0; running; i++) {
      if (i % 2 === 0) {
        const team = await world.api.request('POST', '/teams/', {
          token: world.token,
          json: { name: `during-${i}-${randomUUID().slice(0, 6)}` },
        });
        if (!check('POST /teams/', team.status, 201, team.body)) continue;
        const id = String(asRecord(team.body)['id']);
        createdTeams.push(id);
        const back = await world.api.request('GET', `/teams/${id}`, { token: world.token });
        check(`GET /teams/${id} right after its creation`, back.status, 200, back.body);
      } else {
        const id = await createPipeline(world, `during-${i}`).catch((error: unknown) => {
          failures.push(String(error));
          return undefined;
        });
        served++;
        if (id === undefined) continue;
        createdPipelines.push(id);
        const back = await world.api.request('GET', `/pipelines/${id}`, { token: world.token });
        check(`GET /pipelines/${id} right after its creation`, back.status, 200, back.body);
      }
    }
  };
  const loops = [...Array.from({ length: READERS }, (_, n) => reader(n)), writer()];
  return {
    served: () => served,
    failures,
    createdPipelines,
    createdTeams,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function rebuildUnderLoad(t: ExecutionContext, mongoUrl: string | undefined): Promise<void> {
  const api = await startApi({ mongoUrl });
  try {
    const world = await populate(api);
    const before = await snapshot(world);
    const minimum = Object.fromEntries(LISTS.map((path) => [path, before[path]?.size ?? 0]));
    const pipelineIds = [...(before['/pipelines/']?.keys() ?? [])];
    t.is(pipelineIds.length, PIPELINES);

    const initial = asRecord((await api.request('GET', '/admin/rebuild', { token: world.token })).body);
    t.like(initial, { generation: 1, running: false, rebuild: null });

    const load = startLoad(world, minimum, pipelineIds);
    // Some load before the rebuild starts, so that it starts under load.
    while (load.served() < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    const startedAt = performance.now();
    const servedBefore = load.served();
    const started = await api.request('POST', '/admin/rebuild', { token: world.token });
    t.is(started.status, 202, JSON.stringify(started.body));
    const rebuildId = asRecord(started.body)['id'];
    t.like(asRecord(started.body), { generation: 2, state: 'running' });

    let status: Record<string, unknown> = {};
    for (;;) {
      status = asRecord((await api.request('GET', '/admin/rebuild', { token: world.token })).body);
      if (status['running'] === false) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const servedDuring = load.served() - servedBefore;
    // Keep the load on a little after the swap too.
    const servedAtSwap = load.served();
    while (load.served() < servedAtSwap + 20) await new Promise((resolve) => setTimeout(resolve, 10));
    await load.stop();
    t.log(
      `${mongoUrl === undefined ? 'embedded' : 'MongoDB'}: rebuild of ${status['head']} positions in ${seconds.toFixed(2)} s; ${servedDuring} requests served meanwhile, ${load.failures.length} failed; ${load.createdTeams.length} teams and ${load.createdPipelines.length} pipelines created meanwhile`,
    );

    t.deepEqual(load.failures, []);
    t.true(servedDuring >= 1, `only ${servedDuring} requests overlapped the rebuild`);
    t.like(status, { generation: 2, running: false, rebuild: { id: rebuildId, generation: 2, state: 'done' } });
    // The writer read its last write back: the active generation holds the whole log.
    const settled = asRecord((await api.request('GET', '/admin/rebuild', { token: world.token })).body);
    t.is(settled['position'], settled['head']);

    const after = await snapshot(world);
    const created: Record<string, readonly string[]> = {
      '/pipelines/': load.createdPipelines,
      '/teams/': load.createdTeams,
      'GET /pipelines/{id}': load.createdPipelines,
    };
    for (const [what, items] of Object.entries(before)) {
      const afterItems = after[what] ?? new Map<string, unknown>();
      for (const [id, item] of items) t.deepEqual(afterItems.get(id), item, `${what} ${id}`);
      const added = [...afterItems.keys()].filter((id) => !items.has(id));
      // A pipeline brings a source and a target connector; its subscriptions are not counted here.
      if (what.startsWith('/connectors/')) t.is(added.length, load.createdPipelines.length, what);
      else if (what !== '/subscriptions/')
        t.deepEqual(added.sort(), [...(created[what] ?? [])].sort(), `${what}: what was added meanwhile`);
    }

    if (mongoUrl !== undefined && api.mongoDatabase !== undefined) {
      const client = await MongoClient.connect(mongoUrl);
      try {
        const names = (await client.db(api.mongoDatabase).listCollections().toArray()).map((c) => c.name);
        t.true(names.includes('pipelines__g2'), names.join(', '));
        t.false(names.includes('pipelines'), 'the old generation is dropped');
      } finally {
        await client.close();
      }
    }

    // A second rebuild goes on to generation 3.
    const again = await api.request('POST', '/admin/rebuild', { token: world.token });
    t.is(again.status, 202);
    for (;;) {
      status = asRecord((await api.request('GET', '/admin/rebuild', { token: world.token })).body);
      if (status['running'] === false) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.like(status, { generation: 3, rebuild: { state: 'done' } });
    t.deepEqual(await snapshot(world), after);
  } finally {
    await api.stop();
  }
}

test('embedded read models: a rebuild under load fails no request and changes no answer', async (t) => {
  await rebuildUnderLoad(t, undefined);
});

const mongoUrl = process.env['POPSINK_MONGO_URL'];
if (mongoUrl === undefined) {
  test('MongoDB read models: rebuild under load', (t) =>
    t.fail('POPSINK_MONGO_URL is not set: run the suite with `npm test`, which starts FerretDB'));
} else {
  test('MongoDB read models: a rebuild under load fails no request and changes no answer', async (t) => {
    await rebuildUnderLoad(t, mongoUrl);
  });
}

test('the generational store maps the collections the projections own, persists the active generation and drops a generation', async (t) => {
  const base = memoryReadStore();
  const store = await generationalReadStore(base, ['pipelines']);
  t.is(store.generation(), 1);
  await store.apply([{ kind: 'upsert', collection: 'pipelines', id: 'a', set: { name: 'one' }, position: 1n }]);
  await store.apply([{ kind: 'upsert', collection: 'runtime_logs', id: 'l', set: { line: 'x' }, position: 1n }]);
  await store.pinned(2).apply([{ kind: 'upsert', collection: 'pipelines', id: 'a', set: { name: 'two' }, position: 1n }]);
  t.is((await base.get('pipelines', 'a'))?.['name'], 'one');
  t.is((await base.get('pipelines__g2', 'a'))?.['name'], 'two');
  t.is((await store.get('pipelines', 'a'))?.['name'], 'one');

  const slow = store.find('pipelines', {});
  await store.activate(2);
  t.is((await store.get('pipelines', 'a'))?.['name'], 'two');
  t.is((await store.get('runtime_logs', 'l'))?.['line'], 'x', 'collections the projections do not own are shared');
  t.is(await base.getCheckpoint(GENERATION_CHECKPOINT), 2n);
  await t.throwsAsync(store.drop(2));
  await store.drop(1);
  t.is((await slow).total, 1, 'a read that started before the swap ends on its generation');
  t.is(await base.get('pipelines', 'a'), undefined);
  t.is(
    (await (await generationalReadStore(base, ['pipelines'])).get('pipelines', 'a'))?.['name'],
    'two',
    'a restart reads the persisted generation',
  );
});
