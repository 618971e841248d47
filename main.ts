import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { readConfig, type Config } from './config';
import type { EventStore } from './commands/eventStore';
import { sqliteEventStore } from './commands/eventstore/sqliteEventStore';
import { esdbEventStore } from './commands/eventstore/esdbEventStore';
import type { ReadStore } from './projections/readStore';
import { memoryReadStore } from './projections/readstore/memoryReadStore';
import { mongoReadStore } from './projections/readstore/mongoReadStore';
import { allProjections } from './projections/identityProjections';
import { startProjectionRunner } from './projections/runner';
import { createApp } from './http/app';
import { healthRouter } from './http/routes/health';
import { jsonLogger, type Logger } from './runtime/logger';

/**
 * The composition root: the only place that reads configuration and picks adapters.
 * Everything below it receives its dependencies.
 */
async function openEventStore(config: Config): Promise<EventStore> {
  if (config.eventStoreUrl !== undefined) return esdbEventStore(config.eventStoreUrl);
  mkdirSync(config.dataDir, { recursive: true });
  return sqliteEventStore(join(config.dataDir, 'events.db'));
}

async function openReadStore(config: Config): Promise<ReadStore> {
  if (config.mongoUrl !== undefined) return mongoReadStore(config.mongoUrl, { database: config.mongoDatabase });
  return memoryReadStore();
}

async function start(config: Config, logger: Logger): Promise<() => Promise<void>> {
  const store = await openEventStore(config);
  const readStore = await openReadStore(config);
  const projections = await startProjectionRunner({
    store,
    readStore,
    projections: allProjections,
    onError: (error) => logger.error('projection failed; retrying', { error: String(error) }),
  });
  const app = createApp({
    routers: [healthRouter({ ready: () => projections.caughtUp() })],
    logger,
    bodyLimit: config.bodyLimit,
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
  });
  const address = server.address();
  logger.info('popsink listening', {
    port: typeof address === 'object' && address !== null ? address.port : config.port,
    eventStore: config.eventStoreUrl === undefined ? 'embedded' : 'eventstoredb',
    readStore: config.mongoUrl === undefined ? 'embedded' : 'mongodb',
    dataDir: config.dataDir,
  });

  return async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    await projections.stop();
    await readStore.close();
    await store.close();
  };
}

const logger = jsonLogger((line) => process.stdout.write(line));
try {
  const config = readConfig(process.env);
  const stop = await start(config, jsonLogger((line) => process.stdout.write(line), config.logLevel));
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.error('start-up failed', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
