import { JSONPath } from 'jsonpath-plus';
import { isLeft } from 'fp-ts/lib/Either.js';
import {
  ValueFailure,
  compileCast,
  parseSimplePath,
  preview,
  type FailureStage,
  type MapperEntry,
  type PathSegment,
} from '../../domain/mapper/mapperSpec';

/**
 * The mapper engine of the data plane: a validated mapper config (`domain/mapper/mapperSpec.ts`) is
 * compiled once per pipeline version into one function, called for every Kafka message.
 *
 * - A simple path (`$.a.b`, `$.a[0].b`, `$['x y']`) is parsed at compile time into its keys and
 *   read with a loop of own-property lookups: nothing inherited (`__proto__`, `constructor`,
 *   `toString`) is ever reached, and an array is only indexed, never asked for `length`.
 * - Any other path (wildcards, `..`, slices, unions) goes to jsonpath-plus with script
 *   evaluation disabled (`eval: false`, the v10 option; the old `preventEval` is ignored by v10
 *   and would silently leave the default `'safe'` evaluator on, whose sandbox has had several
 *   RCE fixes). A path with a filter or script is refused when compiled (its column fails every
 *   message); should one get through anyway, jsonpath-plus throws on reaching that segment,
 *   before evaluating anything. Such a path yields the list of its matches; with a cast it must
 *   match exactly one value.
 * - A missing path or a null value is null when the column is nullable, else the column's error.
 * - A static value is cast once, at compile time.
 */

export type MapResult =
  | { readonly ok: true; readonly row: Record<string, unknown> }
  | { readonly ok: false; readonly column: string; readonly reason: string; readonly stage: FailureStage };

export type Mapper = (message: unknown) => MapResult;

/**
 * How paths are read. `compiled` is the engine; `jsonpath` sends every path, simple ones too,
 * through jsonpath-plus (`wrap: false`): the naive way, kept as the benchmark's baseline.
 */
export type PathEngine = 'compiled' | 'jsonpath';

export interface CompileOptions {
  readonly engine?: PathEngine;
}

/** Reads one column's raw value from the message: undefined when the path matches nothing. */
type Reader = (root: unknown) => unknown;

/** One column's final value from the message (read, null rule and cast in one call), or why not. */
type Producer = (root: unknown) => unknown;

interface Column {
  readonly key: string;
  readonly produce: Producer;
}

/** The column named by errors about the message itself (not JSON, not UTF-8). */
export const MESSAGE_COLUMN = '$';

const MISSING = new ValueFailure('missing non-nullable value', 'map');

/**
 * A column value that is a failure. The `typeof` test first: most values are strings and
 * numbers, and `instanceof` an imported class is a generic (slow) check in optimised code.
 */
const isFailure = (value: unknown): value is ValueFailure => typeof value === 'object' && value !== null && value instanceof ValueFailure;

/**
 * Compiles a mapper. Entries are expected validated (`validateMapperConfig`); an entry that is
 * not (a bad cast_format or static) still compiles, into a column that fails every message with
 * its reason, so that a bad entry can never crash a worker.
 */
