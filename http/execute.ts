import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { CommandContext } from '../commands/handleCommand';

/** Gives every request a correlation id (the client's X-Request-ID when it sends one). */
export const requestId: Middleware = async (ctx, next) => {
  const given = ctx.get('x-request-id');
  const id = /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
  ctx.state['requestId'] = id;
  ctx.set('X-Request-ID', id);
  await next();
};

/** The request's correlation id, carried by every event it causes. */
export const correlationOf = (ctx: Context): string => String(ctx.state['requestId'] ?? randomUUID());

/** Who acts in a request, and its correlation id, for the events it causes. */
export const commandContext = (ctx: Context, actorId: string): CommandContext => ({ actorId, correlationId: correlationOf(ctx) });
