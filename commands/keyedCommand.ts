import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { Decider, DomainEvent } from '../domain/decider';
import type { DomainError } from '../domain/errors';
import { handleCommand, loadState, type CommandContext, type CommandDeps, type Handled } from './handleCommand';
import { release, withReservation, type ReservationKey } from './reservations';

type Key = Omit<ReservationKey, 'takenCode'>;

/** An aggregate whose instances each hold one unique value (a user's email, an env's name, ...). */
export interface KeyedAggregate<C, E extends DomainEvent, S> {
  readonly decider: Decider<C, E, S>;
  readonly stream: (id: string) => string;
  /** The unique value an instance in this state holds; undefined when absent or deleted. */
  readonly heldKey: (state: S) => Key | undefined;
  /** The unique value a command asks for (create, rename); undefined when it asks for none. */
  readonly wantedKey: (command: C, state: S) => ReservationKey | undefined;
}

/**
 * Runs any command of a keyed aggregate: a wanted key is reserved first (and given back if the
 * command is refused); the key held before is released once a rename or delete succeeded.
 */
export async function handleKeyedCommand<C, E extends DomainEvent, S>(
  deps: CommandDeps,
  context: CommandContext,
  aggregate: KeyedAggregate<C, E, S>,
  id: string,
  command: C,
): Promise<Either<DomainError, Handled<E, S>>> {
  const { state } = await loadState(deps, aggregate.decider, aggregate.stream(id));
  const held = aggregate.heldKey(state);
  const run = () => handleCommand(deps, aggregate.decider, aggregate.stream(id), command, context);

  const wanted = aggregate.wantedKey(command, state);
  const holds = async (ownerId: string): Promise<boolean> => {
    const holderKey = aggregate.heldKey((await loadState(deps, aggregate.decider, aggregate.stream(ownerId))).state);
    return holderKey !== undefined && wanted !== undefined && holderKey.scope === wanted.scope && holderKey.value === wanted.value;
  };
  if (wanted !== undefined) return withReservation(deps, context, id, wanted, run, held, holds);

  const outcome = await run();
  if (isLeft(outcome) || held === undefined || aggregate.heldKey(outcome.right.state) !== undefined) return outcome;
  await release(deps, held, id, context);
  return outcome;
}
