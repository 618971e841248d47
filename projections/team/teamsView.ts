import { TEAMS, TEAM_MEMBERS } from '../collections';
import type { WriteOp } from '../readStore';
import type { Projection } from '../projection';


const memberId = (teamId: string, userId: string): string => `${teamId}:${userId}`;

/** Teams, and one document per (team, user) so membership is a plain equality query. */
export const teamsView: Projection = {
  name: 'teams',
  collections: { [TEAMS]: ['env_id', 'name'], [TEAM_MEMBERS]: ['team_id', 'user_id', 'env_id'] },
  project: (event): readonly WriteOp[] => {
    const { position, metadata } = event;
    const member = (teamId: string, userId: string, set: Record<string, unknown>): WriteOp => ({
      kind: 'upsert',
      collection: TEAM_MEMBERS,
      id: memberId(teamId, userId),
      set,
      position,
    });
    switch (event.type) {
      case 'TeamCreated': {
        const { teamId, envId, ownerId, name, description } = event.data;
        return [
          {
            kind: 'upsert',
            collection: TEAMS,
            id: teamId,
            set: { name, description, env_id: envId, created_at: metadata.time, updated_at: metadata.time },
            position,
          },
          member(teamId, ownerId, { team_id: teamId, user_id: ownerId, env_id: envId, role: 'owner' }),
        ];
      }
      case 'TeamUpdated': {
        const { teamId, name, description } = event.data;
        const set = {
          ...(name !== undefined ? { name } : {}),
          ...(description !== undefined ? { description } : {}),
          updated_at: metadata.time,
        };
        return [{ kind: 'upsert', collection: TEAMS, id: teamId, set, position }];
      }
      case 'TeamMemberAdded':
      case 'TeamMemberRoleChanged': {
        const { teamId, envId, userId, role } = event.data;
        return [member(teamId, userId, { team_id: teamId, user_id: userId, env_id: envId, role })];
      }
      case 'TeamMemberRemoved':
        return [{ kind: 'remove', collection: TEAM_MEMBERS, id: memberId(event.data.teamId, event.data.userId), position }];
      case 'TeamDeleted': {
        const { teamId, memberIds } = event.data;
        return [
          { kind: 'remove', collection: TEAMS, id: teamId, position },
          ...memberIds.map((userId): WriteOp => ({ kind: 'remove', collection: TEAM_MEMBERS, id: memberId(teamId, userId), position })),
        ];
      }
      default:
        return [];
    }
  },
};
