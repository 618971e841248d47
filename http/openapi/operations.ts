import * as t from 'io-ts';
import { InstallationDocument } from '../../commands/installation/installationDocument';
import {
  ConnectorType,
  KafkaSourceConfig,
  KafkaTargetConfig,
  OracleTargetConfig,
  PostgresTargetConfig,
} from '../../domain/connector/connectorConfig';
import { PagingQuery } from '../paging';
import { ErrorTableFields, SubscriptionFields } from '../../commands/pipeline/pipelineFields';
import * as pipelineBodies from '../../commands/pipeline/pipelineBodies';
import * as auth from '../identity/authRouter';
import * as connectors from '../connector/connectorsRouter';
import * as dryRun from '../dryRun/dryRunRouter';
import * as envs from '../env/envsRouter';
import * as errorRows from '../errorRows/errorRowsInput';
import * as installation from '../installation/installationRouter';
import * as observability from '../observability/pipelineObservabilityRouter';
import * as pipelines from '../pipeline/pipelinesRouter';
import * as subscriptions from '../pipeline/subscriptionsRouter';
import * as teams from '../team/teamsRouter';
import * as userLogs from '../audit/userLogsRouter';
import * as users from '../identity/usersRouter';
import { ConnectorRead } from '../connector/connectorRead';
import { EnvRead } from '../env/envRead';
import { UserRead } from '../identity/userRead';
import { ConfigurationRead, PipelineRead, WorkerConfigRead } from '../pipeline/pipelineRead';
import { SubscriptionRead } from '../pipeline/subscriptionsRouter';
import { TeamRead } from '../team/teamRead';
import { PipelineStateName } from '../../domain/pipeline/pipeline';
import { TeamRole } from '../../domain/team/team';
import { jsonSchemaOf, withOptional, withRenamed, type JsonSchema } from './ioTsSchema';
import { CheckedRead, FetchedMessagesRead, TopicsRead } from '../connector/connectorTypesRouter';
import { FetchMessagesBody } from '../connector/connectorCheckInput';
import { ProcessMapperBody, ProcessMapperRead } from '../mapper/smtRouter';
import { DatamodelRead } from '../pipeline/datamodelsRouter';
import { HistoryItem } from '../audit/historyRouter';
import { ErrorRowItem } from '../errorRows/errorRowsRouter';
import { ParkedEventsRead, ReadModelsStatusRead, RebuildRead } from '../operations/adminRouter';
import { ReplayCounts } from '../../domain/errorRows/errorRowSelection';
import { MapperColumn } from '../../domain/mapper/mapperSpec';
import { DatamodelMonitoring, PipelineMetrics } from '../../runtime/observability/observabilityStore';
import { PipelineLogLine } from '../../runtime/observability/workerReport';

/** A request body: the codec the route decodes it with, or (where the route has none) its schema. */
export interface BodySpec {
  readonly codec?: t.Mixed;
  readonly schema?: JsonSchema;
  /** Fields the codec accepts but the API ignores: left out of the document. */
  readonly omit?: readonly string[];
  /** `form` for an `application/x-www-form-urlencoded` body (the OAuth2 password login). */
  readonly encoding?: 'json' | 'form';
  readonly optional?: boolean;
}

/** An answer with a body: its codec (the one the renderer's return type is checked against) or its schema. */
export interface ResponseSpec {
  readonly description: string;
  readonly codec?: t.Mixed;
  readonly schema?: JsonSchema;
  /** Defaults to `application/json`. */
  readonly contentType?: string;
}

export interface OperationSpec {
  readonly summary: string;
  readonly description: string;
  /** Defaults to the path's first segment. */
  readonly tags?: readonly string[];
  /** No bearer token needed. */
  readonly public?: boolean;
  readonly body?: BodySpec;
  /** Path parameters that are not ids (the others are UUIDs, see `idParam`). */
  readonly pathParams?: Readonly<Record<string, JsonSchema>>;
  /** The query codecs the route decodes `ctx.query` with, in order. */
  readonly query?: readonly t.Mixed[];
  /**
   * Success and route-specific error answers; 401 / 404 / 413 / 422 / 503 are added where they
   * apply. An error given as a description has the `{detail}` body of its status.
   */
  readonly responses: Readonly<Record<number, string | ResponseSpec>>;
  /** The answer is the contract's page `{items, total, skip, limit}` of the success body. */
  readonly paged?: boolean;
  /** Error statuses whose `detail` may be an object (`{code, reason}`) rather than a code. */
  readonly detailedErrors?: readonly number[];
}

/** A KAFKA_SOURCE config whose topic the route fills in when not given (the check and the listing need none). */
const KAFKA_SOURCE_TOPIC_OPTIONAL = withOptional(jsonSchemaOf(KafkaSourceConfig), ['topic']);
/** BYOK: a KAFKA_TARGET config, its `bootstrap_server` also spelt as KAFKA_SOURCE's `bootstrap_servers` (see checkByokCredentials). */
const KAFKA_CLUSTER: JsonSchema = {
  anyOf: [withRenamed(jsonSchemaOf(KafkaTargetConfig), 'bootstrap_server', 'bootstrap_servers'), jsonSchemaOf(KafkaTargetConfig)],
};

