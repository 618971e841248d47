import Router from '@koa/router';

export interface HealthDeps {
  /** True once the read models reflect the log as it was at start-up. */
  readonly ready: () => boolean;
  /** Resolves when the event store and the read store both answer; rejects otherwise. */
  readonly checkStores: () => Promise<void>;
}

/** Liveness (the process answers), readiness (queries see the current state), and store health. */
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
  router.get('/healthchecks', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/healthchecks/db', async (ctx) => {
    // The reason stays in the server log: a health probe must not leak connection details.
    const healthy = await deps.checkStores().then(
      () => true,
      () => false,
    );
    ctx.status = healthy ? 200 : 503;
    ctx.body = { status: healthy ? 'ok' : 'unavailable' };
  });
  return router;
}
