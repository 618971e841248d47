import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Config } from './config';
import type { EventStore } from './commands/eventstore/eventStore';
import { esdbEventStore } from './commands/eventstore/esdbEventStore';
import { sqliteEventStore } from './commands/eventstore/sqliteEventStore';
import { ensureSuperuser } from './commands/identity/ensureSuperuser';
import type { CommandDeps } from './commands/handleCommand';
import { EVENT_UPCASTERS } from './domain/events';
import { scryptHasher } from './infrastructure/crypto/passwords';
import { newEventId } from './infrastructure/ids/eventIds';
import { parseSecretKey, secretBox, type SecretBox } from './infrastructure/crypto/secretBox';
import { createApp } from './http/app';
import { authenticate } from './http/auth';
import type { ApiDeps } from './http/apiDeps';
import { guard } from './http/guard';
import { attachLogSockets } from './http/observability/logSockets';
import { loginThrottle } from './http/identity/loginThrottle';
import { metricsRouter } from './http/operations/metricsRoute';
import { requestTelemetry } from './http/operations/requestTelemetry';
import { logNotifier } from './infrastructure/notifier';
import { apiRouters } from './http/routers';
import { consoleRouter, defaultConsoleDir } from './http/console/consoleRoute';
import { healthRouter } from './http/operations/healthRouter';
import { signingKey, tokenIssuer } from './http/identity/tokens';
import { allProjections } from './projections/allProjections';
import type { ReadStore } from './projections/readStore';
import { memoryReadStore } from './projections/readstore/memoryReadStore';
import { mongoReadStore } from './projections/readstore/mongoReadStore';
import { startLiveProjections, type LiveProjections } from './projections/liveRebuild';
import type { Logger } from './infrastructure/logger';
import { metricsRegistry, type Registry } from './infrastructure/metrics/prometheus';
import { platformMetrics } from './runtime/metrics/platformMetrics';
import { observabilityStore, type ObservabilityReader } from './runtime/observability/observabilityStore';
import { startSupervisor, type Supervisor } from './runtime/supervisor';
import { mapperTableCheck } from './runtime/sql/mapperTableCheck';
import { readModelsOf } from './projections/readModels';
import { runtimeMetrics } from './runtime/metrics/runtimeMetrics';
import { workerPool } from './runtime/worker/workerPool';
import { startProbeServer } from './http/operations/probeServer';
import { guardedEventStore } from './commands/installation/guardedEventStore';
import { logReplacer } from './commands/installation/installationReplace';
import { listArchivedLogs } from './commands/installation/sqliteLogFiles';

/**
 * Wires the adapters the configuration asks for. `main.ts` (the server) and `cli.ts` build on it;
 * neither this nor anything below reads the environment.
 */
export async function openEventStore(config: Config): Promise<EventStore> {
  if (config.eventStoreUrl !== undefined) return esdbEventStore(config.eventStoreUrl);
  mkdirSync(config.dataDir, { recursive: true });
  return sqliteEventStore(join(config.dataDir, 'events.db'), { synchronous: config.sqliteSynchronous });
}

async function openReadStore(config: Config): Promise<ReadStore> {
  if (config.mongoUrl !== undefined) return mongoReadStore(config.mongoUrl, { database: config.mongoDatabase });
  return memoryReadStore();
}

