import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, readConfig, type Config } from '../config';
import type { EventStore } from '../commands/eventstore/eventStore';
import { openEventStore } from '../platform';
import { parseSecretKey, secretBox } from '../infrastructure/crypto/secretBox';
import { checkpointNameOf, GENERATION_CHECKPOINT } from '../projections/blueGreenReadStore';
import { mongoReadStore } from '../projections/readstore/mongoReadStore';
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
    throw new CliFailure(
      EXIT.failure,
      `no event log in ${config.dataDir} (set POPSINK_DATA_DIR or POPSINK_EVENTSTORE_URL as for the server)`,
    );
  }
  try {
    return await openEventStore(config);
  } catch (error) {
    throw new CliFailure(EXIT.failure, `cannot open the event log: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Fingerprint of the secret key the server will run with (POPSINK_SECRET_KEY, else the key file
 * its first start generated in the data dir), without generating one: an offline import must
 * know it before the server ever started. The key itself is never printed.
 */
export function serverSecretKeyId(config: Config): string {
  const file = join(config.dataDir, 'secret-key');
  const raw = config.secretKey ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  if (raw === undefined) {
    throw new CliFailure(
      EXIT.failure,
      `no secret key: set POPSINK_SECRET_KEY to the key of the installation the document comes from (its secrets are sealed with it), as the server will run with`,
    );
  }
  const key = parseSecretKey(raw);
  if (key === undefined) throw new CliFailure(EXIT.usage, 'POPSINK_SECRET_KEY must be 32 bytes, base64 or hex');
  return secretBox(key).keyId;
}

/** Refuses MongoDB read models that already hold an installation's (POPSINK_MONGO_URL / POPSINK_MONGO_DATABASE): the first start must build them from the imported log. */
export async function refuseUsedReadModels(config: Config): Promise<void> {
  if (config.mongoUrl === undefined) return;
  const readStore = await mongoReadStore(config.mongoUrl, { database: config.mongoDatabase }).catch((error: unknown) => {
    throw new CliFailure(EXIT.failure, `cannot open the read models: ${error instanceof Error ? error.message : String(error)}`);
  });
  try {
    const used =
      (await readStore.getCheckpoint(GENERATION_CHECKPOINT)) !== undefined ||
      (await readStore.getCheckpoint(checkpointNameOf(1))) !== undefined;
    if (used)
      throw new CliFailure(
        EXIT.failure,
        `the MongoDB database ${config.mongoDatabase} already holds read models: import into an installation whose read models are empty (another POPSINK_MONGO_DATABASE)`,
      );
  } finally {
    await readStore.close();
  }
}
