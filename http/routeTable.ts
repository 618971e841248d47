import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import compose from 'koa-compose';

type Layer = Router['stack'][number];
type Handler = (ctx: Context, next: Next) => Promise<unknown>;

interface Route {
  readonly layer: Layer;
  readonly template: string;
  readonly methods: ReadonlySet<string>;
  readonly handle: Handler;
}

/** What the router used to leave on the context: the path's parameters and the matched template (metrics, logs). */
interface RoutedContext {
  params: Record<string, string>;
  _matchedRoute: string;
}

/** `teams` of `/api/teams/{id}` under prefix `/api/`; `''` for the prefix itself. */
const segmentAfter = (prefix: string, path: string): string => {
  const end = path.indexOf('/', prefix.length);
  return path.slice(prefix.length, end === -1 ? undefined : end);
};

/**
 * The routes of `routers` (already prefixed with `prefix`), grouped at start by their first path
 * segment after it, so that a request tries only its resource's patterns, in the routers' order,
 * and runs the first route whose pattern and method match, as @koa/router does when no handler
 * calls `next`. Built once instead of @koa/router's per-request matching, debug tracing and
 * middleware composition, which was a tenth of an authenticated read's cost.
 *
 * A path some route has, with a method none of them takes: `OPTIONS` is answered 200 and any
 * other method (known to HTTP or not, TRACE included) 405, both with `Allow`. A path no route has
 * goes on to `next` (404).
 */
export function routeTable(routers: readonly Router[], prefix: string): Middleware {
  const routesBySegment = new Map<string, Route[]>();
  for (const layer of routers.flatMap((router) => router.stack)) {
    if (typeof layer.path !== 'string' || !layer.path.startsWith(prefix) || segmentAfter(prefix, layer.path).startsWith(':')) {
      throw new Error(`route ${String(layer.path)}: the first segment after ${prefix} must be literal`);
    }
    if (layer.methods.length === 0) throw new Error(`route ${layer.path}: a router middleware (router.use) is not supported here`);
    const segment = segmentAfter(prefix, layer.path);
    const route: Route = {
      layer,
      template: layer.path,
      methods: new Set(layer.methods),
      handle: (layer.stack.length === 1 ? layer.stack[0] : compose(layer.stack)) as unknown as Handler,
    };
    routesBySegment.set(segment, [...(routesBySegment.get(segment) ?? []), route]);
  }

  const refuseMethod = (ctx: Context, allowed: ReadonlySet<string>): void => {
    ctx.set('Allow', [...allowed].join(', '));
    if (ctx.method === 'OPTIONS') {
      ctx.status = 200;
      ctx.body = '';
    } else ctx.status = 405;
  };

  return (ctx, next) => {
    const path = ctx.path;
    const routes = path.startsWith(prefix) ? routesBySegment.get(segmentAfter(prefix, path)) : undefined;
    if (routes === undefined) return next();
    let allowed: Set<string> | undefined;
    for (const { layer, template, methods, handle } of routes) {
      const match = layer.regexp.exec(path);
      if (match === null) continue;
      if (methods.has(ctx.method)) {
        const routed = ctx as Context & RoutedContext;
        routed.params = layer.params(path, match.slice(1));
        routed._matchedRoute = template;
        return handle(ctx, next);
      }
      allowed ??= new Set();
      for (const method of methods) allowed.add(method);
    }
    if (allowed === undefined) return next();
    refuseMethod(ctx, allowed);
    return Promise.resolve();
  };
}
