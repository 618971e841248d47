import test from 'ava';
import * as io from 'io-ts';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import {
  connectorSecretFields,
  KafkaSourceConfig,
  parseBrokerList,
  redact,
  validateConnectorConfig,
  type ConnectorType,
} from '../../domain/connector/connectorConfig';
import type { DomainError } from '../../domain/errors';
import { decode } from '../../http/decode';
import { ValidationFailure } from '../../domain/failures';

const loc = ['body', 'source_config'] as const;

const kafkaSource = {
  topic: 'user-events',
  consumer_group_id: 'pipeline-consumer',
  bootstrap_servers: 'kafka1:9092,kafka2:9092',
  security_protocol: 'SASL_SSL',
  sasl_mechanism: 'PLAIN',
  sasl_username: 'kafka_user',
  sasl_password: 'kafka_pass',
  include_metadata: false,
};
const kafkaTarget = {
  bootstrap_server: 'kafka1:9092',
  security_protocol: 'SASL_SSL',
  sasl_mechanism: 'PLAIN',
  sasl_username: 'kafka_user',
  sasl_password: 'kafka_pass',
  ca_cert: '',
  group_id: 'consumer-group',
};
const oracleTarget = {
  database: 'ORCL',
  user: 'etl_user',
  password: 'etl_pass',
  host: 'oracle.company.com',
  port: '1521',
  server_name: 'XE',
  server_id: 'oraclesrv01',
};
const postgresTarget = { host: 'pg.company.com', port: '5432', database: 'warehouse', user: 'etl', password: 'etl_pass' };

const ok = <A>(result: Either<DomainError, A>): A => {
  if (isLeft(result)) throw new Error(`expected a valid config, got ${JSON.stringify(result.left)}`);
  return result.right;
};
const refusal = (type: ConnectorType, config: unknown): DomainError => {
  const result = validateConnectorConfig(type, config, loc);
  if (isRight(result)) throw new Error(`expected a refusal, got ${JSON.stringify(result.right)}`);
  return result.left;
};

test("the seed's examples are valid as they stand", (t) => {
  t.deepEqual(ok(validateConnectorConfig('KAFKA_SOURCE', kafkaSource, loc)), kafkaSource);
  t.deepEqual(ok(validateConnectorConfig('KAFKA_TARGET', kafkaTarget, loc)), kafkaTarget);
  t.deepEqual(ok(validateConnectorConfig('ORACLE_TARGET', oracleTarget, loc)), oracleTarget);
  // The check-credentials example of the seed (Pattern 5) is a minimal KAFKA_SOURCE.
  t.true(
    isRight(
      validateConnectorConfig(
        'KAFKA_SOURCE',
        { bootstrap_servers: 'kafka:9092', topic: 'test-topic', security_protocol: 'PLAINTEXT' },
        loc,
      ),
    ),
  );
});

test('KAFKA_SOURCE: required fields are named at their loc', (t) => {
  t.deepEqual(refusal('KAFKA_SOURCE', { topic: 'x' }), {
    kind: 'invalid',
    code: 'value_error.missing',
    loc: ['body', 'source_config', 'bootstrap_servers'],
    message: 'field required',
  });
  t.like(refusal('KAFKA_SOURCE', { bootstrap_servers: 'k:9092' }), { code: 'value_error.missing', loc: [...loc, 'topic'] });
  t.like(refusal('KAFKA_SOURCE', { bootstrap_servers: 'k:9092', topic: '' }), { code: 'value_error', loc: [...loc, 'topic'] });
  t.like(refusal('KAFKA_SOURCE', { bootstrap_servers: 'k:9092', topic: 'has space' }), { code: 'value_error', loc: [...loc, 'topic'] });
  t.like(refusal('KAFKA_SOURCE', { bootstrap_servers: 9092, topic: 't' }), { code: 'type_error.str', loc: [...loc, 'bootstrap_servers'] });
});

test('KAFKA_TARGET keeps the seed\'s singular bootstrap_server and group_id (not "fixed")', (t) => {
  t.like(refusal('KAFKA_TARGET', { bootstrap_servers: 'k:9092' }), { code: 'value_error.missing', loc: [...loc, 'bootstrap_server'] });
  const config = ok(validateConnectorConfig('KAFKA_TARGET', { bootstrap_server: 'k:9092', group_id: 'g' }, loc));
  t.deepEqual(config, { bootstrap_server: 'k:9092', group_id: 'g' });
});

test('bootstrap servers: comma list of host[:port]; bad entries are named', (t) => {
  t.deepEqual(parseBrokerList(' kafka1:9092 , kafka2 ,'), [
    { host: 'kafka1', port: 9092 },
    { host: 'kafka2', port: 9092 },
  ]);
  t.like(refusal('KAFKA_SOURCE', { topic: 't', bootstrap_servers: 'kafka1:9092,kafka2:99999' }), {
    code: 'value_error',
    loc: [...loc, 'bootstrap_servers'],
    message: "'kafka2:99999' is not a broker address (host:port)",
  });
  t.like(refusal('KAFKA_SOURCE', { topic: 't', bootstrap_servers: ' , ' }), { loc: [...loc, 'bootstrap_servers'] });
  t.like(refusal('KAFKA_SOURCE', { topic: 't', bootstrap_servers: 'PLAINTEXT://k:9092' }), { loc: [...loc, 'bootstrap_servers'] });
  t.regex(refusal('KAFKA_SOURCE', { topic: 't', bootstrap_servers: '[::1]:9092' }).message ?? '', /IPv6/);
});

