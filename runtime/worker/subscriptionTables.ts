import type { KafkaSourceConfig } from '../../domain/connector/connectorConfig';
import { schemaOf } from '../../domain/mapper/mapperSpec';
import { ERROR_TABLE_COLUMNS, type TableSpec } from '../targets/rowTarget';
import { METADATA_COLUMNS, type ReadOptions } from './messageChanges';
import type { WorkerSpec } from './workerSpec';

/**
 * How a subscription reads its messages and which tables it writes, from its spec: the worker and
 * the error-row replay take them from here, so that a replayed row is read and written as the
 * worker would have.
 */

export const readOptionsOf = (spec: WorkerSpec, source: KafkaSourceConfig): ReadOptions => ({
  mapper: spec.mapper,
  envelope: spec.feed.envelope,
  deleteOnTombstone: spec.feed.deleteOnTombstone,
  includeMetadata: source.include_metadata === true,
});

/** The target table: the mapper's columns, and the kafka_* ones when the source connector includes metadata. */
export const targetTableOf = (spec: WorkerSpec, source: KafkaSourceConfig): TableSpec => ({
  name: spec.tableName,
  columns: [...schemaOf(spec.mapper), ...(source.include_metadata === true ? METADATA_COLUMNS : [])],
  evolution: spec.feed.schemaEvolution,
});

/** The error table, if any. One made by an older version lacks the newer columns: it is always evolved. */
export const errorTableOf = (spec: WorkerSpec): TableSpec | undefined =>
  spec.errorTable === null ? undefined : { name: spec.errorTable.name, columns: ERROR_TABLE_COLUMNS, evolution: 'add_columns' };
