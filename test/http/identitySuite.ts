import type { TestFn } from 'ava';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { ADMIN, JWT_SECRET, asRecord, startApi, type Api } from './apiFixtures';

/** The identity API's promises over real HTTP, against one read store. */
export function identitySuite(test: TestFn, name: string, mongoUrl: () => string | undefined): void {
  let api: Api;
  test.before(async () => {
    api = await startApi({ mongoUrl: mongoUrl(), env: { POPSINK_LOGIN_MAX_FAILURES: '3' } });
  });
  test.after.always(async () => {
    await api?.stop();
  });

  const email = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}@company.com`;

  test(`${name}: the seed tutorial, steps 1 to 5, gives its status codes and fields`, async (t) => {
    // Step 1: register (is_superuser in the body is ignored).
    const john = email('john.doe');
    const registered = await api.request('POST', '/auth/register', {
      json: { email: john, password: 'MySecurePassword123!', is_active: true, is_superuser: true, is_verified: true },
    });
    t.is(registered.status, 201);
    const user = asRecord(registered.body);
    t.deepEqual(Object.keys(user).sort(), ['active_env_id', 'email', 'id', 'is_active', 'is_superuser', 'is_verified']);
    t.like(user, { email: john, is_active: true, is_superuser: false, is_verified: false, active_env_id: null });

    // Step 2: login, form-encoded.
    const login = await api.request('POST', '/auth/jwt/login', { form: { username: john, password: 'MySecurePassword123!' } });
    t.is(login.status, 200);
    t.is(asRecord(login.body)['token_type'], 'bearer');
    const token = String(asRecord(login.body)['access_token']);
    const claims = asRecord(jwt.verify(token, JWT_SECRET, { audience: 'fastapi-users:auth' }));
    t.is(claims['sub'], user['id']);
    t.deepEqual(claims['aud'], ['fastapi-users:auth']);
    t.true(typeof claims['exp'] === 'number');

    // Step 3: an env; it becomes the creator's active env.
    const env = await api.request('POST', '/envs/', {
      token,
      json: { name: `production-environment-${randomUUID()}`, description: 'Production data processing environment', use_retention: true },
    });
    t.is(env.status, 201);
    t.deepEqual(Object.keys(asRecord(env.body)).sort(), ['description', 'id', 'name', 'retention_configuration', 'use_retention']);
    t.like(asRecord(env.body), { use_retention: true, retention_configuration: null });
    const envId = asRecord(env.body)['id'];
    t.is(asRecord((await api.request('GET', '/users/me', { token })).body)['active_env_id'], envId);

    // Step 4: a team in the active env.
    const team = await api.request('POST', '/teams/', {
      token,
      json: { name: 'Data Engineering Team', description: 'Team responsible for ETL pipelines' },
    });
    t.is(team.status, 201);
    t.deepEqual(asRecord(team.body), {
      id: asRecord(team.body)['id'],
      name: 'Data Engineering Team',
      description: 'Team responsible for ETL pipelines',
      env_id: envId,
    });
    const teamId = String(asRecord(team.body)['id']);

    // Step 5: another user, added as a member, listed with roles.
    const jane = await api.request('POST', '/auth/register', {
      json: { email: email('jane.smith'), password: 'SecurePass456!', is_active: true },
    });
    t.is(jane.status, 201);
    const janeId = asRecord(jane.body)['id'];
    const added = await api.request('POST', `/teams/${teamId}/members/bulk`, { token, json: { members: [janeId] } });
    t.is(added.status, 204);
    const members = await api.request('GET', `/teams/${teamId}/members`, { token });
    t.is(members.status, 200);
    t.deepEqual(members.body, [
      { id: user['id'], email: john, role: 'owner' },
      { id: janeId, email: asRecord(jane.body)['email'], role: 'member' },
    ]);
  });

  test(`${name}: the contract error shapes hold`, async (t) => {
    const mail = email('errors');
    await api.register(mail);
    const token = await api.login(mail);

    const duplicate = await api.request('POST', '/auth/register', { json: { email: mail, password: 'password-123' } });
    t.deepEqual([duplicate.status, duplicate.body], [400, { detail: 'REGISTER_USER_ALREADY_EXISTS' }]);
    const short = await api.request('POST', '/auth/register', { json: { email: email('short'), password: 'short' } });
    t.is(short.status, 400);
    t.like(asRecord(short.body)['detail'], { code: 'REGISTER_INVALID_PASSWORD' });
    const badCredentials = await api.request('POST', '/auth/jwt/login', { form: { username: mail, password: 'wrong-password' } });
    t.deepEqual([badCredentials.status, badCredentials.body], [400, { detail: 'LOGIN_BAD_CREDENTIALS' }]);

    const unauthorized = { detail: 'Unauthorized' };
    const missing = await api.request('GET', '/users/me');
    t.deepEqual([missing.status, missing.body], [401, unauthorized]);
    const bad = await api.request('GET', '/users/me', { token: 'not-a-jwt' });
    t.deepEqual([bad.status, bad.body], [401, unauthorized]);
    const forged = jwt.sign({ sub: randomUUID(), aud: ['fastapi-users:auth'], jti: randomUUID() }, 'another-secret-another-secret-another');
    t.is((await api.request('GET', '/users/me', { token: forged })).status, 401);
    const userId = String(asRecord((await api.request('GET', '/users/me', { token })).body)['id']);
    const expired = jwt.sign(
      { sub: userId, aud: ['fastapi-users:auth'], jti: randomUUID(), exp: Math.floor(Date.now() / 1000) - 10 },
      JWT_SECRET,
    );
    t.deepEqual(await api.request('GET', '/users/me', { token: expired }), { status: 401, body: unauthorized });

    const unknown = await api.request('GET', `/teams/${randomUUID()}`, { token });
    t.deepEqual([unknown.status, unknown.body], [404, { detail: 'TEAM_NOT_FOUND' }]);
    const adminToken = await api.login(ADMIN.email, ADMIN.password);
    const adminEnv = await api.request('POST', '/envs/', { token: adminToken, json: { name: `admin-env-${randomUUID()}` } });
    const forbidden = await api.request('GET', `/envs/${asRecord(adminEnv.body)['id']}`, { token });
    t.deepEqual([forbidden.status, forbidden.body], [403, { detail: 'Unauthorized.' }]);

    const malformed = await api.request('POST', '/envs/', { token, raw: '{"name": "x",' });
    t.deepEqual(
      [malformed.status, asRecord(malformed.body)['detail']],
      [422, [{ loc: ['body'], msg: 'Invalid request body', type: 'value_error.jsondecode' }]],
    );
    const wrongTypes = await api.request('POST', '/envs/', { token, json: { name: 42, use_retention: 'yes' } });
    t.is(wrongTypes.status, 422);
    t.deepEqual(
      (asRecord(wrongTypes.body)['detail'] as { loc: unknown }[]).map((issue) => issue.loc),
      [
        ['body', 'name'],
        ['body', 'use_retention'],
      ],
    );

    await api.request('POST', '/auth/jwt/logout', { token });
    t.deepEqual(await api.request('GET', '/users/me', { token }), { status: 401, body: unauthorized });
  });

  test(`${name}: a member cannot add members; the last owner cannot be removed`, async (t) => {
    const [owner, member, other] = [email('owner'), email('member'), email('other')];
    const ownerUser = await api.register(owner);
    const memberUser = await api.register(member);
    const otherUser = await api.register(other);
    const ownerToken = await api.login(owner);
    await api.request('POST', '/envs/', { token: ownerToken, json: { name: `env-${randomUUID()}` } });
    const team = asRecord((await api.request('POST', '/teams/', { token: ownerToken, json: { name: 'Platform' } })).body);
    await api.request('POST', `/teams/${team['id']}/members/bulk`, { token: ownerToken, json: { members: [memberUser.id] } });

    const memberToken = await api.login(member);
    const refused = await api.request('POST', `/teams/${team['id']}/members/bulk`, {
      token: memberToken,
      json: { members: [otherUser.id] },
    });
    t.deepEqual([refused.status, refused.body], [403, { detail: 'Unauthorized.' }]);
    const unknownUser = randomUUID();
    const missing = await api.request('POST', `/teams/${team['id']}/members/bulk`, { token: ownerToken, json: { members: [unknownUser] } });
    t.is(missing.status, 404);
    t.regex(String(asRecord(missing.body)['detail']), new RegExp(unknownUser));

    const lastOwner = await api.request('DELETE', `/teams/${team['id']}/members/${ownerUser.id}`, { token: ownerToken });
    t.deepEqual([lastOwner.status, lastOwner.body], [409, { detail: 'TEAM_LAST_OWNER' }]);
    t.is((await api.request('DELETE', `/teams/${team['id']}/members/${memberUser.id}`, { token: ownerToken })).status, 204);
  });

  test(`${name}: users of one env cannot see another env's teams`, async (t) => {
    const [a, b] = [email('env-a'), email('env-b')];
    await api.register(a);
    await api.register(b);
    const [tokenA, tokenB] = [await api.login(a), await api.login(b)];
    const envA = asRecord((await api.request('POST', '/envs/', { token: tokenA, json: { name: `a-${randomUUID()}` } })).body);
    await api.request('POST', '/envs/', { token: tokenB, json: { name: `b-${randomUUID()}` } });
    const teamA = asRecord((await api.request('POST', '/teams/', { token: tokenA, json: { name: 'Secret team' } })).body);

    const listB = asRecord((await api.request('GET', '/teams/', { token: tokenB })).body);
    t.false((listB['items'] as { id: string }[]).some((team) => team.id === teamA['id']));
    t.is((await api.request('GET', `/teams/${teamA['id']}`, { token: tokenB })).status, 403);
    t.is((await api.request('GET', `/envs/${envA['id']}`, { token: tokenB })).status, 403);
    t.is((await api.request('GET', `/teams/filter-one?name=Secret%20team`, { token: tokenB })).status, 404);
    t.is((await api.request('POST', '/teams/', { token: tokenB, json: { name: 'Intruder', env_id: envA['id'] } })).status, 403);
    const envsB = asRecord((await api.request('GET', '/envs/', { token: tokenB })).body);
    t.is(envsB['total'], 1);
  });

  test(`${name}: forgot / reset password: the emailed token works once; the old password stops working`, async (t) => {
    const mail = email('forgetful');
    await api.register(mail);
    t.is((await api.request('POST', '/auth/forgot-password', { json: { email: mail } })).status, 202);
    t.is((await api.request('POST', '/auth/forgot-password', { json: { email: email('nobody') } })).status, 202);
    const line = api.logs.find((entry) => entry['message'] === 'password reset requested' && entry['email'] === mail);
    const token = String(line?.['reset_token']);
    const reset = await api.request('POST', '/auth/reset-password', { json: { token, password: 'brand-new-password' } });
    t.is(reset.status, 200);
    const again = await api.request('POST', '/auth/reset-password', { json: { token, password: 'another-password' } });
    t.deepEqual([again.status, again.body], [400, { detail: 'RESET_PASSWORD_BAD_TOKEN' }]);
    t.is((await api.request('POST', '/auth/jwt/login', { form: { username: mail, password: 'password-123' } })).status, 400);
    t.truthy(await api.login(mail, 'brand-new-password'));
    t.false(
      api.logs.some((entry) => JSON.stringify(entry).includes('brand-new-password')),
      'passwords never reach the log',
    );
  });

  test(`${name}: repeated failed logins for an account are answered 429 for a while`, async (t) => {
    const mail = email('guessed');
    await api.register(mail);
    for (let i = 0; i < 3; i++) {
      t.is((await api.request('POST', '/auth/jwt/login', { form: { username: mail, password: `guess-${i}` } })).status, 400);
    }
    const blocked = await api.request('POST', '/auth/jwt/login', { form: { username: mail, password: 'password-123' } });
    t.deepEqual([blocked.status, blocked.body], [429, { detail: 'LOGIN_TOO_MANY_ATTEMPTS' }]);
  });

  test(`${name}: service-account tokens are long-lived, listed and revocable`, async (t) => {
    const mail = email('robot');
    await api.register(mail);
    const token = await api.login(mail);
    const created = await api.request('POST', '/users/me/service-account-token', { token, json: { name: 'ci' } });
    t.is(created.status, 201);
    const service = asRecord(created.body);
    t.is(service['expires_at'], null);
    t.is((await api.request('GET', '/users/me', { token: String(service['access_token']) })).status, 200);
    const listed = await api.request('GET', '/users/me/service-account-tokens', { token });
    t.like((listed.body as unknown[])[0], { id: service['id'], name: 'ci', expires_at: null });
    t.is((await api.request('DELETE', `/users/me/service-account-tokens/${service['id']}`, { token })).status, 204);
    t.is((await api.request('GET', '/users/me', { token: String(service['access_token']) })).status, 401);
    t.deepEqual((await api.request('GET', '/users/me/service-account-tokens', { token })).body, []);
  });

  test(`${name}: superusers manage users; a deleted user cannot log in and frees the email`, async (t) => {
    const adminToken = await api.login(ADMIN.email, ADMIN.password);
    const mail = email('managed');
    const user = await api.register(mail);
    const patched = await api.request('PATCH', `/users/${user.id}`, { token: adminToken, json: { is_verified: true, is_superuser: true } });
    t.like(asRecord(patched.body), { is_verified: true, is_superuser: true });
    const page = asRecord((await api.request('GET', `/users?search=${encodeURIComponent(mail)}`, { token: adminToken })).body);
    t.is(page['total'], 1);
    t.is((await api.request('DELETE', `/users/${user.id}`, { token: adminToken })).status, 204);
    t.is((await api.request('GET', `/users/${user.id}`, { token: adminToken })).status, 404);
    t.is((await api.request('POST', '/auth/jwt/login', { form: { username: mail, password: 'password-123' } })).status, 400);
    t.truthy(await api.register(mail));
  });

  test(`${name}: user-logs answers who did what; others see only actions in their envs and teams`, async (t) => {
    const [a, b] = [email('audited'), email('stranger')];
    const userA = await api.register(a);
    await api.register(b);
    const [tokenA, tokenB] = [await api.login(a), await api.login(b)];
    const env = asRecord((await api.request('POST', '/envs/', { token: tokenA, json: { name: `audit-${randomUUID()}` } })).body);
    const since = new Date().toISOString();
    await api.request('PATCH', `/envs/${env['id']}`, { token: tokenA, json: { description: 'changed' } });

    const mine = asRecord((await api.request('GET', `/user-logs?resource_id=${env['id']}`, { token: tokenA })).body);
    t.deepEqual(
      (mine['items'] as { event_type: string }[]).map((e) => e.event_type),
      ['EnvUpdated', 'EnvCreated'],
    );
    t.like((mine['items'] as unknown[])[0], { user_id: userA.id, resource_type: 'env', env_id: env['id'] });
    const ranged = asRecord(
      (await api.request('GET', `/user-logs?resource_id=${env['id']}&since=${encodeURIComponent(since)}`, { token: tokenA })).body,
    );
    t.is(ranged['total'], 1);
    const theirs = asRecord((await api.request('GET', `/user-logs?resource_id=${env['id']}`, { token: tokenB })).body);
    t.is(theirs['total'], 0);
    const admin = asRecord(
      (
        await api.request('GET', `/user-logs?user_id=${userA.id}&event_type=EnvCreated`, {
          token: await api.login(ADMIN.email, ADMIN.password),
        })
      ).body,
    );
    t.is(admin['total'], 1);
    t.false(JSON.stringify(admin).includes('passwordHash'));
  });
}
