import { readConfig } from './config';
import { startPlatform } from './platform';
import { jsonLogger } from './infrastructure/logger';

// The server's entry point: the only place, with cli.ts, that reads the environment.
const boot = jsonLogger((line) => process.stdout.write(line));
try {
  const config = readConfig(process.env);
  const logger = jsonLogger((line) => process.stdout.write(line), config.logLevel);
  const platform = await startPlatform(config, logger);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    platform.stop().then(
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
  boot.error('start-up failed', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
