import type { Context, Middleware } from 'koa';
import jwt from 'jsonwebtoken';
import type { KeyObject } from 'node:crypto';
import type { ReadModels } from '../projections/readModels';
import type { UserDoc } from '../projections/identity/usersView';
import { AUDIENCE, claimsOf, type TokenClaims } from './identity/tokens';
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

/** The credentials of `Authorization: Bearer <token>` (scheme in any case), as koa-jwt read them. */
const bearerToken = (header: string): string | undefined => {
  const parts = header.trim().split(' ');
  return parts.length === 2 && /^Bearer$/i.test(parts[0] ?? '') ? parts[1] : undefined;
};

/**
 * Verifies a bearer token when there is one (HS256, audience, expiry, not revoked) and
 * resolves its user; routes that need a caller ask `callerOf`. A token of a deleted or
 * deactivated user is as good as none. Revocation is read from the read models on every
 * request (a point read), so a token is refused as soon as its revocation is projected, here
 * or, through a shared read store, on any other API process.
 */
export function authenticate(key: KeyObject, views: Pick<ReadModels, 'users' | 'revokedTokens'>, now?: () => number): Middleware[] {
  const verify = verifiedTokens(key, now);
  // A token's caller, made again only when its user's document changes: the read models hand
  // the same decoded object until then.
  const callers = new WeakMap<TokenClaims, { readonly user: UserDoc; readonly caller: Caller }>();
  const callerOf = (claims: TokenClaims, user: UserDoc): Caller => {
    const kept = callers.get(claims);
    if (kept?.user === user) return kept.caller;
    const caller: Caller = {
      id: user.id,
      email: user.email,
      isSuperuser: user.is_superuser,
      activeEnvId: user.active_env_id,
      tokenId: claims.jti,
      tokenExpiresAt: claims.exp === undefined ? null : new Date(claims.exp * 1000).toISOString(),
    };
    callers.set(claims, { user, caller });
    return caller;
  };
  const resolve: Middleware = async (ctx, next) => {
    const token = bearerToken(ctx.get('authorization'));
    const claims = token === undefined ? undefined : verify(token);
    if (claims !== undefined && (await views.revokedTokens.get(claims.jti)) === undefined) {
      const user = await views.users.get(claims.sub);
      if (user !== undefined && user.is_active) ctx.state['caller'] = callerOf(claims, user);
    }
    await next();
  };
  return [resolve];
}

export function callerOf(ctx: Context): Caller {
  const caller = ctx.state['caller'] as Caller | undefined;
  if (caller === undefined) throw new Unauthorized();
  return caller;
}
