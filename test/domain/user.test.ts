import test from 'ava';
import { userDecider, type UserEvent } from '../../domain/identity/user';
import { deciderSpec } from './deciderSpec';

const spec = deciderSpec(userDecider);
const userId = 'u-1';
const registered: UserEvent = {
  type: 'UserRegistered',
  data: { userId, email: 'jane@example.com', passwordHash: 'h1', isActive: true, isSuperuser: false, isVerified: false },
};
const register = {
  type: 'RegisterUser',
  userId,
  email: '  Jane@Example.com ',
  passwordHash: 'h1',
  isActive: true,
  isSuperuser: false,
} as const;

test('register: a new user is registered with a normalised email, never verified', (t) => {
  spec.given([]).when(register).then(t, [registered]);
});

test('register: twice is refused', (t) => {
  spec.given([registered]).when(register).thenFails(t, { kind: 'conflict', code: 'REGISTER_USER_ALREADY_EXISTS' });
});

test('register: an invalid email is refused with its location', (t) => {
  spec
    .given([])
    .when({ ...register, email: 'not-an-email' })
    .thenFails(t, { kind: 'invalid', code: 'value_error.email' });
});

test('register: an email holding a control character is refused, wherever it is (the fuzz lane sent a backspace and U+0087)', (t) => {
  for (const email of ['£@v\u0087.\bo', 'jane@exam\u0000ple.com', 'ja\u007fne@example.com', 'jane@example.co\u009f']) {
    spec
      .given([])
      .when({ ...register, email })
      .thenFails(t, { kind: 'invalid', code: 'value_error.email' });
  }
  spec
    .given([])
    .when({ ...register, email: ' José@Exämple.com ' })
    .then(t, [{ ...registered, data: { ...registered.data, email: 'josé@exämple.com' } }]);
});

test('activate: an inactive user becomes active; an active one records nothing', (t) => {
  const inactive: UserEvent = { ...registered, data: { ...registered.data, isActive: false } };
  spec
    .given([inactive])
    .when({ type: 'ActivateUser' })
    .then(t, [{ type: 'UserActivated', data: { userId } }]);
  spec.given([registered]).when({ type: 'ActivateUser' }).then(t, []);
});

test('deactivate: an active user becomes inactive', (t) => {
  spec
    .given([registered])
    .when({ type: 'DeactivateUser' })
    .then(t, [{ type: 'UserDeactivated', data: { userId } }]);
});

test('change password: records the new hash', (t) => {
  spec
    .given([registered])
    .when({ type: 'ChangePassword', passwordHash: 'h2' })
    .then(t, [{ type: 'UserPasswordChanged', data: { userId, passwordHash: 'h2' } }]);
});

test('change email: records old and new; the same email records nothing', (t) => {
  spec
    .given([registered])
    .when({ type: 'ChangeEmail', email: 'JOHN@example.com' })
    .then(t, [{ type: 'UserEmailChanged', data: { userId, email: 'john@example.com', previousEmail: 'jane@example.com' } }]);
  spec.given([registered]).when({ type: 'ChangeEmail', email: 'jane@example.com' }).then(t, []);
});

test('set active env: records the env; setting it again records nothing', (t) => {
  const set: UserEvent = { type: 'UserActiveEnvSet', data: { userId, envId: 'e-1' } };
  spec.given([registered]).when({ type: 'SetActiveEnv', envId: 'e-1' }).then(t, [set]);
  spec.given([registered, set]).when({ type: 'SetActiveEnv', envId: 'e-1' }).then(t, []);
  spec
    .given([registered, set])
    .when({ type: 'SetActiveEnv', envId: null })
    .then(t, [{ type: 'UserActiveEnvSet', data: { userId, envId: null } }]);
});

