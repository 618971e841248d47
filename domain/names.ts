import * as t from 'io-ts';
import { invalid, type DomainError } from './errors';
import { checkedLater, NON_BLANK } from './jsonSchema';

/** A display name: trimmed, 1 to 255 characters. Returns the trimmed name or why it is refused. */
export function validateName(raw: string, loc: readonly (string | number)[]): string | DomainError {
  const name = raw.trim();
  if (name.length === 0) return invalid('value_error.any_str.min_length', loc, 'ensure this value has at least 1 characters');
  if (name.length > 255) return invalid('value_error.any_str.max_length', loc, 'ensure this value has at most 255 characters');
  return name;
}

/**
 * A display name in a request body: a string, which `validateName` checks in the decider. The
 * document says it is not blank; the 255 characters, counted once trimmed, it leaves out.
 */
export const DisplayName = checkedLater(t.string, NON_BLANK);