test("enums: security_protocol and sasl_mechanism take exactly the seed's values", (t) => {
  const protocol = refusal('KAFKA_SOURCE', { topic: 't', bootstrap_servers: 'k:9092', security_protocol: 'sasl_ssl' });
  t.is(protocol.code, 'type_error.enum');
  t.deepEqual(protocol.loc, [...loc, 'security_protocol']);
  t.regex(protocol.message ?? '', /"PLAINTEXT" \| "SASL_PLAINTEXT" \| "SASL_SSL" \| "SSL"/);
  t.like(refusal('KAFKA_TARGET', { ...kafkaTarget, sasl_mechanism: 'SCRAM-SHA-1' }), {
    code: 'type_error.enum',
    loc: [...loc, 'sasl_mechanism'],
  });
  for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    t.true(isRight(validateConnectorConfig('KAFKA_SOURCE', { ...kafkaSource, sasl_mechanism: mechanism }, loc)), mechanism);
  }
});

test('a SASL protocol requires sasl_mechanism, sasl_username and sasl_password', (t) => {
  for (const protocol of ['SASL_PLAINTEXT', 'SASL_SSL']) {
    for (const field of ['sasl_mechanism', 'sasl_username', 'sasl_password']) {
      const { [field]: _dropped, ...config } = { ...kafkaSource, security_protocol: protocol } as Record<string, unknown>;
      t.like(refusal('KAFKA_SOURCE', config), {
        code: 'value_error.missing',
        loc: [...loc, field],
        message: `field required when security_protocol is ${protocol}`,
      });
      t.like(refusal('KAFKA_TARGET', { ...config, bootstrap_server: 'k:9092' }), { code: 'value_error.missing', loc: [...loc, field] });
    }
  }
  // null is "not given", and an empty password is no password.
  t.like(refusal('KAFKA_SOURCE', { ...kafkaSource, sasl_username: null }), { code: 'value_error.missing', loc: [...loc, 'sasl_username'] });
  t.like(refusal('KAFKA_SOURCE', { ...kafkaSource, sasl_password: '' }), { loc: [...loc, 'sasl_password'] });
});

test('without a SASL protocol no credentials are needed', (t) => {
  for (const protocol of [undefined, 'PLAINTEXT', 'SSL']) {
    t.true(isRight(validateConnectorConfig('KAFKA_SOURCE', { topic: 't', bootstrap_servers: 'k:9092', security_protocol: protocol }, loc)));
  }
});

test('GSSAPI and OAUTHBEARER are in the enum but refused with a clear message when used', (t) => {
  for (const mechanism of ['GSSAPI', 'OAUTHBEARER']) {
    const error = refusal('KAFKA_SOURCE', { ...kafkaSource, sasl_mechanism: mechanism });
    t.deepEqual(error.loc, [...loc, 'sasl_mechanism']);
    t.is(error.message, `${mechanism} is not supported by this platform's Kafka client; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`);
    // Named but not used (no SASL protocol): harmless, accepted.
    t.true(isRight(validateConnectorConfig('KAFKA_SOURCE', { ...kafkaSource, security_protocol: 'SSL', sasl_mechanism: mechanism }, loc)));
  }
});

test('defaults are filled, nulls dropped, unknown fields dropped', (t) => {
  t.deepEqual(
    ok(
      validateConnectorConfig(
        'KAFKA_SOURCE',
        { topic: 't', bootstrap_servers: 'k:9092', consumer_group_id: null, ssl_key_password: 'x' },
        loc,
      ),
    ),
    {
      topic: 't',
      bootstrap_servers: 'k:9092',
      include_metadata: false,
    },
  );
  t.like(refusal('KAFKA_SOURCE', { topic: 't', bootstrap_servers: 'k:9092', include_metadata: 'yes' }), {
    code: 'type_error.bool',
    loc: [...loc, 'include_metadata'],
  });
});

test('ORACLE_TARGET: every field is required; port as string or number, stored as a string', (t) => {
  for (const field of Object.keys(oracleTarget)) {
    const { [field]: _dropped, ...config } = oracleTarget as Record<string, unknown>;
    t.like(refusal('ORACLE_TARGET', config), { code: 'value_error.missing', loc: [...loc, field] }, field);
  }
  t.is(ok(validateConnectorConfig('ORACLE_TARGET', { ...oracleTarget, port: 1521 }, loc)).port, '1521');
  t.is(ok(validateConnectorConfig('ORACLE_TARGET', { ...oracleTarget, port: ' 1521 ' }, loc)).port, '1521');
  for (const port of ['0', '65536', 'abc', 15.21, true]) {
    t.like(refusal('ORACLE_TARGET', { ...oracleTarget, port }), { code: 'value_error', loc: [...loc, 'port'] }, String(port));
  }
  t.like(refusal('ORACLE_TARGET', { ...oracleTarget, host: '  ' }), { code: 'value_error', loc: [...loc, 'host'] });
});

