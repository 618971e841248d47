import type { Context, Middleware } from 'koa';
import koaJwt from 'koa-jwt';
import type { KeyObject } from 'node:crypto';
import type { ReadModels } from '../projections/readModels';
import { AUDIENCE, claimsOf } from './identity/tokens';
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

/**
 * Verifies a bearer token when there is one (HS256, audience, expiry, not revoked) and
 * resolves its user; routes that need a caller ask `callerOf`. A token of a deleted or
 * deactivated user is as good as none.
 */
export function authenticate(key: KeyObject, views: Pick<ReadModels, 'users' | 'revokedTokens'>): Middleware[] {
  const verify = koaJwt({
    // koa-jwt hands the secret to jsonwebtoken, which takes a KeyObject; its typings predate that.
    secret: key as unknown as koaJwt.Secret,
    audience: AUDIENCE,
    algorithms: ['HS256'],
    passthrough: true,
    key: 'token',
    isRevoked: async (_ctx, decoded) => {
      const claims = claimsOf(decoded);
      return claims === undefined || (await views.revokedTokens.get(claims.jti)) !== undefined;
    },
  });
  const resolve: Middleware = async (ctx, next) => {
    const claims = claimsOf(ctx.state['token']);
    if (claims !== undefined) {
      const user = await views.users.get(claims.sub);
      if (user !== undefined && user.is_active) {
        const caller: Caller = {
          id: user.id,
          email: user.email,
          isSuperuser: user.is_superuser,
          activeEnvId: user.active_env_id,
          tokenId: claims.jti,
          tokenExpiresAt: claims.exp === undefined ? null : new Date(claims.exp * 1000).toISOString(),
        };
        ctx.state['caller'] = caller;
      }
    }
    await next();
  };
  return [verify, resolve];
}

export function callerOf(ctx: Context): Caller {
  const caller = ctx.state['caller'] as Caller | undefined;
  if (caller === undefined) throw new Unauthorized();
  return caller;
}
