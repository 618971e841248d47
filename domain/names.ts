import { invalid, type DomainError } from './errors';

/** A display name: trimmed, 1 to 255 characters. Returns the trimmed name or why it is refused. */
export function validateName(raw: string, loc: readonly (string | number)[]): string | DomainError {
  const name = raw.trim();
  if (name.length === 0) return invalid('value_error.any_str.min_length', loc, 'ensure this value has at least 1 characters');
  if (name.length > 255) return invalid('value_error.any_str.max_length', loc, 'ensure this value has at most 255 characters');
  return name;
}
