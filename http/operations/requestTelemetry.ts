import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../infrastructure/logger';
import type { Registry } from '../../infrastructure/metrics/prometheus';
import { seriesHistogram } from '../../infrastructure/metrics/seriesHistogram';

/** Seconds; from a health check answered from memory to a slow connection check (10 s). */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const CLIENT_REQUEST_ID = /^[\w.-]{1,128}$/;

/**
 * The route a request matched, as its template (`/api/pipelines/:id`), never the URL itself:
 * ids would make a series per resource, and a URL is the client's text. Unmatched requests
 * (404, a wrong method) share one value.
 */
export const routeTemplateOf = (state: { readonly _matchedRoute?: unknown }): string =>
  typeof state._matchedRoute === 'string' ? state._matchedRoute : 'unmatched';

export const statusClassOf = (status: number): string => `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`;

/** Begins a request's telemetry; the function it answers ends it, once the request's status is final. */
export type RequestTelemetry = (ctx: Context) => () => void;

/**
 * What every request gets: its id (the client's valid X-Request-ID, else a new one;
 * `ctx.state.requestId`, the correlation id of the events it causes), then, once answered with
 * the status the error mapping chose, one debug access-log line (method, route template, status,
 * duration) and one observation of `popsink_http_request_duration_seconds{method, route, status}`.
 *
 * Log lines written while serving a request carry its id explicitly (from `ctx.state` or the
 * command context): an AsyncLocalStorage scope would have done it implicitly, but on Node 20 it
 * slows every promise of the process, and cost a sixth of the API's read throughput.
 */
export function requestTelemetry(logger: Logger, registry: Registry): RequestTelemetry {
  const durations = seriesHistogram(registry, {
    name: 'popsink_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status class.',
    labelNames: ['method', 'route', 'status'],
    buckets: HTTP_BUCKETS,
  });
  return (ctx) => {
    const started = process.hrtime.bigint();
    const given = ctx.req.headers['x-request-id'];
    const id = typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state['requestId'] = id;
    ctx.set('X-Request-ID', id);
    return () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const method = METHODS.has(ctx.method) ? ctx.method : 'OTHER';
      const route = routeTemplateOf(ctx as { _matchedRoute?: unknown });
      const status = ctx.status;
      durations.series({ method, route, status: statusClassOf(status) }).observe(seconds);
      logger.debug('request', { requestId: id, method: ctx.method, route, status, durationMs: Math.round(seconds * 1000) });
    };
  };
}
