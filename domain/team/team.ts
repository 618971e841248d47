import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { eventOf, type Decider } from '../decider';
import { conflict, notFound, type DomainError } from '../errors';
import { validateName } from '../names';
import { settingsChanges } from '../settingsChanges';

export const TeamRole = t.keyof({ owner: null, member: null });
export type TeamRole = t.TypeOf<typeof TeamRole>;

const TeamSettings = t.type({ name: t.string, description: t.union([t.string, t.null]) });
type TeamSettings = t.TypeOf<typeof TeamSettings>;

export const TeamEvent = t.union([
  eventOf('TeamCreated', t.intersection([t.type({ teamId: t.string, envId: t.string, ownerId: t.string }), TeamSettings])),
  eventOf(
    'TeamUpdated',
    t.intersection([t.type({ teamId: t.string, envId: t.string, previousName: t.string }), t.partial(TeamSettings.props)]),
  ),
  eventOf('TeamMemberAdded', t.type({ teamId: t.string, envId: t.string, userId: t.string, role: TeamRole })),
  eventOf('TeamMemberRoleChanged', t.type({ teamId: t.string, envId: t.string, userId: t.string, role: TeamRole })),
  eventOf('TeamMemberRemoved', t.type({ teamId: t.string, envId: t.string, userId: t.string })),
  eventOf('TeamDeleted', t.type({ teamId: t.string, envId: t.string, name: t.string, memberIds: t.array(t.string) })),
]);
export type TeamEvent = t.TypeOf<typeof TeamEvent>;

export type TeamCommand =
  | ({ readonly type: 'CreateTeam'; readonly teamId: string; readonly envId: string; readonly ownerId: string } & TeamSettings)
  | ({ readonly type: 'UpdateTeam' } & Partial<TeamSettings>)
  /** Adding someone already in the team with the same role is harmless; another role changes it. */
  | { readonly type: 'AddMembers'; readonly members: readonly { readonly userId: string; readonly role: TeamRole }[] }
  | { readonly type: 'RemoveMember'; readonly userId: string }
  | { readonly type: 'DeleteTeam' };

export type TeamState =
  | { readonly status: 'absent' | 'deleted' }
  | ({
      readonly status: 'exists';
      readonly teamId: string;
      readonly envId: string;
      readonly members: Readonly<Record<string, TeamRole>>;
    } & TeamSettings);

const evolve = (state: TeamState, event: TeamEvent): TeamState => {
  if (event.type === 'TeamCreated') {
    const { teamId, envId, name, description, ownerId } = event.data;
    return { status: 'exists', teamId, envId, name, description, members: { [ownerId]: 'owner' } };
  }
  if (event.type === 'TeamDeleted') return { status: 'deleted' };
  if (state.status !== 'exists') return state;
  switch (event.type) {
    case 'TeamUpdated': {
      const { teamId: _id, envId: _env, previousName: _previous, ...changes } = event.data;
      return { ...state, ...changes };
    }
    case 'TeamMemberAdded':
    case 'TeamMemberRoleChanged':
      return { ...state, members: { ...state.members, [event.data.userId]: event.data.role } };
    case 'TeamMemberRemoved': {
      const { [event.data.userId]: _removed, ...members } = state.members;
      return { ...state, members };
    }
  }
};

const owners = (members: Readonly<Record<string, TeamRole>>): string[] => Object.keys(members).filter((id) => members[id] === 'owner');

const decide = (command: TeamCommand, state: TeamState): Either<DomainError, readonly TeamEvent[]> => {
  if (command.type === 'CreateTeam') {
    if (state.status !== 'absent') return left(conflict('TEAM_ALREADY_EXISTS'));
    const name = validateName(command.name, ['body', 'name']);
    if (typeof name !== 'string') return left(name);
    const { type: _type, ...data } = command;
    return right([{ type: 'TeamCreated', data: { ...data, name } }]);
  }
  if (state.status !== 'exists') return left(notFound('TEAM_NOT_FOUND'));
  const { teamId, envId } = state;
  switch (command.type) {
    case 'UpdateTeam': {
      const { type: _type, ...requested } = command;
      const changes = settingsChanges<TeamSettings>(state, requested);
      if (isLeft(changes)) return changes;
      if (Object.keys(changes.right).length === 0) return right([]);
      return right([{ type: 'TeamUpdated', data: { teamId, envId, previousName: state.name, ...changes.right } }]);
    }
    case 'AddMembers': {
      const events: TeamEvent[] = [];
      const members = { ...state.members };
      for (const { userId, role } of command.members) {
        const current = members[userId];
        if (current === role) continue;
        members[userId] = role;
        events.push({ type: current === undefined ? 'TeamMemberAdded' : 'TeamMemberRoleChanged', data: { teamId, envId, userId, role } });
      }
      if (owners(members).length === 0) return left(conflict('TEAM_LAST_OWNER', 'A team keeps at least one owner'));
      return right(events);
    }
    case 'RemoveMember': {
      const role = state.members[command.userId];
      if (role === undefined) return left(notFound('TEAM_MEMBER_NOT_FOUND'));
      if (role === 'owner' && owners(state.members).length === 1) {
        return left(conflict('TEAM_LAST_OWNER', 'The last owner of a team cannot be removed'));
      }
      return right([{ type: 'TeamMemberRemoved', data: { teamId, envId, userId: command.userId } }]);
    }
    case 'DeleteTeam':
      return right([{ type: 'TeamDeleted', data: { teamId, envId, name: state.name, memberIds: Object.keys(state.members) } }]);
  }
};

export const teamDecider: Decider<TeamCommand, TeamEvent, TeamState> = {
  initialState: { status: 'absent' },
  evolve,
  decide,
  eventCodec: TeamEvent,
};