test('delete: a user is deleted once; afterwards it is not found', (t) => {
  const deleted: UserEvent = { type: 'UserDeleted', data: { userId, email: 'jane@example.com' } };
  spec.given([registered]).when({ type: 'DeleteUser' }).then(t, [deleted]);
  spec.given([registered, deleted]).when({ type: 'DeleteUser' }).thenFails(t, { kind: 'not_found', code: 'USER_NOT_FOUND' });
  spec
    .given([registered, deleted])
    .when({ type: 'ChangePassword', passwordHash: 'x' })
    .thenFails(t, { kind: 'not_found', code: 'USER_NOT_FOUND' });
});

test('an unknown user is not found', (t) => {
  spec.given([]).when({ type: 'SetActiveEnv', envId: 'e-1' }).thenFails(t, { kind: 'not_found', code: 'USER_NOT_FOUND' });
});

test('superuser flag and verification record only changes', (t) => {
  spec
    .given([registered])
    .when({ type: 'SetSuperuser', isSuperuser: true })
    .then(t, [{ type: 'UserSuperuserSet', data: { userId, isSuperuser: true } }]);
  spec.given([registered]).when({ type: 'SetSuperuser', isSuperuser: false }).then(t, []);
  spec
    .given([registered])
    .when({ type: 'VerifyUser' })
    .then(t, [{ type: 'UserVerified', data: { userId } }]);
});

test('a revoked token is revoked once', (t) => {
  const revoked: UserEvent = { type: 'UserTokenRevoked', data: { userId, tokenId: 'jti-1', expiresAt: '2030-01-01T00:00:00Z' } };
  spec.given([registered]).when({ type: 'RevokeToken', tokenId: 'jti-1', expiresAt: '2030-01-01T00:00:00Z' }).then(t, [revoked]);
  spec.given([registered, revoked]).when({ type: 'RevokeToken', tokenId: 'jti-1', expiresAt: '2030-01-01T00:00:00Z' }).then(t, []);
});

test('service tokens are issued and revoked; an unknown one is not found', (t) => {
  const issued: UserEvent = { type: 'UserServiceTokenIssued', data: { userId, tokenId: 'sa-1', name: 'ci', expiresAt: null } };
  spec.given([registered]).when({ type: 'IssueServiceToken', tokenId: 'sa-1', name: 'ci', expiresAt: null }).then(t, [issued]);
  spec
    .given([registered, issued])
    .when({ type: 'RevokeServiceToken', tokenId: 'sa-1' })
    .then(t, [{ type: 'UserTokenRevoked', data: { userId, tokenId: 'sa-1', expiresAt: null } }]);
  spec
    .given([registered])
    .when({ type: 'RevokeServiceToken', tokenId: 'sa-1' })
    .thenFails(t, { kind: 'not_found', code: 'SERVICE_TOKEN_NOT_FOUND' });
});

test('a reset token works once, before it expires, and only the latest one', (t) => {
  const requested: UserEvent = {
    type: 'UserPasswordResetRequested',
    data: { userId, tokenHash: 'th-1', expiresAt: '2025-01-01T01:00:00Z' },
  };
  const reset = { type: 'ResetPassword', tokenHash: 'th-1', passwordHash: 'h2', now: '2025-01-01T00:30:00Z' } as const;
  const done: UserEvent = { type: 'UserPasswordReset', data: { userId, tokenHash: 'th-1', passwordHash: 'h2' } };
  spec.given([registered, requested]).when(reset).then(t, [done]);
  spec.given([registered, requested, done]).when(reset).thenFails(t, { kind: 'invalid', code: 'RESET_PASSWORD_BAD_TOKEN' });
  spec
    .given([registered, requested])
    .when({ ...reset, now: '2025-01-01T01:00:01Z' })
    .thenFails(t, { kind: 'invalid', code: 'RESET_PASSWORD_BAD_TOKEN' });
  spec
    .given([registered, requested])
    .when({ ...reset, tokenHash: 'other' })
    .thenFails(t, { kind: 'invalid', code: 'RESET_PASSWORD_BAD_TOKEN' });
});
