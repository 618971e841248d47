import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, asRecord, startApi, startTeamApi, type Api } from '../http/apiFixtures';
import { createPipeline, jsonLines, runCli, tempHome } from './cliFixtures';

// The API-client commands, run as a script would, against a real API on an ephemeral port.
let api: Api;
let teamId: string;
let token: string;
let outsiderToken: string;
let pipelineId: string;
let server: string;
let home: string;
const owner = `cli-owner-${randomUUID().slice(0, 8)}@example.com`;

test.before(async () => {
  ({ api, teamId, outsiderToken } = await startTeamApi('cli', 'CLI Team'));
  server = api.url.replace(/\/api$/, '');
  await api.register(owner);
  token = await api.login(owner);
  await api.request('POST', '/envs/', { token, json: { name: `env-${randomUUID()}` } });
  teamId = String(asRecord((await api.request('POST', '/teams/', { token, json: { name: 'CLI Owned Team' } })).body)['id']);
  pipelineId = await createPipeline(api, token, teamId, 'cli-pipeline');
  home = tempHome();
  const login = await runCli(['login', '--email', owner, '--password', 'password-123', '--server', server, '--json'], { HOME: home });
  if (login.code !== 0) throw new Error(`login: ${login.code} ${login.stderr}`);
});
test.after.always(async () => {
  await api?.stop();
});

test('login saves the token in ~/.config/popsink/token, mode 0600; wrong password is refused (4); password from stdin', async (t) => {
  const file = join(home, '.config', 'popsink', 'token');
  t.is(statSync(file).mode & 0o777, 0o600);
  t.true(readFileSync(file, 'utf8').trim().length > 20);
  const otherHome = tempHome();
  const piped = await runCli(['login', '--email', owner, '--server', server, '--json'], { HOME: otherHome }, { input: 'password-123\n' });
  t.is(piped.code, 0, piped.stderr);
  t.like(jsonLines(piped.stdout)[0], { email: owner, token_file: join(otherHome, '.config', 'popsink', 'token') });
  t.false(piped.stdout.includes(readFileSync(join(otherHome, '.config', 'popsink', 'token'), 'utf8').trim()), 'the token is not printed');
  const wrong = await runCli(['login', '--email', owner, '--password', 'nope-nope-nope', '--server', server], { HOME: tempHome() });
  t.is(wrong.code, 4);
  t.regex(wrong.stderr, /LOGIN_BAD_CREDENTIALS/);
  t.is((await runCli(['login', '--server', server], { HOME: tempHome() })).code, 2);
});

test('pipelines list / start / pause with --json', async (t) => {
  const env = { HOME: home };
  const listed = await runCli(['pipelines', 'list', '--json', '--server', server], env);
  t.is(listed.code, 0, listed.stderr);
  t.like(
    jsonLines(listed.stdout).find((row) => row['id'] === pipelineId),
    { name: 'cli-pipeline', state: 'draft', team_id: teamId },
  );
  t.is(jsonLines((await runCli(['pipelines', 'list', '--json', '--state', 'live', '--server', server], env)).stdout).length, 0);
  const ofTeam = jsonLines((await runCli(['pipelines', 'list', '--json', '--team', teamId, '--server', server], env)).stdout);
  t.true(ofTeam.some((row) => row['id'] === pipelineId) && ofTeam.every((row) => row['team_id'] === teamId));

  const started = await runCli(['pipelines', 'start', pipelineId, '--json', '--server', server], env);
  t.is(started.code, 0, started.stderr);
  t.deepEqual(jsonLines(started.stdout), [{ id: pipelineId, state: 'building' }]);
  const paused = await runCli(['pipelines', 'pause', pipelineId, '--server', server], env);
  t.is(paused.code, 0, paused.stderr);
  t.is(paused.stdout.trim(), `pipeline ${pipelineId}: paused`);
  t.is(asRecord((await api.request('GET', `/pipelines/${pipelineId}`, { token })).body)['state'], 'paused');
  // Text list: one line per pipeline.
  const text = await runCli(['pipelines', 'list', '--team', teamId, '--server', server], { HOME: home });
  t.regex(text.stdout, new RegExp(`^${pipelineId}  paused\\s+cli-pipeline  CLI Owned Team$`, 'm'));
});

test('exit codes: 2 usage, 3 not found, 4 unauthenticated or forbidden, 1 API refusal or network', async (t) => {
  const env = { HOME: home };
  // Independent runs, side by side: each is a process of its own.
  const usage = await Promise.all(
    [
      ['pipelines'],
      ['pipelines', 'restart', pipelineId, '--server', server],
      ['pipelines', 'start', '--server', server],
      ['pipelines', 'list', '--bogus', '--server', server],
      ['nonsense'],
    ].map((args) => runCli(args, env)),
  );
  t.deepEqual(
    usage.map((run) => run.code),
    [2, 2, 2, 2, 2],
  );
  const [missing, badToken, anonymous, forbidden] = await Promise.all([
    runCli(['pipelines', 'start', randomUUID(), '--server', server], env),
    runCli(['pipelines', 'list', '--server', server], { HOME: tempHome(), POPSINK_TOKEN: 'not-a-token' }),
    runCli(['pipelines', 'list', '--server', server], { HOME: tempHome() }),
    runCli(['pipelines', 'pause', pipelineId, '--server', server], { HOME: tempHome(), POPSINK_TOKEN: outsiderToken }),
  ]);
  t.is(missing.code, 3);
  t.regex(missing.stderr, /HTTP 404: PIPELINE_NOT_FOUND/);
  t.is(badToken.code, 4);
  t.regex(badToken.stderr, /HTTP 401/);
  t.is(anonymous.code, 4, 'not logged in');
  t.true(forbidden.code === 4 || forbidden.code === 3, forbidden.stderr);
  // A draft cannot be paused: the API's 409 is a failure (1) with its reason on stderr.
  const draft = await createPipeline(api, token, teamId, 'cli-draft');
  const draftPause = await runCli(['pipelines', 'pause', draft, '--server', server], env);
  t.is(draftPause.code, 1);
  t.regex(draftPause.stderr, /HTTP 409/);
  const unreachable = await runCli(['pipelines', 'list', '--server', 'http://127.0.0.1:9'], env);
  t.is(unreachable.code, 1);
  t.regex(unreachable.stderr, /cannot reach/);
});

