import * as t from 'io-ts';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { eventOf, type Decider } from '../decider';
import { conflict, type DomainError } from '../errors';

/**
 * A unique value (an email, an env name, a team name within an env) held by one owner.
 * One stream per value: the first claim is appended with "no stream expected", so two
 * concurrent claims cannot both win, whatever the read models say.
 */
export const ReservationEvent = t.union([
  eventOf('ReservationClaimed', t.type({ scope: t.string, value: t.string, ownerId: t.string })),
  eventOf('ReservationReleased', t.type({ scope: t.string, value: t.string, ownerId: t.string })),
]);
export type ReservationEvent = t.TypeOf<typeof ReservationEvent>;

export type ReservationCommand =
  | { readonly type: 'Claim'; readonly scope: string; readonly value: string; readonly ownerId: string; readonly takenCode: string }
  | { readonly type: 'Release'; readonly scope: string; readonly value: string; readonly ownerId: string }
  /**
   * Takes a value over from an owner found not to hold it (see commands/reservations.ts): only
   * while `fromOwnerId` is still the owner, so that two repairs cannot both win.
   */
  | {
      readonly type: 'TakeOver';
      readonly scope: string;
      readonly value: string;
      readonly ownerId: string;
      readonly fromOwnerId: string;
      readonly takenCode: string;
    };

export type ReservationState = { readonly ownerId: string | null };

export const reservationDecider: Decider<ReservationCommand, ReservationEvent, ReservationState> = {
  initialState: { ownerId: null },
  evolve: (_state, event) => ({ ownerId: event.type === 'ReservationClaimed' ? event.data.ownerId : null }),
  decide: (command, state): Either<DomainError, readonly ReservationEvent[]> => {
    const { scope, value, ownerId } = command;
    if (command.type === 'Release') {
      return right(state.ownerId === ownerId ? [{ type: 'ReservationReleased', data: { scope, value, ownerId } }] : []);
    }
    if (state.ownerId === ownerId) return right([]);
    if (command.type === 'TakeOver' && state.ownerId === command.fromOwnerId) {
      return right([
        { type: 'ReservationReleased', data: { scope, value, ownerId: command.fromOwnerId } },
        { type: 'ReservationClaimed', data: { scope, value, ownerId } },
      ]);
    }
    if (state.ownerId !== null) return left(conflict(command.takenCode));
    return right([{ type: 'ReservationClaimed', data: { scope, value, ownerId } }]);
  },
  eventCodec: ReservationEvent,
};
