/** One FastAPI-style validation issue: where (`["body", "source_config", "host"]`), what, and its kind. */
export interface ValidationIssue {
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly type: string;
}

/** A refused request, with the API's reason in words and, for a 422, each issue by field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'popsink.token';

/** The session's bearer token: the only thing the console keeps, and only for this tab's life. */
export const sessionToken = {
  read: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  write: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** Told when the API answers 401: the token expired or was revoked, so the session ends. */
let onUnauthorized: () => void = () => undefined;
export const whenUnauthorized = (handler: () => void): void => {
  onUnauthorized = handler;
};

/** Codes the API answers in `detail`, said the way a person would. Unknown codes are spelled out from their words. */
const PHRASES: Readonly<Record<string, string>> = {
  LOGIN_BAD_CREDENTIALS: 'The email or the password is wrong.',
  LOGIN_USER_NOT_VERIFIED: 'This account is not verified yet.',
  Unauthorized: 'Your session ended: sign in again.',
  'Not Found': 'Not found.',
};

export function phraseOf(code: string): string {
  const known = PHRASES[code];
  if (known !== undefined) return known;
  if (!/^[A-Z0-9_]+$/.test(code)) return code;
  const words = code.toLowerCase().replaceAll('_', ' ');
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}.`;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isIssue = (value: unknown): value is ValidationIssue =>
  isRecord(value) && Array.isArray(value['loc']) && typeof value['msg'] === 'string' && typeof value['type'] === 'string';

function errorOf(status: number, body: unknown): ApiError {
  const detail = isRecord(body) ? body['detail'] : undefined;
  if (Array.isArray(detail)) {
    const issues = detail.filter(isIssue);
    return new ApiError(status, issues.map((issue) => issue.msg).join('; ') || 'The request was refused.', issues);
  }
  if (typeof detail === 'string') return new ApiError(status, phraseOf(detail), []);
  return new ApiError(status, `The server answered ${status}.`, []);
}

type Body = { readonly json: unknown } | { readonly form: Record<string, string> };

/**
 * Calls the API under /api with the session's token; answers the parsed JSON body (undefined
 * for an empty one) or throws an ApiError. The caller states the type it expects: the API is
 * this server's own, described in /api/openapi.json.
 */
export async function call<T>(method: string, path: string, body?: Body): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = sessionToken.read();
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined && 'json' in body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    payload = new URLSearchParams(body.form).toString();
  }
  const response = await fetch(`/api${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    if (response.status === 401 && token !== null) onUnauthorized();
    throw errorOf(response.status, parsed);
  }
  return parsed as T;
}

/** A query string of the given values, leaving out the empty ones. */
export function queryOf(values: Readonly<Record<string, string | number | boolean | undefined>>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The API's paged answer. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly skip: number;
  readonly limit: number;
}