/** A secret kept private in the data dir (mode 0600), generated on first start. */
function persistentSecret(config: Config, file: string): string {
  const path = join(config.dataDir, file);
  if (!existsSync(path)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  return readFileSync(path, 'utf8').trim();
}

function secretBoxOf(config: Config): SecretBox {
  const raw = config.secretKey ?? persistentSecret(config, 'secret-key');
  const key = parseSecretKey(raw);
  if (key === undefined) throw new Error('POPSINK_SECRET_KEY must be 32 bytes, base64 or hex');
  return secretBox(key);
}

/** Resolves when the event store and the read store both answer (the health checks). */
async function checkStores(store: EventStore, readStore: ReadStore): Promise<void> {
  await store.headPosition();
  await readStore.getCheckpoint('projections');
}

export const commandDepsOf = (store: EventStore): CommandDeps => ({
  store,
  newId: newEventId,
  now: () => new Date(),
  upcasters: EVENT_UPCASTERS,
});

export interface RunningPlatform {
  /** The API's port; undefined for a runtime-only process. */
  readonly port: number | undefined;
  /** The data-plane supervisor; undefined for an API-only process. */
  readonly supervisor: Supervisor | undefined;
  /** The probes' port of a runtime-only process (POPSINK_RUNTIME_PORT). */
  readonly probesPort: number | undefined;
  stop(): Promise<void>;
}

/** A running HTTP API: its port and how to stop it. */
interface RunningApi {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts what `config.role` asks for over one event store and one read store: the API, the
 * data-plane runtime (a supervisor of worker processes), or both (the default).
 */
export async function startPlatform(config: Config, logger: Logger): Promise<RunningPlatform> {
  // Guarded: a replace of the log (installationReplace.ts) holds appends and fences subscriptions.
  const store = guardedEventStore(await openEventStore(config));
  // Read models in generations, rebuilt while serving by `POST /api/admin/rebuild` (projections/liveRebuild.ts).
  const projections = await startLiveProjections({
    store,
    readStore: await openReadStore(config),
    projections: allProjections,
    upcasters: EVENT_UPCASTERS,
    onError: (error) => logger.error('projection failed; retrying', { error: String(error) }),
    onParked: (parked) => logger.error('event parked: no read model could be written from it; a rebuild tries it again', parked),
    onRebuild: (rebuild) =>
      rebuild.state !== 'running' &&
      logger.info(`read-model rebuild ${rebuild.state}`, { rebuildId: rebuild.id, generation: rebuild.generation, error: rebuild.error }),
  });
  const readStore = projections.readStore;
  const commands = commandDepsOf(store);
  const secrets = secretBoxOf(config);
  const observability = observabilityStore(readStore, { runtimeId: config.runtimeId });
  // One registry per platform: tests start several in one process.
  const registry = metricsRegistry();
  const metrics = platformMetrics(registry, {
    store,
    readStore,
    observability,
    projectionPosition: () => projections.position(),
    parkedEvents: () => projections.parked().length,
    runtime: config.role !== 'api',
  });

  const pool = config.role === 'api' ? undefined : workerPool({ processes: config.workerProcesses, maxOldSpaceMb: config.workerHeapMb });
  let supervisor: Supervisor | undefined;
  if (pool !== undefined) runtimeMetrics(registry, { supervisor: () => supervisor, pool });
  const startRuntime = async (): Promise<void> => {
    supervisor =
      pool === undefined
        ? undefined
        : await startSupervisor({
            store,
            views: readModelsOf(readStore),
            // A runtime starting over a long log waits for its read models to catch up first.
            waitFor: (position) => projections.waitFor(position, 600_000),
            commands,
            secrets,
            spawn: pool.spawn,
            observability,
            logger,
            runtimeId: config.runtimeId,
            retryWindowMs: config.retryWindowSeconds * 1000,
            workerRestarts: metrics.workerRestarts,
          });
  };
  // Only one process over the embedded log can swap it under itself (no other process to stop).
  const installationLog =
    config.eventStoreUrl === undefined && config.role === 'all'
      ? {
          replacer: logReplacer({
            dataDir: config.dataDir,
            store,
            // A scratch file until complete: its clean close checkpoints and syncs it, so `normal` loses nothing.
            openLogFile: (file) => sqliteEventStore(file, { synchronous: 'normal' }),
            commands,
            upcasters: EVENT_UPCASTERS,
            keyId: secrets.keyId,
            stopRuntime: async () => {
              await supervisor?.stop();
              supervisor = undefined;
            },
            startRuntime,
            rebuildReadModels: async () => {
              await projections.rebuildDone().catch(() => undefined);
              await projections.rebuild();
            },
            waitFor: (position) => projections.waitFor(position, 600_000),
            // The configured superuser survives a replace: the document's account of that email, else a new one.
            afterSwap: async () => {
              if (config.adminEmail === undefined || config.adminPassword === undefined) return;
              const outcome = await ensureSuperuser(commands, scryptHasher(), config.adminEmail, config.adminPassword);
              if (isLeft(outcome)) logger.warn('superuser not ensured after the log was replaced', { code: outcome.left.code });
            },
          }),
          archives: () => listArchivedLogs(config.dataDir),
        }
      : undefined;
  const api =
    config.role === 'runtime'
      ? undefined
      : await startApi(config, logger, { store, readStore, projections, commands, secrets, observability, registry, installationLog });
  // A runtime without the API still answers its orchestrator's probes and Prometheus.
  const probes =
    config.role === 'runtime'
      ? await startProbeServer({
          port: config.runtimePort,
          host: config.host,
          ready: () => supervisor !== undefined && projections.caughtUp(),
          checkStores: () => checkStores(store, readStore),
          registry,
          metricsToken: config.metricsToken,
        })
      : undefined;
  await startRuntime();
  if (supervisor !== undefined) {
    logger.info('popsink runtime started', {
      runtimeId: config.runtimeId,
      workers: supervisor.workers().length,
      workerProcesses: config.workerProcesses,
      probesPort: probes?.port,
    });
  }

  return {
    port: api?.port,
    // The supervisor of now: a replace of the log starts a new one.
    get supervisor() {
      return supervisor;
    },
    probesPort: probes?.port,
    async stop() {
      await api?.stop();
      await supervisor?.stop();
      await pool?.close();
      await probes?.stop();
      await projections.stop();
      await readStore.close();
      await store.close();
    },
  };
}

interface Stores {
  readonly store: EventStore;
  readonly readStore: ReadStore;
  readonly projections: LiveProjections;
  readonly commands: CommandDeps;
  readonly secrets: SecretBox;
  readonly observability: ObservabilityReader;
  readonly registry: Registry;
  readonly installationLog: ApiDeps['installationLog'];
}

async function startApi(
  config: Config,
  logger: Logger,
  { store, readStore, projections, commands, secrets, observability, registry, installationLog }: Stores,
): Promise<RunningApi> {
  const passwords = scryptHasher();
  if (config.adminEmail !== undefined && config.adminPassword !== undefined) {
    const outcome = await ensureSuperuser(commands, passwords, config.adminEmail, config.adminPassword);
    if (isLeft(outcome)) throw new Error(`POPSINK_ADMIN_EMAIL / POPSINK_ADMIN_PASSWORD refused: ${outcome.left.code}`);
    logger.info(outcome.right.created ? 'superuser created' : 'superuser ensured', { email: config.adminEmail });
    // The first login must find the superuser: wait until the read models show it.
    const head = await store.headPosition();
    if (head !== undefined) await projections.waitFor(head, 120_000);
  }

  const jwtKey = signingKey(config.jwtSecret ?? persistentSecret(config, 'jwt-secret'));

  const views = readModelsOf(readStore);
  const deps: ApiDeps = {
    commands,
    views,
    readStore,
    checkMapper: mapperTableCheck(views, secrets),
    waitFor: (position) => projections.waitFor(position),
    passwords,
    tokens: tokenIssuer(jwtKey, config.jwtLifetimeSeconds, commands.now),
    jwtKey,
    secrets,
    notifier: logNotifier(logger),
    loginThrottle: loginThrottle(config.loginMaxFailures, config.loginLockSeconds, commands.now),
    logger,
    resetTokenLifetimeSeconds: config.resetTokenLifetimeSeconds,
    observability,
    readModels: projections,
    ...(installationLog !== undefined ? { installationLog } : {}),
  };
  const app = createApp({
    routers: [
      healthRouter({ ready: () => projections.caughtUp(), checkStores: () => checkStores(store, readStore) }),
      ...apiRouters(deps, guard(views)),
    ],
    telemetry: requestTelemetry(logger, registry),
    rootRouters: [
      metricsRouter(registry, { token: config.metricsToken }),
      consoleRouter({ dir: config.consoleDir ?? defaultConsoleDir() }),
    ],
    middleware: authenticate(deps.jwtKey, views),
    logger,
    bodyLimit: config.bodyLimit,
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
  });
  attachLogSockets(server, deps);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info('popsink listening', {
    port,
    eventStore: config.eventStoreUrl === undefined ? 'embedded' : 'eventstoredb',
    readStore: config.mongoUrl === undefined ? 'embedded' : 'mongodb',
    dataDir: config.dataDir,
  });
  return {
    port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    },
  };
}