export function compileMapper(entries: readonly MapperEntry[], options: CompileOptions = {}): Mapper {
  const engine = options.engine ?? 'compiled';
  const columns: Column[] = entries.map((entry) => compileColumn(entry, engine));
  // Every row starts as a copy of this one: all its keys already own data properties, in column
  // order, so a row is one clone and plain field writes instead of a chain of property additions,
  // and `__proto__` (defined here, never assigned) is a field like any other.
  const template: Record<string, unknown> = {};
  for (const { key } of columns)
    Object.defineProperty(template, key, { value: null, enumerable: true, writable: true, configurable: true });

  return (message) => {
    let root: unknown = message;
    if (typeof message === 'string' || message instanceof Uint8Array) {
      const parsed = parseMessage(message);
      if (parsed instanceof ValueFailure) return { ok: false, column: MESSAGE_COLUMN, reason: parsed.reason, stage: parsed.stage };
      root = parsed;
    }
    const row = { ...template };
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as Column;
      const value = column.produce(root);
      if (isFailure(value)) return { ok: false, column: column.key, reason: value.reason, stage: value.stage };
      row[column.key] = value;
    }
    return { ok: true, row };
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A message given as JSON text (string or bytes, as Kafka delivers it), parsed. */
function parseMessage(message: string | Uint8Array): unknown {
  let text: string;
  if (typeof message === 'string') {
    text = message;
  } else {
    try {
      text = utf8.decode(message);
    } catch {
      return new ValueFailure('message is not valid UTF-8', 'parse');
    }
  }
  try {
    return JSON.parse(text);
  } catch (error: unknown) {
    return new ValueFailure(`message is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, 'parse');
  }
}

function compileColumn(entry: MapperEntry, engine: PathEngine): Column {
  const { key } = entry;
  const compiled = compileCast(entry.cast, entry.cast_format);
  if (isLeft(compiled)) return constantColumn(key, new ValueFailure(compiled.left, 'map'));
  const cast = compiled.right;

  if (entry.path === undefined) {
    // Static: cast once here. A static that does not cast fails every message, naming its column.
    if (entry.static === undefined) return constantColumn(key, new ValueFailure('neither path nor static is given', 'map'));
    return constantColumn(key, cast(entry.static));
  }

  const path = entry.path;
  if (path[0] !== '$') return constantColumn(key, new ValueFailure(`path must start with $: ${preview(path)}`, 'map'));
  const segments = parseSimplePath(path);
  let read: Reader;
  if (segments === undefined) read = jsonPathReader(path, entry.cast !== undefined);
  else if (engine === 'jsonpath') read = naiveJsonPathReader(path);
  else read = simpleReader(segments);
  const missing = entry.nullable ? null : MISSING;
  return {
    key,
    produce: (root) => {
      const value = read(root);
      if (value === undefined || value === null) return missing;
      return isFailure(value) ? value : cast(value);
    },
  };
}

const constantColumn = (key: string, value: unknown): Column => ({ key, produce: () => value });

/**
 * The compiled accessor of a simple path: one own-property lookup per segment. `Object.hasOwn`
 * keeps the walk on the message's own data; an array takes only an in-range index. The one- and
 * two-segment cases (most columns) get their own closure so that no loop runs at all.
 */
export function simpleReader(segments: readonly PathSegment[]): Reader {
  const step = (node: unknown, key: PathSegment): unknown => {
    if (typeof node !== 'object' || node === null) return undefined;
    if (Array.isArray(node)) return typeof key === 'number' && key < node.length ? node[key] : undefined;
    // A parsed JSON object: its own properties are its fields (a `"__proto__"` field included,
    // which JSON.parse defines as an own property); anything else is inherited and ignored.
    return Object.hasOwn(node, key) ? (node as Record<PathSegment, unknown>)[key] : undefined;
  };
  const [first, second] = segments;
  if (segments.length === 0) return (root) => root;
  if (segments.length === 1 && first !== undefined) return (root) => step(root, first);
  if (segments.length === 2 && first !== undefined && second !== undefined) {
    return (root) => {
      const node = step(root, first);
      return node === undefined ? undefined : step(node, second);
    };
  }
  return (root) => {
    let node = root;
    for (const key of segments) {
      node = step(node, key);
      if (node === undefined) return undefined;
    }
    return node;
  };
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** Why jsonpath-plus refused a path, in the column's words. */
function queryFailure(error: unknown): ValueFailure {
  const message = error instanceof Error ? error.message : String(error);
  return new ValueFailure(/prevented/i.test(message) ? SCRIPT_REFUSED : `JSONPath query failed: ${message}`, 'map');
}

const SCRIPT_REFUSED = 'filter and script expressions are not supported: JSONPath script evaluation is disabled';

/**
 * The one call to jsonpath-plus on a user path. `eval: false` disables script evaluation: a
 * filter or script segment, once reached, throws inside jsonpath-plus before anything is
 * evaluated, and comes back here as a ValueFailure.
 */
function runJsonPath(path: string, json: object, wrap: boolean): unknown {
  try {
    return JSONPath<unknown>({ path, json, wrap, eval: false });
  } catch (error: unknown) {
    return queryFailure(error);
  }
}

/** Every match of a path in a message, in document order, or why the query failed. */
export function queryJsonPath(path: string, json: object): unknown[] | ValueFailure {
  const matches = runJsonPath(path, json, true);
  if (matches instanceof ValueFailure) return matches;
  return Array.isArray(matches) ? (matches as unknown[]) : [];
}

/**
 * A path that needs a JSONPath engine: every match, in document order. No match is a missing
 * value; with a cast (`single`), one match is that value and several are an error, so that a
 * typed column never receives a list.
 *
 * A path holding a filter or script (`?(...)`, `(...)`, in any segment jsonpath-plus splits it
 * into) fails every message from compile time on: with evaluation disabled it could never match,
 * and jsonpath-plus would only notice on messages that reach that segment.
 */
export function jsonPathReader(path: string, single: boolean): Reader {
  let segments: string[];
  try {
    segments = JSONPath.toPathArray(path);
  } catch (error: unknown) {
    const failure = queryFailure(error);
    return () => failure;
  }
  if (segments.some((segment) => segment.includes('('))) {
    const failure = new ValueFailure(SCRIPT_REFUSED, 'map');
    return () => failure;
  }
  return (root) => {
    if (!isContainer(root)) return undefined;
    const matches = queryJsonPath(path, root);
    if (matches instanceof ValueFailure) return matches;
    if (matches.length === 0) return undefined;
    if (!single) return matches;
    if (matches.length > 1) return new ValueFailure(`path matched ${matches.length} values; a cast needs exactly one`, 'map');
    return matches[0];
  };
}

/**
 * A simple path through jsonpath-plus, as a naive mapper would (`wrap: false`: the value itself
 * for one match): the benchmark's baseline only.
 */
function naiveJsonPathReader(path: string): Reader {
  return (root) => (isContainer(root) ? runJsonPath(path, root, false) : undefined);
}