test('POSTGRES_TARGET: schema defaults to public, sslmode to disable; sslmode is an enum', (t) => {
  t.deepEqual(ok(validateConnectorConfig('POSTGRES_TARGET', { ...postgresTarget, port: 5432 }, loc)), {
    ...postgresTarget,
    schema: 'public',
    sslmode: 'disable',
  });
  t.like(ok(validateConnectorConfig('POSTGRES_TARGET', { ...postgresTarget, schema: 'dwh', sslmode: 'verify-full' }, loc)), {
    schema: 'dwh',
    sslmode: 'verify-full',
  });
  t.like(refusal('POSTGRES_TARGET', { ...postgresTarget, sslmode: 'prefer' }), { code: 'type_error.enum', loc: [...loc, 'sslmode'] });
  t.like(refusal('POSTGRES_TARGET', { ...postgresTarget, password: undefined }), {
    code: 'value_error.missing',
    loc: [...loc, 'password'],
  });
});

test('JOB_SMT: smt_config is a list of mapper entries', (t) => {
  t.like(refusal('JOB_SMT', { smt_config: [{ key: 'id', path: '$.id' }, 'anything'] }), {
    code: 'type_error.dict',
    loc: [...loc, 'smt_config', 1],
  });
  t.like(refusal('JOB_SMT', { smt_config: {} }), { code: 'type_error.list', loc: [...loc, 'smt_config'] });
  t.like(refusal('JOB_SMT', {}), { code: 'value_error.missing', loc: [...loc, 'smt_config'] });
});

test('a config that is not an object is refused at the config loc itself', (t) => {
  t.like(refusal('ORACLE_TARGET', 'host=x'), { code: 'type_error.dict', loc: [...loc] });
  t.like(refusal('ORACLE_TARGET', [oracleTarget]), { code: 'type_error.dict', loc: [...loc] });
  t.like(refusal('ORACLE_TARGET', undefined), { code: 'value_error.missing', loc: [...loc] });
});

test('embedded in a request codec, http/decode reports the same locs', (t) => {
  const Body = io.intersection([
    io.type({ source_type: io.literal('KAFKA_SOURCE'), source_config: KafkaSourceConfig }),
    io.partial({ name: io.string }),
  ]);
  const issues = (body: unknown) => {
    const error = t.throws(() => decode(Body, body, 'body'), { instanceOf: ValidationFailure });
    return error?.issues;
  };
  t.deepEqual(issues({ source_type: 'KAFKA_SOURCE', source_config: { topic: 't' } }), [
    { loc: ['body', 'source_config', 'bootstrap_servers'], msg: 'field required', type: 'value_error.missing' },
  ]);
  t.deepEqual(issues({ source_type: 'KAFKA_SOURCE', source_config: { ...kafkaSource, sasl_username: undefined } }), [
    {
      loc: ['body', 'source_config', 'sasl_username'],
      msg: 'field required when security_protocol is SASL_SSL',
      type: 'value_error.missing',
    },
  ]);
  t.like(issues({ source_type: 'KAFKA_SOURCE', source_config: { ...kafkaSource, security_protocol: 'TLS' } })?.[0], {
    loc: ['body', 'source_config', 'security_protocol'],
    type: 'type_error.enum',
  });
  t.like(decode(Body, { source_type: 'KAFKA_SOURCE', source_config: { topic: 't', bootstrap_servers: 'k' } }, 'body').source_config, {
    include_metadata: false,
  });
});

test('secret fields per type: passwords; ca_cert is public', (t) => {
  t.deepEqual(connectorSecretFields, {
    KAFKA_SOURCE: ['sasl_password'],
    KAFKA_TARGET: ['sasl_password'],
    ORACLE_TARGET: ['password'],
    POSTGRES_TARGET: ['password'],
    JOB_SMT: [],
  });
  t.false((connectorSecretFields.KAFKA_TARGET as readonly string[]).includes('ca_cert'));
});

test('redact masks every occurrence of each secret', (t) => {
  t.is(redact('user x password hunter2 (hunter2)', ['hunter2', undefined, '']), 'user x password ******** (********)');
});

test('a JOB_SMT config holds mapper entries checked by the mapper rules', (t) => {
  const ok = validateConnectorConfig('JOB_SMT', { smt_config: [{ key: 'id', path: '$.id', cast: 'int' }] }, ['body', 'config']);
  t.true(ok._tag === 'Right');
  const bad = validateConnectorConfig('JOB_SMT', { smt_config: [{ key: 'id', path: '$.id', static: 'x' }] }, ['body', 'config']);
  t.true(bad._tag === 'Left' && JSON.stringify(bad.left.loc?.slice(0, 4)) === JSON.stringify(['body', 'config', 'smt_config', 0]));
});
