import test from 'ava';
import { randomUUID } from 'node:crypto';
import { checkPostgresCredentials } from '../../runtime/sql/postgresCheck';
import { closedPort, withSilentListener } from '../fixtures/tcpPeers';
import { timed } from '../fixtures/timedCheck';
import { admin, postgresTestConfig } from '../fixtures/postgresConfig';

/**
 * Against a real PostgreSQL (scripts/services/postgres.sh) at TEST_PG_URL, which `npm test`
 * sets. Unset, these tests fail: they never pass by skipping.
 */
const target = postgresTestConfig;

// A schema of the test's own, and a role that may log in but not use it.
const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
const schema = `popsink_check_${suffix}`;
const outsider = { user: `popsink_outsider_${suffix}`, password: `outsider-${suffix}` };

test.before(async () => {
  await admin(async (client) => {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
    await client.query(`CREATE ROLE ${outsider.user} LOGIN PASSWORD '${outsider.password}'`);
  });
});

test.after.always(async () => {
  if (process.env.TEST_PG_URL === undefined || process.env.TEST_PG_URL === '') return;
  await admin(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`DROP ROLE IF EXISTS ${outsider.user}`);
  });
});

test("ok: connects, SELECT 1, the schema exists (public and the test's own)", async (t) => {
  const { ms, value, error } = await timed(() => checkPostgresCredentials(target()));
  t.log(`ok in ${ms} ms`);
  t.is(error, undefined);
  t.deepEqual(value, { status: 'ok' });
  t.deepEqual(await checkPostgresCredentials(target({ schema })), { status: 'ok' });
});

test('a wrong password is an authentication failure, never echoed', async (t) => {
  const wrong = `wrong-${randomUUID()}`;
  const { ms, error } = await timed(() => checkPostgresCredentials(target({ password: wrong })));
  t.log(`wrong password in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'auth_failed');
  t.is(error?.message, `Authentication failed: password authentication failed for user "${target().user}"`);
  t.false(error?.message.includes(wrong));
});

test('a missing database is named', async (t) => {
  const database = `no_such_db_${suffix}`;
  const { ms, error } = await timed(() => checkPostgresCredentials(target({ database })));
  t.log(`missing database in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'unknown_database');
  t.is(error?.message, `Database "${database}" does not exist`);
});

test('a missing schema is named', async (t) => {
  const { ms, error } = await timed(() => checkPostgresCredentials(target({ schema: 'no_such_schema' })));
  t.log(`missing schema in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'unknown_schema');
  t.is(error?.message, `Schema "no_such_schema" does not exist in database "${target().database}"`);
});

test('a schema the user may not use is "not authorized"', async (t) => {
  const { ms, error } = await timed(() => checkPostgresCredentials(target({ ...outsider, schema })));
  t.log(`schema without USAGE in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'not_authorized');
  t.is(error?.message, `User "${outsider.user}" has no USAGE privilege on schema "${schema}"`);
  t.deepEqual(await checkPostgresCredentials(target(outsider)), { status: 'ok' });
});

test('an unknown host is a DNS failure naming the host', async (t) => {
  const { ms, error } = await timed(() => checkPostgresCredentials(target({ host: 'no-such-db-host.invalid' })));
  t.log(`unknown host in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'unknown_host');
  t.is(error?.message, "Unknown host: 'no-such-db-host.invalid' could not be resolved");
});

test('a closed port is "connection refused"', async (t) => {
  const port = String(await closedPort());
  const { ms, error } = await timed(() => checkPostgresCredentials(target({ host: '127.0.0.1', port })));
  t.log(`refused in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'connection_refused');
  t.is(error?.message, `Connection refused by 127.0.0.1:${port}: no PostgreSQL server listens there`);
});

test('sslmode require against a server without TLS is a TLS failure', async (t) => {
  const { ms, error } = await timed(() => checkPostgresCredentials(target({ sslmode: 'require' })));
  t.log(`sslmode require in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'tls_failed');
  t.regex(error?.message ?? '', /does not support SSL/);
});

test('a server that never answers is a timeout within 10 s (and within a smaller budget)', async (t) => {
  await withSilentListener(async (port) => {
    const full = await timed(() => checkPostgresCredentials(target({ host: '127.0.0.1', port: String(port) })));
    t.log(`silent server in ${full.ms} ms: ${full.error?.message}`);
    t.is(full.error?.reason, 'timeout');
    t.true(full.ms < 10_000, `${full.ms} ms`);
    const short = await timed(() => checkPostgresCredentials(target({ host: '127.0.0.1', port: String(port) }), { timeoutMs: 2000 }));
    t.log(`silent server, 2 s budget, in ${short.ms} ms`);
    t.is(short.error?.reason, 'timeout');
    t.true(short.ms < 2000, `${short.ms} ms`);
  });
});

test('a Unix socket path is not a host', async (t) => {
  const { error } = await timed(() => checkPostgresCredentials(target({ host: '/var/run/postgresql' })));
  t.is(error?.reason, 'unknown_host');
});
