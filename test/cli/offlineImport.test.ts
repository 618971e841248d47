import test from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../commands/commandFixtures';
import { ADMIN, asRecord, startApi, type Api } from '../http/apiFixtures';
import { runCli } from './cliFixtures';

/**
 * `popsink export` streams the document into a file; `popsink import FILE --data-dir DIR` writes
 * it into the empty log of an installation that never started, whose first start then serves it.
 */
const SECRET_KEY = randomBytes(32).toString('base64');
let source: Api | undefined;
const started: Api[] = [];

test.after.always(async () => {
  await source?.stop();
  for (const api of started) await api.stop();
});

type Body = Record<string, unknown>;

test('export with the CLI, import offline, start: the same installation; refusals write nothing', async (t) => {
  source = await startApi({ env: { POPSINK_SECRET_KEY: SECRET_KEY } });
  const admin = await source.login(ADMIN.email, ADMIN.password);
  const env = asRecord((await source.request('POST', '/envs/', { token: admin, json: { name: 'prod' } })).body);
  const team = asRecord((await source.request('POST', '/teams/', { token: admin, json: { name: 'data', env_id: env['id'] } })).body);
  const pipeline = asRecord(
    (
      await source.request('POST', '/pipelines/', {
        token: admin,
        json: {
          name: 'orders',
          team_id: team['id'],
          source_name: 's',
          source_type: 'KAFKA_SOURCE',
          source_config: { topic: 'o', bootstrap_servers: 'kafka:9092' },
          target_name: 'd',
          target_type: 'KAFKA_TARGET',
          target_config: { bootstrap_server: 'kafka:9092' },
        },
      })
    ).body,
  );
  await source.request('POST', `/pipelines/${String(pipeline['id'])}/start`, { token: admin });

  const file = join(tempDir(), 'installation.json');
  const exported = await runCli(['export', '--out', file, '--json'], { POPSINK_TOKEN: admin, POPSINK_SERVER: source.url });
  t.is(exported.code, 0, exported.stderr);
  t.is(statSync(file).mode & 0o777, 0o600);

  const refusedKey = tempDir();
  const otherKey = await runCli(['import', file, '--data-dir', refusedKey], { POPSINK_SECRET_KEY: randomBytes(32).toString('base64') });
  t.is(otherKey.code, 1);
  t.regex(otherKey.stderr, /SECRET_KEY_MISMATCH/);
  t.false(existsSync(join(refusedKey, 'archive')));
  const noKey = await runCli(['import', file, '--data-dir', tempDir()], {});
  t.is(noKey.code, 1);
  t.regex(noKey.stderr, /no secret key: set POPSINK_SECRET_KEY/);

  const dataDir = tempDir();
  const imported = await runCli(['import', file, '--data-dir', dataDir, '--json'], { POPSINK_SECRET_KEY: SECRET_KEY });
  t.is(imported.code, 0, imported.stderr);
  t.like(JSON.parse(imported.stdout) as Body, { pipelines_paused: 1 });
  const again = await runCli(['import', file, '--data-dir', dataDir], { POPSINK_SECRET_KEY: SECRET_KEY });
  t.is(again.code, 1);
  t.regex(again.stderr, /not empty/);
  t.is((await runCli(['import', file, '--replace'], { POPSINK_TOKEN: admin })).code, 2, 'a replace needs its confirmation');

  // Not the key of the document's installation: the one of the running one, the same here.
  const target = await startApi({ env: { POPSINK_SECRET_KEY: SECRET_KEY, POPSINK_DATA_DIR: dataDir } });
  started.push(target);
  const adminThere = await target.login(ADMIN.email, ADMIN.password);
  const here = asRecord((await source.request('GET', `/pipelines/${String(pipeline['id'])}`, { token: admin })).body);
  const there = asRecord((await target.request('GET', `/pipelines/${String(pipeline['id'])}`, { token: adminThere })).body);
  t.deepEqual({ ...there, state: 'live', updated_at: '' }, { ...here, state: 'live', updated_at: '' });
  t.is(there['state'], 'paused');
  t.deepEqual(
    (await target.request('GET', '/users/me', { token: adminThere })).body,
    (await source.request('GET', '/users/me', { token: admin })).body,
  );
});
