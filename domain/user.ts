import * as t from 'io-ts';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { eventOf, type Decider } from './decider';
import { conflict, invalid, notFound, type DomainError } from './errors';
import { validateEmail } from './email';

export const UserEvent = t.union([
  eventOf(
    'UserRegistered',
    t.type({
      userId: t.string,
      email: t.string,
      passwordHash: t.string,
      isActive: t.boolean,
      isSuperuser: t.boolean,
      isVerified: t.boolean,
    }),
  ),
  eventOf('UserActivated', t.type({ userId: t.string })),
  eventOf('UserDeactivated', t.type({ userId: t.string })),
  eventOf('UserPasswordChanged', t.type({ userId: t.string, passwordHash: t.string })),
  eventOf('UserEmailChanged', t.type({ userId: t.string, email: t.string, previousEmail: t.string })),
  eventOf('UserActiveEnvSet', t.type({ userId: t.string, envId: t.union([t.string, t.null]) })),
  eventOf('UserDeleted', t.type({ userId: t.string, email: t.string })),
]);
export type UserEvent = t.TypeOf<typeof UserEvent>;

export type UserCommand =
  | {
      readonly type: 'RegisterUser';
      readonly userId: string;
      readonly email: string;
      /** Hashed by the caller: the domain never sees a clear password. */
      readonly passwordHash: string;
      readonly isActive: boolean;
      readonly isSuperuser: boolean;
    }
  | { readonly type: 'ActivateUser' }
  | { readonly type: 'DeactivateUser' }
  | { readonly type: 'ChangePassword'; readonly passwordHash: string }
  | { readonly type: 'ChangeEmail'; readonly email: string }
  | { readonly type: 'SetActiveEnv'; readonly envId: string | null }
  | { readonly type: 'DeleteUser' };

export type UserState =
  | { readonly status: 'absent' }
  | { readonly status: 'deleted' }
  | {
      readonly status: 'active' | 'inactive';
      readonly userId: string;
      readonly email: string;
      readonly activeEnvId: string | null;
    };

const evolve = (state: UserState, event: UserEvent): UserState => {
  switch (event.type) {
    case 'UserRegistered':
      return {
        status: event.data.isActive ? 'active' : 'inactive',
        userId: event.data.userId,
        email: event.data.email,
        activeEnvId: null,
      };
    case 'UserDeleted':
      return { status: 'deleted' };
  }
  if (state.status !== 'active' && state.status !== 'inactive') return state;
  switch (event.type) {
    case 'UserActivated':
      return { ...state, status: 'active' };
    case 'UserDeactivated':
      return { ...state, status: 'inactive' };
    case 'UserPasswordChanged':
      return state;
    case 'UserEmailChanged':
      return { ...state, email: event.data.email };
    case 'UserActiveEnvSet':
      return { ...state, activeEnvId: event.data.envId };
  }
};

const decide = (command: UserCommand, state: UserState): Either<DomainError, readonly UserEvent[]> => {
  if (command.type === 'RegisterUser') {
    if (state.status !== 'absent') return left(conflict('REGISTER_USER_ALREADY_EXISTS'));
    const email = validateEmail(command.email);
    if (email === undefined) return left(invalid('value_error.email', ['body', 'email'], 'value is not a valid email address'));
    const { userId, passwordHash, isActive, isSuperuser } = command;
    return right([
      { type: 'UserRegistered', data: { userId, email, passwordHash, isActive, isSuperuser, isVerified: false } },
    ]);
  }
  if (state.status !== 'active' && state.status !== 'inactive') return left(notFound('USER_NOT_FOUND'));
  const { userId } = state;
  switch (command.type) {
    case 'ActivateUser':
      return right(state.status === 'active' ? [] : [{ type: 'UserActivated', data: { userId } }]);
    case 'DeactivateUser':
      return right(state.status === 'inactive' ? [] : [{ type: 'UserDeactivated', data: { userId } }]);
    case 'ChangePassword':
      return right([{ type: 'UserPasswordChanged', data: { userId, passwordHash: command.passwordHash } }]);
    case 'ChangeEmail': {
      const email = validateEmail(command.email);
      if (email === undefined) return left(invalid('value_error.email', ['body', 'email'], 'value is not a valid email address'));
      if (email === state.email) return right([]);
      return right([{ type: 'UserEmailChanged', data: { userId, email, previousEmail: state.email } }]);
    }
    case 'SetActiveEnv':
      if (command.envId === state.activeEnvId) return right([]);
      return right([{ type: 'UserActiveEnvSet', data: { userId, envId: command.envId } }]);
    case 'DeleteUser':
      return right([{ type: 'UserDeleted', data: { userId, email: state.email } }]);
  }
};

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: { status: 'absent' },
  evolve,
  decide,
  eventCodec: UserEvent,
};
