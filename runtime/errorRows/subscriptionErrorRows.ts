import { isLeft } from 'fp-ts/lib/Either.js';
import type { SecretBox } from '../../infrastructure/crypto/secretBox';
import { connectorConfigCodecs } from '../../domain/connector/connectorConfig';
import type { PipelineDoc } from '../../projections/pipeline/pipelinesView';
import type { WorkerSpec } from '../worker/workerSpec';
import { workerSpecsOf, type WorkerViews } from '../workerSpecs';
import { ErrorRowsError, type ErrorRowReader } from './errorRowReader';
import { oracleErrorRows } from './oracleErrorRows';
import { postgresErrorRows } from './postgresErrorRows';

/**
 * The subscription whose error rows a request names (the pipeline's first by default), as its
 * worker runs it now: its current mapper, feed options, target and error table, whatever the
 * pipeline's state (a draft, a paused pipeline or subscription too).
 */
export async function subscriptionSpecOf(
  views: WorkerViews,
  secrets: SecretBox,
  pipeline: PipelineDoc,
  subscriptionId: string | undefined,
): Promise<WorkerSpec> {
  // The runtime id names exactly-once transactions only, which a replay does not use.
  const specs = await workerSpecsOf(views, secrets, pipeline, { runtimeId: 'replay', retryWindowMs: 0 });
  if (specs.length === 0)
    throw new ErrorRowsError('not_queryable', 'PIPELINE_INCOMPLETE', 'the pipeline has no source topic, or one of its connectors is gone');
  const spec = subscriptionId === undefined ? specs[0] : specs.find((candidate) => candidate.subscriptionId === subscriptionId);
  if (spec === undefined)
    throw new ErrorRowsError('not_found', 'SUBSCRIPTION_NOT_FOUND', `the pipeline has no subscription ${subscriptionId ?? ''}`);
  return spec;
}

/** The reader of a subscription's error table: PostgreSQL and Oracle tables can be queried, a Kafka topic cannot. */
export function errorRowReaderOf(spec: WorkerSpec): ErrorRowReader {
  if (spec.errorTable === null)
    throw new ErrorRowsError('not_queryable', 'NO_ERROR_TABLE', `subscription ${spec.subscriptionId} has no error table`);
  const { target, name } = spec.errorTable;
  const invalid = () =>
    new ErrorRowsError('refused', 'INVALID_CONFIG', `the error table's ${target.type} connector's configuration is not valid`);
  switch (target.type) {
    case 'POSTGRES_TARGET': {
      const config = connectorConfigCodecs.POSTGRES_TARGET.decode(target.config);
      if (isLeft(config)) throw invalid();
      return postgresErrorRows(config.right, name, spec.topic);
    }
    case 'ORACLE_TARGET': {
      const config = connectorConfigCodecs.ORACLE_TARGET.decode(target.config);
      if (isLeft(config)) throw invalid();
      return oracleErrorRows(config.right, name, spec.topic);
    }
    default:
      throw new ErrorRowsError(
        'not_queryable',
        'ERROR_ROWS_NOT_QUERYABLE',
        `the error table ${name} is a ${target.type === 'KAFKA_TARGET' ? 'Kafka topic' : target.type}: read it with a Kafka consumer`,
      );
  }
}
