import test from 'ava';
import Router from '@koa/router';
import { request as httpRequest } from 'node:http';
import { createApp } from '../../http/app';
import { serve } from './httpFixtures';

/**
 * The API's dispatch (http/routeTable.ts) keeps @koa/router's answers: the first route of the
 * routers' order whose pattern and method match runs, with its decoded parameters and its
 * template; a path with other methods only is a 405 (OPTIONS a 200) with every method any
 * router has for it in `Allow`.
 */
function app() {
  const reports = new Router({ prefix: '/reports' });
  reports.get('/export-all', (ctx) => {
    ctx.body = { route: 'export-all' };
  });
  reports.post('/:id/run', (ctx) => {
    ctx.body = { route: 'run', params: ctx.params };
  });
  const more = new Router({ prefix: '/reports' });
  more.get('/:id', (ctx) => {
    ctx.body = { route: 'one', params: ctx.params };
  });
  more.delete('/:id', (ctx) => {
    ctx.status = 204;
  });
  const templates: string[] = [];
  return {
    templates,
    app: createApp({
      routers: [reports, more],
      telemetry: (ctx) => () => templates.push(String((ctx as { _matchedRoute?: unknown })._matchedRoute)),
      logger: { error: () => undefined },
    }),
  };
}

/** fetch refuses TRACE and hides Allow on OPTIONS in some versions: node:http sends anything. */
const send = (url: string, method: string) =>
  new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
    const request = httpRequest(url, { method }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    request.on('error', reject);
    request.end();
  });

test('the first router whose route matches answers, with the parameters decoded and the route template kept', async (t) => {
  const { app: served, templates } = app();
  const server = await serve(served);
  t.teardown(server.close);
  t.deepEqual(await (await fetch(`${server.url}/api/reports/export-all`)).json(), { route: 'export-all' });
  t.deepEqual(await (await fetch(`${server.url}/api/reports/a%20b`)).json(), { route: 'one', params: { id: 'a b' } });
  t.deepEqual(await (await fetch(`${server.url}/api/reports/r-1/run`, { method: 'POST' })).json(), {
    route: 'run',
    params: { id: 'r-1' },
  });
  t.is((await fetch(`${server.url}/api/reports/r-1`, { method: 'HEAD' })).status, 200, 'a GET route answers HEAD');
  t.deepEqual(templates, ['/api/reports/export-all', '/api/reports/:id', '/api/reports/:id/run', '/api/reports/:id']);
});

test('a known path with a method no router has: 405 with Allow from every router, OPTIONS 200, unknown paths 404', async (t) => {
  const { app: served } = app();
  const server = await serve(served);
  t.teardown(server.close);
  for (const method of ['PUT', 'TRACE', 'PATCH']) {
    const refused = await send(`${server.url}/api/reports/r-1`, method);
    t.is(refused.status, 405, method);
    t.deepEqual(refused.allow?.split(', ').sort(), ['DELETE', 'GET', 'HEAD'], method);
    t.deepEqual(JSON.parse(refused.body), { detail: 'Method Not Allowed' });
  }
  const options = await send(`${server.url}/api/reports/export-all`, 'OPTIONS');
  t.is(options.status, 200);
  t.deepEqual(options.allow?.split(', ').sort(), ['DELETE', 'GET', 'HEAD'], 'export-all is also an :id to the other router');
  for (const path of ['/api/reports/r-1/run/x', '/api/other', '/api', '/elsewhere']) {
    const missing = await send(`${server.url}${path}`, 'GET');
    t.is(missing.status, 404, path);
    t.deepEqual(JSON.parse(missing.body), { detail: 'Not Found' }, path);
  }
});

test('a route whose first segment is a parameter is refused when the app is built', (t) => {
  const loose = new Router();
  loose.get('/:anything', (ctx) => {
    ctx.body = {};
  });
  t.throws(() => createApp({ routers: [loose], logger: { error: () => undefined } }), { message: /must be literal/ });
});
