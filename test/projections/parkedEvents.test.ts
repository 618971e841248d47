import test from 'ava';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { connectors, envs, teams } from '../../commands/aggregates';
import type { CommandDeps } from '../../commands/handleCommand';
import { handleKeyedCommand } from '../../commands/keyedCommand';
import { EVENT_UPCASTERS } from '../../domain/events';
import { allProjections } from '../../projections/allProjections';
import type { ParkedEventDoc } from '../../projections/operations/parkedEvents';
import type { Projection } from '../../projections/projection';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { mongoReadStore } from '../../projections/readstore/mongoReadStore';
import type { ReadStore } from '../../projections/readStore';
import { startProjectionRunner, type ProjectionRunner } from '../../projections/runner';
import { testServer } from '../fixtures/testServers';
import { commandDeps, context } from '../commands/commandFixtures';

const POISON = 'poison';

/** A read model whose writer throws on one team name: an event no read model can be written from. */
const poisoned: Projection = {
  name: 'poisoned',
  collections: {},
  project: (event) => {
    if (event.type === 'TeamCreated' && event.data.name === POISON) throw new Error('this projection cannot write a poisoned team');
    return [];
  },
};

const createTeam = async (deps: CommandDeps, envId: string, name: string): Promise<string> => {
  const teamId = randomUUID();
  await handleKeyedCommand(deps, context(), teams, teamId, { type: 'CreateTeam', teamId, envId, ownerId: 'u-1', name, description: null });
  return teamId;
};

const createEnv = async (deps: CommandDeps): Promise<string> => {
  const envId = randomUUID();
  await handleKeyedCommand(deps, context(), envs, envId, {
    type: 'CreateEnv',
    envId,
    ownerId: 'u-1',
    name: `env-${envId.slice(0, 8)}`,
    description: null,
    useRetention: false,
    retentionConfiguration: null,
  });
  return envId;
};

const runnerOver = (
  deps: CommandDeps,
  readStore: ReadStore,
  { parked = [], errors = [], projections = [...allProjections, poisoned], attemptsBeforeParking }: RunnerOptions = {},
) =>
  startProjectionRunner({
    store: deps.store,
    readStore,
    projections,
    upcasters: EVENT_UPCASTERS,
    onParked: (doc) => parked.push(doc),
    onError: (error) => errors.push(error),
    ...(attemptsBeforeParking !== undefined ? { attemptsBeforeParking } : {}),
  });

interface RunnerOptions {
  readonly parked?: ParkedEventDoc[];
  readonly errors?: unknown[];
  readonly projections?: readonly Projection[];
  readonly attemptsBeforeParking?: number;
}

const reachHead = async (deps: CommandDeps, runner: ProjectionRunner): Promise<void> =>
  runner.waitFor((await deps.store.headPosition()) ?? 0n, 15_000);

test('an event no read model can be written from is parked on its third try, and the events after it are projected', async (t) => {
  const deps = commandDeps();
  const readStore = memoryReadStore();
  const reported: ParkedEventDoc[] = [];
  const errors: unknown[] = [];
  const runner = await runnerOver(deps, readStore, { parked: reported, errors });
  const envId = await createEnv(deps);
  const before = await createTeam(deps, envId, 'before');
  const poison = await createTeam(deps, envId, POISON);
  const after = await createTeam(deps, envId, 'after');
  await reachHead(deps, runner);

  t.like(await readStore.get('teams', before), { name: 'before' });
  t.like(await readStore.get('teams', after), { name: 'after' }, 'the event after the parked one is projected');
  t.is(await readStore.get('teams', poison), undefined, 'nothing of the parked event is written');
  const [parked] = runner.parked();
  t.like(parked, { event_type: 'TeamCreated', stream_id: `team-${poison}`, error: 'Error: this projection cannot write a poisoned team' });
  t.deepEqual(reported, runner.parked());
  t.is(runner.parked().length, 1);
  t.is(errors.length, 2 + 1, 'its batch failed, then the event alone twice; the third time it was parked');
  t.is(await readStore.getCheckpoint('projections'), await deps.store.headPosition());

  // A restarted runner still knows it (it is stored beside the read models); a rebuild tries it again.
  await runner.stop();
  const restarted = await runnerOver(deps, readStore, { projections: allProjections });
  t.deepEqual(restarted.parked(), runner.parked());
  await restarted.rebuild();
  await reachHead(deps, restarted);
  t.deepEqual(restarted.parked(), []);
  t.like(await readStore.get('teams', poison), { name: POISON }, 'without the faulty writer, the rebuild projects it');
  await restarted.stop();
  await deps.store.close();
});

test('a read store that does not answer parks nothing: the read models catch up once it is back', async (t) => {
  const deps = commandDeps();
  const base = memoryReadStore();
  let down = false;
  const unavailable = async (): Promise<never> => {
    throw new Error('read store unavailable');
  };
  const flaky: ReadStore = {
    ...base,
    apply: (ops) => (down ? unavailable() : base.apply(ops)),
    getCheckpoint: (name) => (down ? unavailable() : base.getCheckpoint(name)),
    setCheckpoint: (name, position) => (down ? unavailable() : base.setCheckpoint(name, position)),
  };
  // Parked on the first failure of an event alone, were the store's silence not told apart.
  const runner = await runnerOver(deps, flaky, { attemptsBeforeParking: 1 });
  const envId = await createEnv(deps);
  await reachHead(deps, runner);
  down = true;
  const teamIds = [await createTeam(deps, envId, 'one'), await createTeam(deps, envId, 'two')];
  // Long enough for a few tries (after 500 ms, 1 s, 2 s).
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  down = false;
  await reachHead(deps, runner);
  t.deepEqual(runner.parked(), []);
  for (const teamId of teamIds) t.truthy(await base.get('teams', teamId));
  await runner.stop();
  await deps.store.close();
});

test('on a MongoDB-wire server, a value the server refuses to store parks its event; the others go on', async (t) => {
  const url = testServer('POPSINK_MONGO_URL');
  const database = `popsink_parked_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const deps = commandDeps();
  const readStore = await mongoReadStore(url, { database });
  t.teardown(async () => {
    await readStore.close();
    await deps.store.close();
    const client = await MongoClient.connect(url);
    await client
      .db(database)
      .dropDatabase()
      .finally(() => client.close());
  });
  const runner = await runnerOver(deps, readStore, { projections: allProjections });
  const envId = await createEnv(deps);
  const teamId = await createTeam(deps, envId, 'data');
  // The connectors service refuses such a config; a command sent past it (an old event, another
  // writer of the log) must still not stall every read model.
  const connectorId = randomUUID();
  await handleKeyedCommand(deps, context(), connectors, connectorId, {
    type: 'CreateConnector',
    connectorId,
    teamId,
    connectorType: 'KAFKA_SOURCE',
    name: 'nested',
    config: { topic: 'orders', bootstrap_servers: 'kafka:9092', nested: [[1, 2], [3]] },
  });
  const later = await createTeam(deps, envId, 'later');
  await reachHead(deps, runner);

  t.like(await readStore.get('teams', later), { name: 'later' });
  t.is(runner.parked().length, 1, JSON.stringify(runner.parked()));
  t.like(runner.parked()[0], { event_type: 'ConnectorCreated', stream_id: `connector-${connectorId}` });
  await runner.stop();
});
