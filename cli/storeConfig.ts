import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, readConfig, type Config } from '../config';
import type { EventStore } from '../commands/eventstore/eventStore';
import { openEventStore } from '../platform';
import { CliFailure, EXIT, type CliContext } from './context';

/** The server's configuration, from the same environment variables; a bad one is a usage error. */
export function serverConfig(ctx: CliContext): Config {
  try {
    return readConfig(ctx.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliFailure(EXIT.usage, error.message);
    throw error;
  }
}

/**
 * The event log the server writes (POPSINK_EVENTSTORE_URL, else the SQLite file in
 * POPSINK_DATA_DIR). `mustExist`: a reader refuses a data dir without a log, rather than
 * creating an empty one and reporting nothing.
 */
export async function openServerEventStore(config: Config, { mustExist }: { mustExist: boolean }): Promise<EventStore> {
  // platform.ts names the embedded log `events.db` in the data dir.
  if (mustExist && config.eventStoreUrl === undefined && !existsSync(join(config.dataDir, 'events.db'))) {
    throw new CliFailure(EXIT.failure, `no event log in ${config.dataDir} (set POPSINK_DATA_DIR or POPSINK_EVENTSTORE_URL as for the server)`);
  }
  try {
    return await openEventStore(config);
  } catch (error) {
    throw new CliFailure(EXIT.failure, `cannot open the event log: ${error instanceof Error ? error.message : String(error)}`);
  }
}
