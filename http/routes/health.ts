import Router from '@koa/router';

export interface HealthDeps {
  /** True once the read models reflect the log as it was at start-up. */
  readonly ready: () => boolean;
}

/** Liveness (the process answers) and readiness (queries would see the current state). */
export function healthRouter(deps: HealthDeps): Router {
  const router = new Router();
  router.get('/livez', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx) => {
    const ready = deps.ready();
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'catching_up' };
  });
  return router;
}
