import test from 'ava';
import { type OracleTargetConfig } from '../../domain/connector/connectorConfig';
import { checkOracleCredentials, connectStringOf } from '../../runtime/sql/oracleCheck';
import { closedPort, withListener } from '../fixtures/tcpPeers';
import { timed } from '../fixtures/timedCheck';

/**
 * With ORACLE_URL (`user/password@host:port/service`) set, a real check runs against that
 * database. There is no Oracle server in the test services, so without it only the failure
 * paths a client can see without a database run: they use local sockets (a closed port, a
 * listener that never answers, one that hangs up, one that refuses the service like a TNS
 * listener does) and an unresolvable host name.
 */

/** The parts of an ORACLE_URL. The password may contain '@' or '/': the last '@' ends it. */
function parseOracleUrl(url: string): OracleTargetConfig {
  const at = url.lastIndexOf('@');
  const slash = url.indexOf('/');
  const address = /^([^:]+):(\d+)\/(.+)$/.exec(url.slice(at + 1));
  if (at < 0 || slash < 0 || slash > at || address === null) throw new Error('ORACLE_URL must look like user/password@host:port/service');
  const [, host = '', port = '', service = ''] = address;
  return {
    user: url.slice(0, slash),
    password: url.slice(slash + 1, at),
    host,
    port,
    server_name: service,
    database: service,
    server_id: service,
  };
}

const oracleUrl = process.env.ORACLE_URL;
const offline: OracleTargetConfig = {
  database: 'ORCL',
  user: 'etl_user',
  password: 'etl-secret-pw',
  host: '127.0.0.1',
  port: '1521',
  server_name: 'XE',
  server_id: 'oraclesrv01',
};

if (oracleUrl === undefined || oracleUrl === '') {
  const banner = [
    '',
    '################################################################################',
    '##  REAL ORACLE CHECK SKIPPED: ORACLE_URL is not set.                          ##',
    '##  Only the unreachable-server paths of the Oracle check were tested.        ##',
    '##  To test against a database: ORACLE_URL=user/password@host:port/service    ##',
    '################################################################################',
    '',
  ].join('\n');
  test.before(() => {
    process.stderr.write(`${banner}\n`);
  });
  test('REAL ORACLE CHECK SKIPPED (ORACLE_URL unset): only failure paths are tested here', (t) => {
    t.log('ORACLE_URL is not set: no real Oracle check ran');
    t.pass();
  });
} else {
  const real = parseOracleUrl(oracleUrl);

  test('real Oracle: ok (SELECT 1 FROM DUAL)', async (t) => {
    const { ms, value, error } = await timed(() => checkOracleCredentials(real));
    t.log(`ok in ${ms} ms`);
    t.is(error, undefined, error?.message);
    t.deepEqual(value, { status: 'ok' });
  });

  test('real Oracle: a wrong password is an authentication failure, never echoed', async (t) => {
    const wrong = 'wrong-password-for-the-check';
    const { ms, error } = await timed(() => checkOracleCredentials({ ...real, password: wrong }));
    t.log(`wrong password in ${ms} ms: ${error?.message}`);
    t.is(error?.reason, 'auth_failed');
    t.false(error?.message.includes(wrong));
  });

  test('real Oracle: an unknown service is named', async (t) => {
    const { ms, error } = await timed(() => checkOracleCredentials({ ...real, server_name: 'NO_SUCH_SERVICE' }));
    t.log(`unknown service in ${ms} ms: ${error?.message}`);
    t.is(error?.reason, 'unknown_service');
  });
}

test('the connect string is Easy Connect host:port/service_name', (t) => {
  t.is(connectStringOf(offline), '127.0.0.1:1521/XE');
  t.is(connectStringOf({ ...offline, host: '::1' }), '[::1]:1521/XE');
});

test('ORACLE_URL parsing keeps a password with @ and /', (t) => {
  t.like(parseOracleUrl('etl/p@ss/w@db.example.com:1521/FREEPDB1'), {
    user: 'etl',
    password: 'p@ss/w',
    host: 'db.example.com',
    port: '1521',
    server_name: 'FREEPDB1',
  });
});

test('a closed port is "connection refused", quickly', async (t) => {
  const port = String(await closedPort());
  const { ms, error } = await timed(() => checkOracleCredentials({ ...offline, port }));
  t.log(`refused in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'connection_refused');
  t.is(error?.message, `Connection refused by 127.0.0.1:${port}: no Oracle listener on that host and port`);
  t.true(ms < 10_000);
});

test('an unresolvable host name is a DNS failure naming the host', async (t) => {
  const { ms, error } = await timed(() => checkOracleCredentials({ ...offline, host: 'no-such-oracle-host.invalid' }));
  t.log(`unknown host in ${ms} ms: ${error?.message}`);
  t.is(error?.reason, 'unknown_host');
  t.regex(error?.message ?? '', /^Unknown host: 'no-such-oracle-host\.invalid' could not be resolved/);
  t.true(ms < 10_000);
});

test('a listener that never answers is a timeout within 10 s (and within a smaller budget)', async (t) => {
  await withListener(
    () => undefined,
    async (port) => {
      const full = await timed(() => checkOracleCredentials({ ...offline, port: String(port) }));
      t.log(`silent listener in ${full.ms} ms: ${full.error?.message}`);
      t.is(full.error?.reason, 'timeout');
      t.true(full.ms < 10_000, `${full.ms} ms`);
      const short = await timed(() => checkOracleCredentials({ ...offline, port: String(port) }, { timeoutMs: 2500 }));
      t.log(`silent listener, 2.5 s budget, in ${short.ms} ms`);
      t.is(short.error?.reason, 'timeout');
      t.true(short.ms < 2500, `${short.ms} ms`);
    },
  );
});

test('a server that hangs up is "connection closed"', async (t) => {
  await withListener(
    (socket) => socket.destroy(),
    async (port) => {
      const { ms, error } = await timed(() => checkOracleCredentials({ ...offline, port: String(port) }));
      t.log(`hang-up in ${ms} ms: ${error?.message}`);
      t.is(error?.reason, 'connection_closed');
    },
  );
});

test('a listener that does not know the service says so (a TNS REFUSE with ERR=12514)', async (t) => {
  await withListener(
    (socket) => socket.once('data', () => socket.end(tnsRefuse(12514))),
    async (port) => {
      const { ms, error } = await timed(() => checkOracleCredentials({ ...offline, port: String(port), server_name: 'NOPE' }));
      t.log(`unknown service in ${ms} ms: ${error?.message}`);
      t.is(error?.reason, 'unknown_service');
      t.is(error?.message, `The listener at 127.0.0.1:${port} does not know the service "NOPE" (ORA-12514)`);
      t.false(error?.message.includes(offline.password));
    },
  );
});

/**
 * What an Oracle listener answers to a CONNECT for a service it does not serve: a TNS REFUSE
 * packet (type 4) whose data is the listener's description with the error number.
 */
function tnsRefuse(err: number): Buffer {
  const data = Buffer.from(`(DESCRIPTION=(TMP=)(VSNNUM=0)(ERR=${err})(ERROR_STACK=(ERROR=(CODE=${err})(EMFI=4))))`, 'ascii');
  const packet = Buffer.alloc(12 + data.length);
  packet.writeUInt16BE(packet.length, 0); // packet length
  packet.writeUInt8(4, 4); // packet type: REFUSE
  packet.writeUInt16BE(data.length, 10); // refuse data length
  data.copy(packet, 12);
  return packet;
}
