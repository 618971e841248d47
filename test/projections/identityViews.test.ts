import test from 'ava';
import { CREDENTIALS, REVOKED_TOKENS, SERVICE_TOKENS, USERS } from '../../projections/collections';
import { credentialsView } from '../../projections/identity/credentialsView';
import { tokensView } from '../../projections/identity/tokensView';
import { usersView } from '../../projections/identity/usersView';
import { projectionSpec, timeOf } from './projectionSpec';

const registered = {
  type: 'UserRegistered',
  data: { userId: 'u-1', email: 'ada@example.com', passwordHash: 'scrypt$one', isActive: true, isSuperuser: false, isVerified: false },
} as const;
const user = {
  id: 'u-1',
  email: 'ada@example.com',
  is_active: true,
  is_superuser: false,
  is_verified: false,
  active_env_id: null,
  created_at: timeOf(0),
  updated_at: timeOf(0),
};

test('users: a registered user as the API shows it, never with its password hash', async (t) => {
  await projectionSpec(usersView)
    .given([registered])
    .then(t, { [USERS]: [user] });
});

test('users: each change sets its field and the update time', async (t) => {
  await projectionSpec(usersView)
    .given([
      registered,
      { type: 'UserDeactivated', data: { userId: 'u-1' } },
      { type: 'UserEmailChanged', data: { userId: 'u-1', email: 'ada@example.org', previousEmail: 'ada@example.com' } },
      { type: 'UserActiveEnvSet', data: { userId: 'u-1', envId: 'e-1' } },
      { type: 'UserSuperuserSet', data: { userId: 'u-1', isSuperuser: true } },
      { type: 'UserVerified', data: { userId: 'u-1' } },
    ])
    .then(t, {
      [USERS]: [
        {
          ...user,
          is_active: false,
          email: 'ada@example.org',
          active_env_id: 'e-1',
          is_superuser: true,
          is_verified: true,
          updated_at: timeOf(5),
        },
      ],
    });
});

test('users: a deleted user is gone', async (t) => {
  await projectionSpec(usersView)
    .given([registered, { type: 'UserDeleted', data: { userId: 'u-1', email: 'ada@example.com' } }])
    .then(t, {});
});

test('credentials: email and the latest password hash, gone with the user', async (t) => {
  const spec = projectionSpec(credentialsView);
  await spec
    .given([
      registered,
      { type: 'UserPasswordChanged', data: { userId: 'u-1', passwordHash: 'scrypt$two' } },
      { type: 'UserEmailChanged', data: { userId: 'u-1', email: 'ada@example.org', previousEmail: 'ada@example.com' } },
      { type: 'UserPasswordReset', data: { userId: 'u-1', tokenHash: 'sha256$token', passwordHash: 'scrypt$three' } },
    ])
    .then(t, { [CREDENTIALS]: [{ id: 'u-1', email: 'ada@example.org', password_hash: 'scrypt$three' }] });
  await spec.given([registered, { type: 'UserDeleted', data: { userId: 'u-1', email: 'ada@example.com' } }]).then(t, {});
});

test('tokens: an issued service token is listed; revoked, it leaves the list for the revocation list', async (t) => {
  const spec = projectionSpec(tokensView);
  const issued = { type: 'UserServiceTokenIssued', data: { userId: 'u-1', tokenId: 'tok-1', name: 'ci', expiresAt: null } } as const;
  await spec
    .given([issued])
    .then(t, { [SERVICE_TOKENS]: [{ id: 'tok-1', user_id: 'u-1', name: 'ci', expires_at: null, created_at: timeOf(0) }] });
  await spec
    .given([
      issued,
      { type: 'UserTokenRevoked', data: { userId: 'u-1', tokenId: 'tok-1', expiresAt: null } },
      { type: 'UserTokenRevoked', data: { userId: 'u-1', tokenId: 'login-jwt-1', expiresAt: '2026-01-02T00:00:00.000Z' } },
    ])
    .then(t, {
      [REVOKED_TOKENS]: [
        { id: 'login-jwt-1', user_id: 'u-1', expires_at: '2026-01-02T00:00:00.000Z' },
        { id: 'tok-1', user_id: 'u-1', expires_at: null },
      ],
    });
});
