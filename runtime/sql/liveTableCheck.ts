import { isLeft } from 'fp-ts/lib/Either.js';
import { connectorConfigCodecs, ConnectorCheckError } from '../../domain/connector/connectorConfig';
import type { MapperColumn } from '../../domain/mapper/mapperSpec';
import type { WorkerConnector } from '../worker/workerSpec';
import { incompatibleColumns, type Incompatibility, type LiveColumn } from './columnCompatibility';
import { readOracleColumns } from './oracleCheck';
import { readPostgresColumns } from './postgresCheck';

/**
 * Before a mapper is saved: can the target's live table take its columns' types? Answers the
 * mapper columns it cannot (columnCompatibility.ts, the rule the targets apply at start), and
 * nothing when there is nothing to learn in time: a target that is not a SQL database, a table
 * that does not exist yet (a start creates it), a server that cannot be asked within
 * `timeoutMs`. The worker then refuses a mismatch at start with a permanent reason.
 */
export async function liveIncompatibilities(
  target: WorkerConnector,
  table: string,
  columns: readonly MapperColumn[],
  timeoutMs: number,
): Promise<Incompatibility[]> {
  const read = async (): Promise<{ dialect: 'postgres' | 'oracle'; live: LiveColumn[] | undefined } | undefined> => {
    if (target.type === 'POSTGRES_TARGET') {
      const config = connectorConfigCodecs.POSTGRES_TARGET.decode(target.config);
      return isLeft(config) ? undefined : { dialect: 'postgres', live: await readPostgresColumns(config.right, table, { timeoutMs }) };
    }
    if (target.type === 'ORACLE_TARGET') {
      const config = connectorConfigCodecs.ORACLE_TARGET.decode(target.config);
      return isLeft(config) ? undefined : { dialect: 'oracle', live: await readOracleColumns(config.right, table, { timeoutMs }) };
    }
    return undefined;
  };
  try {
    const found = await read();
    return found?.live === undefined ? [] : incompatibleColumns(found.dialect, found.live, columns);
  } catch (error: unknown) {
    // Unreachable, refused or too slow: no answer is no refusal.
    if (error instanceof ConnectorCheckError) return [];
    throw error;
  }
}
