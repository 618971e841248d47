import type { DomainEvent } from '../domain/decider';
import { unwrap } from '../domain/failures';
import { loadState, type CommandContext, type CommandDeps } from './handleCommand';
import { handleKeyedCommand, type KeyedAggregate } from './keyedCommand';

/** What every application service needs to run commands. */
export interface ServiceDeps {
  readonly commands: CommandDeps;
  /**
   * Resolves once the read models reflect the log up to `position`, so that whoever called a
   * service reads what it just did; rejects when they cannot catch up in time.
   */
  readonly waitFor: (position: bigint) => Promise<void>;
}

/** Runs a command and waits until the read models show its effect; a refusal is thrown as a DomainFailure. */
export async function execute<C, E extends DomainEvent, S>(
  deps: ServiceDeps,
  context: CommandContext,
  aggregate: KeyedAggregate<C, E, S>,
  id: string,
  command: C,
): Promise<S> {
  const handled = unwrap(await handleKeyedCommand(deps.commands, context, aggregate, id, command));
  if (handled.position !== undefined) await deps.waitFor(handled.position);
  return handled.state;
}

/** An aggregate's current state, folded from its stream (the write model, never a read model). */
export async function stateOf<C, E extends DomainEvent, S>(deps: ServiceDeps, aggregate: KeyedAggregate<C, E, S>, id: string): Promise<S> {
  return (await loadState(deps.commands, aggregate.decider, aggregate.stream(id))).state;
}
