import { asRecord, type Api } from './apiFixtures';

/** What the export / import suites compare: answers as plain records. */
export type Body = Record<string, unknown>;

/** An answer that must be a success; anything else fails the suite with the API's words. */
export async function ok(api: Api, method: string, path: string, token: string, json?: unknown): Promise<Body> {
  const res = await api.request(method, path, { token, ...(json !== undefined ? { json } : {}) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return asRecord(res.body);
}

/** Every page of a paged list. */
export async function allPages(api: Api, path: string, token: string): Promise<Body[]> {
  const all: Body[] = [];
  for (;;) {
    const page = await ok(api, 'GET', `${path}${path.includes('?') ? '&' : '?'}limit=100&skip=${all.length}`, token);
    const got = page['items'] as Body[];
    all.push(...got);
    if (got.length < 100) return all;
  }
}
