import Router from '@koa/router';
import type { Context } from 'koa';
import {
  ConnectorCheckError,
  validateConnectorConfig,
  type ConnectorConfigs,
  type ConnectorType,
  type KafkaSourceConfig,
  type KafkaTargetConfig,
} from '../../domain/connector/connectorConfig';
import type { DomainError } from '../../domain/errors';
import { DEFAULT_FETCH_LIMIT, MAX_FETCH_LIMIT, checkCredentials, fetchMessages, listTopics } from '../../runtime/kafka/kafkaTools';
import { checkOracleCredentials } from '../../runtime/sql/oracleCheck';
import { checkPostgresCredentials } from '../../runtime/sql/postgresCheck';
import { callerOf } from '../auth';
import type { ValidationIssue } from '../../domain/validationIssue';
import { ValidationFailure } from '../../domain/failures';
import { HttpFailure } from '../errors';

/**
 * `/connector-types/...`: try a connector config against the real system before creating the
 * connector (the seed's Pattern 5). Every route needs an authenticated caller and is not scoped
 * to a resource. Request bodies:
 *
 * - `kafka-source/check-credentials`, `kafka-source/list-topics`: the KAFKA_SOURCE config itself,
 *   as the seed's curl sends it (`{"bootstrap_servers", "topic", "security_protocol", ...}`).
 *   `topic` may be left out there (it is checked as a name when given, not looked up): one lists
 *   topics to choose one.
 * - `kafka-source/fetch-messages`: the KAFKA_SOURCE config (topic required) plus an optional
 *   `limit` (1 to 1000, default 10). The contract's "config + optional limit" reads two ways in
 *   FastAPI terms, so both are taken: the flat config with `limit` beside its fields (or as
 *   `?limit=`, a FastAPI query parameter), or `{"config": {...}, "limit": n}`.
 * - `oracle-target/check-credentials`, `postgres-target/check-credentials`: the ORACLE_TARGET /
 *   POSTGRES_TARGET config itself.
 *
 * An invalid config is a 422 naming the field; a failed check is a 400 whose `detail` is the
 * server's reason in plain words (never the password); every check answers within 10 s.
 */
export function connectorTypesRouter(): Router {
  const router = new Router({ prefix: '/connector-types' });

  router.post('/kafka-source/check-credentials', async (ctx) => {
    callerOf(ctx);
    const config = kafkaSourceTopicOptional(ctx.request.body);
    ctx.body = await checked(checkCredentials(config));
  });

  router.post('/kafka-source/list-topics', async (ctx) => {
    callerOf(ctx);
    const config = kafkaSourceTopicOptional(ctx.request.body);
    ctx.body = await checked(listTopics(config));
  });

  router.post('/kafka-source/fetch-messages', async (ctx) => {
    callerOf(ctx);
    const { config, limit } = fetchRequest(ctx);
    ctx.body = await checked(fetchMessages(config, limit));
  });

  router.post('/oracle-target/check-credentials', async (ctx) => {
    callerOf(ctx);
    ctx.body = await checked(checkOracleCredentials(configOf('ORACLE_TARGET', ctx.request.body, ['body'])));
  });

  router.post('/postgres-target/check-credentials', async (ctx) => {
    callerOf(ctx);
    ctx.body = await checked(checkPostgresCredentials(configOf('POSTGRES_TARGET', ctx.request.body, ['body'])));
  });

  return router;
}

/**
 * `POST /envs/check-byok-credentials` ("bring your own Kafka"): is this Kafka cluster reachable
 * with these credentials? The body is a Kafka cluster connection, KAFKA_SOURCE's field names
 * without a topic: `{"bootstrap_servers", "security_protocol", "sasl_mechanism",
 * "sasl_username", "sasl_password", "ca_cert"}` (all but `bootstrap_servers` optional; `ca_cert`,
 * PEM, as KAFKA_TARGET has it, for a cluster behind a private CA). KAFKA_TARGET's singular
 * `bootstrap_server` is accepted in its place, so either connector's config can be sent as is
 * (other fields are ignored). The caller must be authenticated (checked by the route).
 */
export async function checkByokCredentials(body: unknown): Promise<{ status: 'ok' }> {
  return checked(checkCredentials(kafkaCluster(body)));
}

// ---------------------------------------------------------------------------------------------

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
function configOf<K extends ConnectorType>(type: K, raw: unknown, loc: Loc): ConnectorConfigs[K] {
  const result = validateConnectorConfig(type, raw, loc);
  if (result._tag === 'Left') throw new ValidationFailure([issueOf(result.left, loc)]);
  return result.right;
}

/** Stands in for a topic the check does not need (kafkaTools' check and listing never read it). */
const UNUSED_TOPIC = 'popsink-unused-topic';

/** A KAFKA_SOURCE config whose topic may be absent (then unused); a given topic is still checked. */
function kafkaSourceTopicOptional(body: unknown): KafkaSourceConfig {
  const raw = isRecord(body) && !given(body, 'topic') ? { ...body, topic: UNUSED_TOPIC } : body;
  return configOf('KAFKA_SOURCE', raw, ['body']);
}

/** The BYOK body (see checkByokCredentials) as a Kafka client config, or a 422 in the client's field names. */
function kafkaCluster(body: unknown): KafkaTargetConfig {
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
function fetchRequest(ctx: Context): { config: KafkaSourceConfig; limit: number } {
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

/** A check's answer, or its failure as a 400 with the reason (whose text never holds a password). */
async function checked<T>(check: Promise<T>): Promise<T> {
  try {
    return await check;
  } catch (error: unknown) {
    if (error instanceof ConnectorCheckError) throw new HttpFailure(400, error.message);
    throw error;
  }
}
