import * as t from 'io-ts';
import { IntFromQuery } from '../queryCodecs';

/** The part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that request codecs translate to. */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly items?: JsonSchema;
  readonly prefixItems?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
}

/**
 * Codecs built with `new t.Type(name, …)` (query strings, secrets, topics) have no structure to
 * read: their name says what they are. Unknown names stay unconstrained, described by the name.
 */
const NAMED: Readonly<Record<string, JsonSchema>> = {
  string: { type: 'string' },
  number: { type: 'number' },
  integer: { type: 'integer' },
  Int: { type: 'integer' },
  boolean: { type: 'boolean' },
  datetime: { type: 'string', format: 'date-time' },
  uuid: { type: 'string', format: 'uuid' },
  PortString: { type: 'string', description: 'a TCP port (1 to 65535), as a string or an integer' },
};

const isObjectSchema = (schema: JsonSchema): boolean =>
  schema.type === 'object' && schema.anyOf === undefined && schema.allOf === undefined && schema.additionalProperties === undefined;

/** `{a} & {b}` as one object when every part is a plain object (the common case), else `allOf`. */
function intersect(parts: readonly JsonSchema[]): JsonSchema {
  if (!parts.every(isObjectSchema)) return { allOf: parts };
  const properties: Record<string, JsonSchema> = {};
  const required = new Set<string>();
  for (const part of parts) {
    Object.assign(properties, part.properties);
    for (const name of part.required ?? []) required.add(name);
  }
  return { type: 'object', properties, ...(required.size > 0 ? { required: [...required] } : {}) };
}

/** `A | null` as `type: [A, "null"]` and literal unions as `enum`; anything else as `anyOf`. */
function unite(members: readonly JsonSchema[]): JsonSchema {
  if (members.every((m) => 'const' in m && Object.keys(m).length === 1)) return { enum: members.map((m) => m.const) };
  const simple = members.every((m) => typeof m.type === 'string' && Object.keys(m).length === 1);
  if (simple) return { type: [...new Set(members.map((m) => String(m.type)))] };
  const nullable = members.filter((m) => m.type === 'null');
  const others = members.filter((m) => m.type !== 'null');
  const [only] = others;
  if (nullable.length === 1 && others.length === 1 && only !== undefined && typeof only.type === 'string' && only.anyOf === undefined) {
    // An enum lists its values: null must be one of them too.
    return { ...only, type: [only.type, 'null'], ...(only.enum !== undefined ? { enum: [...only.enum, null] } : {}) };
  }
  return { anyOf: members };
}

const objectOf = (props: t.Props, required: boolean, seen: ReadonlySet<t.Mixed>): JsonSchema => {
  const properties = Object.fromEntries(Object.entries(props).map(([name, codec]) => [name, convert(codec, seen)]));
  const names = Object.keys(props);
  return { type: 'object', properties, ...(required && names.length > 0 ? { required: names } : {}) };
};

function convert(codec: t.Mixed, seen: ReadonlySet<t.Mixed>): JsonSchema {
  if (codec instanceof IntFromQuery) return { type: 'integer', minimum: codec.minimum, maximum: codec.maximum ?? IntFromQuery.LARGEST };
  if (codec instanceof t.InterfaceType || codec instanceof t.StrictType) return objectOf(codec.props as t.Props, true, seen);
  if (codec instanceof t.PartialType) return objectOf(codec.props as t.Props, false, seen);
  // Exact only strips unknown keys (it does not refuse them), so the schema stays open.
  if (codec instanceof t.ExactType || codec instanceof t.ReadonlyType) return convert(codec.type as t.Mixed, seen);
  if (codec instanceof t.IntersectionType) return intersect((codec.types as t.Mixed[]).map((c) => convert(c, seen)));
  if (codec instanceof t.UnionType) return unite((codec.types as t.Mixed[]).map((c) => convert(c, seen)));
  if (codec instanceof t.TupleType) return { type: 'array', prefixItems: (codec.types as t.Mixed[]).map((c) => convert(c, seen)) };
  if (codec instanceof t.ArrayType || codec instanceof t.ReadonlyArrayType)
    return { type: 'array', items: convert(codec.type as t.Mixed, seen) };
  if (codec instanceof t.DictionaryType) return { type: 'object', additionalProperties: convert(codec.codomain as t.Mixed, seen) };
  if (codec instanceof t.LiteralType) return { const: codec.value };
  if (codec instanceof t.KeyofType) return { type: 'string', enum: Object.keys(codec.keys as object) };
  if (codec instanceof t.RefinementType) return NAMED[codec.name] ?? convert(codec.type as t.Mixed, seen);
  if (codec instanceof t.RecursiveType)
    return seen.has(codec) ? { description: codec.name } : convert(codec.type as t.Mixed, new Set([...seen, codec]));
  if (codec instanceof t.StringType) return { type: 'string' };
  if (codec instanceof t.NumberType) return { type: 'number' };
  if (codec instanceof t.BooleanType) return { type: 'boolean' };
  if (codec instanceof t.NullType) return { type: 'null' };
  // Said open explicitly: client generators read a bare `type: object` as an object with no keys.
  if (codec instanceof t.AnyDictionaryType) return { type: 'object', additionalProperties: true };
  if (codec instanceof t.AnyArrayType) return { type: 'array' };
  if (codec instanceof t.UnknownType || codec instanceof t.AnyType) return {};
  return NAMED[codec.name] ?? { description: codec.name };
}

/** The JSON Schema of what a codec accepts, for the codec kinds the routes decode with. */
export const jsonSchemaOf = (codec: t.Mixed): JsonSchema => convert(codec, new Set());

/** A schema without some of its top-level properties (fields a codec accepts but the API ignores). */
export function withoutProperties(schema: JsonSchema, names: readonly string[]): JsonSchema {
  if (schema.properties === undefined || names.length === 0) return schema;
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([name]) => !names.includes(name)));
  const required = schema.required?.filter((name) => !names.includes(name));
  return { ...schema, properties, ...(required !== undefined ? { required } : {}) };
}
