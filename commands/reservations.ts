import { createHash } from 'node:crypto';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from '../domain/errors';
import { reservationDecider } from '../domain/reservation';
import { handleCommand, loadState, type CommandContext, type CommandDeps } from './handleCommand';

/** A unique value within a scope, e.g. `{scope: 'email', value: 'jane@example.com'}`. */
export interface ReservationKey {
  readonly scope: string;
  readonly value: string;
  /** The refusal code when another owner holds it, e.g. REGISTER_USER_ALREADY_EXISTS. */
  readonly takenCode: string;
}

// Hashed so that any user-supplied value makes a valid, bounded stream name.
const streamOf = (key: Pick<ReservationKey, 'scope' | 'value'>): string =>
  `reservation-${key.scope}-${createHash('sha256').update(key.value).digest('hex').slice(0, 40)}`;

/** Who holds a unique value now, read from its reservation stream (not from a read model). */
export async function holderOf(deps: CommandDeps, key: Omit<ReservationKey, 'takenCode'>): Promise<string | null> {
  return (await loadState(deps.store, reservationDecider, streamOf(key))).state.ownerId;
}

export function claim(deps: CommandDeps, key: ReservationKey, ownerId: string, context: CommandContext) {
  return handleCommand(deps, reservationDecider, streamOf(key), { type: 'Claim', ...key, ownerId }, context);
}

export function release(deps: CommandDeps, key: Omit<ReservationKey, 'takenCode'>, ownerId: string, context: CommandContext) {
  return handleCommand(deps, reservationDecider, streamOf(key), { type: 'Release', ...key, ownerId }, context);
}

/**
 * Runs `action` holding `key` for `ownerId`; when the action is refused the claim is released,
 * so a failed create or rename never keeps a name. A previous key (rename) is released only
 * after the action succeeded.
 */
export async function withReservation<T>(
  deps: CommandDeps,
  context: CommandContext,
  ownerId: string,
  key: ReservationKey,
  action: () => Promise<Either<DomainError, T>>,
  previous?: Omit<ReservationKey, 'takenCode'>,
): Promise<Either<DomainError, T>> {
  const claimed = await claim(deps, key, ownerId, context);
  if (isLeft(claimed)) return claimed;
  // Release on failure only what this call claimed: the owner may have held the key already.
  const undo = async (): Promise<void> => {
    if (claimed.right.events.length > 0) await release(deps, key, ownerId, context);
  };
  const outcome = await action().catch(async (error: unknown) => {
    await undo();
    throw error;
  });
  if (isLeft(outcome)) {
    await undo();
    return outcome;
  }
  if (previous !== undefined && (previous.scope !== key.scope || previous.value !== key.value)) {
    await release(deps, previous, ownerId, context);
  }
  return outcome;
}
