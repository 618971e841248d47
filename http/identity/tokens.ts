import jwt from 'jsonwebtoken';
import { createSecretKey, type KeyObject } from 'node:crypto';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';

/** fastapi-users' audience: existing Popsink clients check it. */
export const AUDIENCE = 'fastapi-users:auth';

export const TokenClaims = t.type({ sub: t.string, jti: t.string, aud: t.union([t.string, t.array(t.string)]) });
export type TokenClaims = t.TypeOf<typeof TokenClaims> & { readonly exp?: number };

export interface IssuedToken {
  readonly token: string;
  readonly tokenId: string;
  /** ISO time, or null for a token that never expires. */
  readonly expiresAt: string | null;
}

export interface TokenIssuer {
  /** A login token: HS256, `sub` = user id, the fastapi-users audience, `exp` after the configured lifetime. */
  issue(userId: string, tokenId: string, lifetimeSeconds?: number | null): IssuedToken;
}

export function tokenIssuer(secret: KeyObject, defaultLifetimeSeconds: number, now: () => Date): TokenIssuer {
  return {
    issue(userId, tokenId, lifetimeSeconds = defaultLifetimeSeconds) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const exp = lifetimeSeconds === null ? undefined : issuedAt + lifetimeSeconds;
      const token = jwt.sign({ sub: userId, aud: [AUDIENCE], jti: tokenId, iat: issuedAt, ...(exp ? { exp } : {}) }, secret, {
        algorithm: 'HS256',
      });
      return { token, tokenId, expiresAt: exp === undefined ? null : new Date(exp * 1000).toISOString() };
    },
  };
}

/**
 * The signing key as a KeyObject: given a string, jsonwebtoken first tries (and fails) to parse
 * it as a public key on every call, which cost more than the rest of an authenticated request.
 */
export const signingKey = (secret: string): KeyObject => createSecretKey(Buffer.from(secret, 'utf8'));

/** The claims of a verified token, checked for the fields we rely on. */
export function claimsOf(decoded: unknown): TokenClaims | undefined {
  const claims = TokenClaims.decode(decoded);
  if (isLeft(claims)) return undefined;
  const exp =
    typeof decoded === 'object' && decoded !== null && 'exp' in decoded && typeof decoded.exp === 'number' ? decoded.exp : undefined;
  return exp === undefined ? claims.right : { ...claims.right, exp };
}
