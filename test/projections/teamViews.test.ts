import test from 'ava';
import { TEAMS, TEAM_MEMBERS } from '../../projections/collections';
import { teamsView } from '../../projections/team/teamsView';
import { projectionSpec, timeOf } from './projectionSpec';

const spec = projectionSpec(teamsView);
const created = {
  type: 'TeamCreated',
  data: { teamId: 't-1', envId: 'e-1', ownerId: 'owner-1', name: 'Data', description: null },
} as const;
const team = { id: 't-1', name: 'Data', description: null, env_id: 'e-1', created_at: timeOf(0), updated_at: timeOf(0) };
const owner = { id: 't-1:owner-1', team_id: 't-1', user_id: 'owner-1', env_id: 'e-1', role: 'owner' };

test('teams: a created team, its creator its owner', async (t) => {
  await spec.given([created]).then(t, { [TEAMS]: [team], [TEAM_MEMBERS]: [owner] });
});

test('teams: members are added, change role and leave, one document per (team, user)', async (t) => {
  await spec
    .given([
      created,
      { type: 'TeamMemberAdded', data: { teamId: 't-1', envId: 'e-1', userId: 'u-2', role: 'member' } },
      { type: 'TeamMemberAdded', data: { teamId: 't-1', envId: 'e-1', userId: 'u-3', role: 'member' } },
      { type: 'TeamMemberRoleChanged', data: { teamId: 't-1', envId: 'e-1', userId: 'u-2', role: 'owner' } },
      { type: 'TeamMemberRemoved', data: { teamId: 't-1', envId: 'e-1', userId: 'u-3' } },
      { type: 'TeamUpdated', data: { teamId: 't-1', envId: 'e-1', name: 'Data Engineering', previousName: 'Data' } },
    ])
    .then(t, {
      [TEAMS]: [{ ...team, name: 'Data Engineering', updated_at: timeOf(5) }],
      [TEAM_MEMBERS]: [owner, { id: 't-1:u-2', team_id: 't-1', user_id: 'u-2', env_id: 'e-1', role: 'owner' }],
    });
});

test('teams: a deleted team takes its members with it', async (t) => {
  await spec
    .given([
      created,
      { type: 'TeamMemberAdded', data: { teamId: 't-1', envId: 'e-1', userId: 'u-2', role: 'member' } },
      { type: 'TeamDeleted', data: { teamId: 't-1', envId: 'e-1', name: 'Data', memberIds: ['owner-1', 'u-2'] } },
    ])
    .then(t, {});
});
