import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { issuesOf, type ValidationIssue } from '../domain/validationIssue';
import type { DomainError } from '../domain/errors';

export type { ValidationIssue };

/** A request that does not match its codec; answered 422 with every issue found. */
export class ValidationFailure extends Error {
  constructor(readonly issues: readonly ValidationIssue[]) {
    super('Request validation failed');
    this.name = 'ValidationFailure';
  }
}

/** Decodes a request part with its codec, or throws every problem found as a ValidationFailure. */
export function decode<A, O>(codec: t.Type<A, O, unknown>, value: unknown, where: 'body' | 'query' | 'path'): A {
  const result = codec.decode(value);
  if (isLeft(result)) throw new ValidationFailure(issuesOf(result.left, [where]));
  return result.right;
}

/** Domain validation problems (each with its loc) as one 422 answer. */
export function validationFailureOf(errors: readonly DomainError[]): ValidationFailure {
  return new ValidationFailure(errors.map((e) => ({ loc: e.loc ?? ['body'], msg: e.message ?? e.code, type: e.code })));
}
