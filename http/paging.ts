import * as t from 'io-ts';
import { decode } from './decode';
import { ValidationFailure } from '../domain/failures';
import { IntFromQuery } from './queryCodecs';

export const PagingQuery = t.partial({ skip: IntFromQuery, limit: IntFromQuery, page: IntFromQuery, size: IntFromQuery });

export interface Paging {
  readonly skip: number;
  readonly limit: number;
}

export const MAX_LIMIT = 100;

/** `skip` / `limit` (default 0 / 50, limit at most 100), or `page` (from 1) / `size` as an alias. */
export function pagingOf(query: unknown): Paging {
  const q = decode(PagingQuery, query, 'query');
  const limit = q.limit ?? q.size ?? 50;
  if (limit < 1 || limit > MAX_LIMIT) {
    const field = q.limit !== undefined ? 'limit' : 'size';
    throw new ValidationFailure([
      { loc: ['query', field], msg: `ensure this value is between 1 and ${MAX_LIMIT}`, type: 'value_error.number.not_in_range' },
    ]);
  }
  if (q.page !== undefined && q.page < 1) {
    throw new ValidationFailure([
      { loc: ['query', 'page'], msg: 'ensure this value is greater than or equal to 1', type: 'value_error.number.not_ge' },
    ]);
  }
  const skip = q.skip ?? (q.page !== undefined ? (q.page - 1) * limit : 0);
  return { skip, limit };
}

/** The contract's paged answer. */
export const pagedBody = <D, T>(page: { readonly items: readonly D[]; readonly total: number }, paging: Paging, toItem: (doc: D) => T) => ({
  items: page.items.map(toItem),
  total: page.total,
  skip: paging.skip,
  limit: paging.limit,
});
