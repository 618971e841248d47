import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

const derive = (password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))));

/**
 * scrypt from node:crypto: a memory-hard KDF with no native add-on to install. The parameters
 * travel with each hash (`scrypt$N$r$p$salt$key`), so they can be raised later without
 * invalidating the hashes already stored.
 */
export function scryptHasher(cost: { N: number; r: number; p: number } = { N: 2 ** 15, r: 8, p: 1 }): PasswordHasher {
  const maxmem = 256 * cost.N * cost.r;
  return {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, 32, { ...cost, maxmem });
      return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
    },
    async verify(password, stored) {
      const [scheme, n, r, p, salt, key] = stored.split('$');
      if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false;
      const params = { N: Number(n), r: Number(r), p: Number(p) };
      const expected = Buffer.from(key, 'base64');
      const actual = await derive(password, Buffer.from(salt, 'base64'), expected.length, { ...params, maxmem: 256 * params.N * params.r });
      return timingSafeEqual(actual, expected);
    },
  };
}
