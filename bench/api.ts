// API throughput: an authenticated GET /api/teams/{id} and POST /api/teams/ on the embedded
// platform, beside a bare Koa JSON route measured in the same run, and the ratio between them.
// Usage: npm run bench:api [-- --seconds 10 --connections 10 --sync full|normal]
import autocannon from 'autocannon';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../config';
import { startPlatform } from '../platform';
import { jsonLogger } from '../runtime/logger';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' }, load: { type: 'string' }, sync: { type: 'string', default: 'full' } },
});
const duration = Number(values.seconds);
const connections = Number(values.connections);

interface Figures {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/**
 * The load generator runs in a child process (this same file, in `--load` mode), so that it
 * does not share the server's event loop; on 2 cores each gets one.
 */
async function measure(name: string, target: LoadTarget): Promise<Figures> {
  const child = fork(fileURLToPath(import.meta.url), ['--load', JSON.stringify({ ...target, duration, connections })], {
    execArgv: ['--import', 'tsx'],
  });
  const figures = await new Promise<Omit<Figures, 'name'>>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Omit<Figures, 'name'>));
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
  return { name, ...figures };
}

interface LoadTarget {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** POST bodies get a unique `name` per request. */
  readonly uniqueNames?: boolean;
}

async function generateLoad(spec: LoadTarget & { duration: number; connections: number }): Promise<void> {
  let n = 0;
  const result = await autocannon({
    url: spec.url,
    duration: spec.duration,
    connections: spec.connections,
    ...(spec.method ? { method: spec.method } : {}),
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(spec.uniqueNames
      ? { requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ name: `team-${process.pid}-${n++}` }) }) }] }
      : {}),
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  process.send?.({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors });
}

async function bareKoa(): Promise<{ url: string; close: () => void }> {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = { id: 'f029bc1a-5196-4c56-919e-23615c44ed66', name: 'Data Engineering Team', description: 'ETL', env_id: 'x' };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

if (values.load !== undefined) {
  await generateLoad(JSON.parse(values.load) as LoadTarget & { duration: number; connections: number });
  process.exit(0);
}

const dataDir = mkdtempSync(join(tmpdir(), 'popsink-bench-api-'));
const platform = await startPlatform(
  readConfig({ PORT: '0', HOST: '127.0.0.1', POPSINK_DATA_DIR: dataDir, POPSINK_LOG_LEVEL: 'error', POPSINK_SQLITE_SYNCHRONOUS: values.sync }),
  jsonLogger(() => undefined),
);
const api = `http://127.0.0.1:${platform.port}/api`;
const bare = await bareKoa();
try {
  await json(`${api}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }) });
  const login = await json(`${api}/auth/jwt/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=bench@example.com&password=bench-password',
  });
  const headers = { authorization: `Bearer ${String(login['access_token'])}`, 'content-type': 'application/json' };
  await json(`${api}/envs/`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench-env' }) });
  const team = await json(`${api}/teams/`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench-team' }) });

  const baseline = await measure('bare Koa JSON route', { url: bare.url });
  const get = await measure('GET /api/teams/{id}', { url: `${api}/teams/${String(team['id'])}`, headers });
  const post = await measure('POST /api/teams/', { url: `${api}/teams/`, method: 'POST', headers, uniqueNames: true });

  console.log(`${duration}s per run, ${connections} connections, load generator in a child process, embedded store synchronous=${values.sync}\n`);
  console.log('route                      req/s     p50 ms   p99 ms   errors   ratio to bare');
  for (const f of [baseline, get, post]) {
    const ratio = (f.rps / baseline.rps).toFixed(3);
    console.log(`${f.name.padEnd(26)} ${f.rps.toFixed(0).padStart(7)} ${String(f.p50).padStart(9)} ${String(f.p99).padStart(8)} ${String(f.errors).padStart(8)}   ${ratio}x`);
  }
  console.log(`\naim: >= 0.5x the bare route. GET ${get.rps / baseline.rps >= 0.5 ? 'met' : 'NOT met'}, POST ${post.rps / baseline.rps >= 0.5 ? 'met' : 'NOT met'}`);
} finally {
  bare.close();
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
