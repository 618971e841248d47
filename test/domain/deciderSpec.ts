import type { ExecutionContext } from 'ava';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Decider, DomainEvent } from '../../domain/decider';
import type { DomainError } from '../../domain/errors';

/**
 * given / when / then for a decider: past events are folded into state, the command is decided
 * on it, and the outcome is either the expected new events or the expected refusal.
 */
export function deciderSpec<C, E extends DomainEvent, S>(decider: Decider<C, E, S>) {
  return {
    given: (events: readonly E[]) => ({
      when: (command: C) => {
        const outcome = decider.decide(command, events.reduce(decider.evolve, decider.initialState));
        return {
          then(t: ExecutionContext, expected: readonly E[]): void {
            if (isLeft(outcome)) return t.fail(`refused with ${JSON.stringify(outcome.left)}`);
            t.deepEqual(outcome.right, expected);
            for (const event of outcome.right) t.false(isLeft(decider.eventCodec.decode(event)), `${event.type} must round-trip its codec`);
          },
          thenFails(t: ExecutionContext, expected: Pick<DomainError, 'kind' | 'code'>): void {
            if (!isLeft(outcome)) return t.fail(`accepted with ${JSON.stringify(outcome.right)}`);
            t.like(outcome.left, expected);
          },
        };
      },
    }),
  };
}
