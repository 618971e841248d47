import type { Context, Middleware, Next } from 'koa';
import jwt from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import type { ReadModels } from '../projections/readModels';
import { AUDIENCE, claimsOf, type TokenClaims } from './identity/tokens';
import { keptWhileUnchanged } from '../projections/keptWhileUnchanged';
import { Unauthorized } from './errors';

/** The authenticated user making the request, as the read models know them. */
export interface Caller {
  readonly id: string;
  readonly email: string;
  readonly isSuperuser: boolean;
  readonly activeEnvId: string | null;
  /** The token's id, so logout can revoke exactly this token. */
  readonly tokenId: string;
  readonly tokenExpiresAt: string | null;
}

/** Tokens whose verified claims are kept; past it the oldest is forgotten (and verified again if it comes back). */
export const VERIFIED_TOKENS = 10_000;

/**
 * A token's signature, algorithm and audience are checked once and its claims kept, keyed by the
 * token itself: what depends on time (expiry) is checked on every use exactly as jsonwebtoken does,
 * and what depends on the read models (revocation, the user) is left to the caller, per request.
 * A token that failed is never kept, so a refusal costs a verification each time, as before.
 */
function verifiedTokens(key: KeyObject, now: () => number = Date.now): (token: string) => TokenClaims | undefined {
  const verified = new Map<string, TokenClaims>();
  return (token) => {
    const clockTimestamp = Math.floor(now() / 1000);
    const kept = verified.get(token);
    if (kept !== undefined) {
      if (kept.exp === undefined || clockTimestamp < kept.exp) return kept;
      verified.delete(token);
      return undefined;
    }
    let claims: TokenClaims | undefined;
    try {
      claims = claimsOf(jwt.verify(token, key, { algorithms: ['HS256'], audience: AUDIENCE, clockTimestamp }));
    } catch {
      return undefined;
    }
    if (claims === undefined) return undefined;
    if (verified.size >= VERIFIED_TOKENS) {
      const oldest = verified.keys().next();
      if (oldest.done !== true) verified.delete(oldest.value);
    }
    verified.set(token, claims);
    return claims;
  };
}

/** The key of a token's caller among what is kept per token. */
const CALLER = 'caller';

/** The credentials of `Authorization: Bearer <token>` (scheme in any case), as koa-jwt read them. */
const bearerToken = (header: string): string | undefined => {
  const parts = header.trim().split(' ');
  return parts.length === 2 && /^Bearer$/i.test(parts[0] ?? '') ? parts[1] : undefined;
};

/**
 * Verifies a bearer token when there is one (HS256, audience, expiry, not revoked) and
 * resolves its user; routes that need a caller ask `callerOf`. A token of a deleted or
 * deactivated user is as good as none. Revocation is read from the read models, so a token is
 * refused as soon as its revocation is projected, here or, through a shared read store, on any
 * other API process. What the two reads found is kept per token while the store says neither
 * the users nor the revoked tokens changed since (the embedded store can tell; a shared
 * MongoDB cannot, so there every request reads them again).
 */
export function authenticate(key: KeyObject, views: Pick<ReadModels, 'users' | 'revokedTokens'>, now?: () => number): Middleware[] {
  const verify = verifiedTokens(key, now);
  const callers = keptWhileUnchanged<Caller | undefined>([views.users, views.revokedTokens]);
  const read = async (claims: TokenClaims): Promise<Caller | undefined> => {
    const user = (await views.revokedTokens.get(claims.jti)) === undefined ? await views.users.get(claims.sub) : undefined;
    if (user === undefined || !user.is_active) return undefined;
    return {
      id: user.id,
      email: user.email,
      isSuperuser: user.is_superuser,
      activeEnvId: user.active_env_id,
      tokenId: claims.jti,
      tokenExpiresAt: claims.exp === undefined ? null : new Date(claims.exp * 1000).toISOString(),
    };
  };
  const enter = (ctx: Context, next: Next, caller: Caller | undefined): Promise<unknown> => {
    if (caller !== undefined) ctx.state['caller'] = caller;
    return next();
  };
  // Not an async function: a token already known costs no await.
  const resolve: Middleware = (ctx, next) => {
    const token = bearerToken(ctx.get('authorization'));
    const claims = token === undefined ? undefined : verify(token);
    if (claims === undefined) return next();
    const known = callers.known(claims, CALLER);
    return known !== undefined
      ? enter(ctx, next, known.value)
      : callers.answer(claims, CALLER, () => read(claims)).then((caller) => enter(ctx, next, caller));
  };
  return [resolve];
}

export function callerOf(ctx: Context): Caller {
  const caller = ctx.state['caller'] as Caller | undefined;
  if (caller === undefined) throw new Unauthorized();
  return caller;
}
