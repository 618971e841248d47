import Koa, { type Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import Router from '@koa/router';
import { ValidationFailure } from '../domain/failures';
import { errorMapper, MalformedBody, RequestTooLarge, type ErrorLogger } from './errors';

export interface AppDeps {
  readonly routers: readonly Router[];
  /** Routers at the top level, outside /api and before authentication (e.g. `/metrics`). */
  readonly rootRouters?: readonly Router[];
  /** Run first, around error mapping too (request ids, timing, access log). */
  readonly outerMiddleware?: readonly Middleware[];
  /** Run before any router, after body parsing (request ids, authentication). */
  readonly middleware?: readonly Middleware[];
  readonly logger: ErrorLogger;
  /** Largest JSON / form body accepted; larger ones are answered 413. */
  readonly bodyLimit?: string;
}

/**
 * koa-router's `Allow` handling, with a method it does not know at all (TRACE, CONNECT) on a known
 * path answered 405 like any other method the path lacks, not 501: HTTP reserves 501 for a method
 * the server does not recognise, and the path's `Allow` still says what it takes.
 */
function allowedMethods(router: Router): ReturnType<Router['allowedMethods']> {
  const allowed = router.allowedMethods();
  return async (ctx, next) => {
    await allowed(ctx, next);
    if (ctx.status === 501) ctx.status = 405;
  };
}

/** The API: error mapping outermost (inside the outer middleware), then body parsing, then the resource routers under /api. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  for (const middleware of deps.outerMiddleware ?? []) app.use(middleware);
  app.use(errorMapper(deps.logger));
  app.use(async (ctx, next) => {
    await next();
    // Koa turns the status into 200 when a body is set, so the status is set again after it.
    const status = ctx.status;
    if (status === 404 && ctx.body === undefined) {
      ctx.body = { detail: 'Not Found' };
      ctx.status = status;
    }
    if (status === 405 && (ctx.body === undefined || typeof ctx.body === 'string')) {
      ctx.body = { detail: 'Method Not Allowed' };
      ctx.status = status;
    }
  });
  const limit = deps.bodyLimit ?? '1mb';
  const parse = bodyParser({ enableTypes: ['json', 'form'], jsonLimit: limit, formLimit: limit, strict: true });
  // Only parsing is guarded here: errors thrown further down must reach the error mapper untouched.
  app.use(async (ctx, next) => {
    let parsed = false;
    try {
      await parse(ctx, async () => {
        parsed = true;
      });
    } catch (error: unknown) {
      const tooLarge = typeof error === 'object' && error !== null && 'status' in error && error.status === 413;
      throw tooLarge ? new RequestTooLarge() : new MalformedBody();
    }
    // Unknown query parameters are ignored (as FastAPI does), but one without a name (`?=x`) is
    // malformed, not unknown.
    if (Object.hasOwn(ctx.query, '')) {
      throw new ValidationFailure([{ loc: ['query', ''], msg: 'a query parameter needs a name', type: 'value_error.query_name' }]);
    }
    if (parsed) await next();
  });
  for (const router of deps.rootRouters ?? []) app.use(router.routes());
  for (const middleware of deps.middleware ?? []) app.use(middleware);
  const api = new Router({ prefix: '/api' });
  for (const router of deps.routers) api.use(router.routes(), allowedMethods(router));
  app.use(api.routes());
  app.use(allowedMethods(api));
  return app;
}
