import { TEAMS, TEAM_MEMBERS } from '../collections';
import type { ReadStore, WriteOp } from '../readStore';
import type { Projection } from '../projection';
import * as t from 'io-ts';
import { documentsOf } from '../documents';
import { TeamRole } from '../../domain/team/team';

export const TeamDoc = t.type({
  id: t.string,
  name: t.string,
  description: t.union([t.string, t.null]),
  env_id: t.string,
  created_at: t.string,
  updated_at: t.string,
});
export type TeamDoc = t.TypeOf<typeof TeamDoc>;
export const teamDocuments = (store: ReadStore) => documentsOf(TeamDoc, TEAMS, store);

export const TeamMemberDoc = t.type({ id: t.string, team_id: t.string, user_id: t.string, env_id: t.string, role: TeamRole });
export type TeamMemberDoc = t.TypeOf<typeof TeamMemberDoc>;
export const teamMemberDocuments = (store: ReadStore) => documentsOf(TeamMemberDoc, TEAM_MEMBERS, store);

/** A membership's document id: one per (team, user), so a guard reads it without a query. */
export const memberId = (teamId: string, userId: string): string => `${teamId}:${userId}`;

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
