import Koa from 'koa';
import type { Server } from 'node:http';
import type { Registry } from '../../infrastructure/metrics/prometheus';
import { metricsRouter } from './metricsRoute';
import { healthRouter, type HealthDeps } from './healthRouter';

/**
 * What a `runtime`-role process serves (it has no API): `/livez` (the process answers),
 * `/readyz` (200 once its supervisor runs on caught-up read models, 503 before), the store
 * health checks and `/metrics`.
 */
export async function startProbeServer(
  options: HealthDeps & {
    readonly port: number;
    readonly host: string;
    readonly registry: Registry;
    readonly metricsToken: string | undefined;
  },
): Promise<{ readonly port: number; stop(): Promise<void> }> {
  // The API's own health routes, at the top level: this process has no /api.
  const router = healthRouter(options);
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
