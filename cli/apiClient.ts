import { CliFailure, EXIT, usageFailure, type CliContext } from './context';
import { storedToken } from './tokenStore';

export const DEFAULT_SERVER = 'http://localhost:8000';

/** The options every API-client command takes. */
export const clientOptions = {
  server: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface ApiClient {
  /** e.g. http://localhost:8000 (no trailing /api). */
  readonly server: string;
  readonly token: string | undefined;
  /** The parsed JSON answer (undefined when empty); a refusal throws a CliFailure with the API's message. */
  request(method: string, path: string, body?: { json?: unknown; form?: Record<string, string>; text?: string }): Promise<unknown>;
  /** The answer's text as sent. */
  requestText(method: string, path: string, body?: { json?: unknown; text?: string }): Promise<string>;
}

/** 404 → 3, 401 / 403 → 4, anything else the API refused → 1. */
export const exitCodeOf = (status: number): number =>
  status === 404 ? EXIT.notFound : status === 401 || status === 403 ? EXIT.refused : EXIT.failure;

/** `detail` of the API's error body, as one line. */
function messageOf(status: number, text: string): string {
  let detail: unknown = text;
  try {
    const parsed = JSON.parse(text) as unknown;
    detail = typeof parsed === 'object' && parsed !== null && 'detail' in parsed ? parsed.detail : parsed;
  } catch {
    // not JSON: the text itself
  }
  return `HTTP ${status}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
}

export function serverOf(ctx: CliContext, given: string | undefined, usage: string): string {
  const raw = given ?? (ctx.env['POPSINK_SERVER'] || DEFAULT_SERVER);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageFailure(`--server must be a URL, got ${raw}`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageFailure(`--server must be an http(s) URL, got ${raw}`, usage);
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api$/, '')}`;
}

/** A client of the server at `--server` (else POPSINK_SERVER, else localhost:8000), with the stored token unless `anonymous`. */
export function apiClient(ctx: CliContext, options: { server?: string | undefined; usage: string; anonymous?: boolean }): ApiClient {
  const server = serverOf(ctx, options.server, options.usage);
  const token = options.anonymous === true ? undefined : storedToken(ctx);
  if (options.anonymous !== true && token === undefined)
    throw new CliFailure(EXIT.refused, 'not logged in: run `popsink login` or set POPSINK_TOKEN');

  const send = async (
    method: string,
    path: string,
    body: { json?: unknown; form?: Record<string, string>; text?: string } = {},
  ): Promise<string> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let payload: string | undefined;
    if (body.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(body.form).toString();
    } else if (body.json !== undefined || body.text !== undefined) {
      headers['content-type'] = 'application/json';
      payload = body.text ?? JSON.stringify(body.json);
    }
    let response: Response;
    try {
      response = await fetch(`${server}/api${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliFailure(EXIT.failure, `cannot reach ${server}: ${cause}`);
    }
    const text = await response.text();
    if (!response.ok) throw new CliFailure(exitCodeOf(response.status), messageOf(response.status, text));
    return text;
  };

  return {
    server,
    token,
    async request(method, path, body) {
      const text = await send(method, path, body);
      if (text === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new CliFailure(EXIT.failure, `${server} answered ${method} ${path} with something that is not JSON`);
      }
    },
    requestText: send,
  };
}