const status = (values: readonly string[]): JsonSchema => ({
  type: 'object',
  properties: { status: { enum: values } },
  required: ['status'],
});
const STATUS_OK = status(['ok']);
const object = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', properties, required: Object.keys(properties) });
const STRING = { type: 'string' } as const;
const NULLABLE_STRING = { type: ['string', 'null'] } as const;
const SERVICE_TOKEN = object({ id: STRING, name: STRING, created_at: STRING, expires_at: NULLABLE_STRING });
const SERVICE_TOKEN_ISSUED = object({
  id: STRING,
  name: STRING,
  access_token: STRING,
  token_type: { const: 'bearer' },
  expires_at: NULLABLE_STRING,
});
const MEMBER = object({ id: STRING, email: STRING, role: jsonSchemaOf(TeamRole) });
const STATE = jsonSchemaOf(PipelineStateName);
const COUNT_STATUS = object(Object.fromEntries(['all', ...Object.keys(PipelineStateName.keys)].map((name) => [name, { type: 'integer' }])));
const PIPELINE_STATUS = object({ id: STRING, state: STATE, error_reason: NULLABLE_STRING });
const PIPELINE_STATUS_ITEM = object({ id: STRING, name: STRING, state: STATE, team_id: STRING, updated_at: STRING });
/** Start and pause answer the state as an uppercase JSON string. */
const CONTROL_STATE: JsonSchema = { enum: [...Object.keys(PipelineStateName.keys).map((name) => name.toUpperCase()), 'DELETED'] };
const LOG_LINES: JsonSchema = { type: 'array', items: jsonSchemaOf(PipelineLogLine) };
const CONNECTOR_PIPELINES = object({ connector_id: STRING, pipelines: { type: 'array', items: STRING } });

const CHECKED = {
  200: { description: 'The check passed', codec: CheckedRead },
  400: 'The system refused the connection or the credentials; `detail` says why (never the password)',
} as const;
const PUBLIC_DOCS = { tags: ['docs'], public: true } as const;
const HEALTH = { tags: ['health'], public: true } as const;

/**
 * Every operation of the API, keyed `METHOD /path` as the routers register them (`:id` written
 * `{id}`, paths relative to `/api`). The document lists the routes the routers serve; one
 * without an entry here is listed without a description, which the OpenAPI test refuses.
 */
