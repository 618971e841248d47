import * as t from 'io-ts';
import { ValidationFailure } from '../domain/failures';
import type { ValidationIssue } from '../domain/validationIssue';
import { documented } from '../domain/jsonSchema';

/**
 * A whole number sent as a query string, e.g. `?skip=50`. `minimum` / `maximum` are the bounds the
 * route enforces (see `outOfBounds`), kept on the codec so that the document states them too.
 */
export class IntFromQuery extends t.Type<number, string, unknown> {
  /** Nine digits at most: the parser takes no more. */
  static readonly LARGEST = 999_999_999;

  constructor(
    readonly minimum = 0,
    readonly maximum?: number,
  ) {
    super(
      'integer',
      (u): u is number => typeof u === 'number' && Number.isInteger(u),
      (u, c) => {
        const n = typeof u === 'string' && /^\d{1,9}$/.test(u) ? Number(u) : NaN;
        return Number.isInteger(n) ? t.success(n) : t.failure(u, c);
      },
      String,
    );
  }
}

/**
 * Refuses, as FastAPI does (`ge` alone, or `ge` and `le`), the decoded query integers outside the
 * bounds of their codec among `codecs`. Bounds are checked after decoding so that a type error
 * and a range error each keep their own FastAPI type.
 */
export function checkBounds(codecs: Readonly<Record<string, t.Mixed>>, values: Readonly<Record<string, unknown>>): void {
  const issues = Object.entries(codecs).flatMap(([name, codec]): ValidationIssue[] => {
    const value = values[name];
    if (!(codec instanceof IntFromQuery) || typeof value !== 'number') return [];
    const { minimum, maximum } = codec;
    if (value >= minimum && (maximum === undefined || value <= maximum)) return [];
    const loc = ['query', name];
    return maximum === undefined
      ? [{ loc, msg: `ensure this value is greater than or equal to ${minimum}`, type: 'value_error.number.not_ge' }]
      : [{ loc, msg: `ensure this value is between ${minimum} and ${maximum}`, type: 'value_error.number.not_in_range' }];
  });
  if (issues.length > 0) throw new ValidationFailure(issues);
}

/** The ids of the API (the contract's UUID strings), any version, either case. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID, as ids in paths and queries are: anything else is FastAPI's `type_error.uuid`. */
export const Uuid = new t.Type<string, string, unknown>(
  'uuid',
  (u): u is string => typeof u === 'string' && UUID.test(u),
  (u, c) => (typeof u === 'string' && UUID.test(u) ? t.success(u) : t.failure(u, c)),
  String,
);

/** A query string value that must be present, non-empty. */
export const NonEmptyQuery = documented(
  new t.Type<string, string, unknown>(
    'string',
    (u): u is string => typeof u === 'string' && u.length > 0,
    (u, c) => (typeof u === 'string' && u.length > 0 ? t.success(u) : t.failure(u, c)),
    String,
  ),
  { type: 'string', minLength: 1 },
);

/** RFC 3339's date-time (OpenAPI's `format: date-time`): date, time and an offset or `Z`. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A date-time (RFC 3339), normalised to UTC `YYYY-MM-DDTHH:MM:SS.sssZ`. Only that form: Date.parse
 * alone would take `0.5` or `2024` for a time.
 */
export const IsoTime = new t.Type<string, string, unknown>(
  'datetime',
  (u): u is string => typeof u === 'string',
  (u, c) =>
    typeof u === 'string' && RFC3339.test(u) && !Number.isNaN(Date.parse(u)) ? t.success(new Date(u).toISOString()) : t.failure(u, c),
  String,
);

/** A boolean, in a JSON body or as `true` / `false` in a query string. */
export const Flag = new t.Type<boolean, boolean, unknown>(
  'boolean',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) => (typeof u === 'boolean' ? t.success(u) : u === 'true' ? t.success(true) : u === 'false' ? t.success(false) : t.failure(u, c)),
  (a) => a,
);
