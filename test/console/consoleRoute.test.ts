import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../commands/commandFixtures';
import { startApi, type Api } from '../http/apiFixtures';

/** The console's static serving beside the API: files, the index.html fallback, and what it leaves alone. */

const INDEX = '<!doctype html><title>console</title>';

async function withApi(consoleDir: string, run: (api: Api, origin: string) => Promise<void>): Promise<void> {
  const api = await startApi({ env: { POPSINK_CONSOLE_DIR: consoleDir } });
  try {
    await run(api, api.url.replace(/\/api$/, ''));
  } finally {
    await api.stop();
  }
}

function builtConsole(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  return dir;
}

test('serves the built files, and index.html for the console routes', async (t) => {
  await withApi(builtConsole(), async (_api, origin) => {
    const root = await fetch(`${origin}/`);
    t.is(root.status, 200);
    t.is(await root.text(), INDEX);
    t.regex(root.headers.get('content-type') ?? '', /^text\/html/);
    t.is(root.headers.get('cache-control'), 'no-cache');
    t.regex(root.headers.get('content-security-policy') ?? '', /default-src 'self'/);

    const deepLink = await fetch(`${origin}/pipelines/0b0c5d9e-0000-4000-8000-000000000000`);
    t.is(deepLink.status, 200);
    t.is(await deepLink.text(), INDEX);

    const asset = await fetch(`${origin}/assets/index-abc123.js`);
    t.is(asset.status, 200);
    t.regex(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    t.regex(asset.headers.get('cache-control') ?? '', /immutable/);

    t.is((await fetch(`${origin}/assets/missing-file.js`)).status, 404);
  });
});

test('never serves a file outside its folder', async (t) => {
  await withApi(builtConsole(), async (_api, origin) => {
    for (const path of ['/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/assets/%2e%2e%2f%2e%2e%2fpackage.json']) {
      const response = await fetch(`${origin}${path}`);
      const text = await response.text();
      t.false(text.includes('root:'), path);
      t.false(text.includes('"dependencies"'), path);
    }
  });
});

test('the API, its 404s and /metrics stay as they were', async (t) => {
  await withApi(builtConsole(), async (api, origin) => {
    t.is((await api.request('GET', '/livez')).status, 200);
    const missing = await api.request('GET', '/no-such-route');
    t.is(missing.status, 404);
    t.deepEqual(missing.body, { detail: 'Not Found' });
    const metrics = await fetch(`${origin}/metrics`);
    t.is(metrics.status, 200);
    t.regex(await metrics.text(), /popsink_/);
  });
});

test('without a built console, its paths say how to build it and the API works', async (t) => {
  await withApi(join(tempDir(), 'not-built'), async (api, origin) => {
    const root = await fetch(`${origin}/`);
    t.is(root.status, 503);
    t.regex(await root.text(), /npm run build/);
    t.is((await api.request('GET', '/livez')).status, 200);
  });
});
