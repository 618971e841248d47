import Router from '@koa/router';
import Koa from 'koa';
import type { Server } from 'node:http';
import type { MetricsRegistry } from '../runtime/metrics/registry';
import { metricsRouter } from './metricsRoute';

/**
 * What a `runtime`-role process serves (it has no API): `/livez` (the process answers),
 * `/readyz` (200 once its supervisor runs on caught-up read models, 503 before) and `/metrics`.
 */
export async function startProbeServer(options: {
  readonly port: number;
  readonly host: string;
  readonly ready: () => boolean;
  readonly registry: MetricsRegistry;
  readonly metricsToken: string | undefined;
}): Promise<{ readonly port: number; stop(): Promise<void> }> {
  const router = new Router();
  router.get('/livez', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx) => {
    const ready = options.ready();
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'starting' };
  });
  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  app.use(metricsRouter(options.registry, { token: options.metricsToken }).routes());
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(options.port, options.host, () => resolve(listening));
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    },
  };
}
