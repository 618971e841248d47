import * as t from 'io-ts';
import { IntFromQuery } from '../queryCodecs';
import { documentationOf, type JsonSchema } from '../../domain/jsonSchema';

export type { JsonSchema } from '../../domain/jsonSchema';

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
};

/** A plain object (type, properties, required and nothing else), which merges with another by its properties. */
const isObjectSchema = (schema: JsonSchema): boolean =>
  schema.type === 'object' && Object.keys(schema).every((keyword) => ['type', 'properties', 'required'].includes(keyword));

/**
 * `{a} & {b}` as one object when the parts are plain objects (the common case), the other object
 * parts (a union told apart by a field, say) beside it in `allOf`, so the fields stay listed at
 * the top; parts of other types as `allOf`.
 */
function intersect(parts: readonly JsonSchema[]): JsonSchema {
  const objects = parts.filter(isObjectSchema);
  const others = parts.filter((part) => !isObjectSchema(part));
  // A part of another type (a string, say) is no object to merge into.
  if (objects.length === 0 || others.some((part) => part.type !== undefined && part.type !== 'object')) return { allOf: parts };
  const properties: Record<string, JsonSchema> = {};
  const required = new Set<string>();
  for (const part of objects) {
    Object.assign(properties, part.properties);
    for (const name of part.required ?? []) required.add(name);
  }
  return {
    type: 'object',
    properties,
    ...(required.size > 0 ? { required: [...required] } : {}),
    ...(others.length > 0 ? { allOf: others } : {}),
  };
}

/** The field whose `const` tells every member of a union from the others, if there is one. */
function discriminatorOf(members: readonly JsonSchema[]): string | undefined {
  const [first] = members;
  const candidates = Object.keys(first?.properties ?? {}).filter((name) => first?.required?.includes(name) === true);
  return candidates.find((name) => {
    const values = members.map((member) => (member.required?.includes(name) === true ? member.properties?.[name] : undefined));
    return (
      values.every((value) => value !== undefined && 'const' in value) &&
      new Set(values.map((value) => value?.const)).size === members.length
    );
  });
}

/** `A | null` as `type: [A, "null"]`, literal unions as `enum`, unions told apart by a field as `oneOf`; anything else as `anyOf`. */
function unite(members: readonly JsonSchema[]): JsonSchema {
  if (members.every((m) => 'const' in m && Object.keys(m).length === 1)) return { enum: members.map((m) => m.const) };
  // Exactly one member can match: said so, as client generators read a discriminated `oneOf`.
  if (members.length > 1 && discriminatorOf(members) !== undefined) return { oneOf: members };
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

/** A documented codec (see domain/jsonSchema.ts) is its shape, or its own structure, and its facts on top. */
function convert(codec: t.Mixed, seen: ReadonlySet<t.Mixed>): JsonSchema {
  const documentation = documentationOf(codec);
  if (documentation === undefined) return structureOf(codec, seen);
  const { shape, facts } = documentation;
  return { ...(shape !== undefined ? convert(shape, seen) : structureOf(codec, seen)), ...facts };
}

function structureOf(codec: t.Mixed, seen: ReadonlySet<t.Mixed>): JsonSchema {
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

/** A schema whose top-level properties `names` may be absent or null (fields a route fills in when not given). */
export function withOptional(schema: JsonSchema, names: readonly string[]): JsonSchema {
  const nullable = (property: JsonSchema): JsonSchema => ({ anyOf: [property, { type: 'null' }] });
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, property]) => [name, names.includes(name) ? nullable(property) : property]),
  );
  return { ...schema, properties, required: (schema.required ?? []).filter((name) => !names.includes(name)) };
}

/** A schema whose top-level property `from` is named `to` (a route that takes either spelling). */
export function withRenamed(schema: JsonSchema, from: string, to: string): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, property]) => [name === from ? to : name, property]),
  );
  return { ...schema, properties, required: (schema.required ?? []).map((name) => (name === from ? to : name)) };
}
