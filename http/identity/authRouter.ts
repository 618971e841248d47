import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { users } from '../../commands/aggregates';
import { EMAIL_SCHEMA, validateEmail } from '../../domain/identity/email';
import { checkedLater } from '../../domain/jsonSchema';
import type { ApiDeps } from '../apiDeps';
import { callerOf } from '../auth';
import { decode } from '../decode';
import { HttpFailure } from '../errors';
import { execute } from '../../commands/execute';
import { commandContext, correlationOf } from '../execute';
import { registerUser, requestPasswordReset, resetPassword } from '../../commands/identity/identityService';
import { userRead } from './userRead';

export const MIN_PASSWORD_LENGTH = 8;

/** An email the account takes: the command checks it (validateEmail); the document says what that accepts. */
export const Email = checkedLater(t.string, EMAIL_SCHEMA);
/** A new password: `checkPassword` refuses a short one with the contract's 400; the document says how short. */
export const Password = checkedLater(t.string, { type: 'string', minLength: MIN_PASSWORD_LENGTH });

export const RegisterBody = t.intersection([
  t.type({ email: Email, password: Password }),
  // is_superuser / is_verified are accepted and ignored: nobody promotes themselves.
  t.partial({ is_active: t.boolean, is_superuser: t.boolean, is_verified: t.boolean }),
]);
export const LoginForm = t.type({ username: t.string, password: t.string });
export const ForgotBody = t.type({ email: t.string });
export const ResetBody = t.type({ token: t.string, password: Password });

/**
 * Refuses a password that is too short, with the contract's object detail for `code`. Characters
 * are code points, as the contract (Python's `len`) and JSON Schema's `minLength` count them, not
 * UTF-16 units: four emoji are four characters.
 */
export function checkPassword(password: string, code: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new HttpFailure(400, { code, reason: `Password should be at least ${MIN_PASSWORD_LENGTH} characters` });
  }
}

export function authRouter(deps: ApiDeps): Router {
  const router = new Router({ prefix: '/auth' });
  // Verifying against a throwaway hash when the email is unknown keeps both answers equally slow.
  const decoyHash = deps.passwords.hash(randomUUID());

  router.post('/register', async (ctx) => {
    const body = decode(RegisterBody, ctx.request.body, 'body');
    checkPassword(body.password, 'REGISTER_INVALID_PASSWORD');
    const userId = await registerUser(deps, correlationOf(ctx), {
      email: body.email,
      password: body.password,
      isActive: body.is_active ?? true,
    });
    ctx.status = 201;
    ctx.body = userRead(await deps.views.users.get(userId));
  });

  router.post('/jwt/login', async (ctx) => {
    const form = decode(LoginForm, ctx.request.body, 'body');
    const email = validateEmail(form.username) ?? form.username;
    const wait = deps.loginThrottle.blockedFor(email);
    if (wait > 0) throw new HttpFailure(429, 'LOGIN_TOO_MANY_ATTEMPTS', { 'Retry-After': String(wait) });

    const credentials = await deps.views.credentials.first({ email });
    const hash = credentials?.password_hash ?? (await decoyHash);
    const valid = await deps.passwords.verify(form.password, hash);
    const user = credentials === undefined ? undefined : await deps.views.users.get(credentials.id);
    if (!valid || user === undefined || !user.is_active) {
      deps.loginThrottle.failed(email);
      throw new HttpFailure(400, 'LOGIN_BAD_CREDENTIALS');
    }
    deps.loginThrottle.succeeded(email);
    const issued = deps.tokens.issue(user.id, randomUUID());
    ctx.body = { access_token: issued.token, token_type: 'bearer' };
  });

  router.post('/jwt/logout', async (ctx) => {
    const caller = callerOf(ctx);
    await execute(deps, commandContext(ctx, caller.id), users, caller.id, {
      type: 'RevokeToken',
      tokenId: caller.tokenId,
      expiresAt: caller.tokenExpiresAt,
    });
    ctx.status = 204;
  });

  router.post('/forgot-password', async (ctx) => {
    const { email } = decode(ForgotBody, ctx.request.body, 'body');
    await requestPasswordReset(deps, correlationOf(ctx), email);
    // Koa reads a null body as "no content"; the status is set after it on purpose.
    ctx.body = null;
    ctx.status = 202;
  });

  router.post('/reset-password', async (ctx) => {
    const body = decode(ResetBody, ctx.request.body, 'body');
    checkPassword(body.password, 'RESET_PASSWORD_INVALID_PASSWORD');
    if (!(await resetPassword(deps, correlationOf(ctx), body.token, body.password))) throw new HttpFailure(400, 'RESET_PASSWORD_BAD_TOKEN');
    ctx.body = null;
    ctx.status = 200;
  });

  return router;
}
