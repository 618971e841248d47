import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { RetentionConfiguration } from '../../domain/env/env';
import { MapperEntry } from '../../domain/mapper/mapperSpec';
import type { ApiClient } from '../apiClient';
import { CliFailure, EXIT } from '../context';
import { FileConnectorType, TeamRole, type DatamodelSpec, type SubscriptionSpec } from './fileSchema';

/**
 * What an installation holds, read through the public API's GETs and named the way files name
 * things (a team by its environment's name, a connector by its team's), with the ids the
 * applier needs. Secrets are as the API answers them: masked.
 */

const Nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);
/** Only the fields read here: what else an answer carries (times, states, ids of other things) stays out. */
const Read = <P extends t.Props>(props: P) => t.exact(t.type(props));
const Paged = <C extends t.Mixed>(item: C) => t.type({ items: t.array(item), total: t.number });

const EnvRead = Read({
  id: t.string,
  name: t.string,
  description: Nullable(t.string),
  use_retention: t.boolean,
  retention_configuration: Nullable(RetentionConfiguration),
});
const TeamRead = Read({ id: t.string, name: t.string, description: Nullable(t.string), env_id: t.string });
const MemberRead = Read({ id: t.string, email: t.string, role: TeamRole });
const ConnectorRead = Read({ id: t.string, name: t.string, connector_type: t.string, team_id: t.string, config: t.UnknownRecord });
const errorTableRead = {
  error_table_enabled: Nullable(t.boolean),
  error_table_name: Nullable(t.string),
  error_table_target_id: Nullable(t.string),
};
const PipelineRead = Read({
  id: t.string,
  name: t.string,
  version: t.number,
  team_id: t.string,
  source_name: Nullable(t.string),
  target_name: Nullable(t.string),
  datamodel_source_topic: Nullable(t.string),
  datamodel_target_topic: Nullable(t.string),
  datamodel_error_table_enabled: Nullable(t.boolean),
  datamodel_error_table_name: Nullable(t.string),
  datamodel_error_table_target_id: Nullable(t.string),
});
const SubscriptionRead = Read({
  id: t.string,
  pipeline_id: t.string,
  target_table_name: Nullable(t.string),
  backfill: t.boolean,
  mapper_config: t.array(MapperEntry),
  consumer_id: Nullable(t.string),
  exactly_once: Nullable(t.boolean),
  envelope: Nullable(t.keyof({ none: null, debezium: null })),
  delete_on_tombstone: Nullable(t.boolean),
  schema_evolution: Nullable(t.keyof({ add_columns: null, none: null })),
  error_tolerance: Nullable(t.number),
  error_tolerance_window: Nullable(t.number),
  ...errorTableRead,
});
const UserRead = Read({ id: t.string, email: t.string, is_superuser: t.boolean });

/** Every field of a spec, as the installation has it (null where it has nothing). */
type Stored<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> | null };

export interface ActualEnvironment {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly use_retention: boolean;
  readonly retention_configuration: RetentionConfiguration | null;
}
export interface ActualMember {
  readonly id: string;
  readonly email: string;
  readonly role: TeamRole;
}
export interface ActualTeam {
  readonly id: string;
  readonly name: string;
  readonly environment: string;
  readonly description: string | null;
  readonly members: readonly ActualMember[];
}
export interface ActualConnector {
  readonly id: string;
  readonly name: string;
  readonly environment: string;
  readonly team: string;
  readonly type: FileConnectorType;
  /** Secrets masked. */
  readonly config: Readonly<Record<string, unknown>>;
}
export type ActualSubscription = Stored<Omit<SubscriptionSpec, 'target_table_name' | 'mapper_config' | 'backfill'>> & {
  readonly id: string;
  readonly target_table_name: string | null;
  readonly mapper_config: readonly MapperEntry[];
  readonly backfill: boolean;
};
export interface ActualPipeline {
  readonly id: string;
  readonly name: string;
  readonly environment: string;
  readonly team: string;
  readonly version: number;
  readonly source: string | null;
  readonly target: string | null;
  readonly datamodel: Stored<DatamodelSpec>;
  /** In the API's order: the first is the one the pipeline's flattened `subscription_*` fields edit. */
  readonly subscriptions: readonly ActualSubscription[];
}
export interface Installation {
  readonly caller: { readonly id: string; readonly email: string; readonly superuser: boolean };
  readonly environments: readonly ActualEnvironment[];
  readonly teams: readonly ActualTeam[];
  readonly connectors: readonly ActualConnector[];
  readonly pipelines: readonly ActualPipeline[];
}

/** `env/team` and `env/team/name`: how files and plans name what lives in a team. */
export const teamKey = (environment: string, team: string): string => `${environment}/${team}`;
export const inTeamKey = (environment: string, team: string, name: string): string => `${environment}/${team}/${name}`;

const PAGE = 100;

async function get<A>(client: ApiClient, codec: t.Decoder<unknown, A>, path: string): Promise<A> {
  const decoded = codec.decode(await client.request('GET', path));
  if (isLeft(decoded)) throw new CliFailure(EXIT.failure, `${client.server} answered GET ${path} with an unexpected shape`);
  return decoded.right;
}

