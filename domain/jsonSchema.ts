import * as t from 'io-ts';

/** The part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that the API's codecs translate to. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly prefixItems?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly not?: JsonSchema;
  readonly if?: JsonSchema;
  readonly then?: JsonSchema;
}

/**
 * What the document says of a hand-built codec (`new t.Type`), whose structure a converter cannot
 * read: `shape`, a codec of the same values built from io-ts parts, and `facts`, the rules its
 * `validate` checks by hand (a pattern, a length, a range), stated beside the code that checks them.
 */
export interface Documented {
  readonly shape?: t.Mixed;
  readonly facts: JsonSchema;
}

// Keyed by the codec itself: a codec stays the very value the routes decode with.
const documentation = new WeakMap<t.Mixed, Documented>();

/** `codec`, with what its JSON Schema says (see `Documented`); answers the codec. */
export function documented<C extends t.Mixed>(codec: C, facts: JsonSchema, shape?: t.Mixed): C {
  documentation.set(codec, shape === undefined ? { facts } : { facts, shape });
  return codec;
}

export const documentationOf = (codec: t.Mixed): Documented | undefined => documentation.get(codec);

/**
 * The characters JavaScript's `String.prototype.trim` removes, spelt out: `\s` means another set
 * in the regular expressions of other languages (Python's takes U+001C to U+001F), and the
 * document's patterns must mean in every client what the API's code means.
 */
export const BLANK = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** A string with something else than blanks in it (what `text.trim().length > 0` accepts). */
export const NON_BLANK: JsonSchema = { type: 'string', pattern: `[^${BLANK}]` };

/** `pattern` (a regular expression source, unanchored) with blanks allowed around it, as a value the code trims. */
export const trimmedPattern = (pattern: string): string => `^[${BLANK}]*(?:${pattern})[${BLANK}]*$`;

/**
 * A codec that decodes exactly as `codec` does (same name, so the same error types), documented
 * as `shape` (by default `codec`) with `facts`: the rules that the route or the domain checks
 * after decoding, said in the document.
 */
export const checkedLater = <A, O>(codec: t.Type<A, O, unknown>, facts: JsonSchema, shape: t.Mixed = codec): t.Type<A, O, unknown> =>
  documented(new t.Type<A, O, unknown>(codec.name, codec.is, codec.validate, codec.encode), facts, shape);
