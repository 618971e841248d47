import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Connector secrets are sealed with AES-256-GCM before they enter an event, so the log, its
 * exports and the read models only ever hold ciphertext. Sealed values carry the key's
 * fingerprint: opening one with another key fails with a clear error instead of garbage.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** Short fingerprint of the key (not the key), e.g. to refuse an import sealed with another key. */
  readonly keyId: string;
}

const PREFIX = 'sealed:v1';

export class SecretKeyMismatch extends Error {
  constructor(expected: string, found: string) {
    super(`This secret was sealed with key ${found}, not with the configured key ${expected}`);
    this.name = 'SecretKeyMismatch';
  }
}

export const isSealed = (value: string): boolean => value.startsWith(`${PREFIX}:`);

/** `key` is 32 random bytes. */
export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes');
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return {
    keyId,
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated too: a sealed value cannot be relabelled for another key.
      cipher.setAAD(Buffer.from(keyId));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [PREFIX, keyId, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
    },
    open(sealed) {
      const [prefix, version, id, iv, tag, body] = sealed.split(':');
      if (`${prefix}:${version}` !== PREFIX || id === undefined || iv === undefined || tag === undefined || body === undefined) {
        throw new Error('not a sealed secret');
      }
      if (id !== keyId) throw new SecretKeyMismatch(keyId, id);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}

/** A configured key: 32 bytes as base64 or hex (64 characters). */
export function parseSecretKey(raw: string): Buffer | undefined {
  const hex = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : undefined;
  const key = hex ?? Buffer.from(raw, 'base64');
  return key.length === 32 ? key : undefined;
}
