import { randomUUID } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { validateEmail } from '../../domain/identity/email';
import { invalid, type DomainError } from '../../domain/errors';
import { users } from '../aggregates';
import type { CommandContext, CommandDeps } from '../handleCommand';
import { handleKeyedCommand } from '../keyedCommand';
import type { PasswordHasher } from '../../infrastructure/crypto/passwords';
import { holderOf } from '../reservations';

/**
 * Makes sure `email` is an active superuser: registers it with `password` when absent, else
 * promotes and activates the existing account (its password is left as it is). Safe to run at
 * every start-up and from the CLI.
 */
export async function ensureSuperuser(
  deps: CommandDeps,
  passwords: PasswordHasher,
  email: string,
  password: string,
): Promise<Either<DomainError, { userId: string; created: boolean }>> {
  const normalised = validateEmail(email);
  if (normalised === undefined) return left(invalid('value_error.email', ['email'], 'not a valid email address'));
  const context: CommandContext = { actorId: 'system', correlationId: deps.newId() };
  const existing = await holderOf(deps, { scope: 'email', value: normalised });
  if (existing !== null) {
    for (const command of [{ type: 'SetSuperuser', isSuperuser: true }, { type: 'ActivateUser' }] as const) {
      const outcome = await handleKeyedCommand(deps, context, users, existing, command);
      if (isLeft(outcome)) return outcome;
    }
    return right({ userId: existing, created: false });
  }
  if (password.length < 8) return left(invalid('REGISTER_INVALID_PASSWORD', ['password'], 'at least 8 characters'));
  const userId = randomUUID();
  const outcome = await handleKeyedCommand(deps, context, users, userId, {
    type: 'RegisterUser',
    userId,
    email: normalised,
    passwordHash: await passwords.hash(password),
    isActive: true,
    isSuperuser: true,
  });
  return isLeft(outcome) ? outcome : right({ userId, created: true });
}
