import test from 'ava';
import { teamDecider, type TeamEvent } from '../../domain/team/team';
import { deciderSpec } from './deciderSpec';

const spec = deciderSpec(teamDecider);
const teamId = 't-1';
const envId = 'e-1';
const created: TeamEvent = {
  type: 'TeamCreated',
  data: { teamId, envId, ownerId: 'owner-1', name: 'Data Engineering Team', description: null },
};
const added = (userId: string, role: 'owner' | 'member'): TeamEvent => ({ type: 'TeamMemberAdded', data: { teamId, envId, userId, role } });

test('create: the creator is the owner', (t) => {
  spec
    .given([])
    .when({ type: 'CreateTeam', teamId, envId, ownerId: 'owner-1', name: 'Data Engineering Team', description: null })
    .then(t, [created]);
});

test('rename: records the new name and the previous one', (t) => {
  spec
    .given([created])
    .when({ type: 'UpdateTeam', name: 'Platform' })
    .then(t, [{ type: 'TeamUpdated', data: { teamId, envId, previousName: 'Data Engineering Team', name: 'Platform' } }]);
});

test('add members: new ones are added, re-adding is harmless, a new role is a role change', (t) => {
  spec
    .given([created, added('m-1', 'member')])
    .when({
      type: 'AddMembers',
      members: [
        { userId: 'm-1', role: 'member' },
        { userId: 'm-2', role: 'member' },
        { userId: 'owner-1', role: 'owner' },
      ],
    })
    .then(t, [added('m-2', 'member')]);
  spec
    .given([created, added('m-1', 'member')])
    .when({ type: 'AddMembers', members: [{ userId: 'm-1', role: 'owner' }] })
    .then(t, [{ type: 'TeamMemberRoleChanged', data: { teamId, envId, userId: 'm-1', role: 'owner' } }]);
});

test('add members: demoting the only owner is refused', (t) => {
  spec
    .given([created])
    .when({ type: 'AddMembers', members: [{ userId: 'owner-1', role: 'member' }] })
    .thenFails(t, { kind: 'conflict', code: 'TEAM_LAST_OWNER' });
});

test('remove member: a member is removed', (t) => {
  spec
    .given([created, added('m-1', 'member')])
    .when({ type: 'RemoveMember', userId: 'm-1' })
    .then(t, [{ type: 'TeamMemberRemoved', data: { teamId, envId, userId: 'm-1' } }]);
});

test('remove member: never the last owner, but an owner when another remains', (t) => {
  spec
    .given([created, added('m-1', 'member')])
    .when({ type: 'RemoveMember', userId: 'owner-1' })
    .thenFails(t, { kind: 'conflict', code: 'TEAM_LAST_OWNER' });
  spec
    .given([created, added('o-2', 'owner')])
    .when({ type: 'RemoveMember', userId: 'owner-1' })
    .then(t, [{ type: 'TeamMemberRemoved', data: { teamId, envId, userId: 'owner-1' } }]);
});

test('remove member: someone not in the team is not found', (t) => {
  spec
    .given([created])
    .when({ type: 'RemoveMember', userId: 'stranger' })
    .thenFails(t, { kind: 'not_found', code: 'TEAM_MEMBER_NOT_FOUND' });
});

test('delete: then not found', (t) => {
  const deleted: TeamEvent = { type: 'TeamDeleted', data: { teamId, envId, name: 'Data Engineering Team', memberIds: ['owner-1'] } };
  spec.given([created]).when({ type: 'DeleteTeam' }).then(t, [deleted]);
  spec
    .given([created, deleted])
    .when({ type: 'RemoveMember', userId: 'owner-1' })
    .thenFails(t, { kind: 'not_found', code: 'TEAM_NOT_FOUND' });
});
