import test from 'ava';
import { randomBytes } from 'node:crypto';
import { isSealed, parseSecretKey, secretBox, SecretKeyMismatch } from '../../infrastructure/crypto/secretBox';
import { keepMaskedSecrets, maskSecrets, MASK } from '../../domain/connector/secrets';

test('a sealed secret opens with the same key and never contains the plaintext', (t) => {
  const box = secretBox(randomBytes(32));
  const sealed = box.seal('kafka_pass');
  t.true(isSealed(sealed));
  t.false(sealed.includes('kafka_pass'));
  t.not(box.seal('kafka_pass'), sealed, 'a fresh IV each time');
  t.is(box.open(sealed), 'kafka_pass');
});

test('another key is refused with a clear error, not garbled', (t) => {
  const sealed = secretBox(randomBytes(32)).seal('etl_pass');
  t.throws(() => secretBox(randomBytes(32)).open(sealed), { instanceOf: SecretKeyMismatch });
});

test('tampering is detected', (t) => {
  const box = secretBox(randomBytes(32));
  const parts = box.seal('etl_pass').split(':');
  const body = Buffer.from(parts[5] ?? '', 'base64');
  body[0] = (body[0] ?? 0) ^ 1;
  parts[5] = body.toString('base64');
  t.throws(() => box.open(parts.join(':')));
});

test('keys are read as 32 bytes of base64 or hex', (t) => {
  const key = randomBytes(32);
  t.deepEqual(parseSecretKey(key.toString('base64')), key);
  t.deepEqual(parseSecretKey(key.toString('hex')), key);
  t.is(parseSecretKey('too-short'), undefined);
});

test('secrets are masked; a masked value sent back keeps the stored secret', (t) => {
  const stored = { topic: 't', sasl_password: 'sealed:v1:x', sasl_username: 'u' };
  t.deepEqual(maskSecrets(stored, ['sasl_password']), { topic: 't', sasl_password: MASK, sasl_username: 'u' });
  t.deepEqual(maskSecrets({ sasl_password: null }, ['sasl_password']), { sasl_password: null });
  t.deepEqual(keepMaskedSecrets({ topic: 't2', sasl_password: MASK }, stored, ['sasl_password']), {
    topic: 't2',
    sasl_password: 'sealed:v1:x',
  });
  t.deepEqual(keepMaskedSecrets({ sasl_password: 'new' }, stored, ['sasl_password']), { sasl_password: 'new' });
});
