import test from 'ava';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import { userStream } from '../../commands/streams';
import { allProjections } from '../../projections/allProjections';
import { startProjectionRunner } from '../../projections/runner';
import { mongoReadStore } from '../../projections/readstore/mongoReadStore';
import { tempDir } from './commandFixtures';
import { EVENT_UPCASTERS } from '../../domain/events';

const mongoUrl = process.env['POPSINK_MONGO_URL'];

test('after SIGKILL mid-append every acknowledged event is there and the read model matches the log', async (t) => {
  if (mongoUrl === undefined) return t.fail('POPSINK_MONGO_URL is not set: run the suite with `npm test`, which starts FerretDB');
  const dataDir = tempDir();
  const database = `crash_${randomUUID().replaceAll('-', '')}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/appender.ts', dataDir, mongoUrl, database], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acknowledged: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`appender exited early with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, userId] = line.split(' ');
      if (word === 'ack' && userId !== undefined) acknowledged.push(userId);
      if (acknowledged.length === 300) resolve();
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;

  const store = sqliteEventStore(join(dataDir, 'events.db'));
  t.teardown(() => store.close());
  for (const userId of acknowledged) {
    const [registered] = await store.readStream(userStream(userId));
    t.is(registered?.type, 'UserRegistered', `acknowledged user ${userId} is in the log`);
  }
  const log = await store.readAll('start', 1_000_000);
  const inLog = log.filter((e) => e.type === 'UserRegistered').map((e) => (e.data as { userId: string }).userId);
  t.true(inLog.length >= acknowledged.length);

  // The killed process was projecting into MongoDB; a restarted runner resumes from its checkpoint.
  const readStore = await mongoReadStore(mongoUrl, { database });
  t.teardown(() => readStore.close());
  const runner = await startProjectionRunner({ store, readStore, projections: allProjections, upcasters: EVENT_UPCASTERS });
  t.teardown(() => runner.stop());
  await runner.waitFor((await store.headPosition())!, 30_000);
  const projected = await readStore.find('users', { limit: 1_000_000 });
  t.deepEqual(projected.items.map((u) => u.id).sort(), [...inLog].sort());
  t.is(projected.total, inLog.length);
});
