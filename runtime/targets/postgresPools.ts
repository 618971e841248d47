import type pg from 'pg';
import type { PostgresTargetConfig } from '../../domain/connector/connectorConfig';

/**
 * Connection pools shared by the PostgreSQL targets of one process: one per server, database
 * and credentials, however many pipelines write there, so that a runtime hosting hundreds of
 * subscriptions holds a handful of connections per database rather than two per pipeline (the
 * server's max_connections is 100 by default). A pool ends when its last target closes.
 */
export interface PostgresPools {
  /** The pool of `config`'s server, made with `create` when there is none yet; release() once the target closes. */
  acquire(config: PostgresTargetConfig, create: () => pg.Pool): { readonly pool: pg.Pool; release(): Promise<void> };
}

export function postgresPools(): PostgresPools {
  const pools = new Map<string, { pool: pg.Pool; users: number }>();
  return {
    acquire(config, create) {
      const key = JSON.stringify([config.host, config.port, config.database, config.user, config.password, config.sslmode]);
      const entry = pools.get(key) ?? { pool: create(), users: 0 };
      pools.set(key, entry);
      entry.users += 1;
      let released = false;
      return {
        pool: entry.pool,
        async release() {
          if (released) return;
          released = true;
          entry.users -= 1;
          if (entry.users > 0 || pools.get(key) !== entry) return;
          pools.delete(key);
          await entry.pool.end();
        },
      };
    },
  };
}
