import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { invalid, type DomainError } from '../errors';
import { checkedLater, documented, type JsonSchema } from '../jsonSchema';

/**
 * The mapper spec: one entry per target column (`subscription_mapper_config`, `smt_config`,
 * `POST /smt/process_mapper`'s `config`), its validation rules, the column list it produces, and
 * what each cast means. Everything here is pure so that the API refuses at configuration time
 * what would otherwise fail on every message, and `runtime/mapper/mapper.ts` runs the very same casts.
 */

type Loc = readonly (string | number)[];

// ---------------------------------------------------------------------------------------------
// Codecs

export const MapperCast = t.keyof({ string: null, int: null, float: null, bool: null, date: null, datetime: null, time: null });
export type MapperCast = t.TypeOf<typeof MapperCast>;
const castNames = Object.keys(MapperCast.keys) as MapperCast[];
const temporalCasts: ReadonlySet<MapperCast> = new Set(['date', 'datetime', 'time']);

/** Oracle's limit of columns per table: a longer mapper could never be written there. */
export const MAX_MAPPER_COLUMNS = 1000;
export const MAX_KEY_LENGTH = 128;
export const MAX_PATH_LENGTH = 1024;
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

// `null` on an optional field means "not given", as FastAPI's Optional fields do: a client that
// sends back what it read (with `"static": null`) must not be refused.
const optional = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

/** A string that `validateEntry` checks further (see checkKey, checkPath). */
const checkedString = (facts: JsonSchema) => checkedLater(t.string, { type: 'string', ...facts });

/**
 * One entry as a client sends it, with the contract's field names. The key and path rules of
 * `validateEntry` (checkKey, checkPath) and its cross-field rules are stated for the document.
 */
export const MapperEntryInput = documented(
  t.intersection([
    t.type({
      key: checkedString({ minLength: 1, maxLength: MAX_KEY_LENGTH, pattern: KEY_PATTERN.source, not: { const: '__proto__' } }),
    }),
    t.partial({
      path: optional(checkedString({ pattern: '^\\$', maxLength: MAX_PATH_LENGTH, description: 'a JSONPath: $.field.nested, $.list[0]' })),
      static: optional(t.string),
      cast: optional(MapperCast),
      cast_format: optional(t.string),
      primary_key: optional(t.boolean),
      nullable: optional(t.boolean),
    }),
  ]),
  {
    allOf: [
      // Exactly one of path and static (null is "not given").
      { oneOf: ['path', 'static'].map((name) => ({ properties: { [name]: { type: 'string' } }, required: [name] })) },
      // cast_format goes with a temporal cast only.
      {
        if: { properties: { cast_format: { type: 'string' } }, required: ['cast_format'] },
        then: { properties: { cast: { enum: [...temporalCasts] } }, required: ['cast'] },
      },
      // A primary key column is not nullable.
      { not: { properties: { primary_key: { const: true }, nullable: { const: true } }, required: ['primary_key', 'nullable'] } },
    ],
  },
);
export type MapperEntryInput = t.TypeOf<typeof MapperEntryInput>;

/**
 * A mapper config in a request body: any list, which `validateMapperConfig` then checks entry by
 * entry (every problem at its own loc); documented as the entries it accepts.
 */
export const MapperConfigInput = checkedLater(t.UnknownArray, { maxItems: MAX_MAPPER_COLUMNS }, t.array(MapperEntryInput));

/**
 * One entry once validated (what events carry and the runtime compiles): defaults applied,
 * exactly one of `path` / `static`, absent fields omitted, unknown fields stripped.
 */
export const MapperEntry = t.exact(
  t.intersection([
    t.type({ key: t.string, primary_key: t.boolean, nullable: t.boolean }),
    t.partial({ path: t.string, static: t.string, cast: MapperCast, cast_format: t.string }),
  ]),
);
export type MapperEntry = t.TypeOf<typeof MapperEntry>;

/** One column of `/datamodels/{id}/schema`: its type is the cast, or `json` for a value kept as is. */
export const MapperColumn = t.type(
  { name: t.string, type: t.union([MapperCast, t.literal('json')]), nullable: t.boolean, primary_key: t.boolean },
  'MapperColumn',
);
export type MapperColumn = t.TypeOf<typeof MapperColumn>;

