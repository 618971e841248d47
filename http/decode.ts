import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';

/** One FastAPI-style validation problem: where, what, and a machine-readable type. */
export interface ValidationIssue {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly type: string;
}

/** A request that does not match its codec; answered 422 with every issue found. */
export class ValidationFailure extends Error {
  constructor(readonly issues: readonly ValidationIssue[]) {
    super('Request validation failed');
    this.name = 'ValidationFailure';
  }
}

const typeNames: Record<string, string> = {
  string: 'str',
  number: 'float',
  Int: 'integer',
  boolean: 'bool',
  UnknownRecord: 'dict',
  UnknownArray: 'list',
};

const issueOf = (error: t.ValidationError, where: string): ValidationIssue => {
  // io-ts reports the path through unions and intersections as numeric positions with a
  // codec name that is not a field; only keys of object codecs and array indexes are kept.
  const loc: (string | number)[] = [where];
  error.context.forEach((entry, i) => {
    if (i === 0 || entry.key === '') return;
    const parent = error.context[i - 1]?.type;
    if (parent instanceof t.UnionType || parent instanceof t.IntersectionType) return;
    loc.push(/^\d+$/.test(entry.key) && parent instanceof t.ArrayType ? Number(entry.key) : entry.key);
  });
  if (error.value === undefined) return { loc, msg: 'field required', type: 'value_error.missing' };
  if (error.message !== undefined) return { loc, msg: error.message, type: 'value_error' };
  const expected = error.context[error.context.length - 1]?.type;
  if (expected instanceof t.KeyofType || expected instanceof t.LiteralType) {
    return { loc, msg: `unexpected value; permitted: ${expected.name}`, type: 'type_error.enum' };
  }
  const name = expected === undefined ? 'value' : (typeNames[expected.name] ?? expected.name);
  return { loc, msg: `value is not a valid ${name}`, type: `type_error.${name}` };
};

/** Decodes a request part with its codec, or throws every problem found as a ValidationFailure. */
export function decode<A, O>(codec: t.Type<A, O, unknown>, value: unknown, where: 'body' | 'query' | 'path'): A {
  const result = codec.decode(value);
  if (isLeft(result)) throw new ValidationFailure(dedupe(result.left.map((error) => issueOf(error, where))));
  return result.right;
}

// A union reports one error per member for the same place; the client needs it once.
const dedupe = (issues: ValidationIssue[]): ValidationIssue[] => {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = JSON.stringify(issue.loc);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};
