import * as t from 'io-ts';

/** One FastAPI-style validation problem: where, what, and a machine-readable type. */
export interface ValidationIssue {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly type: string;
}

const typeNames: Record<string, string> = {
  string: 'str',
  number: 'float',
  Int: 'integer',
  boolean: 'bool',
  UnknownRecord: 'dict',
  UnknownArray: 'list',
};

const isObjectCodec = (codec: t.Decoder<unknown, unknown> | undefined): boolean =>
  codec instanceof t.InterfaceType || codec instanceof t.ExactType || codec instanceof t.PartialType || codec instanceof t.IntersectionType;

const issueOf = (error: t.ValidationError, prefix: readonly (string | number)[]): ValidationIssue => {
  // io-ts reports the path through unions and intersections as numeric positions with a
  // codec name that is not a field; only keys of object codecs and array indexes are kept.
  const loc: (string | number)[] = [...prefix];
  error.context.forEach((entry, i) => {
    if (i === 0 || entry.key === '') return;
    const parent = error.context[i - 1]?.type;
    if (parent instanceof t.UnionType || parent instanceof t.IntersectionType) return;
    loc.push(/^\d+$/.test(entry.key) && parent instanceof t.ArrayType ? Number(entry.key) : entry.key);
  });
  if (error.value === undefined) return { loc, msg: error.message ?? 'field required', type: 'value_error.missing' };
  if (error.message !== undefined) return { loc, msg: error.message, type: 'value_error' };
  const expected = error.context[error.context.length - 1]?.type;
  if (expected instanceof t.KeyofType || expected instanceof t.LiteralType) {
    return { loc, msg: `unexpected value; permitted: ${expected.name}`, type: 'type_error.enum' };
  }
  // A value refused as a whole (not one of its fields) by an object-shaped codec is "not a dict".
  const atRoot = loc.length === prefix.length;
  const name =
    expected === undefined ? 'value' : (typeNames[expected.name] ?? (isObjectCodec(expected) || atRoot ? 'dict' : expected.name));
  return { loc, msg: `value is not a valid ${name}`, type: `type_error.${name}` };
};

/** Every problem of a failed decode, located under `prefix`; a union's repeats of one place are reported once. */
export function issuesOf(errors: t.Errors, prefix: readonly (string | number)[]): ValidationIssue[] {
  const seen = new Set<string>();
  return errors
    .map((error) => issueOf(error, prefix))
    .filter((issue) => {
      const key = JSON.stringify(issue.loc);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
