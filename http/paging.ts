import * as t from 'io-ts';
import { decode } from './decode';
import { keptPerObject } from '../infrastructure/memo/keptPerObject';
import { checkBounds, IntFromQuery } from './queryCodecs';

export const MAX_LIMIT = 100;

const Limit = new IntFromQuery(1, MAX_LIMIT);
export const PagingQuery = t.partial({ skip: new IntFromQuery(), limit: Limit, page: new IntFromQuery(1), size: Limit });

export interface Paging {
  readonly skip: number;
  readonly limit: number;
}

/** `skip` / `limit` (default 0 / 50, limit at most 100), or `page` (from 1) / `size` as an alias. */
export function pagingOf(query: unknown): Paging {
  const q = decode(PagingQuery, query, 'query');
  checkBounds(PagingQuery.props, q);
  const limit = q.limit ?? q.size ?? 50;
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

/** The JSON text of a kept rendering (see `pipelineRead`), serialised once and kept beside it. */
export const keptJsonText = keptPerObject((item: object): string => JSON.stringify(item));

/**
 * The contract's paged answer, as JSON text, for items that are kept renderings: a list that
 * dashboards poll costs the serialisation of its changed items only.
 */
export const pagedText = (items: readonly object[], total: number, paging: Paging): string =>
  `{"items":[${items.map(keptJsonText).join(',')}],"total":${total},"skip":${paging.skip},"limit":${paging.limit}}`;
