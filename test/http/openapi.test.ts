import test from 'ava';
import Router from '@koa/router';
import * as io from 'io-ts';
import { randomBytes } from 'node:crypto';
import { secretBox } from '../../infrastructure/crypto/secretBox';
import { scryptHasher } from '../../infrastructure/crypto/passwords';
import type { ApiDeps } from '../../http/apiDeps';
import { guard } from '../../http/guard';
import { loginThrottle } from '../../http/identity/loginThrottle';
import { logNotifier } from '../../infrastructure/notifier';
import { jsonSchemaOf } from '../../http/openapi/ioTsSchema';
import { OPERATIONS } from '../../http/openapi/operations';
import { apiRouters } from '../../http/routers';
import { healthRouter } from '../../http/operations/healthRouter';
import { docsRouter } from '../../http/openapi/docsRouter';
import { signingKey, tokenIssuer } from '../../http/identity/tokens';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { jsonLogger } from '../../infrastructure/logger';
import { observabilityStore } from '../../runtime/observability/observabilityStore';
import { commandDeps } from '../commands/commandFixtures';
import { ADMIN, JWT_SECRET, startApi, type Api } from './apiFixtures';
import { readModelsOf } from '../../projections/readModels';

// ---------------------------------------------------------------------------------------------
// The checker: every route a router serves must be in the document, with a description. It walks
// the routers' layers on its own (not with the generator's code), so a generator that skipped a
// route, or a route nobody described, fails it.

interface OperationLike {
  readonly description?: unknown;
  readonly requestBody?: { readonly content?: Record<string, { readonly schema?: SchemaLike }> };
  readonly parameters?: readonly { readonly name: string; readonly in: string; readonly required?: boolean }[];
  readonly security?: readonly unknown[];
}
interface SchemaLike {
  readonly type?: unknown;
  readonly properties?: Record<string, unknown>;
  readonly required?: readonly string[];
}
interface DocumentLike {
  readonly openapi?: unknown;
  readonly paths?: Record<string, Record<string, OperationLike>>;
}

