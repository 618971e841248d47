import test from 'ava';
import { randomBytes } from 'node:crypto';
import { isSealed, secretBox } from '../../infrastructure/crypto/secretBox';
import { caCertIsSecret, secretFieldsOf, validateConnectorConfig } from '../../domain/connector/connectorConfig';
import { keepMaskedSecrets, MASK } from '../../domain/connector/secrets';
import { sealSecrets } from '../../commands/connector/connectorService';
import { maskedConfigOf } from '../../http/connector/connectorRead';

/**
 * `ca_cert` (either Kafka connector) is public while it holds certificates only, and a secret,
 * sealed and masked like `sasl_password`, once it holds a private key (a client bundle).
 */
const cert = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';
const bundle = `${cert}-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n`;
const source = { topic: 't', bootstrap_servers: 'k:9093', security_protocol: 'SSL', ca_cert: cert };
const target = {
  bootstrap_server: 'k:9093',
  security_protocol: 'SASL_SSL',
  sasl_mechanism: 'PLAIN',
  sasl_username: 'u',
  sasl_password: 'p',
  ca_cert: cert,
};

test('KAFKA_SOURCE accepts ca_cert like KAFKA_TARGET', (t) => {
  const decoded = validateConnectorConfig('KAFKA_SOURCE', source, ['body', 'source_config']);
  t.like(decoded, { _tag: 'Right', right: { ca_cert: cert } });
});

test('the rule: a private key block (any kind) or a non-PEM value (sealed, masked) is secret; certificates and blanks are not', (t) => {
  t.false(caCertIsSecret(cert));
  t.false(caCertIsSecret(`${cert}${cert}`));
  t.false(caCertIsSecret(''));
  t.false(caCertIsSecret(undefined));
  t.true(caCertIsSecret(bundle));
  for (const kind of ['RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'PGP PRIVATE KEY BLOCK']) {
    t.true(caCertIsSecret(`${cert}-----BEGIN ${kind}-----\nabc\n-----END ${kind}-----\n`), kind);
  }
  t.true(caCertIsSecret(MASK));
  t.true(caCertIsSecret(secretBox(randomBytes(32)).seal(bundle)));
  t.deepEqual(secretFieldsOf('KAFKA_TARGET', target), ['sasl_password']);
  t.deepEqual(secretFieldsOf('KAFKA_TARGET', { ...target, ca_cert: bundle }), ['sasl_password', 'ca_cert']);
  t.deepEqual(secretFieldsOf('KAFKA_SOURCE', { ...source, ca_cert: bundle }), ['sasl_password', 'ca_cert']);
  t.deepEqual(secretFieldsOf('POSTGRES_TARGET', { ca_cert: bundle }), ['password']);
});

test('a plain CA is stored and shown in clear', (t) => {
  const box = secretBox(randomBytes(32));
  for (const [type, config] of [
    ['KAFKA_SOURCE', source],
    ['KAFKA_TARGET', target],
  ] as const) {
    const stored = sealSecrets(type, config, box);
    t.is(stored['ca_cert'], cert);
    t.is(maskedConfigOf({ connector_type: type, config: stored })['ca_cert'], cert);
  }
});

test('a CA with a private key is sealed at rest, masked in answers, kept when sent back masked', (t) => {
  const box = secretBox(randomBytes(32));
  for (const [type, config] of [
    ['KAFKA_SOURCE', source],
    ['KAFKA_TARGET', target],
  ] as const) {
    const stored = sealSecrets(type, { ...config, ca_cert: bundle }, box);
    const sealed = String(stored['ca_cert']);
    t.true(isSealed(sealed));
    t.false(sealed.includes('PRIVATE KEY'));
    t.is(box.open(sealed), bundle);
    t.is(sealSecrets(type, stored, box)['ca_cert'], sealed, 'sealed once');
    const shown = maskedConfigOf({ connector_type: type, config: stored });
    t.is(shown['ca_cert'], MASK);
    t.false(JSON.stringify(shown).includes('PRIVATE KEY'));
    // A client echoing what it was shown keeps the stored bundle.
    t.is(keepMaskedSecrets(shown, stored, secretFieldsOf(type, shown))['ca_cert'], sealed);
  }
});
