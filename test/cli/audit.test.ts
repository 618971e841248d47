import test from 'ava';
import { randomUUID } from 'node:crypto';
import { asRecord, startApi, type Api } from '../http/apiFixtures';
import { createPipeline, jsonLines, runCli } from './cliFixtures';

// `popsink audit` reads the event log the running API writes (its POPSINK_DATA_DIR), not its read models.
let api: Api;
let env: Record<string, string>;
const alice = `alice-${randomUUID().slice(0, 8)}@example.com`;
const bob = `bob-${randomUUID().slice(0, 8)}@example.com`;
let aliceId: string;
let pipelineId: string;
let teamId: string;
let between: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test.before(async () => {
  api = await startApi();
  env = { POPSINK_DATA_DIR: api.dataDir };
  aliceId = (await api.register(alice)).id;
  const aliceToken = await api.login(alice);
  await api.request('POST', '/envs/', { token: aliceToken, json: { name: `env-${randomUUID()}` } });
  teamId = String(asRecord((await api.request('POST', '/teams/', { token: aliceToken, json: { name: 'Audited Team' } })).body)['id']);
  pipelineId = await createPipeline(api, aliceToken, teamId, 'audited-pipeline');
  await api.request('PATCH', `/pipelines/${pipelineId}`, { token: aliceToken, json: { subscription_backfill: true } });
  await sleep(50);
  between = new Date().toISOString();
  await sleep(50);
  await api.register(bob);
  const bobToken = await api.login(bob);
  await api.request('POST', '/envs/', { token: bobToken, json: { name: `env-${randomUUID()}` } });
});
test.after.always(async () => {
  await api?.stop();
});

test('audit --json: one line per event with actor email, type, resource; no secret nor sealed value', async (t) => {
  const run = await runCli(['audit', '--json'], env);
  t.is(run.code, 0, run.stderr);
  const entries = jsonLines(run.stdout);
  const types = entries.map((entry) => entry['event_type']);
  for (const type of ['UserRegistered', 'EnvCreated', 'TeamCreated', 'ConnectorCreated', 'PipelineCreated', 'PipelineReconfigured'])
    t.true(types.includes(type), type);
  t.false(types.includes('ReservationClaimed'));
  const pipeline = entries.find((entry) => entry['event_type'] === 'PipelineCreated');
  t.like(pipeline, {
    actor_id: aliceId,
    actor_email: alice,
    resource_type: 'pipeline',
    resource_id: pipelineId,
    stream_id: `pipeline-${pipelineId}`,
  });
  t.is(typeof pipeline?.['time'], 'string');
  // Connector configs are sealed in the log: their fields are named, never shown.
  const source = entries.find(
    (entry) => entry['event_type'] === 'ConnectorCreated' && asRecord(entry['details'])['name'] === 'audited-pipeline-source',
  );
  t.true((source?.['changed_fields'] as string[]).includes('config.sasl_password'));
  const reconfigured = entries.find((entry) => entry['event_type'] === 'PipelineReconfigured');
  t.true(
    (reconfigured?.['changed_fields'] as string[]).some((field) => field.endsWith('.backfill')),
    JSON.stringify(reconfigured),
  );
  for (const leak of ['secret-kafka-audited-pipeline', 'secret-oracle-audited-pipeline', 'sealed:', 'passwordHash":"', 'scrypt'])
    t.false(run.stdout.includes(leak), leak);
});

