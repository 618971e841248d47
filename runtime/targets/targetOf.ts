import { isLeft } from 'fp-ts/lib/Either.js';
import { connectorConfigCodecs } from '../../domain/connector/connectorConfig';
import type { WorkerConnector } from '../worker/workerSpec';
import { kafkaTarget } from './kafkaTarget';
import { oracleTarget } from './oracleTarget';
import type { PostgresPools } from './postgresPools';
import { postgresTarget } from './postgresTarget';
import { TargetError, type RowTarget } from './rowTarget';

export interface TargetOptions {
  readonly clientId: string;
  /** Kafka only: enables the exactly-once `writeWithOffsets`. */
  readonly transactionalId?: string;
  readonly retention?: { readonly retention_ms?: number; readonly retention_bytes?: number };
  /** PostgreSQL only: the process's shared pools. */
  readonly postgresPools?: PostgresPools;
}

/** The target adapter of a connector; a connector that is not a target, or whose config does not decode, is refused. */
export function targetOf(connector: WorkerConnector, options: TargetOptions): RowTarget {
  switch (connector.type) {
    case 'KAFKA_TARGET': {
      const config = connectorConfigCodecs.KAFKA_TARGET.decode(connector.config);
      if (isLeft(config)) break;
      return kafkaTarget(config.right, {
        clientId: options.clientId,
        ...(options.transactionalId === undefined ? {} : { transactionalId: options.transactionalId }),
        ...(options.retention === undefined ? {} : { retention: options.retention }),
      });
    }
    case 'POSTGRES_TARGET': {
      const config = connectorConfigCodecs.POSTGRES_TARGET.decode(connector.config);
      if (isLeft(config)) break;
      return postgresTarget(config.right, options.postgresPools === undefined ? {} : { pools: options.postgresPools });
    }
    case 'ORACLE_TARGET': {
      const config = connectorConfigCodecs.ORACLE_TARGET.decode(connector.config);
      if (isLeft(config)) break;
      return oracleTarget(config.right);
    }
    default:
      throw new TargetError('permanent', 'not_a_target', `a ${connector.type} connector cannot be written to`);
  }
  throw new TargetError('permanent', 'invalid_config', `the ${connector.type} connector's configuration is not valid`);
}
