import { ApiError, type ValidationIssue } from './http';

/** Messages by field path (`source_config.host`), as the form names its fields. */
export type FieldErrors = Readonly<Record<string, string>>;

/** A 422 issue's field path: its loc without the leading `body` / `query`, joined by dots. */
export const fieldPathOf = (issue: ValidationIssue): string =>
  issue.loc
    .filter((part, index) => !(index === 0 && (part === 'body' || part === 'query')))
    .map(String)
    .join('.');

/**
 * The issues of a refused request by field. `prefix` places the fields of a request whose body
 * is part of a larger form (a connector check sends the config alone: its `host` is the form's
 * `source_config.host`).
 */
export function fieldErrorsOf(error: unknown, prefix = ''): FieldErrors {
  if (!(error instanceof ApiError)) return {};
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const path = fieldPathOf(issue);
    const key = prefix === '' ? path : path === '' ? prefix : `${prefix}.${path}`;
    errors[key] ??= issue.msg;
  }
  return errors;
}
