import * as t from 'io-ts';
import type { Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from './errors';

/** An event as the domain sees it: a type tag and a payload, both checked by a codec when read back. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * One aggregate's rules, pure: fold past events into state, decide what a command produces.
 * `eventCodec` decodes what is read back from the log, so stored events are never trusted blindly.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  readonly initialState: State;
  readonly evolve: (state: State, event: Event) => State;
  readonly decide: (command: Command, state: State) => Either<DomainError, readonly Event[]>;
  readonly eventCodec: t.Decoder<unknown, Event>;
}

/** Codec of one event type: `{type: <literal>, data: <payload codec>}`. */
export const eventOf = <Type extends string, Data extends t.Mixed>(type: Type, data: Data) => t.type({ type: t.literal(type), data });
