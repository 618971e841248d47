// API throughput: an authenticated GET /api/teams/{id} and POST /api/teams/ on the embedded
// platform, beside a bare Koa JSON route measured in the same run, and the ratio between them.
// Usage: npm run bench:api [-- --seconds 10 --connections 10]
import autocannon from 'autocannon';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../config';
import { startPlatform } from '../platform';
import { jsonLogger } from '../runtime/logger';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } } });
const duration = Number(values.seconds);
const connections = Number(values.connections);

interface Figures {
  readonly name: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

async function measure(name: string, options: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ connections, duration, ...options });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors };
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

const dataDir = mkdtempSync(join(tmpdir(), 'popsink-bench-api-'));
const platform = await startPlatform(
  readConfig({ PORT: '0', HOST: '127.0.0.1', POPSINK_DATA_DIR: dataDir, POPSINK_LOG_LEVEL: 'error' }),
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
  let n = 0;
  const post = await measure('POST /api/teams/', {
    url: `${api}/teams/`,
    method: 'POST',
    headers,
    requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ name: `team-${process.pid}-${n++}` }) }) }],
  });

  console.log(`${duration}s per run, ${connections} connections, load generator in the same process (2 cores shared)\n`);
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
