/**
 * The fuzz lane's fixtures (scripts/fuzz.sh): through the API, as a user would, an env, a team
 * with a member, two connectors, a pipeline with a second subscription, a spare user and a
 * service-account token per fuzzing user, so that the path ids schemathesis sends exist. Writes
 * one schemathesis configuration per fuzzing user (superuser, team member) into the directory
 * given, binding each operation's path parameters to those ids.
 *
 * Usage: tsx scripts/fuzzFixtures.ts <api base url> <admin email> <admin password> <output dir>
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [base = '', adminEmail = '', adminPassword = '', outDir = ''] = process.argv.slice(2);
if (outDir === '') throw new Error('usage: fuzzFixtures.ts <api base url> <admin email> <admin password> <output dir>');

async function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

async function login(email: string, password: string): Promise<string> {
  const response = await fetch(`${base}/auth/jwt/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }).toString(),
  });
  if (!response.ok) throw new Error(`login of ${email} answered ${response.status}`);
  return String(((await response.json()) as { access_token: string }).access_token);
}

const idOf = (body: Record<string, unknown>): string => String(body['id']);
// Addresses nothing listens on: checks and dry runs fail fast with a 400 instead of waiting on a host.
const source = { topic: 'fuzz-events', bootstrap_servers: '127.0.0.1:9', consumer_group_id: 'fuzz' };
const target = { host: '127.0.0.1', port: '9', database: 'fuzz', user: 'fuzz', password: 'fuzz-password' };
const mapper = [{ key: 'id', path: '$.id', cast: 'string', primary_key: true, nullable: false }];

const admin = await login(adminEmail, adminPassword);
const memberPassword = 'fuzz-member-password';
const member = idOf(await call('POST', '/auth/register', undefined, { email: 'fuzz-member@example.com', password: memberPassword }));
const spare = idOf(await call('POST', '/auth/register', undefined, { email: 'fuzz-spare@example.com', password: 'fuzz-spare-password' }));
const env = idOf(await call('POST', '/envs/', admin, { name: 'fuzz-env' }));
const team = idOf(await call('POST', '/teams/', admin, { name: 'fuzz-team', env_id: env }));
await call('POST', `/teams/${team}/members/bulk`, admin, { members: [member, spare] });
const sourceId = idOf(
  await call('POST', '/connectors/', admin, { name: 'fuzz-source', connector_type: 'KAFKA_SOURCE', team_id: team, config: source }),
);
const targetId = idOf(
  await call('POST', '/connectors/', admin, { name: 'fuzz-target', connector_type: 'POSTGRES_TARGET', team_id: team, config: target }),
);
const pipeline = await call('POST', '/pipelines/', admin, {
  name: 'fuzz-pipeline',
  team_id: team,
  existing_source_id: sourceId,
  existing_target_id: targetId,
  subscription_target_table_name: 'fuzz_rows',
  subscription_mapper_config: mapper,
});
const subscription = idOf(
  await call('POST', '/subscriptions/', admin, { pipeline_id: idOf(pipeline), target_table_name: 'fuzz_more', mapper_config: mapper }),
);
const memberToken = await login('fuzz-member@example.com', memberPassword);
const tokenIdOf = async (token: string) =>
  idOf(await call('POST', '/users/me/service-account-token', token, { name: 'fuzz', expires_in_days: 1 }));

/** Path parameters by path prefix: `{id}` names a different resource under each. */
const ids = (tokenId: string): [string, Record<string, string>][] => [
  ['/envs/{id}', { id: env }],
  ['/teams/{id}', { id: team, userId: spare }],
  ['/connectors/{id}', { id: sourceId }],
  ['/pipelines/{id}', { id: idOf(pipeline) }],
  ['/subscriptions/{id}', { id: subscription }],
  ['/datamodels/{id}', { id: String(pipeline['datamodel_id']) }],
  ['/users/{id}', { id: spare }],
  ['/users/me/service-account-tokens/{tokenId}', { tokenId }],
  ['/docs/{file}', { file: 'swagger-ui.css' }],
];
const toml = (tokenId: string): string =>
  ids(tokenId)
    .map(([path, parameters]) => {
      const bound = Object.entries(parameters)
        .map(([name, value]) => `"path.${name}" = "${value}"`)
        .join(', ');
      return `[[operations]]\ninclude-path-regex = "^${path.replace(/[{}]/g, '\\\\$&')}"\nparameters = { ${bound} }\n`;
    })
    .join('\n');

// The fixture's target has no server on purpose: error rows then answer their documented 503
// ERROR_TABLE_UNREACHABLE, which is no server fault.
const unreachable = `[[operations]]\ninclude-path-regex = "/error-rows"\nchecks = { not_a_server_error = { expected-statuses = ["2xx", "3xx", "4xx", "503"] } }\n`;
// The document is the contract the lane holds the API to. schemathesis also learns rules from 4xx
// bodies: our FastAPI-shaped `value_error.email` made it assume JSON Schema's `email` format (ASCII
// only, no padding) and report an accepted `ß@ä.mí` as a schema violation that the document does not
// state. Learning from errors is off, so every finding is one against the document.
const settings = `[phases.fuzzing.error-feedback]\nenabled = false\n`;
writeFileSync(join(outDir, 'superuser.toml'), `${settings}\n${toml(await tokenIdOf(admin))}\n${unreachable}`);
writeFileSync(join(outDir, 'member.toml'), `${settings}\n${toml(await tokenIdOf(memberToken))}\n${unreachable}`);
writeFileSync(join(outDir, 'tokens.env'), `SUPERUSER_TOKEN=${admin}\nMEMBER_TOKEN=${memberToken}\n`);
