import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from './errors';
import { validateName } from './names';

/**
 * The requested settings that differ from the current ones (a name validated first), so an
 * update that changes nothing records nothing.
 */
export function settingsChanges<S extends { readonly name: string }>(state: S, requested: Partial<S>): Either<DomainError, Partial<S>> {
  let checked = requested;
  if (requested.name !== undefined) {
    const name = validateName(requested.name, ['body', 'name']);
    if (typeof name !== 'string') return left(name);
    checked = { ...requested, name };
  }
  const changes: Partial<S> = {};
  for (const key of Object.keys(checked) as (keyof S)[]) {
    const value = checked[key];
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(state[key])) changes[key] = value;
  }
  return right(changes);
}
