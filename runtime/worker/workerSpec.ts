import * as t from 'io-ts';
import { ConnectorType } from '../../domain/connector/connectorConfig';
import { MapperEntry } from '../../domain/mapper/mapperSpec';

/** A connector as a worker receives it: its type and its config with secrets in clear (IPC only, never logged). */
export const WorkerConnector = t.type({ type: ConnectorType, config: t.UnknownRecord });
export type WorkerConnector = t.TypeOf<typeof WorkerConnector>;

/**
 * Everything one subscription worker runs with, resolved by the supervisor: decoded again by the
 * worker process, since it crosses a process boundary.
 */
export const WorkerSpec = t.type({
  pipelineId: t.string,
  subscriptionId: t.string,
  version: t.number,
  source: WorkerConnector,
  topic: t.string,
  groupId: t.string,
  /** Read a new group from the earliest offset; otherwise from the latest. */
  backfill: t.boolean,
  target: WorkerConnector,
  tableName: t.string,
  mapper: t.array(MapperEntry),
  errorTable: t.union([t.null, t.type({ target: WorkerConnector, name: t.string })]),
  /**
   * Kafka → Kafka exactly-once: the transactional id of this subscription on this runtime (rows
   * and consumer offsets committed in one transaction); null for at-least-once.
   */
  transactionalId: t.union([t.null, t.string]),
  /** How the feed is read and written: the subscription's options with their defaults applied. */
  feed: t.type({
    envelope: t.keyof({ none: null, debezium: null }),
    deleteOnTombstone: t.boolean,
    schemaEvolution: t.keyof({ add_columns: null, none: null }),
    /** Largest share of the window's messages sent to the error table; null: no limit. */
    errorTolerance: t.union([t.number, t.null]),
    errorToleranceWindow: t.number,
  }),
  /** How long transient faults are retried while the pipeline stays live, before it reports an error. */
  retryWindowMs: t.number,
  /** Retention for topics the worker creates (the env's, when it uses retention). */
  retention: t.union([t.null, t.partial({ retention_ms: t.number, retention_bytes: t.number })]),
  /** What the worker's metrics and logs are filed under besides its pipeline and subscription. */
  labels: t.type({ datamodelId: t.string, connectorIds: t.array(t.string) }),
});
export type WorkerSpec = t.TypeOf<typeof WorkerSpec>;

/** A subscription's feed options when it sets none. */
export const DEFAULT_FEED: WorkerSpec['feed'] = {
  envelope: 'none',
  deleteOnTombstone: true,
  schemaEvolution: 'add_columns',
  errorTolerance: null,
  errorToleranceWindow: 1000,
};
