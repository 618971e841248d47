import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { connectorRole } from '../../domain/connector/connectorConfig';
import { MapperConfigInput, validateMapperConfig } from '../../domain/mapper/mapperSpec';
import {
  FEED_OPTION_FIELDS,
  FeedOptionFields,
  MAX_ERROR_TOLERANCE_WINDOW,
  type DatamodelSettings,
  type SubscriptionSettings,
} from '../../domain/pipeline/pipeline';
import { connectors } from '../aggregates';
import { stateOf, type ServiceDeps } from '../execute';
import type { ValidationIssue } from '../../domain/validationIssue';
import { ValidationFailure, validationFailureOf } from '../../domain/failures';
import { checkedLater } from '../../domain/jsonSchema';

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** PostgreSQL's limit on a name, in bytes (Oracle takes 128): a longer one is refused here, not at the target. */
const MAX_TABLE_NAME_BYTES = 63;

/**
 * A table name in a body, checked by `tableNameIssues`. The document says no NUL and at most 63
 * characters; the bytes a character takes in UTF-8 it cannot count.
 */
export const TableName = checkedLater(t.string, { maxLength: MAX_TABLE_NAME_BYTES, pattern: '^[^\\u0000]*$' });

/** Error-table fields, as datamodels and subscriptions both carry them. */
export const ErrorTableFields = t.partial({
  error_table_enabled: Nullable(t.boolean),
  error_table_name: Nullable(TableName),
  error_table_target_id: Nullable(t.string),
});
export type ErrorTableFields = t.TypeOf<typeof ErrorTableFields>;

/** A subscription's fields with the contract's names (the pipeline's carry a `subscription_` prefix). */
export const SubscriptionFields = t.intersection([
  t.partial({
    target_table_name: Nullable(TableName),
    backfill: Nullable(t.boolean),
    mapper_config: Nullable(MapperConfigInput),
    consumer_id: Nullable(t.string),
    exactly_once: Nullable(t.boolean),
    ...FeedOptionFields,
  }),
  ErrorTableFields,
]);
export type SubscriptionFields = t.TypeOf<typeof SubscriptionFields>;

export const SUBSCRIPTION_FIELDS = [
  'target_table_name',
  'backfill',
  'mapper_config',
  'consumer_id',
  'exactly_once',
  'error_table_enabled',
  'error_table_name',
  'error_table_target_id',
  ...FEED_OPTION_FIELDS,
] as const;

/** A datamodel's fields with the contract's names (the pipeline's carry a `datamodel_` prefix). */
export const DatamodelFields = t.intersection([
  t.partial({ source_topic: Nullable(t.string), target_topic: Nullable(t.string) }),
  ErrorTableFields,
]);
export type DatamodelFields = t.TypeOf<typeof DatamodelFields>;

export const DATAMODEL_FIELDS = [
  'source_topic',
  'target_topic',
  'error_table_enabled',
  'error_table_name',
  'error_table_target_id',
] as const;

/** Where a field of the body sits, for a 422's `loc`. */
export type FieldLoc = (field: string) => (string | number)[];

/**
 * Checks an error table: enabled needs a name, and its target (when named) must be a target
 * connector of the pipeline's team. Without a target id the pipeline's own target is used.
 */
export async function errorTableIssues(
  deps: ServiceDeps,
  teamId: string,
  table: ErrorTableFields,
  loc: FieldLoc,
): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = tableNameIssues(table.error_table_name, loc('error_table_name'));
  if (table.error_table_enabled === true && (table.error_table_name == null || table.error_table_name.trim() === '')) {
    issues.push({ loc: loc('error_table_name'), msg: 'an enabled error table needs a name', type: 'value_error.missing' });
  }
  if (table.error_table_target_id != null) {
    const connector = await stateOf(deps, connectors, table.error_table_target_id);
    if (connector.status !== 'exists' || connector.teamId !== teamId || connectorRole[connector.connectorType] !== 'target') {
      issues.push({
        loc: loc('error_table_target_id'),
        msg: 'not a target connector of this team',
        type: 'value_error.connector_not_found',
      });
    }
  }
  return issues;
}