export const schemaOf = (entries: readonly MapperEntry[]): MapperColumn[] =>
  entries.map((entry) => ({ name: entry.key, type: entry.cast ?? 'json', nullable: entry.nullable, primary_key: entry.primary_key }));

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * Validates a mapper config (`loc` is where the list sits in the request, e.g.
 * `['body', 'subscription_mapper_config']`): every problem found, each with the loc of its field
 * (`[...loc, 2, 'path']`), or the entries normalised. A primary-key column defaults to
 * non-nullable (and cannot be declared nullable); any other column defaults to nullable.
 */
export function validateMapperConfig(raw: unknown, loc: Loc): Either<DomainError[], MapperEntry[]> {
  if (!Array.isArray(raw)) return left([invalid('type_error.list', loc, 'value is not a valid list')]);
  if (raw.length > MAX_MAPPER_COLUMNS) {
    return left([invalid('value_error.list.max_items', loc, `ensure this value has at most ${MAX_MAPPER_COLUMNS} items`)]);
  }
  const errors: DomainError[] = [];
  const entries: MapperEntry[] = [];
  // Case-insensitive: Oracle folds unquoted names to upper case, so `Id` and `id` would collide.
  const firstIndexOfKey = new Map<string, number>();
  raw.forEach((item: unknown, index) => {
    const { key, entry } = validateEntry(item, [...loc, index], errors);
    if (key === undefined) return;
    const folded = key.toLowerCase();
    const first = firstIndexOfKey.get(folded);
    if (first !== undefined) {
      errors.push(
        invalid('value_error.mapper.duplicate_key', [...loc, index, 'key'], `duplicate column key '${key}' (same as item ${first})`),
      );
      return;
    }
    firstIndexOfKey.set(folded, index);
    if (entry !== undefined) entries.push(entry);
  });
  return errors.length > 0 ? left(errors) : right(entries);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const permitted = castNames.map((name) => `'${name}'`).join(', ');

/** One optional field: undefined when absent or null, else its decoded value, or an error pushed. */
function field<A>(
  item: Record<string, unknown>,
  name: string,
  codec: t.Decoder<unknown, A>,
  typeName: string,
  at: Loc,
  errors: DomainError[],
): A | undefined {
  if (!Object.hasOwn(item, name)) return undefined;
  const value = item[name];
  if (value === null || value === undefined) return undefined;
  const decoded = codec.decode(value);
  if (!isLeft(decoded)) return decoded.right;
  errors.push(
    typeName === 'enum'
      ? invalid('type_error.enum', [...at, name], `unexpected value; permitted: ${permitted}`)
      : invalid(`type_error.${typeName}`, [...at, name], `value is not a valid ${typeName}`),
  );
  return undefined;
}

/** One entry: its key when it is a valid one (for the duplicate rule), and the entry when all is valid. */
function validateEntry(item: unknown, at: Loc, errors: DomainError[]): { key?: string; entry?: MapperEntry } {
  if (!isRecord(item)) {
    errors.push(invalid('type_error.dict', at, 'value is not a valid dict'));
    return {};
  }
  const before = errors.length;

  let key: string | undefined;
  if (!Object.hasOwn(item, 'key') || item['key'] === undefined || item['key'] === null) {
    errors.push(invalid('value_error.missing', [...at, 'key'], 'field required'));
  } else if (typeof item['key'] !== 'string') {
    errors.push(invalid('type_error.str', [...at, 'key'], 'value is not a valid str'));
  } else {
    const keyError = checkKey(item['key'], [...at, 'key']);
    if (keyError) errors.push(keyError);
    else key = item['key'];
  }

  const path = field(item, 'path', t.string, 'str', at, errors);
  const staticValue = field(item, 'static', t.string, 'str', at, errors);
  const cast = field(item, 'cast', MapperCast, 'enum', at, errors);
  const castFormat = field(item, 'cast_format', t.string, 'str', at, errors);
  const primaryKey = field(item, 'primary_key', t.boolean, 'bool', at, errors);
  const nullable = field(item, 'nullable', t.boolean, 'bool', at, errors);

  const given = (name: string) => Object.hasOwn(item, name) && item[name] !== undefined && item[name] !== null;
  if (given('path') && given('static')) {
    errors.push(
      invalid('value_error.mapper.path_or_static', [...at, 'static'], 'path and static are mutually exclusive: give exactly one'),
    );
  } else if (!given('path') && !given('static')) {
    errors.push(invalid('value_error.mapper.path_or_static', [...at, 'path'], 'one of path or static is required'));
  }
  if (path !== undefined) {
    const pathError = checkPath(path);
    if (pathError) errors.push(invalid('value_error.mapper.path', [...at, 'path'], pathError));
  }

  let caster: Caster | undefined;
  if (castFormat !== undefined && (cast === undefined || !temporalCasts.has(cast))) {
    errors.push(
      invalid('value_error.mapper.cast_format', [...at, 'cast_format'], 'cast_format applies only to the date, datetime and time casts'),
    );
  } else {
    const compiled = compileCast(cast, castFormat);
    if (isLeft(compiled)) errors.push(invalid('value_error.mapper.cast_format', [...at, 'cast_format'], compiled.left));
    else caster = compiled.right;
  }
  if (staticValue !== undefined && caster !== undefined) {
    const value = caster(staticValue);
    if (value instanceof ValueFailure) errors.push(invalid('value_error.mapper.static', [...at, 'static'], value.reason));
  }

  if (primaryKey === true && nullable === true) {
    errors.push(invalid('value_error.mapper.nullable_primary_key', [...at, 'nullable'], 'a primary key column cannot be nullable'));
  }

  if (key === undefined) return {};
  if (errors.length > before) return { key };
  const entry: MapperEntry = {
    key,
    ...(path !== undefined ? { path } : {}),
    ...(staticValue !== undefined ? { static: staticValue } : {}),
    ...(cast !== undefined ? { cast } : {}),
    ...(castFormat !== undefined ? { cast_format: castFormat } : {}),
    primary_key: primaryKey ?? false,
    nullable: nullable ?? !(primaryKey ?? false),
  };
  return { key, entry };
}

function checkKey(key: string, at: Loc): DomainError | undefined {
  if (key.length === 0) return invalid('value_error.any_str.min_length', at, 'ensure this value has at least 1 characters');
  if (key.length > MAX_KEY_LENGTH)
    return invalid('value_error.any_str.max_length', at, `ensure this value has at most ${MAX_KEY_LENGTH} characters`);
  if (!KEY_PATTERN.test(key)) return invalid('value_error.str.regex', at, `string does not match regex "${KEY_PATTERN.source}"`);
  // The one identifier that a plain assignment `row[key] = value` would turn into a prototype change.
  if (key === '__proto__') return invalid('value_error.mapper.reserved_key', at, `'__proto__' is reserved`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Paths

/** One step of a simple path: an object key, or an array index (also read as key of an object). */
export type PathSegment = string | number;

const NAME_CHAR = /[\p{L}\p{N}_-]/u;
const CANONICAL_INDEX = /^(?:0|[1-9]\d{0,8})$/;

/**
 * Parses a simple path (`$`, `$.a.b`, `$.a[0].b`, `$['x y']`, `$["x"]`) into its segments, or
 * undefined when the path needs a JSONPath engine (wildcards, `..`, slices, unions, filters,
 * `^`, `~`, type selectors). Dotted names are letters, digits, `_` and `-`; a quoted name may
 * hold anything, with `\` escaping the next character. A canonical index (`[12]`, `.12`) becomes
 * a number: it reads an array element, or the key "12" of an object, as jsonpath-plus does.
 */
export function parseSimplePath(path: string): PathSegment[] | undefined {
  if (path[0] !== '$') return undefined;
  const segments: PathSegment[] = [];
  let i = 1;
  const n = path.length;
  while (i < n) {
    const c = path[i];
    if (c === '.') {
      const start = ++i;
      while (i < n && NAME_CHAR.test(path[i] ?? '')) i++;
      if (i === start) return undefined;
      const name = path.slice(start, i);
      segments.push(CANONICAL_INDEX.test(name) ? Number(name) : name);
    } else if (c === '[') {
      const q = path[i + 1];
      if (q === "'" || q === '"') {
        let name = '';
        let j = i + 2;
        for (; j < n && path[j] !== q; j++) {
          if (path[j] === '\\') j++;
          if (j >= n) return undefined;
          name += path[j];
        }
        if (j >= n || path[j + 1] !== ']') return undefined;
        segments.push(name);
        i = j + 2;
      } else {
        const close = path.indexOf(']', i);
        if (close < 0) return undefined;
        const index = path.slice(i + 1, close);
        if (!CANONICAL_INDEX.test(index)) return undefined;
        segments.push(Number(index));
        i = close + 1;
      }
    } else {
      return undefined;
    }
  }
  return segments;
}

const SCRIPT_REFUSED = 'filter and script expressions ((...), ?(...)) are not supported: script evaluation is disabled';

/**
 * Why a path is refused, or undefined. A path that is not simple goes to jsonpath-plus, whose
 * script evaluation is disabled: a filter (`[?(...)]`) or script (`[(...)]`) could never yield a
 * value, so it is refused here rather than failing on every message.
 */
export function checkPath(path: string): string | undefined {
  if (path[0] !== '$') return 'must start with $ (e.g. $.field.nested)';
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (parseSimplePath(path) !== undefined) return undefined;
  if (path.length > 1 && path[1] !== '.' && path[1] !== '[') return 'after $ comes .name or [...]';
  // Anywhere, quoted names included: jsonpath-plus reads `'(...)'` as a script too.
  if (/[()]/.test(path)) return SCRIPT_REFUSED;
  let depth = 0;
  let quote: string | undefined;
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      if (depth === 0) return 'quotes belong inside brackets';
      quote = c;
    } else if (c === '[') {
      if (++depth > 1) return 'nested brackets are not supported';
    } else if (c === ']') {
      if (--depth < 0) return 'unbalanced brackets';
    }
  }
  if (quote !== undefined) return 'unterminated quoted name';
  if (depth !== 0) return 'unbalanced brackets';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Casts

/**
 * Why a value could not be produced. A class, so that the hot path tells it from any JSON value
 * with one `instanceof` and allocates nothing when the cast succeeds.
 */
export class ValueFailure {
  constructor(
    readonly reason: string,
    /** Where it failed: reading the message (`parse`), finding the column's value (`map`), or casting it (`cast`). */
    readonly stage: FailureStage = 'cast',
  ) {}
}

export type FailureStage = 'parse' | 'map' | 'cast';

/** A compiled cast: the cast value, or a ValueFailure. Never called with null or undefined. */
export type Caster = (value: unknown) => unknown;

const fail = (reason: string) => new ValueFailure(reason);

/** A short rendering of the offending value for the error table (the payload is stored there too). */
export function preview(value: unknown): string {
  let text: string;
  try {
    // A long text is cut before quoting: a failed cast must not serialise a whole payload.
    text = JSON.stringify(typeof value === 'string' && value.length > 80 ? value.slice(0, 80) : value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const keep: Caster = (value) => value;

const toStringCast: Caster = (value) => {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      try {
        return JSON.stringify(value);
      } catch {
        return fail('cannot serialise the value to a JSON string');
      }
    default:
      return fail(`cannot cast a ${typeof value} to string`);
  }
};

/** `[+-]?\d+`, ASCII digits only (what `Number` would also read as an integer). */
function isIntegerText(text: string): boolean {
  const first = text.charCodeAt(0);
  let i = first === 43 || first === 45 ? 1 : 0; // + or -
  if (i >= text.length) return false;
  for (; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
  }
  return true;
}

const toInt: Caster = (value) => {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && isIntegerText(value)) n = Number(value);
  else return fail(`not an integer: ${preview(value)}`);
  if (!Number.isInteger(n)) return fail(`not an integer: ${preview(value)}`);
  if (!Number.isSafeInteger(n)) return fail(`integer out of the safe range (±2^53-1): ${preview(value)}`);
  return n === 0 ? 0 : n; // -0 is not an integer any target knows
};

const toFloat: Caster = (value) => {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && FLOAT_TEXT.test(value)) {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
    return fail(`float out of range: ${preview(value)}`);
  }
  return fail(`not a number: ${preview(value)}`);
};

const toBool: Caster = (value) => {
  if (typeof value === 'boolean') return value;
  if (value === 1) return true;
  if (value === 0) return false;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true' || value === '1') return true;
    if (lower === 'false' || value === '0') return false;
  }
  return fail(`not a boolean (true/false, "true"/"false", 1/0, "1"/"0"): ${preview(value)}`);
};

/**
 * A cast (and its `cast_format`) compiled once: the function, or why the format is refused.
 * No cast keeps the JSON value as it is.
 */
export function compileCast(cast: MapperCast | undefined, format: string | undefined): Either<string, Caster> {
  switch (cast) {
    case undefined:
      return right(keep);
    case 'string':
      return right(toStringCast);
    case 'int':
      return right(toInt);
    case 'float':
      return right(toFloat);
    case 'bool':
      return right(toBool);
    case 'date':
    case 'datetime':
    case 'time': {
      if (format === undefined) return right(isoCasts[cast]);
      const parser = compileFormat(format, cast);
      if (typeof parser === 'string') return left(parser);
      return right(formatCast(cast, format, parser));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dates and times: integer arithmetic on the proleptic Gregorian calendar, so that no Date
// quirk (two-digit years, local time, millisecond precision) can leak in.

interface Moment {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
  /** Minutes east of UTC; undefined when the text carried no offset. */
  offset: number | undefined;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (y: number, m: number) => (m === 2 && isLeap(y) ? 29 : (monthDays[m - 1] ?? 0));

// Days since 1970-01-01 of a civil date and back (H. Hinnant's algorithms).
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const MIN_SECONDS = daysFromCivil(1, 1, 1) * 86400;
const MAX_SECONDS = daysFromCivil(9999, 12, 31) * 86400 + 86399;

const pad = (n: number, width: number) => String(n).padStart(width, '0');
// Looked up rather than built: two digits are the width of every date and time field written.
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : `${n}`));
const two = (n: number) => TWO_DIGITS[n] ?? String(n);
const formatDate = (y: number, m: number, d: number) => `${y >= 1000 ? y : pad(y, 4)}-${two(m)}-${two(d)}`;
// 1_000_000 + micro has seven digits: its last six are the microseconds zero-padded.
const formatTime = (h: number, mi: number, s: number, micro: number) =>
  `${two(h)}:${two(mi)}:${two(s)}${micro === 0 ? '' : `.${String(1_000_000 + micro).slice(1)}`}`;

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` of seconds since the epoch (UTC) and microseconds. */
function formatInstant(seconds: number, micro: number): string | ValueFailure {
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) return fail('datetime outside years 0001 to 9999');
  const days = Math.floor(seconds / 86400);
  const rest = seconds - days * 86400;
  // The civil date of `days` (H. Hinnant's civil_from_days), inline: no array per datetime.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = m <= 2 ? era * 400 + yoe + 1 : era * 400 + yoe;
  return `${formatDate(y, m, d)}T${formatTime(Math.floor(rest / 3600), Math.floor((rest % 3600) / 60), rest % 60, micro)}Z`;
}

/**
 * A valid date and time, `offset` minutes east of UTC, in UTC. When the shift stays within the
 * day (always without offset) the date is written as given, without the round trip through days
 * since the epoch; a valid date is always within years 1 to 9999 then.
 */
function utcDatetime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  micro: number,
  offset: number,
): string | ValueFailure {
  const minutes = hour * 60 + minute - offset;
  if (minutes >= 0 && minutes < 1440)
    return `${formatDate(year, month, day)}T${formatTime(Math.floor(minutes / 60), minutes % 60, second, micro)}Z`;
  return formatInstant(daysFromCivil(year, month, day) * 86400 + minutes * 60 + second, micro);
}

const datetimeOf = (t: Moment) => utcDatetime(t.year, t.month, t.day, t.hour, t.minute, t.second, t.micro, t.offset ?? 0);

/** Digits of a fraction (1 to 9) as microseconds: truncated, never rounded into the next second. */
const microOf = (digits: string) => Number(digits.slice(0, 6).padEnd(6, '0'));

/** Minutes east of UTC of `Z`, `±HH`, `±HHMM` or `±HH:MM`; undefined when out of range. */
function offsetOf(text: string): number | undefined {
  if (text === 'Z' || text === 'z') return 0;
  const hours = Number(text.slice(1, 3));
  const minutes = text.length > 3 ? Number(text.slice(-2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return (text[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** Why these fields are no date and time, or undefined. */
function checkFields(year: number, month: number, day: number, hour: number, minute: number, second: number): string | undefined {
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return `no such date: ${formatDate(year, month, day)}`;
  if (hour > 23 || minute > 59 || second > 59) return `no such time: ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
  return undefined;
}
const checkMoment = (t: Moment) => checkFields(t.year, t.month, t.day, t.hour, t.minute, t.second);

const ISO_TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?$/;

const num = (text: string | undefined) => (text === undefined ? 0 : Number(text));

const isoCasts: Record<'date' | 'datetime' | 'time', Caster> = {
  date: (value) => {
    // `YYYY-MM-DD` scanned rather than matched: the cast of most date columns, run per message.
    const isDate = typeof value === 'string' && value.length === 10 && value[4] === '-' && value[7] === '-';
    const year = isDate ? digitsAt(value, 0, 4) : -1;
    const month = isDate ? digitsAt(value, 5, 2) : -1;
    const day = isDate ? digitsAt(value, 8, 2) : -1;
    if (year < 0 || month < 0 || day < 0) return fail(`not an ISO-8601 date (YYYY-MM-DD): ${preview(value)}`);
    const problem = checkFields(year, month, day, 0, 0, 0);
    return problem ? fail(problem) : formatDate(year, month, day);
  },
  datetime: (value) => {
    if (typeof value === 'number') return datetimeOfEpochMillis(value);
    if (typeof value !== 'string') return fail(`not an ISO-8601 datetime or epoch milliseconds: ${preview(value)}`);
    return scanIsoDatetime(value);
  },
  time: (value) => {
    const match = typeof value === 'string' ? ISO_TIME.exec(value) : null;
    if (!match) return fail(`not an ISO-8601 time (HH:MM[:SS[.ffffff]]): ${preview(value)}`);
    const moment = {
      year: 1970,
      month: 1,
      day: 1,
      hour: num(match[1]),
      minute: num(match[2]),
      second: num(match[3]),
      micro: match[4] === undefined ? 0 : microOf(match[4]),
      offset: undefined,
    };
    const problem = checkMoment(moment);
    return problem ? fail(problem) : formatTime(moment.hour, moment.minute, moment.second, moment.micro);
  },
};

/** The number written by `count` ASCII digits at `at`, or -1. */
function digitsAt(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48; // NaN past the end: refused below like any non-digit
    if (!(digit >= 0 && digit <= 9)) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * ISO-8601 / RFC 3339 datetime: `YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)f{1,9}]][Z|z|±HH[[:]MM]]]`,
 * without offset taken as UTC. A scanner rather than a regular expression: this is the cast of
 * most timestamp columns, and it runs per message.
 */
// Module-level rather than a closure per call: tsx (esbuild keepNames) wraps every named closure
// it creates in a `__name` defineProperty call, which would cost more than the scan itself.
const notIsoDatetime = (text: string) => fail(`not an ISO-8601 datetime or epoch milliseconds: ${preview(text)}`);

function scanIsoDatetime(text: string): string | ValueFailure {
  const n = text.length;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (n < 10 || year < 0 || month < 0 || day < 0 || text[4] !== '-' || text[7] !== '-') return notIsoDatetime(text);
  let hour = 0;
  let minute = 0;
  let second = 0;
  let micro = 0;
  let offset = 0;
  if (n > 10) {
    const separator = text[10];
    hour = digitsAt(text, 11, 2);
    minute = digitsAt(text, 14, 2);
    if ((separator !== 'T' && separator !== 't' && separator !== ' ') || hour < 0 || minute < 0 || text[13] !== ':')
      return notIsoDatetime(text);
    let i = 16;
    if (text[i] === ':') {
      second = digitsAt(text, i + 1, 2);
      if (second < 0) return notIsoDatetime(text);
      i += 3;
      if (text[i] === '.' || text[i] === ',') {
        // Up to 9 digits, of which the first 6 are the microseconds (truncated, as microOf).
        const start = ++i;
        for (let digit = digitsAt(text, i, 1); digit >= 0 && i - start < 9; digit = digitsAt(text, ++i, 1)) {
          if (i - start < 6) micro = micro * 10 + digit;
        }
        if (i === start) return notIsoDatetime(text);
        for (let width = Math.min(i - start, 6); width < 6; width++) micro *= 10;
      }
    }
    if (i < n) {
      const sign = text[i];
      const rest = n - i;
      if ((sign === 'Z' || sign === 'z') && rest === 1) {
        offset = 0;
      } else if (sign === '+' || sign === '-') {
        const hours = digitsAt(text, i + 1, 2);
        const minutes =
          rest === 3 ? 0 : rest === 5 ? digitsAt(text, i + 3, 2) : rest === 6 && text[i + 3] === ':' ? digitsAt(text, i + 4, 2) : -1;
        if (hours < 0 || minutes < 0) return notIsoDatetime(text);
        if (hours > 23 || minutes > 59) return fail(`no such UTC offset: ${preview(text.slice(i))}`);
        offset = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
      } else {
        return notIsoDatetime(text);
      }
    }
  }
  const problem = checkFields(year, month, day, hour, minute, second);
  return problem ? fail(problem) : utcDatetime(year, month, day, hour, minute, second, micro, offset);
}

function datetimeOfEpochMillis(ms: number): string | ValueFailure {
  if (!Number.isFinite(ms)) return fail(`not epoch milliseconds: ${preview(ms)}`);
  let seconds = Math.floor(ms / 1000);
  let micro = Math.round((ms - seconds * 1000) * 1000);
  if (micro >= 1_000_000) {
    seconds += 1;
    micro -= 1_000_000;
  }
  return formatInstant(seconds, micro);
}

// strptime-like formats: each directive becomes a group of an anchored regular expression built
// once; the patterns follow Python's `_strptime` (1 or 2 digits where it allows them).
type Slot = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'micro' | 'offset' | 'ampm';
interface Directive {
  readonly slot: Slot;
  readonly pattern: string;
  readonly read: (text: string, moment: Moment) => string | undefined;
  readonly fixed?: FixedDigits;
}

/**
 * A directive's all-digit form of one width: `width` ASCII digits valued `min` to `max` are
 * exactly the texts of that width its pattern accepts, and the pattern tries them before any
 * shorter form. `store` does what `read` does with such a text, given its number.
 */
interface FixedDigits {
  readonly width: number;
  readonly min: number;
  readonly max: number;
  readonly store: (n: number, moment: Moment) => void;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
// Case-insensitive alternatives without the `i` flag, which would also relax the literals.
const anyCase = (word: string) => [...word].map((c) => `[${c.toUpperCase()}${c}]`).join('');

type NumberSlot = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';
const setNumber = (slot: NumberSlot) => (text: string, moment: Moment) => {
  moment[slot] = Number(text);
  return undefined;
};
/** A directive read as the number its digits write, with its fixed form (see FixedDigits). */
const numberDirective = (slot: NumberSlot, pattern: string, width: number, min: number, max: number): Directive => ({
  slot,
  pattern,
  read: setNumber(slot),
  fixed: { width, min, max, store: (n, moment) => void (moment[slot] = n) },
});
const pivotYear = (yy: number) => (yy < 69 ? 2000 + yy : 1900 + yy); // POSIX / Python pivot

const DIRECTIVES: Record<string, Directive> = {
  Y: numberDirective('year', '\\d{4}', 4, 0, 9999),
  y: {
    slot: 'year',
    pattern: '\\d{2}',
    read: (text, moment) => {
      moment.year = pivotYear(Number(text));
      return undefined;
    },
    fixed: { width: 2, min: 0, max: 99, store: (yy, moment) => void (moment.year = pivotYear(yy)) },
  },
  m: numberDirective('month', '1[0-2]|0[1-9]|[1-9]', 2, 1, 12),
  b: {
    slot: 'month',
    pattern: MONTHS.map((name) => anyCase(name.slice(0, 3))).join('|'),
    read: (text, moment) => {
      moment.month = MONTHS.findIndex((name) => name.startsWith(text.toLowerCase())) + 1;
      return undefined;
    },
  },
  B: {
    slot: 'month',
    pattern: MONTHS.map(anyCase).join('|'),
    read: (text, moment) => {
      moment.month = MONTHS.indexOf(text.toLowerCase()) + 1;
      return undefined;
    },
  },
  d: numberDirective('day', '3[01]|[12]\\d|0[1-9]|[1-9]', 2, 1, 31),
  H: numberDirective('hour', '2[0-3]|[01]\\d|\\d', 2, 0, 23),
  I: { slot: 'hour', pattern: '1[0-2]|0[1-9]|[1-9]', read: setNumber('hour') },
  p: {
    slot: 'ampm',
    pattern: `${anyCase('am')}|${anyCase('pm')}`,
    read: (text, moment) => {
      const pm = text.toLowerCase() === 'pm';
      moment.hour = (moment.hour % 12) + (pm ? 12 : 0);
      return undefined;
    },
  },
  M: numberDirective('minute', '[0-5]\\d|\\d', 2, 0, 59),
  S: numberDirective('second', '[0-5]\\d|\\d', 2, 0, 59),
  f: {
    slot: 'micro',
    pattern: '\\d{1,6}',
    read: (text, moment) => {
      moment.micro = microOf(text);
      return undefined;
    },
    fixed: { width: 6, min: 0, max: 999_999, store: (micro, moment) => void (moment.micro = micro) },
  },
  z: {
    slot: 'offset',
    pattern: 'Z|z|[+-]\\d{2}(?::?\\d{2})?',
    read: (text, moment) => {
      moment.offset = offsetOf(text);
      return moment.offset === undefined ? `no such UTC offset: ${preview(text)}` : undefined;
    },
  },
};
export const SUPPORTED_FORMAT_DIRECTIVES = [...Object.keys(DIRECTIVES).map((d) => `%${d}`), '%%'];

type FormatParser = (text: string) => Moment | ValueFailure;

/** Compiles a `cast_format` for a cast, or says why it is refused. */
function compileFormat(format: string, cast: 'date' | 'datetime' | 'time'): FormatParser | string {
  let source = '^';
  const used: Directive[] = [];
  const slots = new Set<Slot>();
  // The format's all-digit fixed-width form (see scanFixed): literal char codes and fixed directives.
  let layout: (number | FixedDigits)[] | undefined = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i] ?? '';
    if (c !== '%') {
      source += c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
      layout?.push(c.charCodeAt(0));
      continue;
    }
    const letter = format[++i];
    if (letter === undefined) return 'cast_format ends with a lone %';
    if (letter === '%') {
      source += '%';
      layout?.push(c.charCodeAt(0));
      continue;
    }
    const directive = Object.hasOwn(DIRECTIVES, letter) ? DIRECTIVES[letter] : undefined;
    if (directive === undefined)
      return `unsupported directive %${letter} in cast_format; supported: ${SUPPORTED_FORMAT_DIRECTIVES.join(' ')}`;
    if (slots.has(directive.slot)) return `cast_format gives the ${directive.slot} twice`;
    slots.add(directive.slot);
    used.push(directive);
    source += `(${directive.pattern})`;
    layout = directive.fixed === undefined ? undefined : layout?.concat(directive.fixed);
  }
  if (used.some((d) => d === DIRECTIVES['I']) !== slots.has('ampm')) return 'cast_format: %I and %p go together';
  if (used.some((d) => d === DIRECTIVES['H']) && slots.has('ampm')) return 'cast_format: %p needs %I, not %H';
  if (cast !== 'time' && !(slots.has('year') && slots.has('month') && slots.has('day'))) {
    return `a ${cast} cast_format needs a year (%Y or %y), a month (%m, %b or %B) and a day (%d)`;
  }
  if (cast === 'time' && !slots.has('hour')) return 'a time cast_format needs an hour (%H or %I with %p)';
  // %p must be read after %I whatever their order in the text: it adjusts the hour.
  const order = used
    .map((directive, group) => ({ directive, group: group + 1 }))
    .sort((a, b) => Number(a.directive.slot === 'ampm') - Number(b.directive.slot === 'ampm'));
  const pattern = new RegExp(`${source}$`);
  const match = (text: string): Moment | ValueFailure => {
    const groups = pattern.exec(text);
    if (!groups) return fail(`does not match cast_format ${preview(format)}: ${preview(text)}`);
    const moment = formatDefaults();
    for (const { directive, group } of order) {
      const problem = directive.read(groups[group] ?? '', moment);
      if (problem) return fail(problem);
    }
    return moment;
  };
  const fixed = layout;
  const fixedLength = fixed?.reduce((length: number, part) => length + (typeof part === 'number' ? 1 : part.width), 0);
  return (text) => {
    const moment = (fixed !== undefined && text.length === fixedLength ? scanFixed(fixed, text) : undefined) ?? match(text);
    if (moment instanceof ValueFailure) return moment;
    const problem = checkMoment(moment);
    return problem ? fail(problem) : moment;
  };
}

/** Python's defaults for what a format does not give: 1900-01-01 00:00:00. */
const formatDefaults = (): Moment => ({ year: 1900, month: 1, day: 1, hour: 0, minute: 0, second: 0, micro: 0, offset: undefined });

/**
 * A text in the all-digit fixed-width form of a format (`05/03/2025` for `%d/%m/%Y`), read with
 * charCodeAt instead of the regular expression; undefined when the text is not in that form. The
 * expression tries each directive's fixed form first and backtracks only on a mismatch, so for
 * a text in that form its match is this same reading.
 */
function scanFixed(layout: readonly (number | FixedDigits)[], text: string): Moment | undefined {
  const moment = formatDefaults();
  let at = 0;
  for (const part of layout) {
    if (typeof part === 'number') {
      if (text.charCodeAt(at) !== part) return undefined;
      at += 1;
    } else {
      const n = digitsAt(text, at, part.width);
      if (n < part.min || n > part.max) return undefined;
      part.store(n, moment);
      at += part.width;
    }
  }
  return moment;
}

/**
 * A temporal cast with a format: the text is parsed strictly, then written canonically: a date as
 * written (time and offset dropped, as Python's `strptime(...).date()`), a time as written, a
 * datetime converted to UTC (a text without offset is taken as UTC).
 */
function formatCast(cast: 'date' | 'datetime' | 'time', format: string, parse: FormatParser): Caster {
  return (value) => {
    if (typeof value !== 'string') return fail(`expected a string matching cast_format ${preview(format)}: ${preview(value)}`);
    const moment = parse(value);
    if (moment instanceof ValueFailure) return moment;
    if (cast === 'date') return formatDate(moment.year, moment.month, moment.day);
    if (cast === 'time') return formatTime(moment.hour, moment.minute, moment.second, moment.micro);
    return datetimeOf(moment);
  };
}
