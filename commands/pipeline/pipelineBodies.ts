import * as t from 'io-ts';
import { checkedLater } from '../../domain/jsonSchema';
import { typedConfigShape, typesOfRole } from '../../domain/connector/connectorConfig';
import { DisplayName } from '../../domain/names';
import { FeedOptionFields, PipelineName } from '../../domain/pipeline/pipeline';
import { MapperConfigInput } from '../../domain/mapper/mapperSpec';
import { DatamodelFields, SubscriptionFields, TableName } from './pipelineFields';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** A side's connector type, checked by resolveConnector (its own message); documented as the types of that side. */
const sideType = (side: 'source' | 'target') => checkedLater(t.string, { enum: typesOfRole(side) });

/** The flattened V2 fields of the contract, all optional (create adds name and team_id). */
export const FlatFields = t.partial({
  existing_source_id: Nullable(t.string),
  source_name: Nullable(t.string),
  source_type: Nullable(sideType('source')),
  source_config: Nullable(t.UnknownRecord),
  existing_target_id: Nullable(t.string),
  target_name: Nullable(t.string),
  target_type: Nullable(sideType('target')),
  target_config: Nullable(t.UnknownRecord),
  datamodel_source_topic: Nullable(t.string),
  datamodel_target_topic: Nullable(t.string),
  datamodel_error_table_enabled: Nullable(t.boolean),
  datamodel_error_table_name: Nullable(TableName),
  datamodel_error_table_target_id: Nullable(t.string),
  subscription_target_table_name: Nullable(TableName),
  subscription_backfill: Nullable(t.boolean),
  subscription_mapper_config: Nullable(MapperConfigInput),
  subscription_consumer_id: Nullable(t.string),
  subscription_exactly_once: Nullable(t.boolean),
  subscription_envelope: FeedOptionFields.envelope,
  subscription_delete_on_tombstone: FeedOptionFields.delete_on_tombstone,
  subscription_schema_evolution: FeedOptionFields.schema_evolution,
  subscription_error_tolerance: FeedOptionFields.error_tolerance,
  subscription_error_tolerance_window: FeedOptionFields.error_tolerance_window,
  subscription_error_table_enabled: Nullable(t.boolean),
  subscription_error_table_name: Nullable(TableName),
  subscription_error_table_target_id: Nullable(t.string),
});
export type FlatFields = t.TypeOf<typeof FlatFields>;

const PipelineCreateFields = t.intersection([t.type({ name: PipelineName, team_id: t.string }), FlatFields]);

/**
 * A side's connector at creation (see resolveConnector): an existing one, or a new one with its
 * name, type and that type's config; null is "not given". The shape of the document only.
 */
const connectorChoiceShape = (side: 'source' | 'target'): t.Mixed =>
  t.union([
    t.intersection([
      t.type({ [`existing_${side}_id`]: t.string }),
      t.partial({ [`${side}_name`]: t.null, [`${side}_type`]: t.null, [`${side}_config`]: t.null }),
    ]),
    t.intersection([
      t.type({ [`${side}_name`]: DisplayName }),
      t.partial({ [`existing_${side}_id`]: t.null }),
      typedConfigShape(`${side}_type`, `${side}_config`, side),
    ]),
  ]);

/** Decoded as its fields, the connectors then resolved; documented with the choice each side takes. */
export const PipelineCreate = checkedLater(
  PipelineCreateFields,
  {},
  t.intersection([PipelineCreateFields, connectorChoiceShape('source'), connectorChoiceShape('target')]),
);
export type PipelineCreate = t.TypeOf<typeof PipelineCreate>;
export const PipelinePatch = t.intersection([t.partial({ name: PipelineName }), FlatFields]);
export type PipelinePatch = t.TypeOf<typeof PipelinePatch>;

/** The portable configuration: connectors named by name (not id), secrets masked. */
export const CONFIGURATION_FORMAT = 'popsink.pipeline.v1';
const PortableConnector = t.type({ name: t.string, type: t.string });
export const Configuration = t.type({
  format: t.literal(CONFIGURATION_FORMAT),
  source: PortableConnector,
  target: PortableConnector,
  // At least one: checked by importConfiguration (its min_items); the document says it.
  subscriptions: checkedLater(t.array(SubscriptionFields), { minItems: 1 }),
  datamodel: DatamodelFields,
});
export type Configuration = t.TypeOf<typeof Configuration>;
