import Router from '@koa/router';
import * as t from 'io-ts';
import { ConnectorCheckError } from '../../domain/connector/connectorConfig';
import { checkCredentials, fetchMessages, listTopics } from '../../runtime/kafka/kafkaTools';
import { checkOracleCredentials } from '../../runtime/sql/oracleCheck';
import { checkPostgresCredentials } from '../../runtime/sql/postgresCheck';
import { callerOf } from '../auth';
import { configOf, fetchRequest, kafkaCluster, kafkaSourceTopicOptional } from './connectorCheckInput';
import { HttpFailure } from '../errors';

/** A check passed. (A failed one is a 400 whose `detail` says why.) */
export const CheckedRead = t.type({ status: t.literal('ok') });
type CheckedRead = t.TypeOf<typeof CheckedRead>;

/** `kafka-source/list-topics`: the topic names. */
export const TopicsRead = t.array(t.string);

/** `kafka-source/fetch-messages`: the latest messages, key and value as UTF-8 text (not parsed), timestamps ISO-8601 UTC. */
export const FetchedMessagesRead = t.array(
  t.type({
    partition: t.number,
    offset: t.number,
    timestamp: t.union([t.string, t.null]),
    key: t.union([t.string, t.null]),
    value: t.union([t.string, t.null]),
  }),
);

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
    ctx.body = await checked<CheckedRead>(checkCredentials(config));
  });

  router.post('/kafka-source/list-topics', async (ctx) => {
    callerOf(ctx);
    const config = kafkaSourceTopicOptional(ctx.request.body);
    ctx.body = await checked<t.TypeOf<typeof TopicsRead>>(listTopics(config));
  });

  router.post('/kafka-source/fetch-messages', async (ctx) => {
    callerOf(ctx);
    const { config, limit } = fetchRequest(ctx);
    ctx.body = await checked<t.TypeOf<typeof FetchedMessagesRead>>(fetchMessages(config, limit));
  });

  router.post('/oracle-target/check-credentials', async (ctx) => {
    callerOf(ctx);
    ctx.body = await checked<CheckedRead>(checkOracleCredentials(configOf('ORACLE_TARGET', ctx.request.body, ['body'])));
  });

  router.post('/postgres-target/check-credentials', async (ctx) => {
    callerOf(ctx);
    ctx.body = await checked<CheckedRead>(checkPostgresCredentials(configOf('POSTGRES_TARGET', ctx.request.body, ['body'])));
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
export async function checkByokCredentials(body: unknown): Promise<CheckedRead> {
  return checked(checkCredentials(kafkaCluster(body)));
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
