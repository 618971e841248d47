import Koa, { type Context, type Middleware, type Next } from 'koa';
import bodyParser from 'koa-bodyparser';
import Router from '@koa/router';
import compose from 'koa-compose';
import { ValidationFailure } from '../domain/failures';
import { docsRouter } from './openapi/docsRouter';
import { answerFailure, answerUnrouted, MalformedBody, RequestTooLarge, type ErrorLogger } from './errors';
import type { RequestTelemetry } from './operations/requestTelemetry';
import { routeTable } from './routeTable';

export interface AppDeps {
  readonly routers: readonly Router[];
  /** Routers at the top level, outside /api and before authentication (e.g. `/metrics`). */
  readonly rootRouters?: readonly Router[];
  /** Begun first and ended last, after error mapping (request ids, timing, access log). */
  readonly telemetry?: RequestTelemetry;
  /** Run before the API's routers, after body parsing (authentication). */
  readonly middleware?: readonly Middleware[];
  readonly logger: ErrorLogger;
  /** Largest JSON / form body accepted; larger ones are answered 413. */
  readonly bodyLimit?: string;
}

// The router's middleware type asks for the context it adds itself; Koa's is what it receives.
const routesOf = (router: Router): Middleware => router.routes() as unknown as Middleware;

const API_PREFIX = '/api';

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

const isApiPath = (path: string): boolean => path === API_PREFIX || path.startsWith(`${API_PREFIX}/`);

/**
 * The API: telemetry and error mapping around everything, then request input; then a
 * path under /api goes through authentication to its resource's routes, and any other path to
 * the root routers (`/metrics`, the console).
 */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  const { telemetry, logger } = deps;
  // One frame around everything (each async layer costs every request): telemetry, then the
  // contract's body for a failure or an unrouted request, then telemetry's end with that status.
  app.use(async (ctx, next) => {
    const end = telemetry?.(ctx);
    try {
      await next();
      answerUnrouted(ctx);
    } catch (error: unknown) {
      answerFailure(ctx, error, logger);
    } finally {
      end?.();
    }
  });
  app.use(requestInput(deps.bodyLimit ?? '1mb'));
  const routers: Router[] = [...deps.routers, docsRouter(API_PREFIX, () => routers)];
  for (const router of routers) router.prefix(`${API_PREFIX}${router.opts.prefix ?? ''}`);
  const apiChain = compose([...(deps.middleware ?? []), routeTable(routers, `${API_PREFIX}/`)]);
  const rootChain = compose((deps.rootRouters ?? []).map(routesOf));
  app.use((ctx, next) => (isApiPath(ctx.path) ? apiChain(ctx, next) : rootChain(ctx, next)));
  return app;
}
