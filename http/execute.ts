import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { CommandContext } from '../commands/handleCommand';

/** The request's correlation id, carried by every event it causes. */
export const correlationOf = (ctx: Context): string => String(ctx.state['requestId'] ?? randomUUID());

/** Who acts in a request, and its correlation id, for the events it causes. */
export const commandContext = (ctx: Context, actorId: string): CommandContext => ({ actorId, correlationId: correlationOf(ctx) });
