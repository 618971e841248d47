import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { issuesOf } from '../domain/validationIssue';
import { ValidationFailure } from '../domain/failures';
import { Uuid } from './queryCodecs';

/** Decodes a request part with its codec, or throws every problem found as a ValidationFailure. */
export function decode<A, O>(codec: t.Type<A, O, unknown>, value: unknown, where: 'body' | 'query' | 'path'): A {
  const result = codec.decode(value);
  if (isLeft(result)) throw new ValidationFailure(issuesOf(result.left, [where]));
  return result.right;
}

/** A path parameter of the matched route (Koa's router types them loosely); '' when absent. */
export function pathParam(ctx: object, name: string): string {
  const params: unknown = 'params' in ctx ? ctx.params : undefined;
  const value = t.UnknownRecord.is(params) ? params[name] : undefined;
  return typeof value === 'string' ? value : '';
}

/**
 * An id of the path (`:id`, `:userId`, `:tokenId`): a UUID, as every id the API hands out, else a
 * 422 at `["path", name]`, so that only a well-formed id can be an unknown one (404).
 */
export function idParam(ctx: object, name = 'id'): string {
  const id = pathParam(ctx, name);
  // Every read by id comes through here: the codec that words the 422 is only built for a bad id.
  return Uuid.is(id) ? id : (decode(t.type({ [name]: Uuid }), { [name]: id }, 'path')[name] ?? '');
}

/**
 * The parsed request body where the route requires one: a request without a JSON or form body is
 * a 422 at `["body"]`. (The body parser hands `{}` for it, which a codec of optional fields would accept.)
 */
export function requiredBody(ctx: {
  readonly request: { readonly body?: unknown; is(...types: string[]): string | false | null };
}): unknown {
  if (!ctx.request.is('json', 'urlencoded'))
    throw new ValidationFailure([{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }]);
  return ctx.request.body;
}
