import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { DomainEvent } from '../domain/decider';
import type { CommandContext } from '../commands/handleCommand';
import { handleKeyedCommand, type KeyedAggregate } from '../commands/keyedCommand';
import type { ApiDeps } from './apiDeps';
import { ProjectionTimeoutError } from '../projections/runner';
import { HttpFailure, unwrap } from './errors';

/** Gives every request a correlation id (the client's X-Request-ID when it sends one). */
export const requestId: Middleware = async (ctx, next) => {
  const given = ctx.get('x-request-id');
  const id = /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
  ctx.state['requestId'] = id;
  ctx.set('X-Request-ID', id);
  await next();
};

export const commandContext = (ctx: Context, actorId: string): CommandContext => ({
  actorId,
  correlationId: String(ctx.state['requestId'] ?? randomUUID()),
});

/**
 * Runs a command for a request and waits until the read models show its effect, so the
 * client's next GET sees what it just did. A refusal becomes the HTTP answer.
 */
export async function execute<C, E extends DomainEvent, S>(
  deps: ApiDeps,
  ctx: Context,
  actorId: string,
  aggregate: KeyedAggregate<C, E, S>,
  id: string,
  command: C,
): Promise<S> {
  const handled = unwrap(await handleKeyedCommand(deps.commands, commandContext(ctx, actorId), aggregate, id, command));
  if (handled.position !== undefined) {
    await deps.waitFor(handled.position).catch((error: unknown) => {
      // The change is recorded; only its read models lag (e.g. a busy MongoDB during a rebuild).
      if (error instanceof ProjectionTimeoutError) throw new HttpFailure(503, 'READ_MODELS_LAGGING: the change is recorded but not yet readable; read it again shortly', { 'Retry-After': '2' });
      throw error;
    });
  }
  return handled.state;
}
