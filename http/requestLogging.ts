import { AsyncLocalStorage } from 'node:async_hooks';
import type { Middleware } from 'koa';
import type { Logger } from '../infrastructure/logger';
import { requestId } from './execute';
import { routeTemplateOf } from './operations/metricsRoute';

const scope = new AsyncLocalStorage<{ readonly requestId: string }>();

/**
 * Gives the request its id (the client's valid X-Request-ID, else a new one) before anything
 * else runs, and keeps it for the loggers of `requestScopedLogger` while the request is served.
 */
export const requestScope: Middleware = async (ctx, next) => {
  await requestId(ctx, async () => {
    await scope.run({ requestId: String(ctx.state['requestId']) }, next);
  });
};

/** A logger whose lines, written while a request is served, carry that request's id. */
export function requestScopedLogger(logger: Logger): Logger {
  const withId =
    (write: Logger['info']): Logger['info'] =>
    (message, fields) => {
      const current = scope.getStore();
      write(message, current === undefined ? fields : { requestId: current.requestId, ...fields });
    };
  return { debug: withId(logger.debug), info: withId(logger.info), warn: withId(logger.warn), error: withId(logger.error) };
}

/**
 * One debug line per request once answered: method, route template (not the URL, which may
 * carry ids or query values), status and duration. Inside `requestScope`, so it carries the id.
 */
export function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = Date.now();
    try {
      await next();
    } finally {
      logger.debug('request', {
        method: ctx.method,
        route: routeTemplateOf(ctx as { _matchedRoute?: unknown }),
        status: ctx.status,
        durationMs: Date.now() - started,
      });
    }
  };
}
