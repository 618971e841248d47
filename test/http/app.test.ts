import test from 'ava';
import Router from '@koa/router';
import * as t from 'io-ts';
import { createApp } from '../../http/app';
import { decode } from '../../http/decode';
import { DomainFailure } from '../../domain/failures';
import { healthRouter } from '../../http/operations/healthRouter';
import { conflict, invalid, notFound } from '../../domain/errors';
import { serve } from './httpFixtures';

const Widget = t.strict({ name: t.string, count: t.number, tags: t.array(t.string), kind: t.keyof({ a: null, b: null }) });

function testApp(ready = true) {
  const logged: string[] = [];
  const router = new Router();
  router.post('/widgets', (ctx) => {
    ctx.status = 201;
    ctx.body = decode(Widget, ctx.request.body, 'body');
  });
  router.get('/widgets', (ctx) => {
    ctx.body = [];
  });
  router.get('/missing', () => {
    throw new DomainFailure(notFound('WIDGET_NOT_FOUND'));
  });
  router.get('/taken', () => {
    throw new DomainFailure(conflict('WIDGET_TAKEN'));
  });
  router.get('/bad-name', () => {
    throw new DomainFailure(invalid('value_error.name', ['body', 'name'], 'bad name'));
  });
  router.get('/boom', () => {
    throw new Error('secret internal detail');
  });
  const app = createApp({
    routers: [healthRouter({ ready: () => ready, checkStores: async () => undefined }), router],
    logger: { error: (message, fields) => logged.push(`${message} ${JSON.stringify(fields)}`) },
    bodyLimit: '1kb',
  });
  return { app, logged };
}

const post = (url: string, body: string, type = 'application/json') =>
  fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

test('a valid body is decoded; extra fields are dropped', async (t) => {
  const server = await serve(testApp().app);
  t.teardown(server.close);
  const res = await post(`${server.url}/api/widgets`, JSON.stringify({ name: 'w', count: 2, tags: ['x'], kind: 'a', extra: true }));
  t.is(res.status, 201);
  t.deepEqual(await res.json(), { name: 'w', count: 2, tags: ['x'], kind: 'a' });
});

test('missing and mistyped fields are 422 with FastAPI-style loc, msg and type', async (t) => {
  const server = await serve(testApp().app);
  t.teardown(server.close);
  const res = await post(`${server.url}/api/widgets`, JSON.stringify({ count: 'two', tags: ['x', 3], kind: 'z' }));
  t.is(res.status, 422);
  t.deepEqual(await res.json(), {
    detail: [
      { loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' },
      { loc: ['body', 'count'], msg: 'value is not a valid float', type: 'type_error.float' },
      { loc: ['body', 'tags', 1], msg: 'value is not a valid str', type: 'type_error.str' },
      { loc: ['body', 'kind'], msg: 'unexpected value; permitted: "a" | "b"', type: 'type_error.enum' },
    ],
  });
});

test('a malformed JSON body is 422 at loc ["body"], never a 500', async (t) => {
  const server = await serve(testApp().app);
  t.teardown(server.close);
  const res = await post(`${server.url}/api/widgets`, '{"name": ');
  t.is(res.status, 422);
  t.deepEqual(await res.json(), { detail: [{ loc: ['body'], msg: 'Invalid request body', type: 'value_error.jsondecode' }] });
});

test('an oversized body is 413', async (t) => {
  const server = await serve(testApp().app);
  t.teardown(server.close);
  const res = await post(`${server.url}/api/widgets`, JSON.stringify({ name: 'x'.repeat(5000), count: 1, tags: [], kind: 'a' }));
  t.is(res.status, 413);
  t.deepEqual(await res.json(), { detail: 'REQUEST_ENTITY_TOO_LARGE' });
});

test('domain refusals map to their status with {"detail": CODE}', async (t) => {
  const server = await serve(testApp().app);
  t.teardown(server.close);
  const missing = await fetch(`${server.url}/api/missing`);
  t.is(missing.status, 404);
  t.deepEqual(await missing.json(), { detail: 'WIDGET_NOT_FOUND' });
  const taken = await fetch(`${server.url}/api/taken`);
  t.is(taken.status, 409);
  t.deepEqual(await taken.json(), { detail: 'WIDGET_TAKEN' });
  const badName = await fetch(`${server.url}/api/bad-name`);
  t.is(badName.status, 422);
  t.deepEqual(await badName.json(), { detail: [{ loc: ['body', 'name'], msg: 'bad name', type: 'value_error.name' }] });
});

test('an unexpected error is a bare 500: no stack, no message; it is logged', async (t) => {
  const { app, logged } = testApp();
  const server = await serve(app);
  t.teardown(server.close);
  const res = await fetch(`${server.url}/api/boom`);
  t.is(res.status, 500);
  const text = await res.text();
  t.is(text, JSON.stringify({ detail: 'Internal Server Error' }));
  t.true(logged.some((line) => line.includes('secret internal detail')));
});

test('unknown paths are 404 and wrong methods 405, both as JSON', async (t) => {
  const server = await serve(testApp().app);
  t.teardown(server.close);
  const unknown = await fetch(`${server.url}/api/nothing-here`);
  t.is(unknown.status, 404);
  t.deepEqual(await unknown.json(), { detail: 'Not Found' });
  const wrong = await fetch(`${server.url}/api/livez`, { method: 'DELETE' });
  t.is(wrong.status, 405);
  t.deepEqual(await wrong.json(), { detail: 'Method Not Allowed' });
});

test('collection paths answer with and without a trailing slash', async (t) => {
  const server = await serve(testApp().app);
  t.teardown(server.close);
  t.is((await fetch(`${server.url}/api/widgets`)).status, 200);
  t.is((await fetch(`${server.url}/api/widgets/`)).status, 200);
});

test('livez always answers; readyz is 503 until the read models caught up', async (t) => {
  const notReady = await serve(testApp(false).app);
  t.teardown(notReady.close);
  t.is((await fetch(`${notReady.url}/api/livez`)).status, 200);
  const res = await fetch(`${notReady.url}/api/readyz`);
  t.is(res.status, 503);
  t.deepEqual(await res.json(), { status: 'catching_up' });
  const ready = await serve(testApp(true).app);
  t.teardown(ready.close);
  t.is((await fetch(`${ready.url}/api/readyz`)).status, 200);
});
