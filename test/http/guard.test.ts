import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../http/auth';
import { guard } from '../../http/guard';
import { ENVS, TEAM_MEMBERS, TEAMS } from '../../projections/collections';
import { readModelsOf } from '../../projections/readModels';
import type { ReadStore } from '../../projections/readStore';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { memberId } from '../../projections/team/teamsView';

/** An env with one team, a member of it, and a guard over the read store. */
async function world(store: ReadStore = memoryReadStore()) {
  let position = 0n;
  const write = (collection: string, id: string, set: Record<string, unknown>) =>
    store.apply([{ kind: 'upsert', collection, id, set, position: ++position }]);
  const remove = (collection: string, id: string) => store.apply([{ kind: 'remove', collection, id, position: ++position }]);
  const [envId, teamId, ownerId, userId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const times = { created_at: 'x', updated_at: 'x' };
  await write(ENVS, envId, {
    name: 'env',
    description: null,
    use_retention: false,
    retention_configuration: null,
    owner_id: ownerId,
    ...times,
  });
  await write(TEAMS, teamId, { name: 'Data', description: null, env_id: envId, ...times });
  const member = { team_id: teamId, user_id: userId, env_id: envId, role: 'member' };
  await write(TEAM_MEMBERS, memberId(teamId, userId), member);
  const caller: Caller = { id: userId, email: 'm@example.com', isSuperuser: false, activeEnvId: envId, tokenId: 't', tokenExpiresAt: null };
  return { access: guard(readModelsOf(store)), write, remove, envId, teamId, userId, member, caller, times };
}

const refusedWith = (code: string) => ({ message: new RegExp(code) });

test('a decision the read models gave is answered again only while they are unchanged', async (t) => {
  const { access, write, remove, teamId, userId, member, caller, envId, times } = await world();
  t.is((await access.team(caller, teamId, 'operate')).name, 'Data');
  t.is((await access.team(caller, teamId, 'operate')).name, 'Data', 'asked again: the same answer');
  await write(TEAMS, teamId, { name: 'Renamed', description: null, env_id: envId, ...times });
  t.is((await access.team(caller, teamId, 'operate')).name, 'Renamed', 'the team changed: read again');
  await remove(TEAM_MEMBERS, memberId(teamId, userId));
  await t.throwsAsync(access.team(caller, teamId, 'operate'), { instanceOf: Error });
  await write(TEAM_MEMBERS, memberId(teamId, userId), { ...member, role: 'owner' });
  t.is((await access.team(caller, teamId, 'manage')).id, teamId, 'made owner: may manage');
  await remove(TEAMS, teamId);
  await t.throwsAsync(access.team(caller, teamId, 'read'), refusedWith('TEAM_NOT_FOUND'));
});

test('a need is decided on its own: a member who may operate may not manage', async (t) => {
  const { access, teamId, caller } = await world();
  t.is((await access.team(caller, teamId, 'operate')).id, teamId);
  await t.throwsAsync(access.team(caller, teamId, 'manage'), { instanceOf: Error });
  t.is((await access.team(caller, teamId, 'read')).id, teamId);
});

test('over a store that cannot tell its version, every question reads the memberships again', async (t) => {
  const memory = memoryReadStore();
  const { access, remove, teamId, userId, caller } = await world({ ...memory, versionOf: () => undefined });
  t.is((await access.team(caller, teamId, 'operate')).id, teamId);
  await remove(TEAM_MEMBERS, memberId(teamId, userId));
  await t.throwsAsync(access.team(caller, teamId, 'operate'), { instanceOf: Error });
});
