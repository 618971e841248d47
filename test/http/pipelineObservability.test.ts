import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { attachLogSockets } from '../../http/observability/logSockets';
import { signingKey } from '../../http/identity/tokens';
import type { ReadStore } from '../../projections/readStore';
import { mongoReadStore } from '../../projections/readstore/mongoReadStore';
import { jsonLogger } from '../../infrastructure/logger';
import { observabilityStore, type ObservabilityStore } from '../../runtime/observability/observabilityStore';
import type { WorkerMetrics } from '../../runtime/observability/workerReport';
import { quietDatamodel, quietPipeline } from '../fixtures/observability';
import { asRecord, JWT_SECRET, ownedTeam, startApi, type Api } from './apiFixtures';
import { readModelsOf } from '../../projections/readModels';

/**
 * The API on MongoDB read models, a data-plane runtime writing to the same database (as another
 * process would), and the log sockets served over that database, as the API process serves them.
 */
interface World {
  readonly api: Api;
  readonly token: string;
  readonly teamId: string;
  readonly outsiderToken: string;
  readonly runtime: ObservabilityStore;
  readonly readStore: ReadStore;
  readonly sockets: Server;
  readonly socketsUrl: string;
}

interface Pipeline {
  readonly id: string;
  readonly datamodelId: string;
  readonly connectorIds: readonly [string, string];
}

const mongoUrl = process.env['POPSINK_MONGO_URL'];
let world: World | undefined;

async function buildWorld(url: string): Promise<World> {
  const api = await startApi({ mongoUrl: url });
  const owner = `obs-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(owner);
  const token = await api.login(owner);
  const teamId = await ownedTeam(api, token, 'Observed');
  const outsider = `outsider-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(outsider);
  const readStore = await mongoReadStore(url, { database: api.mongoDatabase ?? '' });
  const sockets = createServer();
  attachLogSockets(
    sockets,
    {
      views: readModelsOf(readStore),
      jwtKey: signingKey(JWT_SECRET),
      observability: observabilityStore(readStore, { runtimeId: 'api' }),
      logger: jsonLogger(() => undefined),
    },
    { pollMs: 50 },
  );
  await new Promise<void>((resolve) => sockets.listen(0, '127.0.0.1', resolve));
  const { port } = sockets.address() as AddressInfo;
  return {
    api,
    token,
    teamId,
    outsiderToken: await api.login(outsider),
    runtime: observabilityStore(readStore, { runtimeId: 'runtime-1' }),
    readStore,
    sockets,
    socketsUrl: `ws://127.0.0.1:${port}/api`,
  };
}

const worldOf = (): World => {
  if (world === undefined) throw new Error('the world was not built');
  return world;
};

/** A pipeline between two connectors of the team, made first. */
async function freshPipeline({ api, token, teamId }: World): Promise<Pipeline> {
  const name = `p-${randomUUID().slice(0, 8)}`;
  const created = async (path: string, json: Record<string, unknown>) => {
    const res = await api.request('POST', path, { token, json: { team_id: teamId, ...json } });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return asRecord(res.body);
  };
  const source = String(
    (
      await created('/connectors/', {
        name: `${name}-src`,
        connector_type: 'KAFKA_SOURCE',
        config: { topic: 'events', bootstrap_servers: '127.0.0.1:9' },
      })
    )['id'],
  );
  const target = String(
    (await created('/connectors/', { name: `${name}-dst`, connector_type: 'KAFKA_TARGET', config: { bootstrap_server: '127.0.0.1:9' } }))[
      'id'
    ],
  );
  const pipeline = await created('/pipelines/', { name, existing_source_id: source, existing_target_id: target });
  return { id: String(pipeline['id']), datamodelId: String(pipeline['datamodel_id']), connectorIds: [source, target] };
}

/** Log lines a worker of the pipeline reported, flushed as the supervisor does. */
async function report(pipeline: Pipeline, ...messages: string[]): Promise<void> {
  const { runtime } = worldOf();
  for (const message of messages) runtime.appendLog({ pipelineId: pipeline.id, connectorIds: pipeline.connectorIds }, 'info', message);
  await runtime.flush();
}

/** A WebSocket upgrade as a plain HTTP request: its status and the subprotocol the server chose. */
function upgrade(path: string, headers: Record<string, string> = {}): Promise<{ status: number; protocol: IncomingHttpHeaders[string] }> {
  return new Promise((resolve, reject) => {
    const req = request(`${worldOf().socketsUrl.replace('ws:', 'http:')}${path}`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, protocol: res.headers['sec-websocket-protocol'] });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, protocol: undefined });
    });
    req.on('error', reject);
    req.end();
  });
}