/** A table name every target can take (quoted, so any other character is fine): 1 to 63 bytes, no NUL. */
function tableNameIssues(name: string | null | undefined, at: (string | number)[]): ValidationIssue[] {
  if (name == null || name === '') return [];
  if (!name.includes('\0') && Buffer.byteLength(name, 'utf8') <= MAX_TABLE_NAME_BYTES) return [];
  return [{ loc: at, msg: `a table name of 1 to ${MAX_TABLE_NAME_BYTES} bytes, without NUL`, type: 'value_error.table_name' }];
}

/** Ranges of the feed options that their codecs cannot say. */
function feedOptionIssues(fields: SubscriptionFields, loc: FieldLoc): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const share = fields.error_tolerance;
  if (share != null && !(share >= 0 && share <= 1))
    issues.push({ loc: loc('error_tolerance'), msg: 'a share of messages, from 0 to 1', type: 'value_error.number.range' });
  const window = fields.error_tolerance_window;
  if (window != null && !(Number.isInteger(window) && window >= 1 && window <= MAX_ERROR_TOLERANCE_WINDOW)) {
    issues.push({
      loc: loc('error_tolerance_window'),
      msg: `a whole number of messages, from 1 to ${MAX_ERROR_TOLERANCE_WINDOW}`,
      type: 'value_error.number.range',
    });
  }
  return issues;
}

/**
 * The fields a body gives among `known`: an absent one keeps what is stored (`null` clears it).
 * A field the contract does not know is dropped: the codecs let extra keys through, and whatever
 * is kept here ends in an event and in every read model for good.
 */
const given = <T extends object>(fields: T, known: readonly string[]): T =>
  Object.fromEntries(Object.entries(fields).filter(([key, value]) => known.includes(key) && value !== undefined)) as T;

/** A datamodel with the given fields applied on top of the stored one (or a new one, with an id of its own for good). */
export async function datamodelFrom(
  deps: ServiceDeps,
  teamId: string,
  fields: DatamodelFields,
  stored: DatamodelSettings | undefined,
  loc: FieldLoc,
): Promise<DatamodelSettings> {
  const merged = { id: randomUUID(), ...stored, ...given(fields, DATAMODEL_FIELDS) };
  const issues = await errorTableIssues(deps, teamId, merged, loc);
  if (issues.length > 0) throw new ValidationFailure(issues);
  return merged;
}

/**
 * A subscription with the given fields applied on top of a stored one (or a new one): mapper
 * validated, error table checked, a consumer group of its own when none is named. Every
 * problem answers 422 at its field's `loc`.
 */
export async function subscriptionFrom(
  deps: ServiceDeps,
  teamId: string,
  fields: SubscriptionFields,
  stored: SubscriptionSettings | undefined,
  loc: FieldLoc,
): Promise<SubscriptionSettings> {
  const id = stored?.id ?? randomUUID();
  const merged: SubscriptionFields = { ...stored, ...given(fields, SUBSCRIPTION_FIELDS) };
  const mapper = validateMapperConfig(merged.mapper_config ?? [], loc('mapper_config'));
  if (isLeft(mapper)) throw validationFailureOf(mapper.left);
  const issues = [
    ...(await errorTableIssues(deps, teamId, merged, loc)),
    ...tableNameIssues(merged.target_table_name, loc('target_table_name')),
    ...feedOptionIssues(merged, loc),
  ];
  if (issues.length > 0) throw new ValidationFailure(issues);
  const consumerId = merged.consumer_id != null && merged.consumer_id.trim() !== '' ? merged.consumer_id : `popsink-${id}`;
  return { ...merged, id, consumer_id: consumerId, backfill: merged.backfill === true, mapper_config: mapper.right };
}
