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

/** A date-time (ISO 8601, or anything Date.parse reads), normalised to UTC `YYYY-MM-DDTHH:MM:SS.sssZ`. */
export const IsoTime = new t.Type<string, string, unknown>(
  'datetime',
  (u): u is string => typeof u === 'string',
  (u, c) => (typeof u === 'string' && !Number.isNaN(Date.parse(u)) ? t.success(new Date(u).toISOString()) : t.failure(u, c)),
  String,
);

/** A boolean, in a JSON body or as `true` / `false` in a query string. */
export const Flag = new t.Type<boolean, boolean, unknown>(
  'boolean',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) => (typeof u === 'boolean' ? t.success(u) : u === 'true' ? t.success(true) : u === 'false' ? t.success(false) : t.failure(u, c)),
  (a) => a,
);
