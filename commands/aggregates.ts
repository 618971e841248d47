import { validateEmail } from '../domain/identity/email';
import { connectorDecider, type ConnectorCommand, type ConnectorEvent, type ConnectorState } from '../domain/connector/connector';
import { pipelineDecider, type PipelineCommand, type PipelineEvent, type PipelineState } from '../domain/pipeline/pipeline';
import { envDecider, type EnvCommand, type EnvEvent, type EnvState } from '../domain/env/env';
import { teamDecider, type TeamCommand, type TeamEvent, type TeamState } from '../domain/team/team';
import { userDecider, type UserCommand, type UserEvent, type UserState } from '../domain/identity/user';
import type { KeyedAggregate } from './keyedCommand';
import { connectorStream, envStream, pipelineStream, teamStream, userStream } from './streams';

// An invalid value reserves its raw form; the decider then refuses the command and the claim is given back.
const emailValue = (email: string): string => validateEmail(email) ?? email;
const nameValue = (name: string): string => name.trim();

export const users: KeyedAggregate<UserCommand, UserEvent, UserState> = {
  decider: userDecider,
  stream: userStream,
  heldKey: (state) => ('email' in state ? { scope: 'email', value: state.email } : undefined),
  wantedKey: (command) => {
    if (command.type === 'RegisterUser')
      return { scope: 'email', value: emailValue(command.email), takenCode: 'REGISTER_USER_ALREADY_EXISTS' };
    if (command.type === 'ChangeEmail')
      return { scope: 'email', value: emailValue(command.email), takenCode: 'UPDATE_USER_EMAIL_ALREADY_EXISTS' };
    return undefined;
  },
};

export const envs: KeyedAggregate<EnvCommand, EnvEvent, EnvState> = {
  decider: envDecider,
  stream: envStream,
  heldKey: (state) => (state.status === 'exists' ? { scope: 'env-name', value: state.name } : undefined),
  wantedKey: (command) =>
    command.type !== 'DeleteEnv' && command.name !== undefined
      ? { scope: 'env-name', value: nameValue(command.name), takenCode: 'ENV_NAME_ALREADY_EXISTS' }
      : undefined,
};

// Team names are unique within their env only, so the env is part of the scope.
const teamScope = (envId: string): string => `team-name-${envId}`;

export const teams: KeyedAggregate<TeamCommand, TeamEvent, TeamState> = {
  decider: teamDecider,
  stream: teamStream,
  heldKey: (state) => (state.status === 'exists' ? { scope: teamScope(state.envId), value: state.name } : undefined),
  wantedKey: (command, state) => {
    const envId = command.type === 'CreateTeam' ? command.envId : state.status === 'exists' ? state.envId : undefined;
    if (envId === undefined || (command.type !== 'CreateTeam' && command.type !== 'UpdateTeam') || command.name === undefined)
      return undefined;
    return { scope: teamScope(envId), value: nameValue(command.name), takenCode: 'TEAM_NAME_ALREADY_EXISTS' };
  },
};

// Connector and pipeline names are unique within their team.
const teamScoped = (kind: string, teamId: string): string => `${kind}-name-${teamId}`;

/** The reservation of a connector's name in its team: who holds it is the connector of that name. */
export const connectorNameKey = (teamId: string, name: string) => ({ scope: teamScoped('connector', teamId), value: nameValue(name) });

export const connectors: KeyedAggregate<ConnectorCommand, ConnectorEvent, ConnectorState> = {
  decider: connectorDecider,
  stream: connectorStream,
  heldKey: (state) => (state.status === 'exists' ? connectorNameKey(state.teamId, state.name) : undefined),
  wantedKey: (command, state) => {
    const teamId = command.type === 'CreateConnector' ? command.teamId : state.status === 'exists' ? state.teamId : undefined;
    if (teamId === undefined || command.type === 'DeleteConnector' || command.name === undefined) return undefined;
    return { ...connectorNameKey(teamId, command.name), takenCode: 'CONNECTOR_NAME_ALREADY_EXISTS' };
  },
};

export const pipelines: KeyedAggregate<PipelineCommand, PipelineEvent, PipelineState> = {
  decider: pipelineDecider,
  stream: pipelineStream,
  heldKey: (state) => (state.status === 'exists' ? { scope: teamScoped('pipeline', state.teamId), value: state.name } : undefined),
  wantedKey: (command, state) => {
    const teamId = command.type === 'CreatePipeline' ? command.teamId : state.status === 'exists' ? state.teamId : undefined;
    const name = command.type === 'CreatePipeline' || command.type === 'UpdatePipeline' ? command.name : undefined;
    if (teamId === undefined || name === undefined) return undefined;
    return { scope: teamScoped('pipeline', teamId), value: name, takenCode: 'PIPELINE_NAME_ALREADY_EXISTS' };
  },
};
