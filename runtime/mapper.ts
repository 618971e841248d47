import { JSONPath } from 'jsonpath-plus';
import { isLeft } from 'fp-ts/lib/Either.js';
import { ValueFailure, compileCast, parseSimplePath, preview, type Caster, type MapperEntry, type PathSegment } from '../domain/mapperSpec';

/**
 * The mapper engine of the data plane: a validated mapper config (`domain/mapperSpec.ts`) is
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
  | { readonly ok: false; readonly column: string; readonly reason: string };

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

interface Column {
  readonly key: string;
  readonly read: Reader;
  readonly cast: Caster | undefined;
  readonly nullable: boolean;
  /** `__proto__` as a key would change the row's prototype through plain assignment. */
  readonly defineKey: boolean;
}

/** The column named by errors about the message itself (not JSON, not UTF-8). */
export const MESSAGE_COLUMN = '$';

/**
 * Compiles a mapper. Entries are expected validated (`validateMapperConfig`); an entry that is
 * not (a bad cast_format or static) still compiles, into a column that fails every message with
 * its reason, so that a bad entry can never crash a worker.
 */
export function compileMapper(entries: readonly MapperEntry[], options: CompileOptions = {}): Mapper {
  const engine = options.engine ?? 'compiled';
  const columns: Column[] = entries.map((entry) => compileColumn(entry, engine));

  return (message) => {
    let root: unknown = message;
    if (typeof message === 'string' || message instanceof Uint8Array) {
      const parsed = parseMessage(message);
      if (parsed instanceof ValueFailure) return { ok: false, column: MESSAGE_COLUMN, reason: parsed.reason };
      root = parsed;
    }
    const row: Record<string, unknown> = {};
    for (const column of columns) {
      let value = column.read(root);
      if (value instanceof ValueFailure) return { ok: false, column: column.key, reason: value.reason };
      if (value === undefined || value === null) {
        if (!column.nullable) return { ok: false, column: column.key, reason: 'missing non-nullable value' };
        value = null;
      } else if (column.cast !== undefined) {
        value = column.cast(value);
        if (value instanceof ValueFailure) return { ok: false, column: column.key, reason: value.reason };
      }
      if (column.defineKey) Object.defineProperty(row, column.key, { value, enumerable: true, writable: true, configurable: true });
      else row[column.key] = value;
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
      return new ValueFailure('message is not valid UTF-8');
    }
  }
  try {
    return JSON.parse(text);
  } catch (error: unknown) {
    return new ValueFailure(`message is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function compileColumn(entry: MapperEntry, engine: PathEngine): Column {
  const defineKey = entry.key === '__proto__';
  const compiled = compileCast(entry.cast, entry.cast_format);
  if (isLeft(compiled)) {
    const failure = new ValueFailure(compiled.left);
    return { key: entry.key, read: () => failure, cast: undefined, nullable: entry.nullable, defineKey };
  }
  const cast = compiled.right;

  if (entry.path === undefined) {
    // Static: cast once here. A static that does not cast fails every message, naming its column.
    const value = entry.static === undefined ? new ValueFailure('neither path nor static is given') : cast(entry.static);
    return { key: entry.key, read: () => value, cast: undefined, nullable: entry.nullable, defineKey };
  }

  const path = entry.path;
  if (path[0] !== '$') {
    const failure = new ValueFailure(`path must start with $: ${preview(path)}`);
    return { key: entry.key, read: () => failure, cast: undefined, nullable: entry.nullable, defineKey };
  }
  const segments = parseSimplePath(path);
  let read: Reader;
  if (segments === undefined) read = jsonPathReader(path, entry.cast !== undefined);
  else if (engine === 'jsonpath') read = naiveJsonPathReader(path);
  else read = simpleReader(segments);
  return { key: entry.key, read, cast, nullable: entry.nullable, defineKey };
}

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
  return new ValueFailure(/prevented/i.test(message) ? SCRIPT_REFUSED : `JSONPath query failed: ${message}`);
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
  return Array.isArray(matches) ? matches : [];
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
    const failure = new ValueFailure(SCRIPT_REFUSED);
    return () => failure;
  }
  return (root) => {
    if (!isContainer(root)) return undefined;
    const matches = queryJsonPath(path, root);
    if (matches instanceof ValueFailure) return matches;
    if (matches.length === 0) return undefined;
    if (!single) return matches;
    if (matches.length > 1) return new ValueFailure(`path matched ${matches.length} values; a cast needs exactly one`);
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