export const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  // Health
  'GET /livez': {
    ...HEALTH,
    summary: 'Liveness',
    description: 'Answers 200 while the process runs.',
    responses: { 200: { description: 'The process answers', schema: STATUS_OK } },
  },
  'GET /readyz': {
    ...HEALTH,
    summary: 'Readiness',
    description: 'Answers 200 once the read models reflect the event log as it was at start-up, 503 while they catch up.',
    responses: {
      200: { description: 'Ready', schema: status(['ready']) },
      503: { description: 'Read models still catching up', schema: status(['catching_up']) },
    },
  },
  'GET /healthchecks': {
    ...HEALTH,
    summary: 'Health check',
    description: 'Answers `{"status": "ok"}` while the API serves.',
    responses: { 200: { description: 'The API serves', schema: STATUS_OK } },
  },
  'GET /healthchecks/db': {
    ...HEALTH,
    summary: 'Store health',
    description: 'Checks that the event store and the read store both answer; the reason of a failure stays in the server log.',
    responses: {
      200: { description: 'Both stores answer', schema: STATUS_OK },
      503: { description: 'A store does not answer', schema: status(['unavailable']) },
    },
  },

  // Documentation
  'GET /openapi.json': {
    ...PUBLIC_DOCS,
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of every route the API serves, generated from the routers and their request codecs.',
    responses: { 200: { description: 'The OpenAPI document', schema: { type: 'object' } } },
  },
  'GET /docs': {
    ...PUBLIC_DOCS,
    summary: 'Swagger UI',
    description: 'An interactive page over this document; its assets are served by this server (no CDN).',
    responses: { 200: { description: 'An HTML page', schema: { type: 'string' }, contentType: 'text/html' } },
  },
  'GET /docs/{file}': {
    ...PUBLIC_DOCS,
    summary: 'Swagger UI asset',
    description: 'A script, style sheet or icon of the Swagger UI page, from the `swagger-ui-dist` package.',
    pathParams: { file: STRING },
    // Scripts, style sheets, source maps and icons: any content, each with its own type.
    responses: { 200: { description: 'The asset', schema: {}, contentType: '*/*' }, 404: 'No such asset' },
  },

  // Auth
  'POST /auth/register': {
    public: true,
    summary: 'Sign up',
    description:
      'Creates an active, non-superuser account. The password needs at least 8 characters; an email already taken answers 400 `REGISTER_USER_ALREADY_EXISTS`.',
    body: { codec: auth.RegisterBody, omit: ['is_superuser', 'is_verified'] },
    responses: { 201: { description: 'The user created', codec: UserRead }, 400: 'Password too short or email taken' },
    detailedErrors: [400],
  },
  'POST /auth/jwt/login': {
    public: true,
    summary: 'Log in',
    description:
      'OAuth2 password form (`username` is the email). Answers a bearer JWT. Repeated failures for one email are throttled (429 with Retry-After).',
    body: { codec: auth.LoginForm, encoding: 'form' },
    responses: {
      200: {
        description: 'A bearer token',
        schema: {
          type: 'object',
          properties: { access_token: { type: 'string' }, token_type: { const: 'bearer' } },
          required: ['access_token', 'token_type'],
        },
      },
      400: '`LOGIN_BAD_CREDENTIALS`',
      429: 'Too many failed attempts; retry after the given seconds',
    },
  },
  'POST /auth/jwt/logout': {
    summary: 'Log out',
    description: 'Revokes the token the request carries.',
    tags: ['auth'],
    responses: { 204: 'Token revoked' },
  },
  'POST /auth/forgot-password': {
    public: true,
    summary: 'Ask for a password reset',
    description: 'Sends a reset token to an active account; answers 202 whether or not the email is known.',
    body: { codec: auth.ForgotBody },
    responses: { 202: 'Accepted' },
  },
  'POST /auth/reset-password': {
    public: true,
    summary: 'Reset a password',
    description:
      'Sets a new password with a token from forgot-password; a token used, expired or unknown answers `RESET_PASSWORD_BAD_TOKEN`.',
    body: { codec: auth.ResetBody },
    responses: { 200: { description: 'Password changed', schema: { type: 'null' } }, 400: 'Bad token or password too short' },
    detailedErrors: [400],
  },

  // Users
  'GET /users/me': {
    summary: 'Current user',
    description: 'The authenticated user.',
    responses: { 200: { description: 'The user', codec: UserRead } },
  },
  'PATCH /users/me': {
    summary: 'Update the current user',
    description: 'Changes the email, the password or the active env (one the caller can read; `null` clears it).',
    body: { codec: users.MePatch },
    responses: {
      200: { description: 'The user updated', codec: UserRead },
      400: 'Password too short or email taken',
      403: 'The env is not readable by the caller',
      404: 'No such env',
    },
    detailedErrors: [400],
  },
  'POST /users/me/change-password': {
    summary: 'Change password',
    description: 'Changes the password given the current one.',
    body: { codec: users.ChangePasswordBody },
    responses: { 204: 'Password changed', 400: 'Current password wrong or new one too short' },
    detailedErrors: [400],
  },
  'POST /users/me/service-account-token': {
    summary: 'Issue a service-account token',
    description:
      'A long-lived bearer token for scripts, valid `expires_in_days` days (1 to 3650) or, with `null`, until revoked. The token is shown once.',
    body: { codec: users.ServiceTokenBody, optional: true },
    responses: { 201: { description: 'The token issued (shown once)', schema: SERVICE_TOKEN_ISSUED } },
  },
  'GET /users/me/service-account-tokens': {
    summary: 'List service-account tokens',
    description: "The caller's service-account tokens (without the tokens themselves).",
    responses: { 200: { description: 'The tokens', schema: { type: 'array', items: SERVICE_TOKEN } } },
  },
  'DELETE /users/me/service-account-tokens/{tokenId}': {
    summary: 'Revoke a service-account token',
    description: "Revokes one of the caller's service-account tokens.",
    responses: { 204: 'Revoked' },
  },
  'POST /admin/rebuild': {
    tags: ['operations'],
    summary: 'Rebuild the read models',
    description:
      'Superuser only: rebuilds every read model from position 0 into fresh collections while the API keeps answering from the current ones, then swaps. Answers 202 with the rebuild id; 409 while one runs.',
    responses: { 202: { description: 'Started', codec: RebuildRead }, 403: 'Not a superuser', 409: 'A rebuild is running' },
  },
  'GET /admin/rebuild': {
    tags: ['operations'],
    summary: 'Rebuild status',
    description:
      'Superuser only: the active read-model generation, whether a rebuild runs, its position and the log head, and the last rebuild.',
    responses: { 200: { description: 'The status', codec: ReadModelsStatusRead }, 403: 'Not a superuser' },
  },
  'GET /admin/parked-events': {
    tags: ['operations'],
    summary: 'Parked events',
    description:
      'Superuser only: events no read model could be written from (they do not decode, or the read store refuses a value), set aside so that the others are projected; oldest first, with the error. A rebuild tries them again.',
    responses: { 200: { description: 'The parked events', codec: ParkedEventsRead }, 403: 'Not a superuser' },
  },
  'GET /users/export-all': {
    summary: 'Export the installation',
    description:
      'Superuser only: a versioned document (`popsink.installation.v1`) with the current state and the whole event log it came from; secrets stay sealed.',
    // Streamed as it is read from the log: the document `POST /users/import-all` takes.
    responses: { 200: { description: 'The installation document', codec: InstallationDocument }, 403: 'Not a superuser' },
  },
  'POST /users/import-all': {
    summary: 'Import an installation',
    description:
      "Superuser only. `mode=empty` (default): appends an exported event log into an empty installation; one that holds nothing but its bootstrap superuser takes the document whole, the document's account with that email in its place (the answer says so in `superuser_replaced`). `mode=merge` (or `merge=true`): appends the events it lacks; ids that clash are listed. `mode=replace`: archives the live log (`<data dir>/archive/<time>.sqlite`) and makes the document's live, workers stopped meanwhile; single-process installations on the embedded log only. Nothing is written unless the whole document is valid, sealed with this installation's key, and every id it points at resolves. Pipelines that were running come back paused.",
    body: { codec: InstallationDocument },
    query: [installation.ImportQuery],
    responses: {
      200: { description: 'Counts of what was imported', codec: installation.ImportRead },
      403: 'Not a superuser',
      409: 'Not empty, another secret key, clashing ids, unresolved references, or a replace this process cannot do',
      413: 'Larger than POPSINK_BODY_LIMIT',
      422: 'Not a valid document',
    },
    // `{code, message, ...}` for the refusals that say more than their code (see installationRouter's refusalOf).
    detailedErrors: [409],
  },
  'GET /users/import-all/archives': {
    summary: 'List archived logs',
    description:
      'Superuser only: the logs a replace archived in `<data dir>/archive/` (name, bytes, time), oldest first; empty where this process cannot replace its log.',
    responses: { 200: { description: 'The archived logs', codec: installation.ArchivesRead }, 403: 'Not a superuser' },
  },
  'GET /users': {
    summary: 'List users',
    description: 'Every user, by email (superuser only); `search` filters by email.',
    query: [PagingQuery, users.UsersQuery],
    paged: true,
    responses: { 200: { description: 'A page of users', codec: UserRead }, 403: 'Not a superuser' },
  },
  'GET /users/{id}': {
    summary: 'Get a user',
    description: 'One user (superuser only).',
    responses: { 200: { description: 'The user', codec: UserRead }, 403: 'Not a superuser' },
  },
  'PATCH /users/{id}': {
    summary: 'Update a user',
    description: 'Changes any user: email, password, active, superuser, verified (superuser only).',
    body: { codec: users.AdminPatch },
    responses: {
      200: { description: 'The user updated', codec: UserRead },
      400: 'Password too short or email taken',
      403: 'Not a superuser',
    },
    detailedErrors: [400],
  },
  'DELETE /users/{id}': {
    summary: 'Delete a user',
    description: 'Deletes a user (superuser only).',
    responses: { 204: 'Deleted', 403: 'Not a superuser' },
  },

  // Envs
  'POST /envs': {
    summary: 'Create an env',
    description: "Creates an env owned by the caller; it becomes the caller's active env when they have none.",
    body: { codec: envs.EnvCreate },
    responses: { 201: { description: 'The env created', codec: EnvRead }, 409: 'Name taken' },
  },
  'GET /envs': {
    summary: 'List envs',
    description: 'The envs the caller belongs to (every env for a superuser), by name.',
    query: [PagingQuery],
    paged: true,
    responses: { 200: { description: 'A page of envs', codec: EnvRead } },
  },
  'GET /envs/filter-one': {
    summary: 'Find an env by name',
    description: 'The env of that name, if the caller can see it.',
    query: [envs.FilterOneQuery],
    responses: { 200: { description: 'The env', codec: EnvRead }, 404: 'No visible env of that name' },
  },
  'POST /envs/check-byok-credentials': {
    summary: 'Check a Kafka cluster (BYOK)',
    description:
      "Connects to a Kafka cluster with these credentials. KAFKA_TARGET's `bootstrap_server` is accepted in place of `bootstrap_servers`.",
    body: { schema: KAFKA_CLUSTER },
    responses: CHECKED,
  },
  'GET /envs/{id}': {
    summary: 'Get an env',
    description: 'One env the caller can read.',
    responses: { 200: { description: 'The env', codec: EnvRead }, 403: 'Not a member of the env' },
  },
  'PATCH /envs/{id}': {
    summary: 'Update an env',
    description: "Changes an env's name, description or retention (env owner or superuser).",
    body: { codec: envs.EnvPatch },
    responses: { 200: { description: 'The env updated', codec: EnvRead }, 403: 'Not allowed to manage the env', 409: 'Name taken' },
  },
  'DELETE /envs/{id}': {
    summary: 'Delete an env',
    description: 'Deletes an env that holds no team.',
    responses: { 204: 'Deleted', 403: 'Not allowed to manage the env', 409: '`ENV_NOT_EMPTY`' },
  },

  // Teams
  'POST /teams': {
    summary: 'Create a team',
    description: "Creates a team owned by the caller in `env_id` (default: the caller's active env).",
    body: { codec: teams.TeamCreate },
    responses: {
      201: { description: 'The team created', codec: TeamRead },
      400: '`NO_ACTIVE_ENV`',
      403: 'Not a member of the env',
      404: 'No such env',
      409: 'Name taken',
    },
  },
  'GET /teams': {
    summary: 'List teams',
    description: "Teams of the caller's envs (all for a superuser), by name; filter by `env_id` or `search`.",
    query: [PagingQuery, teams.TeamsQuery],
    paged: true,
    responses: { 200: { description: 'A page of teams', codec: TeamRead } },
  },
  'GET /teams/filter-one': {
    summary: 'Find a team by name',
    description: 'The team of that name (optionally in one env), if visible.',
    query: [teams.FilterOneQuery],
    responses: { 200: { description: 'The team', codec: TeamRead }, 404: 'No visible team of that name' },
  },
  'GET /teams/{id}': {
    summary: 'Get a team',
    description: 'One team of an env the caller belongs to.',
    responses: { 200: { description: 'The team', codec: TeamRead }, 403: 'Not allowed to read the team' },
  },
  'PATCH /teams/{id}': {
    summary: 'Update a team',
    description: "Changes a team's name or description (team owner or superuser).",
    body: { codec: teams.TeamPatch },
    responses: { 200: { description: 'The team updated', codec: TeamRead }, 403: 'Not an owner', 409: 'Name taken' },
  },
  'DELETE /teams/{id}': {
    summary: 'Delete a team',
    description: 'Deletes a team that holds no pipeline and no connector.',
    responses: { 204: 'Deleted', 403: 'Not an owner', 409: '`TEAM_NOT_EMPTY`' },
  },
  'GET /teams/{id}/members': {
    summary: 'List members',
    description: 'Members of a team with their role, owners first.',
    responses: { 200: { description: 'The members', schema: { type: 'array', items: MEMBER } }, 403: 'Not allowed to read the team' },
  },
  'POST /teams/{id}/members/bulk': {
    summary: 'Add members',
    description: 'Adds users as members, and `owners` as owners (team owner or superuser).',
    body: { codec: teams.MembersBulk },
    responses: { 204: 'Added', 403: 'Not an owner' },
  },
  'DELETE /teams/{id}/members/{userId}': {
    summary: 'Remove a member',
    description: 'Removes a member (owners), or leaves the team (oneself); the last owner stays.',
    responses: { 204: 'Removed', 403: 'Not an owner', 409: 'Last owner' },
  },

  // Pipelines
  'POST /pipelines': {
    summary: 'Create a pipeline',
    description:
      'Creates a draft pipeline in a team: its source and target are existing connectors (`existing_*_id`) or created with it (`*_name`, `*_type`, `*_config`), with its first subscription and datamodel in flattened fields.',
    body: { codec: pipelineBodies.PipelineCreate },
    responses: {
      201: { description: 'The pipeline created', codec: PipelineRead },
      403: 'Not allowed to operate the team',
      404: 'No such team or connector',
      409: 'Name taken',
    },
  },
  'GET /pipelines': {
    summary: 'List pipelines',
    description: 'Pipelines of the visible teams, newest first; filter by `state`, `team_id`, `search` (name).',
    query: [PagingQuery, pipelines.ListQuery],
    paged: true,
    responses: { 200: { description: 'A page of pipelines', codec: PipelineRead } },
  },
  'GET /pipelines/count-status': {
    summary: 'Count pipelines by state',
    description: 'The number of visible pipelines in each state, and `all`.',
    query: [connectors.TeamQuery],
    responses: { 200: { description: 'The number of pipelines in each state, and `all`', schema: COUNT_STATUS } },
  },
  'GET /pipelines/filter-one': {
    summary: 'Find a pipeline by name',
    description: 'The visible pipeline of that name (optionally in one team).',
    query: [pipelines.FilterOneQuery],
    responses: { 200: { description: 'The pipeline', codec: PipelineRead }, 404: 'No visible pipeline of that name' },
  },
  'GET /pipelines/status/all-non-draft': {
    summary: 'List live pipelines',
    description: 'Visible pipelines not in draft, with their state, most recently changed first.',
    query: [PagingQuery],
    paged: true,
    responses: { 200: { description: 'A page of `{id, name, state, team_id, updated_at}`', schema: PIPELINE_STATUS_ITEM } },
  },
  'GET /pipelines/{id}': {
    summary: 'Get a pipeline',
    description: 'One pipeline with its connectors resolved; secrets masked.',
    responses: { 200: { description: 'The pipeline', codec: PipelineRead }, 403: 'Not allowed to read the team' },
  },
  'GET /pipelines/{id}/status': {
    summary: 'Pipeline state',
    description: "A pipeline's state and error reason.",
    responses: { 200: { description: '`{id, state, error_reason}`', schema: PIPELINE_STATUS }, 403: 'Not allowed to read the team' },
  },
  'GET /pipelines/{id}/worker-config': {
    summary: 'Worker configuration',
    description:
      'What the workers of the current version run with: connectors (secrets masked), source topic, and one consumer group per subscription.',
    responses: { 200: { description: 'The worker configuration', codec: WorkerConfigRead }, 403: 'Not allowed to read the team' },
  },
  'GET /pipelines/{id}/configuration': {
    summary: 'Export configuration',
    description:
      'A portable configuration (`popsink.pipeline.v1`): connectors by name and type, subscriptions and datamodel; no ids, secrets masked.',
    responses: { 200: { description: 'The configuration', codec: ConfigurationRead }, 403: 'Not allowed to read the team' },
  },
  'POST /pipelines/{id}/configuration': {
    summary: 'Import configuration',
    description:
      "Applies a portable configuration to this pipeline: its connectors are found by name in the pipeline's team; subscriptions keep their consumer groups by position.",
    body: { codec: pipelineBodies.Configuration },
    responses: {
      200: { description: 'The pipeline updated', codec: PipelineRead },
      403: 'Not allowed to operate the team',
      409: 'Version conflict',
    },
  },
  'PATCH /pipelines/{id}': {
    summary: 'Update a pipeline',
    description:
      "Changes name, connectors, first subscription or datamodel (flattened fields); a change is a new pipeline version. A new `subscription_mapper_config` whose column types the target's existing PostgreSQL or Oracle table cannot take is refused with a 422 at `subscription_mapper_config.<index>.cast` (checked when the target answers within 3 s).",
    body: { codec: pipelineBodies.PipelinePatch },
    responses: {
      200: { description: 'The pipeline updated', codec: PipelineRead },
      403: 'Not allowed to operate the team',
      409: 'Name taken or version conflict',
    },
  },
  'POST /pipelines/{id}/dry-run': {
    summary: 'Dry-run a pipeline',
    description:
      "Reads the latest `limit` messages (1 to 100, default 10) of the source topic, maps them with the first subscription's mapper (or `mapper_config`, a mapper to try before saving) and tries the rows against the real target without keeping anything: PostgreSQL in one transaction rolled back (DDL included), Oracle without committing (its DDL reported, not run), Kafka without producing. Any state, drafts too. Answers `{messages: [{partition, offset, key_text, value_text, outcome: ok | mapper_error | rejected | untried | skipped, action, row, error: {stage, code, column, message}, note}], ddl, target_reachable, target_error, notes}` within 10 s.",
    body: { codec: dryRun.DryRunBody, optional: true },
    responses: {
      200: {
        description: 'The report (a target that cannot be tried: `target_reachable` false and `target_error`)',
        codec: dryRun.DryRunRead,
      },
      400: 'The source cannot be read (unreachable, no such topic) or the pipeline has no connector; `detail` says why',
      403: 'Not allowed to operate the team',
    },
  },
  'DELETE /pipelines/{id}': {
    summary: 'Delete a pipeline',
    description: 'Deletes a pipeline (its workers stop).',
    responses: { 204: 'Deleted', 403: 'Not allowed to operate the team' },
  },
  'POST /pipelines/{id}/start': {
    summary: 'Start a pipeline',
    description: 'Asks the runtime to run the pipeline; answers its new state as an uppercase JSON string.',
    responses: {
      202: { description: 'The state, e.g. `"BUILDING"`', schema: CONTROL_STATE },
      403: 'Not allowed to operate the team',
      409: 'Not startable in its state',
    },
  },
  'POST /pipelines/{id}/pause': {
    summary: 'Pause a pipeline',
    description: 'Stops the workers, keeping offsets; answers the new state as an uppercase JSON string.',
    responses: {
      202: { description: 'The state, e.g. `"PAUSED"`', schema: CONTROL_STATE },
      403: 'Not allowed to operate the team',
      409: 'Not pausable in its state',
    },
  },
  'GET /pipelines/{id}/logs': {
    tags: ['observability'],
    summary: 'Pipeline logs',
    description:
      'The latest worker log lines of a pipeline (`limit` 1 to 500, default 100). A WebSocket upgrade on this path streams them live (token as `Authorization`, `Bearer <token>` subprotocols or `?token=`).',
    query: [observability.LogsQuery],
    responses: { 200: { description: 'Log lines, oldest first', schema: LOG_LINES }, 403: 'Not allowed to read the team' },
  },
  'GET /pipelines/{id}/history': {
    summary: 'Pipeline history',
    description:
      'Every change of a pipeline, newest first, read from the event log: who made it, when, the pipeline version it led to, and each field old → new (secrets masked); an action that changes no field (a replay of error rows) says what it did in `details`.',
    query: [PagingQuery],
    paged: true,
    responses: { 200: { description: 'A page of changes', codec: HistoryItem }, 403: 'Not allowed to read the team' },
  },
  'GET /pipelines/{id}/latency-informations': {
    tags: ['observability'],
    summary: 'Pipeline metrics',
    description: 'Latency and message counters the runtimes report for a pipeline.',
    responses: { 200: { description: 'The metrics', codec: PipelineMetrics }, 403: 'Not allowed to read the team' },
  },
  'GET /pipelines/{id}/error-rows': {
    summary: 'List error rows',
    description:
      "The rows of a subscription's error table (`subscription_id`, default the pipeline's first) for the pipeline's source topic, by partition then offset. Filters: `reason_code`, `stage`, `partition`, `offset_from` / `offset_to` (inclusive), `since` (inclusive) / `until` (exclusive) on the time a row first failed, `replayed`. Each row: `id` (`<partition>-<offset>`), topic, partition, offset, timestamp, key and value (UTF-8 text and base64 bytes), headers, stage, reason_code, message, error_column, pipeline_version, first_seen, attempts, replayed_at, replay_outcome. Answers within 10 s.",
    query: [PagingQuery, errorRows.ErrorRowsQuery],
    paged: true,
    responses: {
      200: { description: 'A page of error rows', codec: ErrorRowItem },
      403: 'Not allowed to read the team',
      409: '`NO_ERROR_TABLE`, `ERROR_ROWS_NOT_QUERYABLE` (a Kafka error topic), `ERROR_TABLE_OUTDATED` or `PIPELINE_INCOMPLETE`',
      503: '`ERROR_TABLE_UNREACHABLE`: the database did not answer within 10 s',
    },
  },
  'POST /pipelines/{id}/error-rows/replay': {
    summary: 'Replay error rows',
    description:
      "Re-runs error rows through the subscription's current mapper, envelope options and target (the table prepared as a worker does): exactly one of `ids`, `all: true`, or the list's filters; at most 10 000 rows a call (`remaining` counts the others). A row already applied is skipped; one that lands is marked `replay_outcome: applied`, one that fails again keeps the new reason with `attempts + 1` and `replay_outcome: failed`; no row is deleted. Recorded as a `PipelineErrorRowsReplayed` event (history, user-logs). Answers `{selected, applied, failed, skipped_already_applied, remaining}`.",
    body: { codec: errorRows.ReplayBody },
    responses: {
      200: { description: 'What the replay did', codec: ReplayCounts },
      403: 'Not allowed to operate the team',
      409: 'No queryable error table, or the target refused for good (`TARGET_REFUSED`)',
      503: 'The target or the error table did not answer (`TARGET_UNREACHABLE`, `ERROR_TABLE_UNREACHABLE`)',
    },
  },

  // Connectors
  'GET /connectors/source-config': {
    summary: 'List source connectors',
    description: 'Visible source connectors (secrets masked), optionally of one team.',
    query: [connectors.TeamQuery],
    responses: { 200: { description: 'The connectors', schema: { type: 'array', items: jsonSchemaOf(ConnectorRead) } } },
  },
  'GET /connectors/target-config': {
    summary: 'List target connectors',
    description: 'Visible target connectors (secrets masked), optionally of one team.',
    query: [connectors.TeamQuery],
    responses: { 200: { description: 'The connectors', schema: { type: 'array', items: jsonSchemaOf(ConnectorRead) } } },
  },
  'GET /connectors/filter-one': {
    summary: 'Find a connector by name',
    description: 'The visible connector of that name (optionally in one team).',
    query: [connectors.FilterOneQuery],
    responses: { 200: { description: 'The connector', codec: ConnectorRead }, 404: 'No visible connector of that name' },
  },
  'POST /connectors': {
    summary: 'Create a connector',
    description: `Creates a connector in a team; \`config\` is validated against the connector type (${Object.keys(ConnectorType.keys).join(', ')}) and its secrets are sealed.`,
    body: { codec: connectors.ConnectorCreate },
    responses: {
      201: { description: 'The connector created (secrets masked)', codec: ConnectorRead },
      403: 'Not allowed to operate the team',
      404: 'No such team',
      409: 'Name taken',
    },
  },
  'GET /connectors/{id}': {
    summary: 'Get a connector',
    description: 'One connector, secrets masked.',
    responses: { 200: { description: 'The connector', codec: ConnectorRead }, 403: 'Not allowed to read the team' },
  },
  'PATCH /connectors/{id}': {
    summary: 'Update a connector',
    description:
      'Renames a connector or replaces its config (a masked secret sent back keeps the stored one); pipelines using it get a new version.',
    body: { codec: connectors.ConnectorPatch },
    responses: {
      200: { description: 'The connector updated', codec: ConnectorRead },
      403: 'Not allowed to operate the team',
      409: 'Name taken',
    },
  },
  'DELETE /connectors/{id}': {
    summary: 'Delete a connector',
    description: 'Deletes a connector no pipeline uses.',
    responses: { 204: 'Deleted', 403: 'Not allowed to operate the team', 409: '`CONNECTOR_IN_USE`' },
  },
  'GET /connectors/{id}/source-worker-config': {
    summary: 'Source worker configuration',
    description: 'A source connector (secrets masked) and the pipelines reading from it.',
    responses: {
      200: { description: 'The configuration', codec: connectors.ConnectorWorkerConfigRead },
      403: 'Not allowed to read the team',
    },
  },
  'GET /connectors/{id}/target-worker-config': {
    summary: 'Target worker configuration',
    description: 'A target connector (secrets masked) and the pipelines writing to it.',
    responses: {
      200: { description: 'The configuration', codec: connectors.ConnectorWorkerConfigRead },
      403: 'Not allowed to read the team',
    },
  },
  'POST /connectors/{id}/start': {
    summary: 'Start pipelines of a connector',
    description: 'Starts every non-draft pipeline that uses the connector.',
    responses: { 202: { description: 'The pipelines started', schema: CONNECTOR_PIPELINES }, 403: 'Not allowed to operate the team' },
  },
  'POST /connectors/{id}/stop': {
    summary: 'Pause pipelines of a connector',
    description: 'Pauses every running pipeline that uses the connector (e.g. before a database maintenance).',
    responses: { 202: { description: 'The pipelines paused', schema: CONNECTOR_PIPELINES }, 403: 'Not allowed to operate the team' },
  },
  'GET /connectors/{id}/history': {
    summary: 'Connector history',
    description:
      'Every change of a connector, newest first, read from the event log: who made it, when, its revision, and each field old → new (secrets masked).',
    query: [PagingQuery],
    paged: true,
    responses: { 200: { description: 'A page of changes', codec: HistoryItem }, 403: 'Not allowed to read the team' },
  },
  'GET /connectors/{id}/logs': {
    tags: ['observability'],
    summary: 'Connector logs',
    description:
      'The latest worker log lines of every pipeline using the connector (`limit` 1 to 500, default 100); a WebSocket upgrade on this path streams them live.',
    query: [observability.LogsQuery],
    responses: { 200: { description: 'Log lines, oldest first', schema: LOG_LINES }, 403: 'Not allowed to read the team' },
  },

  // Subscriptions
  'GET /subscriptions': {
    summary: 'List subscriptions',
    description: 'Visible subscriptions, by pipeline; filter by `pipeline_id` or `team_id`.',
    query: [PagingQuery, subscriptions.ListQuery],
    paged: true,
    responses: { 200: { description: 'A page of subscriptions', codec: SubscriptionRead } },
  },
  'POST /subscriptions': {
    summary: 'Add a subscription',
    description:
      'Adds a subscription to a pipeline (a new pipeline version); the mapper is validated, and a consumer group of its own is given when none is named.',
    body: { codec: subscriptions.SubscriptionCreate },
    responses: {
      201: { description: 'The subscription', codec: SubscriptionRead },
      403: 'Not allowed to operate the team',
      404: 'No such pipeline',
    },
  },
  'POST /subscriptions/subscribe-all': {
    summary: 'Add several subscriptions',
    description: 'Adds several subscriptions to one pipeline, all or none, as one pipeline version.',
    body: { codec: subscriptions.SubscribeAll },
    responses: {
      201: { description: 'The subscriptions', schema: { type: 'array', items: jsonSchemaOf(SubscriptionRead) } },
      403: 'Not allowed to operate the team',
      404: 'No such pipeline',
    },
  },
  'GET /subscriptions/{id}': {
    summary: 'Get a subscription',
    description: 'One subscription with its state.',
    responses: { 200: { description: 'The subscription', codec: SubscriptionRead }, 403: 'Not allowed to read the team' },
  },
  'PATCH /subscriptions/{id}': {
    summary: 'Update a subscription',
    description: 'Changes a subscription (a new pipeline version); absent fields keep their value, `null` clears one.',
    body: { codec: SubscriptionFields },
    responses: { 200: { description: 'The subscription', codec: SubscriptionRead }, 403: 'Not allowed to operate the team' },
  },
  'DELETE /subscriptions/{id}': {
    summary: 'Remove a subscription',
    description: 'Removes a subscription from its pipeline.',
    responses: { 204: 'Removed', 403: 'Not allowed to operate the team' },
  },
  'POST /subscriptions/{id}/start': {
    summary: 'Resume a subscription',
    description: 'Resumes a subscription paused on its own; answers its state as an uppercase JSON string.',
    responses: { 202: { description: 'The state', schema: CONTROL_STATE }, 403: 'Not allowed to operate the team' },
  },
  'POST /subscriptions/{id}/pause': {
    summary: 'Pause a subscription',
    description: 'Pauses one subscription while its pipeline runs on; answers its state as an uppercase JSON string.',
    responses: { 202: { description: 'The state', schema: CONTROL_STATE }, 403: 'Not allowed to operate the team' },
  },

  // Datamodels
  'GET /datamodels': {
    summary: 'List datamodels',
    description: 'The datamodels of the visible pipelines (one per pipeline), newest first.',
    query: [PagingQuery],
    paged: true,
    responses: { 200: { description: 'A page of datamodels', codec: DatamodelRead } },
  },
  'GET /datamodels/{id}': {
    summary: 'Get a datamodel',
    description: "A pipeline's datamodel: source topic, target topic and error table.",
    responses: { 200: { description: 'The datamodel', codec: DatamodelRead }, 403: 'Not allowed to read the team' },
  },
  'GET /datamodels/{id}/schema': {
    summary: 'Target schema',
    description: "The columns the pipeline's first mapper produces, as a target table holds them.",
    responses: {
      200: { description: 'The columns', schema: { type: 'array', items: jsonSchemaOf(MapperColumn) } },
      403: 'Not allowed to read the team',
    },
  },
  'GET /datamodels/{id}/monitoring': {
    tags: ['observability'],
    summary: 'Datamodel monitoring',
    description: 'Counters and error-table figures the runtimes report for the datamodel.',
    responses: { 200: { description: 'The monitoring figures', codec: DatamodelMonitoring }, 403: 'Not allowed to read the team' },
  },
  'PATCH /datamodels/{id}/error-table': {
    summary: 'Configure the error table',
    description: 'Enables, names or points the error table at a target connector of the team (a new pipeline version).',
    body: { codec: ErrorTableFields },
    responses: { 200: { description: 'The datamodel', codec: DatamodelRead }, 403: 'Not allowed to operate the team' },
  },
  'DELETE /datamodels/{id}': {
    summary: 'Reset a datamodel',
    description: 'Resets the datamodel (source topic from the source connector, no target topic, no error table), keeping its id.',
    responses: { 204: 'Reset', 403: 'Not allowed to operate the team' },
  },

  // Audit
  'GET /user-logs': {
    summary: 'Audit log',
    description:
      'Who did what, newest first: superusers see everything, others their own actions and those in their envs and teams. Filter by user, resource, event type and time range.',
    query: [PagingQuery, userLogs.LogsQuery],
    paged: true,
    responses: { 200: { description: 'A page of log entries', codec: userLogs.UserLogEntry } },
  },

  // Tools
  'POST /smt/process_mapper': {
    summary: 'Try a mapper',
    description:
      'Runs a mapper config on sample messages with the engine the workers run; answers one mapped row per message. A message that does not map is a 422 located at it.',
    body: { codec: ProcessMapperBody },
    responses: { 200: { description: 'The mapped rows', codec: ProcessMapperRead } },
  },
  'POST /connector-types/kafka-source/check-credentials': {
    summary: 'Check a Kafka source',
    description: 'Connects to the brokers of a KAFKA_SOURCE config (`topic` optional here).',
    body: { schema: KAFKA_SOURCE_TOPIC_OPTIONAL },
    responses: CHECKED,
  },
  'POST /connector-types/kafka-source/list-topics': {
    summary: 'List Kafka topics',
    description: 'The topics a KAFKA_SOURCE config can read (`topic` optional here).',
    body: { schema: KAFKA_SOURCE_TOPIC_OPTIONAL },
    responses: { 200: { description: 'The topic names', codec: TopicsRead }, 400: CHECKED[400] },
  },
  'POST /connector-types/kafka-source/fetch-messages': {
    summary: 'Fetch sample messages',
    description:
      'The latest messages of the topic (`limit` 1 to 1000, default 10): the KAFKA_SOURCE config with `limit` beside its fields, or `{"config": {...}, "limit": n}`.',
    body: { codec: FetchMessagesBody },
    responses: { 200: { description: 'The messages', codec: FetchedMessagesRead }, 400: CHECKED[400] },
  },
  'POST /connector-types/oracle-target/check-credentials': {
    summary: 'Check an Oracle target',
    description: 'Connects to Oracle with an ORACLE_TARGET config.',
    body: { codec: OracleTargetConfig },
    responses: CHECKED,
  },
  'POST /connector-types/postgres-target/check-credentials': {
    summary: 'Check a PostgreSQL target',
    description: 'Connects to PostgreSQL with a POSTGRES_TARGET config.',
    body: { codec: PostgresTargetConfig },
    responses: CHECKED,
  },
};
