import * as t from 'io-ts';

/** A non-negative integer sent as a query string, e.g. `?skip=50`. */
export const IntFromQuery = new t.Type<number, string, unknown>(
  'integer',
  (u): u is number => typeof u === 'number' && Number.isInteger(u),
  (u, c) => {
    const n = typeof u === 'string' && /^\d{1,9}$/.test(u) ? Number(u) : NaN;
    return Number.isInteger(n) ? t.success(n) : t.failure(u, c);
  },
  String,
);

/** A query string value that must be present, non-empty. */
export const NonEmptyQuery = new t.Type<string, string, unknown>(
  'string',
  (u): u is string => typeof u === 'string' && u.length > 0,
  (u, c) => (typeof u === 'string' && u.length > 0 ? t.success(u) : t.failure(u, c)),
  String,
);
