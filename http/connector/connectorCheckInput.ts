import type { Context } from 'koa';
import * as t from 'io-ts';
import {
  KafkaSourceConfig,
  validateConnectorConfig,
  type ConnectorConfigs,
  type ConnectorType,
  type KafkaTargetConfig,
} from '../../domain/connector/connectorConfig';
import type { DomainError } from '../../domain/errors';
import { ValidationFailure } from '../../domain/failures';
import type { ValidationIssue } from '../../domain/validationIssue';
import { DEFAULT_FETCH_LIMIT, MAX_FETCH_LIMIT } from '../../runtime/kafka/kafkaTools';
import { checkedLater, trimmedPattern } from '../../domain/jsonSchema';

/** The bodies of the connector checks (see connectorTypesRouter), decoded into configs or a 422 naming the field. */

type Loc = readonly (string | number)[];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A field the client gave: present and not null (null means "not given", as in FastAPI). */
const given = (body: Record<string, unknown>, field: string): boolean =>
  Object.hasOwn(body, field) && body[field] !== undefined && body[field] !== null;

const issueOf = (error: DomainError, loc: Loc): ValidationIssue => ({
  loc: error.loc ?? loc,
  msg: error.message ?? error.code,
  type: error.code,
});

/** A connector config of that type, normalised, or a 422 naming the first faulty field. */
export function configOf<K extends ConnectorType>(type: K, raw: unknown, loc: Loc): ConnectorConfigs[K] {
  const result = validateConnectorConfig(type, raw, loc);
  if (result._tag === 'Left') throw new ValidationFailure([issueOf(result.left, loc)]);
  return result.right;
}

/** Stands in for a topic the check does not need (kafkaTools' check and listing never read it). */
const UNUSED_TOPIC = 'popsink-unused-topic';

/** A KAFKA_SOURCE config whose topic may be absent (then unused); a given topic is still checked. */
export function kafkaSourceTopicOptional(body: unknown): KafkaSourceConfig {
  const raw = isRecord(body) && !given(body, 'topic') ? { ...body, topic: UNUSED_TOPIC } : body;
  return configOf('KAFKA_SOURCE', raw, ['body']);
}

/** The BYOK body (see checkByokCredentials) as a Kafka client config, or a 422 in the client's field names. */
export function kafkaCluster(body: unknown): KafkaTargetConfig {
  if (!isRecord(body)) return configOf('KAFKA_TARGET', body, ['body']);
  const plural = given(body, 'bootstrap_servers') || !given(body, 'bootstrap_server');
  const { bootstrap_servers: servers, ...rest } = body;
  const raw = plural ? { ...rest, bootstrap_server: servers } : rest;
  const result = validateConnectorConfig('KAFKA_TARGET', raw, ['body']);
  if (result._tag === 'Right') return result.right;
  const issue = issueOf(result.left, ['body']);
  const renamed =
    plural && issue.loc[1] === 'bootstrap_server' ? { ...issue, loc: ['body', 'bootstrap_servers', ...issue.loc.slice(2)] } : issue;
  throw new ValidationFailure([renamed]);
}

/** fetch-messages' body, flat or wrapped (see the router's comment), and its limit. */
export function fetchRequest(ctx: Context): { config: KafkaSourceConfig; limit: number } {
  const body: unknown = ctx.request.body;
  // A KAFKA_SOURCE config has no `config` field, so its presence tells the wrapped form.
  const wrapped = isRecord(body) && Object.hasOwn(body, 'config') && !Object.hasOwn(body, 'bootstrap_servers');
  const configLoc: Loc = wrapped ? ['body', 'config'] : ['body'];
  const issues: ValidationIssue[] = [];
  const result = validateConnectorConfig('KAFKA_SOURCE', wrapped ? body['config'] : body, configLoc);
  if (result._tag === 'Left') issues.push(issueOf(result.left, configLoc));

  let limit = DEFAULT_FETCH_LIMIT;
  const query = ctx.query['limit'];
  if (isRecord(body) && given(body, 'limit')) {
    const parsed = limitOf(body['limit'], ['body', 'limit']);
    if (typeof parsed === 'number') limit = parsed;
    else issues.push(parsed);
  } else if (query !== undefined) {
    const parsed = limitOf(Array.isArray(query) ? query[query.length - 1] : query, ['query', 'limit']);
    if (typeof parsed === 'number') limit = parsed;
    else issues.push(parsed);
  }
  if (issues.length > 0 || result._tag === 'Left') throw new ValidationFailure(issues);
  return { config: result.right, limit };
}

/**
 * fetch-messages' `limit` as `limitOf` takes it, for the document: an integer from 1 to
 * MAX_FETCH_LIMIT, or its digits as text (whose value the pattern leaves to the route); null is "not given".
 */
const FetchLimit = checkedLater(t.unknown, {
  anyOf: [
    { type: 'integer', minimum: 1, maximum: MAX_FETCH_LIMIT },
    { type: 'string', pattern: trimmedPattern('[+-]?[0-9]{1,9}') },
    { type: 'null' },
  ],
});

/** fetch-messages' body, for the document: the flat config with `limit` beside its fields, or wrapped (see fetchRequest). */
export const FetchMessagesBody = t.union([
  t.intersection([KafkaSourceConfig, t.partial({ limit: FetchLimit })]),
  t.intersection([t.type({ config: KafkaSourceConfig }), t.partial({ limit: FetchLimit })]),
]);

/** A limit from 1 to MAX_FETCH_LIMIT, as a JSON integer or a string of digits (FastAPI coerces both). */
function limitOf(raw: unknown, loc: Loc): number | ValidationIssue {
  const value = typeof raw === 'string' && /^[+-]?\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value))
    return { loc, msg: 'value is not a valid integer', type: 'type_error.integer' };
  if (value < 1) return { loc, msg: 'ensure this value is greater than or equal to 1', type: 'value_error.number.not_ge' };
  if (value > MAX_FETCH_LIMIT) {
    return { loc, msg: `ensure this value is less than or equal to ${MAX_FETCH_LIMIT}`, type: 'value_error.number.not_le' };
  }
  return value;
}
