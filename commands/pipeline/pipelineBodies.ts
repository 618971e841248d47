import * as t from 'io-ts';
import { FeedOptionFields } from '../../domain/pipeline/pipeline';
import { DatamodelFields, SubscriptionFields } from './pipelineFields';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** The flattened V2 fields of the contract, all optional (create adds name and team_id). */
export const FlatFields = t.partial({
  existing_source_id: Nullable(t.string),
  source_name: Nullable(t.string),
  source_type: Nullable(t.string),
  source_config: Nullable(t.UnknownRecord),
  existing_target_id: Nullable(t.string),
  target_name: Nullable(t.string),
  target_type: Nullable(t.string),
  target_config: Nullable(t.UnknownRecord),
  datamodel_source_topic: Nullable(t.string),
  datamodel_target_topic: Nullable(t.string),
  datamodel_error_table_enabled: Nullable(t.boolean),
  datamodel_error_table_name: Nullable(t.string),
  datamodel_error_table_target_id: Nullable(t.string),
  subscription_target_table_name: Nullable(t.string),
  subscription_backfill: Nullable(t.boolean),
  subscription_mapper_config: Nullable(t.UnknownArray),
  subscription_consumer_id: Nullable(t.string),
  subscription_exactly_once: Nullable(t.boolean),
  subscription_envelope: FeedOptionFields.envelope,
  subscription_delete_on_tombstone: FeedOptionFields.delete_on_tombstone,
  subscription_schema_evolution: FeedOptionFields.schema_evolution,
  subscription_error_tolerance: FeedOptionFields.error_tolerance,
  subscription_error_tolerance_window: FeedOptionFields.error_tolerance_window,
  subscription_error_table_enabled: Nullable(t.boolean),
  subscription_error_table_name: Nullable(t.string),
  subscription_error_table_target_id: Nullable(t.string),
});
export type FlatFields = t.TypeOf<typeof FlatFields>;

export const PipelineCreate = t.intersection([t.type({ name: t.string, team_id: t.string }), FlatFields]);
export type PipelineCreate = t.TypeOf<typeof PipelineCreate>;
export const PipelinePatch = t.intersection([t.partial({ name: t.string }), FlatFields]);
export type PipelinePatch = t.TypeOf<typeof PipelinePatch>;

/** The portable configuration: connectors named by name (not id), secrets masked. */
export const CONFIGURATION_FORMAT = 'popsink.pipeline.v1';
const PortableConnector = t.type({ name: t.string, type: t.string });
export const Configuration = t.type({
  format: t.literal(CONFIGURATION_FORMAT),
  source: PortableConnector,
  target: PortableConnector,
  subscriptions: t.array(SubscriptionFields),
  datamodel: DatamodelFields,
});
export type Configuration = t.TypeOf<typeof Configuration>;
