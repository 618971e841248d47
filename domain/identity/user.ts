import * as t from 'io-ts';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { eventOf, type Decider } from '../decider';
import { conflict, invalid, notFound, type DomainError } from '../errors';
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
  eventOf('UserSuperuserSet', t.type({ userId: t.string, isSuperuser: t.boolean })),
  eventOf('UserVerified', t.type({ userId: t.string })),
  /** A token (a logout, or a service-account token withdrawn) is refused from now on. */
  eventOf('UserTokenRevoked', t.type({ userId: t.string, tokenId: t.string, expiresAt: t.union([t.string, t.null]) })),
  eventOf(
    'UserServiceTokenIssued',
    t.type({ userId: t.string, tokenId: t.string, name: t.string, expiresAt: t.union([t.string, t.null]) }),
  ),
  /** Only a hash of the reset token is kept: the log never holds a usable token. */
  eventOf('UserPasswordResetRequested', t.type({ userId: t.string, tokenHash: t.string, expiresAt: t.string })),
  eventOf('UserPasswordReset', t.type({ userId: t.string, tokenHash: t.string, passwordHash: t.string })),
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
  | { readonly type: 'DeleteUser' }
  | { readonly type: 'SetSuperuser'; readonly isSuperuser: boolean }
  | { readonly type: 'VerifyUser' }
  | { readonly type: 'RevokeToken'; readonly tokenId: string; readonly expiresAt: string | null }
  | { readonly type: 'IssueServiceToken'; readonly tokenId: string; readonly name: string; readonly expiresAt: string | null }
  | { readonly type: 'RevokeServiceToken'; readonly tokenId: string }
  | { readonly type: 'RequestPasswordReset'; readonly tokenHash: string; readonly expiresAt: string }
  /** `now` is passed in: the domain has no clock. */
  | { readonly type: 'ResetPassword'; readonly tokenHash: string; readonly passwordHash: string; readonly now: string };

export type UserState =
  | { readonly status: 'absent' }
  | { readonly status: 'deleted' }
  | {
      readonly status: 'active' | 'inactive';
      readonly userId: string;
      readonly email: string;
      readonly activeEnvId: string | null;
      readonly isSuperuser: boolean;
      readonly isVerified: boolean;
      readonly serviceTokens: Readonly<Record<string, string | null>>;
      readonly revokedTokens: readonly string[];
      readonly pendingReset: { readonly tokenHash: string; readonly expiresAt: string } | null;
    };

const evolve = (state: UserState, event: UserEvent): UserState => {
  switch (event.type) {
    case 'UserRegistered':
      return {
        status: event.data.isActive ? 'active' : 'inactive',
        userId: event.data.userId,
        email: event.data.email,
        activeEnvId: null,
        isSuperuser: event.data.isSuperuser,
        isVerified: event.data.isVerified,
        serviceTokens: {},
        revokedTokens: [],
        pendingReset: null,
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
    case 'UserSuperuserSet':
      return { ...state, isSuperuser: event.data.isSuperuser };
    case 'UserVerified':
      return { ...state, isVerified: true };
    case 'UserTokenRevoked': {
      const { [event.data.tokenId]: _revoked, ...serviceTokens } = state.serviceTokens;
      return { ...state, serviceTokens, revokedTokens: [...state.revokedTokens, event.data.tokenId] };
    }
    case 'UserServiceTokenIssued':
      return { ...state, serviceTokens: { ...state.serviceTokens, [event.data.tokenId]: event.data.expiresAt } };
    case 'UserPasswordResetRequested':
      return { ...state, pendingReset: { tokenHash: event.data.tokenHash, expiresAt: event.data.expiresAt } };
    case 'UserPasswordReset':
      return { ...state, pendingReset: null };
  }
};

const decide = (command: UserCommand, state: UserState): Either<DomainError, readonly UserEvent[]> => {
  if (command.type === 'RegisterUser') {
    if (state.status !== 'absent') return left(conflict('REGISTER_USER_ALREADY_EXISTS'));
    const email = validateEmail(command.email);
    if (email === undefined) return left(invalid('value_error.email', ['body', 'email'], 'value is not a valid email address'));
    const { userId, passwordHash, isActive, isSuperuser } = command;
    return right([{ type: 'UserRegistered', data: { userId, email, passwordHash, isActive, isSuperuser, isVerified: false } }]);
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
    case 'SetSuperuser':
      if (command.isSuperuser === state.isSuperuser) return right([]);
      return right([{ type: 'UserSuperuserSet', data: { userId, isSuperuser: command.isSuperuser } }]);
    case 'VerifyUser':
      return right(state.isVerified ? [] : [{ type: 'UserVerified', data: { userId } }]);
    case 'RevokeToken':
      if (state.revokedTokens.includes(command.tokenId)) return right([]);
      return right([{ type: 'UserTokenRevoked', data: { userId, tokenId: command.tokenId, expiresAt: command.expiresAt } }]);
    case 'IssueServiceToken': {
      const { tokenId, name, expiresAt } = command;
      return right([{ type: 'UserServiceTokenIssued', data: { userId, tokenId, name, expiresAt } }]);
    }
    case 'RevokeServiceToken': {
      const expiresAt = state.serviceTokens[command.tokenId];
      if (expiresAt === undefined) return left(notFound('SERVICE_TOKEN_NOT_FOUND'));
      return right([{ type: 'UserTokenRevoked', data: { userId, tokenId: command.tokenId, expiresAt } }]);
    }
    case 'RequestPasswordReset':
      return right([{ type: 'UserPasswordResetRequested', data: { userId, tokenHash: command.tokenHash, expiresAt: command.expiresAt } }]);
    case 'ResetPassword': {
      const pending = state.pendingReset;
      if (pending === null || pending.tokenHash !== command.tokenHash || pending.expiresAt <= command.now) {
        return left(invalid('RESET_PASSWORD_BAD_TOKEN'));
      }
      return right([{ type: 'UserPasswordReset', data: { userId, tokenHash: command.tokenHash, passwordHash: command.passwordHash } }]);
    }
  }
};

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: { status: 'absent' },
  evolve,
  decide,
  eventCodec: UserEvent,
};
