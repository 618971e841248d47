import type { DomainError } from './errors';
import type { ValidationIssue } from './validationIssue';

/**
 * Refusals as thrown errors, so that a service several calls deep can refuse and the one error
 * mapper at the edge (HTTP, CLI) answers it: the domain says what went wrong, the edge says how.
 */

/** A refusal from the domain or the guard. */
export class DomainFailure extends Error {
  constructor(readonly error: DomainError) {
    super(error.message ?? error.code);
    this.name = 'DomainFailure';
  }
}

/** Input that does not match its codec or a rule of the domain, with every problem found (a 422). */
export class ValidationFailure extends Error {
  constructor(readonly issues: readonly ValidationIssue[]) {
    super('Request validation failed');
    this.name = 'ValidationFailure';
  }
}

/** Domain validation problems (each with its loc) as one failure. */
export function validationFailureOf(errors: readonly DomainError[]): ValidationFailure {
  return new ValidationFailure(errors.map((e) => ({ loc: e.loc ?? ['body'], msg: e.message ?? e.code, type: e.code })));
}

/** An Either unwrapped: a Left is thrown as the refusal it carries. */
export function unwrap<T>(outcome: { _tag: 'Left'; left: DomainError } | { _tag: 'Right'; right: T }): T {
  if (outcome._tag === 'Left') throw new DomainFailure(outcome.left);
  return outcome.right;
}
