import { createHash } from 'node:crypto';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from '../domain/errors';
import { reservationDecider } from '../domain/reservation/reservation';
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
  return (await loadState(deps, reservationDecider, streamOf(key))).state.ownerId;
}

export function claim(deps: CommandDeps, key: ReservationKey, ownerId: string, context: CommandContext) {
  return handleCommand(deps, reservationDecider, streamOf(key), { type: 'Claim', ...key, ownerId }, context);
}

/**
 * How long a claim is left to its holder before it may be found abandoned: a create appends its
 * aggregate's event milliseconds after its claim, so a claim this old whose holder still does
 * not hold the value was left by a process that died between the two appends.
 */
export const ABANDONED_CLAIM_MS = 60_000;

/** Whether `ownerId`'s aggregate holds the key now (its stream read, not a read model). */
export type HoldsKey = (ownerId: string) => Promise<boolean>;

/**
 * Claims `key`; when another owner holds it, takes it over if that claim was abandoned: older
 * than ABANDONED_CLAIM_MS and its holder's aggregate does not hold the value (never created,
 * deleted, or renamed with the release lost). Otherwise the key is taken: refused as before.
 */
async function claimRepairing(
  deps: CommandDeps,
  key: ReservationKey,
  ownerId: string,
  context: CommandContext,
  holds: HoldsKey | undefined,
) {
  const claimed = await claim(deps, key, ownerId, context);
  if (!isLeft(claimed) || holds === undefined) return claimed;
  const stream = await deps.store.readStream(streamOf(key));
  const last = stream[stream.length - 1];
  const holder = (await holderOf(deps, key)) ?? undefined;
  if (last === undefined || holder === undefined || holder === ownerId) return claimed;
  const age = deps.now().getTime() - Date.parse(last.metadata.time);
  if (!(age >= ABANDONED_CLAIM_MS) || (await holds(holder))) return claimed;
  return handleCommand(deps, reservationDecider, streamOf(key), { type: 'TakeOver', ...key, ownerId, fromOwnerId: holder }, context);
}

export function release(deps: CommandDeps, key: Omit<ReservationKey, 'takenCode'>, ownerId: string, context: CommandContext) {
  return handleCommand(deps, reservationDecider, streamOf(key), { type: 'Release', ...key, ownerId }, context);
}

/**
 * Runs `action` holding `key` for `ownerId`; when the action is refused the claim is released,
 * so a failed create or rename never keeps a name. A previous key (rename) is released only
 * after the action succeeded. With `holds`, a claim abandoned by a process that died before its
 * action is taken over (see claimRepairing).
 */
export async function withReservation<T>(
  deps: CommandDeps,
  context: CommandContext,
  ownerId: string,
  key: ReservationKey,
  action: () => Promise<Either<DomainError, T>>,
  previous?: Omit<ReservationKey, 'takenCode'>,
  holds?: HoldsKey,
): Promise<Either<DomainError, T>> {
  const claimed = await claimRepairing(deps, key, ownerId, context, holds);
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
