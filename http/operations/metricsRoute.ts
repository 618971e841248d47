import Router from '@koa/router';
import { createHash, timingSafeEqual } from 'node:crypto';
import { CONTENT_TYPE, exposition, type Registry } from '../../infrastructure/metrics/prometheus';

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