async function all<C extends t.Mixed>(client: ApiClient, item: C, path: string): Promise<t.TypeOf<C>[]> {
  const items: t.TypeOf<C>[] = [];
  const codec = Paged(item);
  for (let skip = 0; ; skip += PAGE) {
    const page = await get(client, codec, `${path}${path.includes('?') ? '&' : '?'}skip=${skip}&limit=${PAGE}`);
    items.push(...page.items);
    if (page.items.length < PAGE || skip + PAGE >= page.total) return items;
  }
}

/** Every environment, team, connector and pipeline the caller may see. */
export async function readInstallation(client: ApiClient): Promise<Installation> {
  const [me, envs, teams, sources, targets, pipelines, subscriptions] = await Promise.all([
    get(client, UserRead, '/users/me'),
    all(client, EnvRead, '/envs/'),
    all(client, TeamRead, '/teams/'),
    get(client, t.array(ConnectorRead), '/connectors/source-config'),
    get(client, t.array(ConnectorRead), '/connectors/target-config'),
    all(client, PipelineRead, '/pipelines/'),
    all(client, SubscriptionRead, '/subscriptions/'),
  ]);
  const envNames = new Map(envs.map((env) => [env.id, env.name]));
  const readTeams = await Promise.all(
    teams.flatMap((team) => {
      const environment = envNames.get(team.env_id);
      if (environment === undefined) return [];
      return [
        get(client, t.array(MemberRead), `/teams/${encodeURIComponent(team.id)}/members`).then((members): ActualTeam => ({
          id: team.id,
          name: team.name,
          environment,
          description: team.description,
          members,
        })),
      ];
    }),
  );
  const teamsById = new Map(readTeams.map((team) => [team.id, team]));
  const connectors = [...sources, ...targets].flatMap((connector): ActualConnector[] => {
    const team = teamsById.get(connector.team_id);
    if (team === undefined || !FileConnectorType.is(connector.connector_type)) return [];
    return [
      {
        id: connector.id,
        name: connector.name,
        environment: team.environment,
        team: team.name,
        type: connector.connector_type,
        config: connector.config,
      },
    ];
  });
  const connectorNames = new Map(connectors.map((connector) => [connector.id, connector.name]));
  const nameOf = (id: string | null): string | null => (id === null ? null : (connectorNames.get(id) ?? id));

  const byPipeline = new Map<string, ActualSubscription[]>();
  for (const { pipeline_id: pipelineId, error_table_target_id: targetId, ...fields } of subscriptions) {
    const list = byPipeline.get(pipelineId) ?? [];
    list.push({ ...fields, error_table_target: nameOf(targetId) });
    byPipeline.set(pipelineId, list);
  }
  const readPipelines = pipelines.flatMap((pipeline): ActualPipeline[] => {
    const team = teamsById.get(pipeline.team_id);
    if (team === undefined) return [];
    return [
      {
        id: pipeline.id,
        name: pipeline.name,
        environment: team.environment,
        team: team.name,
        version: pipeline.version,
        source: pipeline.source_name,
        target: pipeline.target_name,
        datamodel: {
          source_topic: pipeline.datamodel_source_topic,
          target_topic: pipeline.datamodel_target_topic,
          error_table_enabled: pipeline.datamodel_error_table_enabled,
          error_table_name: pipeline.datamodel_error_table_name,
          error_table_target: nameOf(pipeline.datamodel_error_table_target_id),
        },
        subscriptions: byPipeline.get(pipeline.id) ?? [],
      },
    ];
  });
  return {
    caller: { id: me.id, email: me.email, superuser: me.is_superuser },
    environments: envs,
    teams: readTeams,
    connectors,
    pipelines: readPipelines,
  };
}

/**
 * The user ids of member emails: those already in a team the caller sees, else looked up by a
 * superuser's `GET /users?search=` (the only lookup by email the API offers).
 */
export async function userIdsByEmail(
  client: ApiClient,
  installation: Installation,
  emails: readonly string[],
): Promise<Map<string, string>> {
  const known = new Map<string, string>([[installation.caller.email.toLowerCase(), installation.caller.id]]);
  for (const team of installation.teams) for (const member of team.members) known.set(member.email.toLowerCase(), member.id);
  const missing = [...new Set(emails.map((email) => email.toLowerCase()))].filter((email) => !known.has(email));
  if (missing.length > 0 && !installation.caller.superuser) {
    throw new CliFailure(
      EXIT.failure,
      `member ${missing.join(', ')}: not in any team you can see, and only a superuser can look users up by email`,
    );
  }
  for (const email of missing) {
    const found = (await all(client, UserRead, `/users?search=${encodeURIComponent(email)}`)).find(
      (user) => user.email.toLowerCase() === email,
    );
    if (found === undefined)
      throw new CliFailure(
        EXIT.failure,
        `member ${email}: no such user in ${client.server} (users sign up themselves; files do not create them)`,
      );
    known.set(email, found.id);
  }
  return known;
}
