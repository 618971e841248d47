import type { TestFn } from 'ava';
import { randomUUID } from 'node:crypto';
import { readConfig } from '../../config';
import { startPlatform, type RunningPlatform } from '../../platform';
import { jsonLogger } from '../../infrastructure/logger';
import { tempDir } from '../commands/commandFixtures';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
export const JWT_SECRET = 'test-secret-of-at-least-thirty-two-characters';

export interface Api {
  readonly url: string;
  /** The POPSINK_DATA_DIR of this platform (its embedded event log), e.g. for the CLI to read. */
  readonly dataDir: string;
  /** The MongoDB database of the read models, when `mongoUrl` was given (e.g. to write what a data-plane runtime would). */
  readonly mongoDatabase: string | undefined;
  /** Every log line the platform wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Every response body the API answered, as text, for suites that walk them (e.g. for secrets). */
  readonly responses: string[];
  request(
    method: string,
    path: string,
    options?: { token?: string | undefined; json?: unknown; form?: Record<string, string>; raw?: string },
  ): Promise<{ status: number; body: unknown }>;
  register(email: string, password?: string): Promise<{ id: string; email: string }>;
  login(email: string, password?: string): Promise<string>;
  stop(): Promise<void>;
  /** The platform itself, e.g. to reach its supervisor. */
  readonly platform: RunningPlatform;
}

/**
 * The platform in this process on an ephemeral port; MongoDB read models when `mongoUrl` is
 * given. The API alone unless `env` asks for POPSINK_ROLE `all`: control-plane suites start
 * pipelines whose brokers do not exist, and must not spawn workers for them.
 */
export async function startApi(options: { mongoUrl?: string | undefined; env?: Record<string, string> } = {}): Promise<Api> {
  const logs: Record<string, unknown>[] = [];
  const responses: string[] = [];
  const mongoDatabase = options.mongoUrl === undefined ? undefined : `api_${randomUUID().replaceAll('-', '')}`;
  const config = readConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    POPSINK_DATA_DIR: tempDir(),
    POPSINK_ADMIN_EMAIL: ADMIN.email,
    POPSINK_ADMIN_PASSWORD: ADMIN.password,
    POPSINK_JWT_SECRET: JWT_SECRET,
    POPSINK_ROLE: 'api',
    ...(options.mongoUrl !== undefined && mongoDatabase !== undefined
      ? { POPSINK_MONGO_URL: options.mongoUrl, POPSINK_MONGO_DATABASE: mongoDatabase }
      : {}),
    ...options.env,
  });
  const platform = await startPlatform(
    config,
    jsonLogger((line) => logs.push(JSON.parse(line) as Record<string, unknown>)),
  );
  const url = `http://127.0.0.1:${platform.port}/api`;

  const request: Api['request'] = async (method, path, { token, json, form, raw } = {}) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let body: string | undefined;
    if (json !== undefined || raw !== undefined) {
      headers['content-type'] = 'application/json';
      body = raw ?? JSON.stringify(json);
    } else if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    responses.push(text);
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  return {
    url,
    dataDir: config.dataDir,
    mongoDatabase,
    logs,
    responses,
    request,
    async register(email, password = 'password-123') {
      const res = await request('POST', '/auth/register', { json: { email, password, is_active: true } });
      if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; email: string };
    },
    async login(email, password = 'password-123') {
      const res = await request('POST', '/auth/jwt/login', { form: { username: email, password } });
      if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { access_token: string }).access_token;
    },
    stop: () => platform.stop(),
    platform,
  };
}

/** Narrows an API answer for field access in assertions. */
export const asRecord = (body: unknown): Record<string, unknown> => body as Record<string, unknown>;

/** An env and a team in it, made by the user of `token`; answers the team's id. */
export async function ownedTeam(api: Api, token: string, teamName: string): Promise<string> {
  const made = async (path: string, name: string) => {
    const res = await api.request('POST', path, { token, json: { name } });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return String(asRecord(res.body)['id']);
  };
  await made('/envs/', `env-${randomUUID()}`);
  return made('/teams/', teamName);
}

/** A running API with a signed-up user who owns an env and a team, and an outsider to neither. */
export interface TeamWorld {
  readonly api: Api;
  readonly token: string;
  readonly teamId: string;
  readonly outsiderToken: string;
}

export async function startTeamApi(label: string, teamName: string, options: { mongoUrl?: string | undefined } = {}): Promise<TeamWorld> {
  const api = await startApi(options);
  const mail = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(mail);
  const token = await api.login(mail);
  const teamId = await ownedTeam(api, token, teamName);
  const outsider = `outsider-${randomUUID().slice(0, 8)}@example.com`;
  await api.register(outsider);
  return { api, token, teamId, outsiderToken: await api.login(outsider) };
}

/**
 * Registers an after-hook that walks every response body of the suite and every log line, and
 * fails naming the first that holds one of `secrets` in clear.
 */
export function noSecretInClear(test: TestFn, api: () => Api | undefined, secrets: readonly string[]): void {
  test.after('no response body or log line of this suite holds a secret in clear', (t) => {
    const current = api();
    if (current === undefined) return t.fail('the API never started');
    const texts = [...current.responses, ...current.logs.map((line) => JSON.stringify(line))];
    t.true(texts.length > 0);
    for (const secret of secrets) {
      const leak = texts.find((text) => text.includes(secret));
      t.is(leak, undefined, `"${secret}" appears in clear`);
    }
  });
}
