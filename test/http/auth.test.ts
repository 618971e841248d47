import test from 'ava';
import jwt from 'jsonwebtoken';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import { authenticate, VERIFIED_TOKENS, type Caller } from '../../http/auth';
import { AUDIENCE, signingKey, tokenIssuer } from '../../http/identity/tokens';
import { REVOKED_TOKENS, USERS } from '../../projections/collections';
import { readModelsOf } from '../../projections/readModels';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import type { ReadStore } from '../../projections/readStore';

const SECRET = 'a-test-secret-of-at-least-32-characters!';

/** A read store holding one active user, the middleware over it, and a clock the test moves. */
async function fixture(store: ReadStore = memoryReadStore()) {
  let position = 0n;
  const write = (collection: string, id: string, set: Record<string, unknown>) =>
    store.apply([{ kind: 'upsert', collection, id, set, position: ++position }]);
  const userId = randomUUID();
  const user = {
    email: 'ada@example.com',
    is_active: true,
    is_superuser: false,
    is_verified: true,
    active_env_id: null,
    created_at: 'x',
    updated_at: 'x',
  };
  await write(USERS, userId, user);
  let nowMs = Date.parse('2026-01-01T00:00:00Z');
  const [middleware] = authenticate(signingKey(SECRET), readModelsOf(store), () => nowMs);
  if (middleware === undefined) throw new Error('no middleware');
  /** The caller a request with this Authorization header is served as, if any. */
  const callerFor = async (authorization: string): Promise<Caller | undefined> => {
    const state: Record<string, unknown> = {};
    const ctx = { get: (header: string) => (header.toLowerCase() === 'authorization' ? authorization : ''), state };
    await middleware(ctx as unknown as Context, async () => undefined);
    return state['caller'] as Caller | undefined;
  };
  const issue = (lifetimeSeconds: number | null) =>
    tokenIssuer(signingKey(SECRET), 3600, () => new Date(nowMs)).issue(userId, randomUUID(), lifetimeSeconds);
  return { write, userId, user, callerFor, issue, advance: (ms: number) => (nowMs += ms) };
}

test('a kept token is refused from the very second it expires, as jsonwebtoken refuses it', async (t) => {
  const { callerFor, issue, advance } = await fixture();
  const { token } = issue(60);
  t.truthy(await callerFor(`Bearer ${token}`));
  advance(59_999);
  t.truthy(await callerFor(`Bearer ${token}`), 'verified once, still valid');
  advance(1);
  t.is(await callerFor(`Bearer ${token}`), undefined, 'expired: refused although it was kept');
  t.is(await callerFor(`bearer ${token}`), undefined);
});

test('a kept token is refused as soon as its revocation is in the read models, and so is one of a deactivated user', async (t) => {
  const { callerFor, issue, write, userId, user } = await fixture();
  const revoked = issue(null);
  const other = issue(null);
  t.is((await callerFor(`Bearer ${revoked.token}`))?.id, userId);
  t.is((await callerFor(`Bearer ${other.token}`))?.tokenExpiresAt, null);
  await write(REVOKED_TOKENS, revoked.tokenId, { user_id: userId, expires_at: null });
  t.is(await callerFor(`Bearer ${revoked.token}`), undefined, 'the next request after the revocation is refused');
  t.truthy(await callerFor(`Bearer ${other.token}`), 'another token of the user stays good');
  await write(USERS, userId, { ...user, is_active: false });
  t.is(await callerFor(`Bearer ${other.token}`), undefined);
});

test('a change to the user shows on the next request of a kept token', async (t) => {
  const { callerFor, issue, write, userId, user } = await fixture();
  const { token } = issue(null);
  t.like(await callerFor(`Bearer ${token}`), { isSuperuser: false, activeEnvId: null });
  const envId = randomUUID();
  await write(USERS, userId, { ...user, is_superuser: true, active_env_id: envId });
  t.like(await callerFor(`Bearer ${token}`), { isSuperuser: true, activeEnvId: envId });
});

test('over a store that cannot tell its version (one other processes write), every request reads the revocations again', async (t) => {
  const memory = memoryReadStore();
  const { callerFor, issue, write, userId } = await fixture({ ...memory, versionOf: () => undefined });
  const { token, tokenId } = issue(null);
  t.truthy(await callerFor(`Bearer ${token}`));
  t.truthy(await callerFor(`Bearer ${token}`));
  await write(REVOKED_TOKENS, tokenId, { user_id: userId, expires_at: null });
  t.is(await callerFor(`Bearer ${token}`), undefined);
});

test('a token that does not verify is refused every time, also beside a kept one', async (t) => {
  const { callerFor, issue, userId } = await fixture();
  const { token } = issue(60);
  t.truthy(await callerFor(`Bearer ${token}`));
  const [header, payload] = token.split('.');
  const claims = { sub: userId, jti: randomUUID(), aud: [AUDIENCE], iat: Math.floor(Date.parse('2026-01-01T00:00:00Z') / 1000) };
  const refused = [
    `${header}.${payload}.${'A'.repeat(43)}`,
    jwt.sign(claims, 'another-secret-of-at-least-32-characters', { algorithm: 'HS256' }),
    jwt.sign(claims, SECRET, { algorithm: 'HS512' }),
    jwt.sign(claims, '', { algorithm: 'none' }),
    jwt.sign({ ...claims, aud: ['someone-else'] }, SECRET, { algorithm: 'HS256' }),
    jwt.sign({ ...claims, exp: claims.iat - 1 }, SECRET, { algorithm: 'HS256' }),
    jwt.sign({ aud: [AUDIENCE], sub: userId }, SECRET, { algorithm: 'HS256' }),
  ];
  for (const bad of refused) {
    t.is(await callerFor(`Bearer ${bad}`), undefined, bad);
    t.is(await callerFor(`Bearer ${bad}`), undefined, `${bad}, twice`);
  }
  t.is(await callerFor(`Token ${token}`), undefined);
  t.is(await callerFor(`Bearer  ${token}`), undefined);
  t.is(await callerFor(''), undefined);
});

test('past the bound, the oldest tokens are verified again and still accepted while valid', async (t) => {
  const { callerFor, issue, advance } = await fixture();
  const first = issue(3600);
  t.truthy(await callerFor(`Bearer ${first.token}`));
  for (let i = 0; i < VERIFIED_TOKENS; i++) await callerFor(`Bearer ${issue(3600).token}`);
  t.truthy(await callerFor(`Bearer ${first.token}`));
  advance(3_600_000);
  t.is(await callerFor(`Bearer ${first.token}`), undefined);
});