test('audit text: who did what when, one line per event', async (t) => {
  const run = await runCli(['audit', '--resource', pipelineId], env);
  t.is(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  t.true(lines.length >= 2);
  t.true(
    lines.every((line) => line.includes(`pipeline:${pipelineId}`)),
    run.stdout,
  );
  t.regex(
    lines[0] ?? '',
    new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+  ${alice}  PipelineCreated  pipeline:${pipelineId}  .*name="audited-pipeline"`),
  );
  t.true(
    lines.some((line) => /PipelineReconfigured .*changed: settings\.subscriptions\[0\]\.backfill/.test(line.replaceAll('  ', ' '))),
    run.stdout,
  );
  t.false(run.stdout.includes('secret-kafka-audited-pipeline'));
});

test('audit --since / --until: a time range', async (t) => {
  const after = jsonLines((await runCli(['audit', '--json', '--since', between], env)).stdout);
  t.true(after.length > 0);
  t.true(after.every((entry) => String(entry['time']) >= between));
  t.true(after.some((entry) => entry['actor_email'] === bob || asRecord(entry['details'])['email'] === bob));
  t.false(after.some((entry) => entry['actor_email'] === alice));
  const before = jsonLines((await runCli(['audit', '--json', '--until', between], env)).stdout);
  t.true(before.some((entry) => entry['event_type'] === 'PipelineCreated'));
  t.true(before.every((entry) => String(entry['time']) < between));
});

test('audit --user EMAIL|ID: what that user did', async (t) => {
  const byEmail = jsonLines((await runCli(['audit', '--json', '--user', alice.toUpperCase()], env)).stdout);
  t.true(byEmail.length >= 5);
  t.true(byEmail.every((entry) => entry['actor_id'] === aliceId));
  const byId = jsonLines((await runCli(['audit', '--json', '--user', aliceId], env)).stdout);
  t.deepEqual(byId, byEmail);
  const ranged = jsonLines((await runCli(['audit', '--json', '--user', alice, '--since', between], env)).stdout);
  t.deepEqual(ranged, []);
});

test('a connector secret, set then changed, is in clear in none of GET /user-logs, the connector history and popsink audit', async (t) => {
  // Its own user, env and team: the other tests of this file count what alice and bob did.
  const carol = `carol-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(carol);
  const token = await api.login(carol);
  await api.request('POST', '/envs/', { token, json: { name: `env-${randomUUID()}` } });
  const team = String(asRecord((await api.request('POST', '/teams/', { token, json: { name: 'Secret Keepers' } })).body)['id']);
  const config = {
    topic: 'a',
    bootstrap_servers: 'k:9092',
    security_protocol: 'SASL_PLAINTEXT',
    sasl_mechanism: 'PLAIN',
    sasl_username: 'u',
    sasl_password: 'audit-secret-1',
  };
  const connector = asRecord(
    (
      await api.request('POST', '/connectors/', {
        token,
        json: { name: 'audited-conn', team_id: team, connector_type: 'KAFKA_SOURCE', config },
      })
    ).body,
  );
  const id = String(connector['id']);
  t.is(
    (
      await api.request('PATCH', `/connectors/${id}`, {
        token,
        json: { config: { ...config, sasl_password: 'audit-secret-2', topic: 'b' } },
      })
    ).status,
    200,
  );

  const logs = await api.request('GET', `/user-logs?resource_id=${id}`, { token });
  const history = await api.request('GET', `/connectors/${id}/history`, { token });
  const json = await runCli(['audit', '--json', '--resource', id], env);
  const text = await runCli(['audit', '--resource', id], env);
  const outputs = { logs: JSON.stringify(logs.body), history: JSON.stringify(history.body), json: json.stdout, text: text.stdout };
  for (const [name, output] of Object.entries(outputs)) {
    t.true(output.includes('ConnectorUpdated'), `${name} shows the change`);
    for (const leak of ['audit-secret-1', 'audit-secret-2', 'sealed:']) t.false(output.includes(leak), `${name} holds ${leak}`);
  }
  const updated = (asRecord(logs.body)['items'] as { event_type: string; details: { config: Record<string, unknown> } }[]).find(
    (entry) => entry.event_type === 'ConnectorUpdated',
  );
  t.like(updated?.details.config, { sasl_password: '********', topic: 'b' });
  t.true(
    text.stdout.split('\n').some((line) => /ConnectorUpdated {2}connector:\S+ {2}.*changed: config\.topic$/.test(line)),
    text.stdout,
  );
});

test('audit exit codes: 2 on bad usage, 1 on an unknown user or a missing log', async (t) => {
  const usage = await Promise.all(
    [
      ['audit', '--since', 'yesterday'],
      ['audit', '--bogus'],
      ['audit', '--since', between, '--until', '2000-01-01T00:00:00Z'],
    ].map((args) => runCli(args, env)),
  );
  t.deepEqual(
    usage.map((run) => run.code),
    [2, 2, 2],
  );
  const unknown = await runCli(['audit', '--user', 'nobody@example.com'], env);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /no user with email nobody@example.com/);
  t.is((await runCli(['audit'], { POPSINK_DATA_DIR: `${api.dataDir}/missing` })).code, 1);
});
