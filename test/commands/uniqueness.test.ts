import test from 'ava';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { connectors, envs, pipelines, teams, users } from '../../commands/aggregates';
import { handleKeyedCommand } from '../../commands/keyedCommand';
import { commandDeps, context } from './commandFixtures';

const register = (userId: string, email: string) =>
  ({ type: 'RegisterUser', userId, email, passwordHash: 'h', isActive: true, isSuperuser: false }) as const;
const env = (name: string) =>
  ({
    type: 'CreateEnv',
    envId: 'unused',
    ownerId: 'u-1',
    name,
    description: null,
    useRetention: false,
    retentionConfiguration: null,
  }) as const;
const team = (teamId: string, envId: string, name: string) =>
  ({ type: 'CreateTeam', teamId, envId, ownerId: 'u-1', name, description: null }) as const;

test('two concurrent registrations of one email: exactly one wins', async (t) => {
  const deps = commandDeps();
  const outcomes = await Promise.all(
    ['u-1', 'u-2', 'u-3'].map((id) => handleKeyedCommand(deps, context(), users, id, register(id, 'Jane@example.com'))),
  );
  t.is(outcomes.filter(isRight).length, 1);
  for (const o of outcomes.filter(isLeft)) t.is(o.left.code, 'REGISTER_USER_ALREADY_EXISTS');
});

test('emails are compared normalised', async (t) => {
  const deps = commandDeps();
  t.true(isRight(await handleKeyedCommand(deps, context(), users, 'u-1', register('u-1', 'jane@example.com'))));
  const second = await handleKeyedCommand(deps, context(), users, 'u-2', register('u-2', ' JANE@example.com'));
  t.true(isLeft(second) && second.left.code === 'REGISTER_USER_ALREADY_EXISTS');
});

test('deleting a user releases the email', async (t) => {
  const deps = commandDeps();
  await handleKeyedCommand(deps, context(), users, 'u-1', register('u-1', 'jane@example.com'));
  t.true(isRight(await handleKeyedCommand(deps, context(), users, 'u-1', { type: 'DeleteUser' })));
  t.true(isRight(await handleKeyedCommand(deps, context(), users, 'u-2', register('u-2', 'jane@example.com'))));
});

test('changing an email takes the new one and frees the old one', async (t) => {
  const deps = commandDeps();
  await handleKeyedCommand(deps, context(), users, 'u-1', register('u-1', 'jane@example.com'));
  await handleKeyedCommand(deps, context(), users, 'u-2', register('u-2', 'john@example.com'));
  const taken = await handleKeyedCommand(deps, context(), users, 'u-1', { type: 'ChangeEmail', email: 'john@example.com' });
  t.true(isLeft(taken) && taken.left.code === 'UPDATE_USER_EMAIL_ALREADY_EXISTS');
  t.true(isRight(await handleKeyedCommand(deps, context(), users, 'u-1', { type: 'ChangeEmail', email: 'jane.doe@example.com' })));
  t.true(isRight(await handleKeyedCommand(deps, context(), users, 'u-3', register('u-3', 'jane@example.com'))));
});

test('env names are unique; renaming frees the old name; re-saving the same name keeps it', async (t) => {
  const deps = commandDeps();
  t.true(isRight(await handleKeyedCommand(deps, context(), envs, 'e-1', { ...env('prod'), envId: 'e-1' })));
  const dup = await handleKeyedCommand(deps, context(), envs, 'e-2', { ...env('prod'), envId: 'e-2' });
  t.true(isLeft(dup) && dup.left.code === 'ENV_NAME_ALREADY_EXISTS');
  t.true(isRight(await handleKeyedCommand(deps, context(), envs, 'e-1', { type: 'UpdateEnv', name: 'prod', description: 'same name' })));
  const stillTaken = await handleKeyedCommand(deps, context(), envs, 'e-2', { ...env('prod'), envId: 'e-2' });
  t.true(isLeft(stillTaken));
  t.true(isRight(await handleKeyedCommand(deps, context(), envs, 'e-1', { type: 'UpdateEnv', name: 'production' })));
  t.true(isRight(await handleKeyedCommand(deps, context(), envs, 'e-2', { ...env('prod'), envId: 'e-2' })));
});

test('team names are unique within an env, not across envs; deleting frees the name', async (t) => {
  const deps = commandDeps();
  t.true(isRight(await handleKeyedCommand(deps, context(), teams, 't-1', team('t-1', 'e-1', 'Data'))));
  const dup = await handleKeyedCommand(deps, context(), teams, 't-2', team('t-2', 'e-1', 'Data'));
  t.true(isLeft(dup) && dup.left.code === 'TEAM_NAME_ALREADY_EXISTS');
  t.true(isRight(await handleKeyedCommand(deps, context(), teams, 't-3', team('t-3', 'e-2', 'Data'))));
  t.true(isRight(await handleKeyedCommand(deps, context(), teams, 't-1', { type: 'DeleteTeam' })));
  t.true(isRight(await handleKeyedCommand(deps, context(), teams, 't-2', team('t-2', 'e-1', 'Data'))));
});

test('a refused create gives its name back', async (t) => {
  const deps = commandDeps();
  await handleKeyedCommand(deps, context(), teams, 't-1', team('t-1', 'e-1', 'Data'));
  const again = await handleKeyedCommand(deps, context(), teams, 't-1', team('t-1', 'e-1', 'Other'));
  t.true(isLeft(again) && again.left.code === 'TEAM_ALREADY_EXISTS');
  t.true(isRight(await handleKeyedCommand(deps, context(), teams, 't-2', team('t-2', 'e-1', 'Other'))));
});

test('connector and pipeline names are unique within a team', async (t) => {
  const deps = commandDeps();
  const connector = (connectorId: string, teamId: string) =>
    ({ type: 'CreateConnector', connectorId, teamId, connectorType: 'KAFKA_SOURCE', name: 'src', config: {} }) as const;
  t.true(isRight(await handleKeyedCommand(deps, context(), connectors, 'c-1', connector('c-1', 't-1'))));
  const dupConnector = await handleKeyedCommand(deps, context(), connectors, 'c-2', connector('c-2', 't-1'));
  t.true(isLeft(dupConnector) && dupConnector.left.code === 'CONNECTOR_NAME_ALREADY_EXISTS');
  t.true(isRight(await handleKeyedCommand(deps, context(), connectors, 'c-3', connector('c-3', 't-2'))));

  const settings = {
    sourceConnectorId: 'c-1',
    targetConnectorId: 'c-3',
    ownsSource: false,
    ownsTarget: false,
    subscriptions: [{ id: 's-1', consumer_id: 'g-1', backfill: false, mapper_config: [] }],
    datamodel: { id: 'd-1' },
  };
  const pipeline = (pipelineId: string, name: string) => ({ type: 'CreatePipeline', pipelineId, teamId: 't-1', name, settings }) as const;
  t.true(isRight(await handleKeyedCommand(deps, context(), pipelines, 'p-1', pipeline('p-1', 'orders'))));
  const dupPipeline = await handleKeyedCommand(deps, context(), pipelines, 'p-2', pipeline('p-2', 'orders'));
  t.true(isLeft(dupPipeline) && dupPipeline.left.code === 'PIPELINE_NAME_ALREADY_EXISTS');
  t.true(isRight(await handleKeyedCommand(deps, context(), pipelines, 'p-1', { type: 'UpdatePipeline', name: 'orders-v2' })));
  t.true(isRight(await handleKeyedCommand(deps, context(), pipelines, 'p-2', pipeline('p-2', 'orders'))));
});
