import Router from '@koa/router';
import type { Middleware } from 'koa';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Histogram } from 'prom-client';
import { CONTENT_TYPE, exposition, type Registry } from '../../infrastructure/metrics/prometheus';

/** Seconds; from a health check answered from memory to a slow connection check (10 s). */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The route a request matched, as its template (`/api/pipelines/:id`), never the URL itself:
 * ids would make a series per resource, and a URL is the client's text. Unmatched requests
 * (404, a wrong method) share one value.
 */
export const routeTemplateOf = (state: { readonly _matchedRoute?: unknown }): string =>
  typeof state._matchedRoute === 'string' ? state._matchedRoute : 'unmatched';

export const statusClassOf = (status: number): string => `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`;

/**
 * Times every request, outermost so that the status is the one answered (error mapping
 * included): `popsink_http_request_duration_seconds{method, route, status}`.
 */
export function httpMetrics(registry: Registry): Middleware {
  const durations = new Histogram({
    name: 'popsink_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status class.',
    labelNames: ['method', 'route', 'status'],
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    let failed = false;
    try {
      await next();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      durations.observe(
        {
          method: METHODS.has(ctx.method) ? ctx.method : 'OTHER',
          route: routeTemplateOf(ctx as { _matchedRoute?: unknown }),
          status: statusClassOf(failed ? 500 : ctx.status),
        },
        seconds,
      );
    }
  };
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * `GET /metrics`, at the top level as scrapers expect. With a token, only a request bearing it
 * (`Authorization: Bearer <token>`) is answered; without one, the port should be firewalled.
 * Nothing secret is exposed either way: pipeline ids, route templates and counts.
 */
export function metricsRouter(registry: Registry, options: { readonly token?: string | undefined } = {}): Router {
  const router = new Router();
  const expected = options.token === undefined ? undefined : digest(options.token);
  router.get('/metrics', async (ctx) => {
    if (expected !== undefined) {
      const given = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer');
        ctx.body = { detail: 'Unauthorized' };
        return;
      }
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = CONTENT_TYPE;
    ctx.body = await exposition(registry);
  });
  return router;
}