test('logs: the backlog by GET (--no-follow), 404 as 3; follows over the WebSocket until Ctrl-C (0)', async (t) => {
  const env = { HOME: home };
  const backlog = await runCli(['logs', pipelineId, '--no-follow', '--json', '--server', server], env);
  t.is(backlog.code, 0, backlog.stderr);
  t.is(backlog.stdout, '');
  t.is((await runCli(['logs', randomUUID(), '--no-follow', '--server', server], env)).code, 3);
  t.is((await runCli(['logs', pipelineId, '--lines', '0', '--server', server], env)).code, 2);
  // Following: once the WebSocket is open the tail says so on stderr; Ctrl-C ends it with 0.
  const followed = await runCli(['logs', pipelineId, '--server', server], env, {
    signalOn: { stderr: /following new lines/, signal: 'SIGINT' },
  });
  t.is(followed.code, 0, followed.stderr);
  const refused = await runCli(['logs', pipelineId, '--server', server], { HOME: tempHome(), POPSINK_TOKEN: outsiderToken });
  t.true(refused.code === 3 || refused.code === 4, refused.stderr);
});

test('export --out / import FILE [--merge] through the API (superuser), into a second installation with the same key', async (t) => {
  const secretKey = randomBytes(32).toString('base64');
  const source = await startApi({ env: { POPSINK_SECRET_KEY: secretKey } });
  // Its own superuser has another email: the document's would otherwise conflict with it.
  const targetAdmin = 'target-admin@example.com';
  const target = await startApi({ env: { POPSINK_SECRET_KEY: secretKey, POPSINK_ADMIN_EMAIL: targetAdmin } });
  try {
    const adminHome = tempHome();
    const sourceServer = source.url.replace(/\/api$/, '');
    const targetServer = target.url.replace(/\/api$/, '');
    t.is(
      (await runCli(['login', '--email', ADMIN.email, '--password', ADMIN.password, '--server', sourceServer], { HOME: adminHome })).code,
      0,
    );
    const adminToken = await source.login(ADMIN.email, ADMIN.password);
    await source.request('POST', '/envs/', { token: adminToken, json: { name: 'exported-env' } });
    const out = join(tempHome(), 'installation.json');
    const exported = await runCli(['export', '--out', out, '--json', '--server', sourceServer], { HOME: adminHome });
    t.is(exported.code, 0, exported.stderr);
    t.is(statSync(out).mode & 0o777, 0o600);
    t.like(jsonLines(exported.stdout)[0], { out });
    t.is((await runCli(['export', '--server', sourceServer], { HOME: adminHome })).code, 2);
    t.is((await runCli(['export', '--out', out, '--server', sourceServer], { HOME: home })).code, 4, 'not a superuser');

    const targetHome = tempHome();
    t.is(
      (await runCli(['login', '--email', targetAdmin, '--password', ADMIN.password, '--server', targetServer], { HOME: targetHome })).code,
      0,
    );
    const imported = await runCli(['import', out, '--json', '--server', targetServer], { HOME: targetHome });
    t.is(imported.code, 0, imported.stderr);
    t.true(Number(jsonLines(imported.stdout)[0]?.['events_appended']) > 0, imported.stdout);
    const envs = asRecord((await target.request('GET', '/envs/', { token: await target.login(targetAdmin, ADMIN.password) })).body);
    t.true(JSON.stringify(envs).includes('exported-env'));

    // A newer export into the now non-empty target: refused (1, the API's reason) unless --merge.
    await source.request('POST', '/envs/', { token: adminToken, json: { name: 'later-env' } });
    t.is((await runCli(['export', '--out', out, '--server', sourceServer], { HOME: adminHome })).code, 0);
    const refused = await runCli(['import', out, '--server', targetServer], { HOME: targetHome });
    t.is(refused.code, 1);
    t.regex(refused.stderr, /HTTP 409: INSTALLATION_NOT_EMPTY/);
    const merged = await runCli(['import', out, '--merge', '--server', targetServer], { HOME: targetHome });
    t.is(merged.code, 0, merged.stderr);
    t.is((await runCli(['import', join(home, 'missing.json'), '--server', targetServer], { HOME: targetHome })).code, 1);
    t.is((await runCli(['import', '--server', targetServer], { HOME: targetHome })).code, 2);
  } finally {
    await source.stop();
    await target.stop();
  }
});