/** An open log socket and the messages it received so far. */
async function openLogs(
  path: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<{ messages: string[]; socket: WebSocket }> {
  const socket = new WebSocket(`${worldOf().socketsUrl}${path}`, options.protocols ?? [], { headers: options.headers ?? {} });
  const messages: string[] = [];
  socket.on('message', (data) => messages.push((JSON.parse(String(data)) as { message: string }).message));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
  return { messages, socket };
}

const eventually = async (what: string, check: () => boolean): Promise<void> => {
  for (const started = Date.now(); !check(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() - started > 5_000) throw new Error(`${what}: not within 5 s`);
  }
};

if (mongoUrl === undefined || mongoUrl === '') {
  test('pipeline observability: POPSINK_MONGO_URL is set', (t) =>
    t.fail('POPSINK_MONGO_URL is not set: run the suite with `npm test`, which starts FerretDB'));
} else {
  test.before(async () => {
    world = await buildWorld(mongoUrl);
  });
  test.after.always(async () => {
    const built = world;
    if (built === undefined) return;
    await new Promise((resolve) => built.sockets.close(resolve));
    await built.readStore.close();
    await built.api.stop();
  });

  test("latency-informations and monitoring: zeros and nulls before traffic, then the runtimes' counters and percentiles", async (t) => {
    const { api, token, runtime } = worldOf();
    const pipeline = await freshPipeline(worldOf());
    const latency = await api.request('GET', `/pipelines/${pipeline.id}/latency-informations`, { token });
    t.is(latency.status, 200);
    t.deepEqual(latency.body, quietPipeline(pipeline.id));
    const monitoring = await api.request('GET', `/datamodels/${pipeline.datamodelId}/monitoring`, { token });
    t.deepEqual(monitoring.body, quietDatamodel(pipeline.datamodelId, pipeline.id));

    const key = { pipelineId: pipeline.id, datamodelId: pipeline.datamodelId, connectorIds: pipeline.connectorIds };
    const metrics = (messages: number, p50: number, max: number, lag: number): WorkerMetrics => ({
      messages_in: messages,
      messages_out: messages - 1,
      errors: 1,
      latency: { window_s: 60, count: messages, p50_ms: p50, p95_ms: max - 1, p99_ms: max, max_ms: max },
      partitions: [{ partition: 0, offset: String(messages), lag }],
      last_message_at: new Date().toISOString(),
    });
    runtime.recordMetrics({ ...key, subscriptionId: randomUUID() }, metrics(10, 12, 40, 3));
    runtime.recordMetrics({ ...key, subscriptionId: randomUUID() }, metrics(5, 20, 30, 7));
    await runtime.flush();
    t.like(asRecord((await api.request('GET', `/pipelines/${pipeline.id}/latency-informations`, { token })).body), {
      p50_ms: 20,
      p95_ms: 39,
      p99_ms: 40,
      max_ms: 40,
      messages_in: 15,
      messages_out: 13,
      errors: 2,
      lag_total: 7,
      partitions: [{ partition: 0, offset: '5', lag: 7 }],
    });
    t.like(asRecord((await api.request('GET', `/datamodels/${pipeline.datamodelId}/monitoring`, { token })).body), {
      messages_in: 15,
      messages_out: 13,
      errors: 2,
      lag_total: 7,
    });
  });

  test('GET logs of a pipeline and of its connectors: the recent lines, oldest first', async (t) => {
    const { api, token } = worldOf();
    const pipeline = await freshPipeline(worldOf());
    t.deepEqual((await api.request('GET', `/pipelines/${pipeline.id}/logs`, { token })).body, []);
    await report(pipeline, 'one', 'two', 'three');
    const lines = await api.request('GET', `/pipelines/${pipeline.id}/logs`, { token });
    t.is(lines.status, 200);
    t.deepEqual(
      (lines.body as { message: string }[]).map((line) => line.message),
      ['one', 'two', 'three'],
    );
    t.like((lines.body as unknown[])[0], { level: 'info', pipeline_id: pipeline.id });
    t.regex(String(asRecord((lines.body as unknown[])[0])['ts']), /^\d{4}-\d\d-\d\dT/);
    t.deepEqual((await api.request('GET', `/pipelines/${pipeline.id}/logs?limit=2`, { token })).body, (lines.body as unknown[]).slice(1));
    t.deepEqual((await api.request('GET', `/connectors/${pipeline.connectorIds[1]}/logs`, { token })).body, lines.body);
    t.is((await api.request('GET', `/pipelines/${pipeline.id}/logs?limit=0`, { token })).status, 422);
  });

  test('GET routes: 401 without a token, 403 for an outsider, 404 for unknown ids', async (t) => {
    const { api, token, outsiderToken } = worldOf();
    const pipeline = await freshPipeline(worldOf());
    const paths = [
      `/pipelines/${pipeline.id}/latency-informations`,
      `/pipelines/${pipeline.id}/logs`,
      `/datamodels/${pipeline.datamodelId}/monitoring`,
      `/connectors/${pipeline.connectorIds[0]}/logs`,
    ];
    for (const path of paths) {
      t.is((await api.request('GET', path)).status, 401, path);
      t.is((await api.request('GET', path, { token: outsiderToken })).status, 403, path);
      t.is((await api.request('GET', path.replace(/\/[0-9a-f-]{36}\//, `/${randomUUID()}/`), { token })).status, 404, path);
    }
  });

  const styles = [
    { style: 'Authorization header', options: (token: string) => ({ headers: { Authorization: `Bearer ${token}` } }), query: () => '' },
    { style: 'subprotocol pair', options: (token: string) => ({ protocols: ['Authorization', `Bearer%20${token}`] }), query: () => '' },
    { style: 'token query parameter', options: () => ({}), query: (token: string) => `?token=${token}` },
  ];
  for (const { style, options, query } of styles) {
    test(`WebSocket with the ${style}: the backlog, then live lines`, async (t) => {
      const { token } = worldOf();
      const pipeline = await freshPipeline(worldOf());
      await report(pipeline, 'before 1', 'before 2');
      const { messages, socket } = await openLogs(`/pipelines/${pipeline.id}/logs${query(token)}`, options(token));
      t.teardown(() => socket.close());
      if (style === 'subprotocol pair') t.is(socket.protocol, 'Authorization');
      await eventually('the backlog', () => messages.length === 2);
      await report(pipeline, 'live');
      await eventually('the live line', () => messages.length === 3);
      t.deepEqual(messages, ['before 1', 'before 2', 'live']);
    });
  }

  test('WebSocket on a connector: the lines of the pipelines using it', async (t) => {
    const { token } = worldOf();
    const pipeline = await freshPipeline(worldOf());
    await report(pipeline, 'from the pipeline');
    const { messages, socket } = await openLogs(`/connectors/${pipeline.connectorIds[0]}/logs`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    t.teardown(() => socket.close());
    await report(pipeline, 'live');
    await eventually('both lines', () => messages.length === 2);
    t.deepEqual(messages, ['from the pipeline', 'live']);
  });

  test('WebSocket subprotocol "Bearer <token>" with a space, as the contract shows it, is accepted too', async (t) => {
    const { token } = worldOf();
    const pipeline = await freshPipeline(worldOf());
    t.deepEqual(await upgrade(`/pipelines/${pipeline.id}/logs`, { 'Sec-WebSocket-Protocol': `Authorization, Bearer ${token}` }), {
      status: 101,
      protocol: 'Authorization',
    });
  });

  test('WebSocket refusals are plain HTTP answers: 401, 403, 404, 422', async (t) => {
    const { api, token, outsiderToken } = worldOf();
    const pipeline = await freshPipeline(worldOf());
    const logs = `/pipelines/${pipeline.id}/logs`;
    const bearer = (value: string) => ({ Authorization: `Bearer ${value}` });
    const loggedOut = await api.login(String(asRecord((await api.request('GET', '/users/me', { token })).body)['email']));
    await api.request('POST', '/auth/jwt/logout', { token: loggedOut });
    t.like(await upgrade(logs), { status: 401 });
    t.like(await upgrade(logs, bearer('not-a-jwt')), { status: 401 });
    t.like(await upgrade(`${logs}?token=${loggedOut}`), { status: 401 }, 'a revoked token');
    t.like(await upgrade(logs, bearer(outsiderToken)), { status: 403 });
    t.like(await upgrade(`/pipelines/${randomUUID()}/logs`, bearer(token)), { status: 404 });
    t.like(await upgrade(`/connectors/${randomUUID()}/logs`, bearer(token)), { status: 404 });
    t.like(await upgrade('/pipelines/whatever', bearer(token)), { status: 404 });
    // A malformed id is refused as the GET route refuses it, after authentication as there.
    t.like(await upgrade('/pipelines/not-a-uuid/logs', bearer(token)), { status: 422 });
    t.like(await upgrade('/connectors/not-a-uuid/logs'), { status: 401 });
    t.like(await upgrade(logs, bearer(token)), { status: 101 });
  });
}
