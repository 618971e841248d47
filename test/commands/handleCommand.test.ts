import test from 'ava';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { handleCommand } from '../../commands/handleCommand';
import { CorruptEventError } from '../../commands/eventstore/decodeRecorded';
import { teamDecider } from '../../domain/team/team';
import { commandDeps, context } from './commandFixtures';

const createTeam = { type: 'CreateTeam', teamId: 't-1', envId: 'e-1', ownerId: 'owner', name: 'Team', description: null } as const;

test('a command becomes events carrying actor, correlation, causation, time and the version of their shape', async (t) => {
  const deps = { ...commandDeps(), now: () => new Date('2025-11-19T10:30:00Z') };
  const outcome = await handleCommand(deps, teamDecider, 'team-t-1', createTeam, { actorId: 'u-9', correlationId: 'req-1' });
  t.true(isRight(outcome));
  const [stored] = await deps.store.readStream('team-t-1');
  t.is(stored?.type, 'TeamCreated');
  t.deepEqual(stored?.metadata, {
    actorId: 'u-9',
    correlationId: 'req-1',
    causationId: 'req-1',
    time: '2025-11-19T10:30:00.000Z',
    schemaVersion: 1,
  });
});

test('a refused command appends nothing', async (t) => {
  const deps = commandDeps();
  const outcome = await handleCommand(deps, teamDecider, 'team-t-1', { type: 'RemoveMember', userId: 'x' }, context());
  t.true(isLeft(outcome) && outcome.left.code === 'TEAM_NOT_FOUND');
  t.deepEqual(await deps.store.readStream('team-t-1'), []);
});

test('concurrent commands on one stream are retried on conflict until all apply', async (t) => {
  const deps = commandDeps(50);
  await handleCommand(deps, teamDecider, 'team-t-1', createTeam, context());
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      handleCommand(deps, teamDecider, 'team-t-1', { type: 'AddMembers', members: [{ userId: `m-${i}`, role: 'member' }] }, context()),
    ),
  );
  t.true(outcomes.every(isRight));
  t.is((await deps.store.readStream('team-t-1')).length, 11);
});

test('with retries exhausted a conflict is answered CONCURRENT_MODIFICATION', async (t) => {
  const deps = commandDeps(0);
  await handleCommand(deps, teamDecider, 'team-t-1', createTeam, context());
  const outcomes = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      handleCommand(deps, teamDecider, 'team-t-1', { type: 'AddMembers', members: [{ userId: `m-${i}`, role: 'member' }] }, context()),
    ),
  );
  const refused = outcomes.filter(isLeft);
  t.true(refused.length >= 1);
  t.true(refused.every((o) => o.left.kind === 'conflict' && o.left.code === 'CONCURRENT_MODIFICATION'));
  t.is((await deps.store.readStream('team-t-1')).length, 1 + outcomes.filter(isRight).length);
});

test('an event that does not decode when read back is refused, not trusted', async (t) => {
  const deps = commandDeps();
  await deps.store.append(
    'team-t-1',
    [
      {
        id: 'bad-1',
        type: 'TeamCreated',
        data: { teamId: 42 },
        metadata: { actorId: 'a', correlationId: 'c', causationId: 'c', time: 't' },
      },
    ],
    'no_stream',
  );
  await t.throwsAsync(handleCommand(deps, teamDecider, 'team-t-1', { type: 'DeleteTeam' }, context()), { instanceOf: CorruptEventError });
});
