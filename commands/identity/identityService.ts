import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DomainFailure } from '../../domain/failures';
import { validateEmail } from '../../domain/identity/email';
import type { PasswordHasher } from '../../infrastructure/crypto/passwords';
import type { Notifier } from '../../infrastructure/notifier';
import { users } from '../aggregates';
import { execute, stateOf, type ServiceDeps } from '../execute';
import { holderOf } from '../reservations';

/** The identity workflows: registration and the password-reset round trip. */
export interface IdentityDeps extends ServiceDeps {
  readonly passwords: PasswordHasher;
  readonly notifier: Notifier;
  readonly resetTokenLifetimeSeconds: number;
}

export interface Registration {
  readonly email: string;
  readonly password: string;
  readonly isActive: boolean;
}

/** Registers a user (acting as itself); answers its id. */
export async function registerUser(deps: IdentityDeps, correlationId: string, registration: Registration): Promise<string> {
  const userId = randomUUID();
  await execute(deps, { actorId: userId, correlationId }, users, userId, {
    type: 'RegisterUser',
    userId,
    email: registration.email,
    passwordHash: await deps.passwords.hash(registration.password),
    isActive: registration.isActive,
    isSuperuser: false,
  });
  return userId;
}

const hashResetToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Sends a reset token to an active user's email; an unknown or inactive email does nothing, and
 * the caller answers the same either way. Only the token's hash enters the log.
 */
export async function requestPasswordReset(deps: IdentityDeps, correlationId: string, email: string): Promise<void> {
  const normalised = validateEmail(email);
  const userId = normalised === undefined ? null : await holderOf(deps.commands, { scope: 'email', value: normalised });
  if (userId === null) return;
  const user = await stateOf(deps, users, userId);
  if (user.status !== 'active') return;
  // The user id rides in the token so that a reset needs no lookup.
  const token = `${userId}.${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(deps.commands.now().getTime() + deps.resetTokenLifetimeSeconds * 1000).toISOString();
  await execute(deps, { actorId: userId, correlationId }, users, userId, {
    type: 'RequestPasswordReset',
    tokenHash: hashResetToken(token),
    expiresAt,
  });
  await deps.notifier.sendPasswordReset(user.email, token, correlationId);
}

/** Sets a new password with a reset token; false when the token is not one this user was sent (or it expired). */
export async function resetPassword(deps: IdentityDeps, correlationId: string, token: string, password: string): Promise<boolean> {
  const userId = token.split('.')[0] ?? '';
  if (!/^[0-9a-f-]{36}$/.test(userId)) return false;
  try {
    await execute(deps, { actorId: userId, correlationId }, users, userId, {
      type: 'ResetPassword',
      tokenHash: hashResetToken(token),
      passwordHash: await deps.passwords.hash(password),
      now: deps.commands.now().toISOString(),
    });
    return true;
  } catch (error: unknown) {
    // An unknown user is a bad token too: the answer must not tell which part was wrong.
    if (error instanceof DomainFailure) return false;
    throw error;
  }
}
