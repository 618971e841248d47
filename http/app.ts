import Koa, { type Context, type Middleware, type Next } from 'koa';
import bodyParser from 'koa-bodyparser';
import Router from '@koa/router';
import compose from 'koa-compose';
import { ValidationFailure } from '../domain/failures';
import { docsRouter } from './openapi/docsRouter';
import { errorMapper, MalformedBody, RequestTooLarge, type ErrorLogger } from './errors';

export interface AppDeps {
  readonly routers: readonly Router[];
  /** Routers at the top level, outside /api and before authentication (e.g. `/metrics`). */
  readonly rootRouters?: readonly Router[];
  /** Run first, around error mapping too (request ids, timing, access log). */
  readonly outerMiddleware?: readonly Middleware[];
  /** Run before the API's routers, after body parsing (authentication). */
  readonly middleware?: readonly Middleware[];
  readonly logger: ErrorLogger;
  /** Largest JSON / form body accepted; larger ones are answered 413. */
  readonly bodyLimit?: string;
}

// The router's middleware type asks for the context it adds itself; Koa's is what it receives.
const routesOf = (router: Router): Middleware => router.routes() as unknown as Middleware;

/**
 * koa-router's `Allow` handling, with a method it does not know at all (TRACE, CONNECT) on a known
 * path answered 405 like any other method the path lacks, not 501: HTTP reserves 501 for a method
 * the server does not recognise, and the path's `Allow` still says what it takes.
 */
function allowedMethods(router: Router): Middleware {
  const allowed = router.allowedMethods() as unknown as Middleware;
  return async (ctx, next) => {
    await allowed(ctx, next);
    if (ctx.status === 501) ctx.status = 405;
  };
}

const API_PREFIX = '/api';
const API = `${API_PREFIX}/`;

/** `teams` of `/api/teams/{id}`; `''` for `/api` itself. */
const segmentOf = (path: string): string => {
  const end = path.indexOf('/', API.length);
  return path.slice(API.length, end === -1 ? undefined : end);
};

/**
 * The resource routers under /api, found by their first path segment (`/api/teams/...`: the
 * routers with a `/teams` route) before any pattern is tried, so that a request tries one
 * resource's patterns, not all 170 routes'. Within a segment the routers keep their order, and one
 * `Allow` pass follows them; a segment no route has falls through (404).
 */
function apiRoutes(routers: readonly Router[]): Middleware {
  const routersBySegment = new Map<string, Router[]>();
  for (const router of routers) {
    router.prefix(`${API_PREFIX}${router.opts.prefix ?? ''}`);
    for (const layer of router.stack) {
      if (typeof layer.path !== 'string' || !layer.path.startsWith(API) || segmentOf(layer.path).startsWith(':')) {
        throw new Error(`API route ${String(layer.path)}: the first segment after /api must be literal`);
      }
      const segment = segmentOf(layer.path);
      const group = routersBySegment.get(segment) ?? [];
      if (!group.includes(router)) group.push(router);
      routersBySegment.set(segment, group);
    }
  }
  const chains = new Map(
    [...routersBySegment].map(([segment, group]) => [segment, compose([...group.map(routesOf), allowedMethods(group[0] as Router)])]),
  );
  return (ctx, next) => {
    const chain = ctx.path.startsWith(API) ? chains.get(segmentOf(ctx.path)) : undefined;
    return chain === undefined ? next() : chain(ctx, next);
  };
}

/**
 * The contract's request checks before any route: the body parsed (JSON or form, within the
 * limit; malformed is 422, too large 413), and a query parameter without a name refused. A
 * request without a body (most reads) skips the parser, which would only hand `{}`.
 */
function requestInput(limit: string): Middleware {
  const parse = bodyParser({
    enableTypes: ['json', 'form'],
    jsonLimit: limit,
    formLimit: limit,
    strict: true,
    onerror: (error: unknown) => {
      const tooLarge = typeof error === 'object' && error !== null && 'status' in error && error.status === 413;
      throw tooLarge ? new RequestTooLarge() : new MalformedBody();
    },
  });
  const parseBody: (ctx: Context, next: Next) => Promise<void> = parse;
  return (ctx, next) => {
    // Unknown query parameters are ignored (as FastAPI does), but one without a name (`?=x`) is
    // malformed, not unknown.
    if (ctx.querystring !== '' && Object.hasOwn(ctx.query, '')) {
      throw new ValidationFailure([{ loc: ['query', ''], msg: 'a query parameter needs a name', type: 'value_error.query_name' }]);
    }
    const { headers } = ctx.req;
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      ctx.request.body = {};
      return next();
    }
    return parseBody(ctx, next);
  };
}

const isApiPath = (path: string): boolean => path === API_PREFIX || path.startsWith(API);

/**
 * The API: the outer middleware (request id, telemetry), error mapping, request input; then a
 * path under /api goes through authentication to its resource's routes, and any other path to
 * the root routers (`/metrics`, the console).
 */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  for (const middleware of deps.outerMiddleware ?? []) app.use(middleware);
  app.use(errorMapper(deps.logger));
  app.use(requestInput(deps.bodyLimit ?? '1mb'));
  const routers: Router[] = [...deps.routers, docsRouter(API_PREFIX, () => routers)];
  const apiChain = compose([...(deps.middleware ?? []), apiRoutes(routers)]);
  const rootChain = compose((deps.rootRouters ?? []).map(routesOf));
  app.use((ctx, next) => (isApiPath(ctx.path) ? apiChain(ctx, next) : rootChain(ctx, next)));
  return app;
}
