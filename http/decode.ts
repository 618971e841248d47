import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { issuesOf } from '../domain/validationIssue';
import { ValidationFailure } from '../domain/failures';

/** Decodes a request part with its codec, or throws every problem found as a ValidationFailure. */
export function decode<A, O>(codec: t.Type<A, O, unknown>, value: unknown, where: 'body' | 'query' | 'path'): A {
  const result = codec.decode(value);
  if (isLeft(result)) throw new ValidationFailure(issuesOf(result.left, [where]));
  return result.right;
}

/** A path parameter of the matched route (Koa's router types them loosely); '' when absent. */
export function pathParam(ctx: object, name = 'id'): string {
  const params: unknown = 'params' in ctx ? ctx.params : undefined;
  const value = t.UnknownRecord.is(params) ? params[name] : undefined;
  return typeof value === 'string' ? value : '';
}
