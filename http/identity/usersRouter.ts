import Router from '@koa/router';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { users } from '../../commands/aggregates';
import type { UserCommand } from '../../domain/identity/user';
import type { ApiDeps } from '../apiDeps';
import { callerOf, type Caller } from '../auth';
import { decode, idParam, requiredBody } from '../decode';
import { ValidationFailure } from '../../domain/failures';
import { HttpFailure } from '../errors';
import { execute } from '../../commands/execute';
import { commandContext } from '../execute';
import type { Guard } from '../guard';
import { pagedBody, pagingOf } from '../paging';
import { userRead } from './userRead';
import { checkPassword, Email, Password } from './authRouter';
import { checkedLater } from '../../domain/jsonSchema';

export const MePatch = t.exact(t.partial({ email: Email, password: Password, active_env_id: t.union([t.string, t.null]) }));
export const AdminPatch = t.exact(
  t.partial({ email: Email, password: Password, is_active: t.boolean, is_superuser: t.boolean, is_verified: t.boolean }),
);
export const ChangePasswordBody = t.type({ current_password: t.string, new_password: Password });
/** The longest a service-account token lives, in days (ten years). */
const MAX_TOKEN_DAYS = 3650;
export const ServiceTokenBody = t.exact(
  t.partial({
    name: t.string,
    // The range is checked by the route (for FastAPI's error type); the document says it.
    expires_in_days: t.union([checkedLater(t.number, { exclusiveMinimum: 0, maximum: MAX_TOKEN_DAYS }), t.null]),
  }),
);
export const UsersQuery = t.partial({ search: t.string });

export function usersRouter(deps: ApiDeps, guard: Guard): Router {
  const router = new Router({ prefix: '/users' });
  const run = (ctx: Context, caller: Caller, userId: string, command: UserCommand) =>
    execute(deps, commandContext(ctx, caller.id), users, userId, command);

  /** Email and password changes shared by a user on themselves and a superuser on anyone. */
  const applyCommon = async (ctx: Context, caller: Caller, userId: string, patch: { email?: string; password?: string }) => {
    if (patch.email !== undefined) await run(ctx, caller, userId, { type: 'ChangeEmail', email: patch.email });
    if (patch.password !== undefined) {
      checkPassword(patch.password, 'UPDATE_USER_INVALID_PASSWORD');
      await run(ctx, caller, userId, { type: 'ChangePassword', passwordHash: await deps.passwords.hash(patch.password) });
    }
  };

  router.get('/me', async (ctx) => {
    ctx.body = userRead(await deps.views.users.get(callerOf(ctx).id));
  });

  router.patch('/me', async (ctx) => {
    const caller = callerOf(ctx);
    const patch = decode(MePatch, requiredBody(ctx), 'body');
    if (patch.active_env_id !== undefined && patch.active_env_id !== null) await guard.env(caller, patch.active_env_id, 'read');
    await applyCommon(ctx, caller, caller.id, patch);
    if (patch.active_env_id !== undefined) await run(ctx, caller, caller.id, { type: 'SetActiveEnv', envId: patch.active_env_id });
    ctx.body = userRead(await deps.views.users.get(caller.id));
  });

  router.post('/me/change-password', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(ChangePasswordBody, ctx.request.body, 'body');
    const current = (await deps.views.credentials.get(caller.id))?.password_hash ?? '';
    if (!(await deps.passwords.verify(body.current_password, current))) throw new HttpFailure(400, 'CHANGE_PASSWORD_BAD_CURRENT_PASSWORD');
    checkPassword(body.new_password, 'CHANGE_PASSWORD_INVALID_PASSWORD');
    await run(ctx, caller, caller.id, { type: 'ChangePassword', passwordHash: await deps.passwords.hash(body.new_password) });
    ctx.status = 204;
  });

  router.post('/me/service-account-token', async (ctx) => {
    const caller = callerOf(ctx);
    const body = decode(ServiceTokenBody, ctx.request.body ?? {}, 'body');
    const days = body.expires_in_days ?? null;
    if (days !== null && !(days > 0 && days <= MAX_TOKEN_DAYS)) {
      throw new ValidationFailure([
        {
          loc: ['body', 'expires_in_days'],
          msg: `ensure this value is between 1 and ${MAX_TOKEN_DAYS}`,
          type: 'value_error.number.not_in_range',
        },
      ]);
    }
    const tokenId = randomUUID();
    const issued = deps.tokens.issue(caller.id, tokenId, days === null ? null : days * 86_400);
    const name = body.name ?? 'service-account';
    await run(ctx, caller, caller.id, { type: 'IssueServiceToken', tokenId, name, expiresAt: issued.expiresAt });
    ctx.status = 201;
    ctx.body = { id: tokenId, name, access_token: issued.token, token_type: 'bearer', expires_at: issued.expiresAt };
  });

  router.get('/me/service-account-tokens', async (ctx) => {
    const caller = callerOf(ctx);
    const page = await deps.views.serviceTokens.find({ where: { user_id: caller.id }, sort: [{ field: 'created_at', direction: 'asc' }] });
    ctx.body = page.items.map(({ id, name, created_at, expires_at }) => ({ id, name, created_at, expires_at }));
  });

  router.delete('/me/service-account-tokens/:tokenId', async (ctx) => {
    const caller = callerOf(ctx);
    await run(ctx, caller, caller.id, { type: 'RevokeServiceToken', tokenId: idParam(ctx, 'tokenId') });
    ctx.status = 204;
  });

  router.get('/', async (ctx) => {
    guard.superuser(callerOf(ctx));
    const paging = pagingOf(ctx.query);
    const { search } = decode(UsersQuery, ctx.query, 'query');
    const page = await deps.views.users.find({
      ...(search ? { search: { field: 'email', text: search } } : {}),
      sort: [{ field: 'email', direction: 'asc' }],
      ...paging,
    });
    ctx.body = pagedBody(page, paging, userRead);
  });

  router.get('/:id', async (ctx) => {
    guard.superuser(callerOf(ctx));
    ctx.body = userRead(await deps.views.users.get(idParam(ctx)));
  });

  router.patch('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    guard.superuser(caller);
    const userId = idParam(ctx);
    userRead(await deps.views.users.get(userId));
    const patch = decode(AdminPatch, requiredBody(ctx), 'body');
    await applyCommon(ctx, caller, userId, patch);
    if (patch.is_active !== undefined) await run(ctx, caller, userId, { type: patch.is_active ? 'ActivateUser' : 'DeactivateUser' });
    if (patch.is_superuser !== undefined) await run(ctx, caller, userId, { type: 'SetSuperuser', isSuperuser: patch.is_superuser });
    if (patch.is_verified === true) await run(ctx, caller, userId, { type: 'VerifyUser' });
    ctx.body = userRead(await deps.views.users.get(userId));
  });

  router.delete('/:id', async (ctx) => {
    const caller = callerOf(ctx);
    guard.superuser(caller);
    await run(ctx, caller, idParam(ctx), { type: 'DeleteUser' });
    ctx.status = 204;
  });

  return router;
}
