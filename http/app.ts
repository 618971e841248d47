import Koa, { type Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import Router from '@koa/router';
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
    if (parsed) await next();
  });
  for (const router of deps.rootRouters ?? []) app.use(router.routes());
  for (const middleware of deps.middleware ?? []) app.use(middleware);
  const api = new Router({ prefix: '/api' });
  for (const router of deps.routers) api.use(router.routes(), router.allowedMethods());
  app.use(api.routes());
  app.use(api.allowedMethods());
  return app;
}
