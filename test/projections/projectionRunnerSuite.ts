import type { TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import { envs, teams, users } from '../../commands/aggregates';
import { handleKeyedCommand } from '../../commands/keyedCommand';
import type { CommandDeps } from '../../commands/handleCommand';
import { allProjections } from '../../projections/allProjections';
import { projectBatch, startProjectionRunner } from '../../projections/runner';
import type { ReadStore } from '../../projections/readStore';
import { commandDeps, context } from '../commands/commandFixtures';
import { EVENT_UPCASTERS } from '../../domain/events';

/** A small installation: two users, an env, a team with a member, one of them renamed and one removed. */
async function populate(deps: CommandDeps): Promise<{ owner: string; member: string; envId: string; teamId: string }> {
  const [owner, member, envId, teamId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const ctx = context(owner);
  const register = (userId: string, email: string) =>
    handleKeyedCommand(deps, ctx, users, userId, {
      type: 'RegisterUser',
      userId,
      email,
      passwordHash: 'h',
      isActive: true,
      isSuperuser: false,
    });
  await register(owner, 'owner@example.com');
  await register(member, 'member@example.com');
  await handleKeyedCommand(deps, ctx, envs, envId, {
    type: 'CreateEnv',
    envId,
    ownerId: owner,
    name: 'prod',
    description: null,
    useRetention: false,
    retentionConfiguration: null,
  });
  await handleKeyedCommand(deps, ctx, users, owner, { type: 'SetActiveEnv', envId });
  await handleKeyedCommand(deps, ctx, teams, teamId, {
    type: 'CreateTeam',
    teamId,
    envId,
    ownerId: owner,
    name: 'Data',
    description: 'ETL',
  });
  await handleKeyedCommand(deps, ctx, teams, teamId, { type: 'AddMembers', members: [{ userId: member, role: 'member' }] });
  await handleKeyedCommand(deps, ctx, teams, teamId, { type: 'UpdateTeam', name: 'Data Engineering' });
  const gone = randomUUID();
  await handleKeyedCommand(deps, ctx, teams, gone, {
    type: 'CreateTeam',
    teamId: gone,
    envId,
    ownerId: owner,
    name: 'Temp',
    description: null,
  });
  await handleKeyedCommand(deps, ctx, teams, gone, { type: 'DeleteTeam' });
  return { owner, member, envId, teamId };
}

const snapshot = async (readStore: ReadStore): Promise<unknown> => {
  const result: Record<string, unknown> = {};
  for (const projection of allProjections) {
    for (const collection of Object.keys(projection.collections)) {
      result[collection] = (await readStore.find(collection, { sort: [] })).items;
    }
  }
  return result;
};

/** The projection runner's promises, run against one read store adapter. */
export function projectionRunnerSuite(test: TestFn, name: string, open: () => Promise<ReadStore>): void {
  test(`${name}: read models reflect the commands once the runner reached their position`, async (t) => {
    const deps = commandDeps();
    const readStore = await open();
    const runner = await startProjectionRunner({ store: deps.store, readStore, projections: allProjections, upcasters: EVENT_UPCASTERS });
    const { owner, member, envId, teamId } = await populate(deps);
    await runner.waitFor((await deps.store.headPosition())!);
    t.true(runner.caughtUp());

    t.like(await readStore.get('users', owner), { email: 'owner@example.com', is_active: true, is_superuser: false, active_env_id: envId });
    t.false('passwordHash' in ((await readStore.get('users', owner)) ?? {}));
    t.like(await readStore.get('envs', envId), { name: 'prod', owner_id: owner, use_retention: false });
    t.like(await readStore.get('teams', teamId), { name: 'Data Engineering', description: 'ETL', env_id: envId });
    const teamsInEnv = await readStore.find('teams', { where: { env_id: envId } });
    t.is(teamsInEnv.total, 1, 'the deleted team is gone');
    const members = await readStore.find('team_members', { where: { team_id: teamId }, sort: [{ field: 'role', direction: 'desc' }] });
    t.deepEqual(
      members.items.map((m) => [m['user_id'], m['role']]),
      [
        [owner, 'owner'],
        [member, 'member'],
      ],
    );
    await runner.stop();
    await readStore.close();
    await deps.store.close();
  });

  test(`${name}: replaying any event changes nothing, and a rebuild gives the same read models`, async (t) => {
    const deps = commandDeps();
    const readStore = await open();
    const runner = await startProjectionRunner({ store: deps.store, readStore, projections: allProjections, upcasters: EVENT_UPCASTERS });
    await populate(deps);
    await runner.waitFor((await deps.store.headPosition())!);
    const before = await snapshot(readStore);

    const log = await deps.store.readAll('start', 10_000);
    for (const event of log) await readStore.apply(projectBatch(allProjections, EVENT_UPCASTERS, [event]));
    await readStore.apply(projectBatch(allProjections, EVENT_UPCASTERS, log));
    t.deepEqual(await snapshot(readStore), before);

    await runner.rebuild();
    await runner.waitFor((await deps.store.headPosition())!);
    t.deepEqual(await snapshot(readStore), before);
    await runner.stop();
    await readStore.close();
    await deps.store.close();
  });

  test(`${name}: a restarted runner resumes from its checkpoint`, async (t) => {
    const deps = commandDeps();
    const readStore = await open();
    const first = await startProjectionRunner({ store: deps.store, readStore, projections: allProjections, upcasters: EVENT_UPCASTERS });
    const { teamId, member } = await populate(deps);
    await first.waitFor((await deps.store.headPosition())!);
    await first.stop();
    const checkpoint = await readStore.getCheckpoint('projections');
    t.is(checkpoint, await deps.store.headPosition());

    await handleKeyedCommand(deps, context(), teams, teamId, { type: 'RemoveMember', userId: member });
    const second = await startProjectionRunner({ store: deps.store, readStore, projections: allProjections, upcasters: EVENT_UPCASTERS });
    await second.waitFor((await deps.store.headPosition())!);
    t.true(second.caughtUp());
    t.is((await readStore.find('team_members', { where: { team_id: teamId } })).total, 1);
    await second.stop();
    await readStore.close();
    await deps.store.close();
  });
}