/** `METHOD /path` of every route the routers serve (HEAD, Koa's twin of GET, aside), `:id` as `{id}`. */
function servedRoutes(routers: readonly Router[]): string[] {
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods
        .filter((method) => method !== 'HEAD')
        .map((method) => `${method} ${String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    ),
  );
}

const operationAt = (document: DocumentLike, route: string): OperationLike | undefined => {
  const [method = '', path = ''] = route.split(' ');
  return document.paths?.[path]?.[method.toLowerCase()];
};

const describedEnough = (operation: OperationLike): boolean =>
  typeof operation.description === 'string' && operation.description.trim().length > 0;

/** What is wrong: served routes missing from the document or without a description, and documented operations without one. */
function documentProblems(routers: readonly Router[], document: DocumentLike): string[] {
  const problems: string[] = [];
  for (const route of servedRoutes(routers)) {
    const operation = operationAt(document, route);
    if (operation === undefined) problems.push(`${route}: not in the document`);
    else if (!describedEnough(operation)) problems.push(`${route}: no description`);
  }
  for (const [path, methods] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!describedEnough(operation)) problems.push(`${method.toUpperCase()} ${path}: no description`);
    }
  }
  return [...new Set(problems)];
}

test('the checker: a route missing from the document, or without a description, is a problem', (t) => {
  const fake = new Router({ prefix: '/fake' });
  fake.get('/:id/thing', (ctx) => {
    ctx.body = null;
  });
  fake.post('/', (ctx) => {
    ctx.body = null;
  });
  const described = { description: 'does things' };
  t.deepEqual(servedRoutes([fake]), ['GET /fake/{id}/thing', 'POST /fake']);
  t.deepEqual(documentProblems([fake], { paths: { '/fake/{id}/thing': { get: described } } }), ['POST /fake: not in the document']);
  t.deepEqual(documentProblems([fake], { paths: { '/fake/{id}/thing': { get: { description: ' ' } }, '/fake': { post: described } } }), [
    'GET /fake/{id}/thing: no description',
  ]);
  t.deepEqual(documentProblems([fake], { paths: { '/fake/{id}/thing': { get: described }, '/fake': { post: {} } } }), [
    'POST /fake: no description',
  ]);
  t.deepEqual(documentProblems([fake], { paths: { '/fake/{id}/thing': { get: described }, '/fake': { post: described } } }), []);
});

// ---------------------------------------------------------------------------------------------
// The converter, one codec kind at a time.

test('io-ts codecs become JSON Schema', (t) => {
  const Kind = io.keyof({ A: null, B: null });
  const codec = io.exact(
    io.intersection([
      io.type({
        name: io.string,
        count: io.number,
        on: io.boolean,
        kind: Kind,
        tags: io.array(io.string),
        pair: io.tuple([io.string, io.number]),
      }),
      io.partial({
        note: io.union([io.string, io.null]),
        mode: io.union([io.literal('x'), io.literal('y')]),
        one: io.literal(1),
        config: io.UnknownRecord,
        rows: io.UnknownArray,
        size: io.Int,
        dict: io.record(io.string, io.boolean),
        either: io.union([io.type({ a: io.string }), io.null]),
        mixed: io.union([io.string, io.type({ b: io.number })]),
        anything: io.unknown,
      }),
    ]),
  );
  t.deepEqual(jsonSchemaOf(codec), {
    type: 'object',
    properties: {
      name: { type: 'string' },
      count: { type: 'number' },
      on: { type: 'boolean' },
      kind: { type: 'string', enum: ['A', 'B'] },
      tags: { type: 'array', items: { type: 'string' } },
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
      note: { type: ['string', 'null'] },
      mode: { enum: ['x', 'y'] },
      one: { const: 1 },
      config: { type: 'object', additionalProperties: true },
      rows: { type: 'array' },
      size: { type: 'integer' },
      dict: { type: 'object', additionalProperties: { type: 'boolean' } },
      either: { type: ['object', 'null'], properties: { a: { type: 'string' } }, required: ['a'] },
      mixed: { anyOf: [{ type: 'string' }, { type: 'object', properties: { b: { type: 'number' } }, required: ['b'] }] },
      anything: {},
    },
    required: ['name', 'count', 'on', 'kind', 'tags', 'pair'],
  });
  // Refinements and brands are their base type; hand-made codecs are known by name.
  t.deepEqual(jsonSchemaOf(io.refinement(io.string, (s) => s.length > 0, 'NonEmpty')), { type: 'string' });
  t.deepEqual(jsonSchemaOf(io.brand(io.number, (n): n is io.Branded<number, { readonly Positive: unique symbol }> => n > 0, 'Positive')), {
    type: 'number',
  });
  const Named = new io.Type<string, string, unknown>('datetime', io.string.is, io.string.validate, String);
  t.deepEqual(jsonSchemaOf(Named), { type: 'string', format: 'date-time' });
  t.deepEqual(jsonSchemaOf(io.intersection([io.string, io.type({ a: io.string })])), {
    allOf: [{ type: 'string' }, { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }],
  });
});

// ---------------------------------------------------------------------------------------------
// The served document and page.

/** The routers of the API as the composition root and the app mount them under /api (health first, docs last), built over throwaway stores. */
function routersOfTheApi(): Router[] {
  const readStore = memoryReadStore();
  const logger = jsonLogger(() => undefined);
  const now = () => new Date();
  const jwtKey = signingKey(JWT_SECRET);
  const deps: ApiDeps = {
    commands: commandDeps(),
    views: readModelsOf(readStore),
    readStore,
    checkMapper: async () => undefined,
    waitFor: async () => undefined,
    passwords: scryptHasher({ N: 1024, r: 8, p: 1 }),
    tokens: tokenIssuer(jwtKey, 3600, now),
    jwtKey,
    secrets: secretBox(randomBytes(32)),
    notifier: logNotifier(logger),
    loginThrottle: loginThrottle(5, 60, now),
    logger,
    resetTokenLifetimeSeconds: 3600,
    observability: observabilityStore(readStore, { runtimeId: 'openapi-test' }),
  };
  return [
    healthRouter({ ready: () => true, checkStores: async () => undefined }),
    ...apiRouters(deps, guard(deps.views)),
    docsRouter('/api', () => []),
  ];
}

/** POST / PATCH routes that take no body. Any other one must document its body. */
const NO_BODY = new Set([
  'POST /auth/jwt/logout',
  'POST /admin/rebuild',
  'POST /pipelines/{id}/start',
  'POST /pipelines/{id}/pause',
  'POST /connectors/{id}/start',
  'POST /connectors/{id}/stop',
  'POST /subscriptions/{id}/start',
  'POST /subscriptions/{id}/pause',
]);
/** Routes that need no token. */
const PUBLIC = new Set([
  'GET /livez',
  'GET /readyz',
  'GET /healthchecks',
  'GET /healthchecks/db',
  'POST /auth/register',
  'POST /auth/jwt/login',
  'POST /auth/forgot-password',
  'POST /auth/reset-password',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/{file}',
]);

let api: Api | undefined;
let document: DocumentLike = {};
let documentText = '';

test.before(async () => {
  api = await startApi();
  // No token: the document is public.
  const response = await fetch(`${api.url}/openapi.json`);
  if (response.status !== 200) throw new Error(`GET /openapi.json: ${response.status}`);
  documentText = await response.text();
  document = JSON.parse(documentText) as DocumentLike;
});
test.after.always(async () => {
  await api?.stop();
});

test('GET /api/openapi.json is an OpenAPI 3.1 document of every route, each described', (t) => {
  t.regex(String(document.openapi), /^3\.1\.\d+$/);
  const routes = servedRoutes(routersOfTheApi());
  t.true(routes.length > 80, `only ${routes.length} routes walked`);
  t.true(routes.includes('GET /openapi.json') && routes.includes('GET /docs'));
  t.deepEqual(documentProblems(routersOfTheApi(), document), []);
  // Nothing in the registry describes a route that is not served (a renamed route leaves no stale entry behind).
  t.deepEqual(
    Object.keys(OPERATIONS).filter((route) => !routes.includes(route)),
    [],
  );
});

test('bodies and queries are described from the codecs the routes decode with', (t) => {
  const routes = servedRoutes(routersOfTheApi());
  const withoutBody = routes.filter(
    (route) => /^(POST|PATCH) /.test(route) && !NO_BODY.has(route) && operationAt(document, route)?.requestBody === undefined,
  );
  t.deepEqual(withoutBody, []);

  const jsonBody = (route: string): SchemaLike | undefined =>
    operationAt(document, route)?.requestBody?.content?.['application/json']?.schema;
  const create = jsonBody('POST /pipelines');
  t.is(create?.type, 'object');
  t.true(
    ['name', 'team_id'].every((field) => create?.required?.includes(field)),
    JSON.stringify(create?.required),
  );
  t.truthy(create?.properties?.['subscription_mapper_config']);
  t.deepEqual(jsonBody('PATCH /pipelines/{id}')?.required, undefined);
  t.deepEqual(jsonBody('POST /connectors')?.properties?.['connector_type'], {
    type: 'string',
    enum: ['KAFKA_SOURCE', 'KAFKA_TARGET', 'ORACLE_TARGET', 'POSTGRES_TARGET', 'JOB_SMT'],
  });
  t.deepEqual(jsonBody('POST /teams/{id}/members/bulk')?.required, ['members']);
  // Register leaves out the flags it ignores.
  t.deepEqual(Object.keys(jsonBody('POST /auth/register')?.properties ?? {}), ['email', 'password', 'is_active']);

  const login = operationAt(document, 'POST /auth/jwt/login')?.requestBody?.content?.['application/x-www-form-urlencoded']?.schema;
  t.deepEqual(login?.required, ['username', 'password']);

  const query = (route: string) =>
    (operationAt(document, route)?.parameters ?? [])
      .filter((p) => p.in === 'query')
      .map((p) => `${p.name}${p.required === true ? '!' : ''}`);
  t.deepEqual(query('GET /pipelines'), ['skip', 'limit', 'page', 'size', 'state', 'team_id', 'search']);
  t.deepEqual(query('GET /teams/filter-one'), ['name!', 'env_id']);
  t.deepEqual(query('GET /user-logs'), ['skip', 'limit', 'page', 'size', 'user_id', 'resource_id', 'event_type', 'since', 'until']);
  const path = (operationAt(document, 'DELETE /teams/{id}/members/{userId}')?.parameters ?? [])
    .filter((p) => p.in === 'path')
    .map((p) => p.name);
  t.deepEqual(path, ['id', 'userId']);
});

test('security: a bearer JWT everywhere but on the public routes', (t) => {
  const parsed = JSON.parse(documentText) as {
    security?: unknown;
    components?: { securitySchemes?: Record<string, { scheme?: string; bearerFormat?: string }> };
  };
  t.deepEqual(parsed.security, [{ bearerAuth: [] }]);
  t.like(parsed.components?.securitySchemes?.['bearerAuth'], { scheme: 'bearer', bearerFormat: 'JWT' });
  for (const route of servedRoutes(routersOfTheApi())) {
    const security = operationAt(document, route)?.security;
    if (PUBLIC.has(route)) t.deepEqual(security, [], route);
    else t.is(security, undefined, `${route} must inherit the bearer requirement`);
  }
  t.false(documentText.includes(ADMIN.password));
  t.false(documentText.includes(JWT_SECRET));
});

test('GET /api/docs renders Swagger UI whose assets this server serves', async (t) => {
  const current = api;
  if (current === undefined) return t.fail('the API never started');
  const response = await fetch(`${current.url}/docs`);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^text\/html/);
  const html = await response.text();
  t.regex(html, /data-url="\/api\/openapi\.json"/);
  const scripts = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1] ?? '');
  const styles = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1] ?? '');
  t.true(
    scripts.some((src) => src.endsWith('/swagger-ui-bundle.js')),
    scripts.join(', '),
  );
  t.true(
    styles.some((href) => href.endsWith('/swagger-ui.css')),
    styles.join(', '),
  );
  const origin = new URL(current.url).origin;
  for (const asset of [...scripts, ...styles]) {
    t.true(asset.startsWith('/api/docs/'), `${asset} must come from this server`);
    const fetched = await fetch(new URL(asset, origin));
    t.is(fetched.status, 200, asset);
    t.regex(fetched.headers.get('content-type') ?? '', asset.endsWith('.css') ? /^text\/css/ : /javascript/, asset);
    t.true((await fetched.arrayBuffer()).byteLength > 0, asset);
  }
  // Only the page's own files are served from the package folder.
  t.is((await fetch(`${current.url}/docs/package.json`)).status, 404);
  t.is((await fetch(`${current.url}/docs/..%2F..%2Fpackage.json`)).status, 404);
});
