import test from 'ava';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { request as httpRequest } from 'node:http';
import { ADMIN, asRecord, startTeamApi, type TeamWorld } from './apiFixtures';

/**
 * The fuzz lane's findings (scripts/fuzz.sh, issue 13), one regression each: unknown methods,
 * loose date-times, PATCH without a body, answers the document did not list, and success bodies
 * that must match the document's schemas.
 */
let world: TeamWorld;
test.before(async () => {
  world = await startTeamApi('openapi-findings', 'Findings');
});
test.after.always(async () => world?.api.stop());

interface Operation {
  readonly responses: Record<string, { readonly content?: Record<string, { readonly schema: object }> }>;
}
const documentOf = async (): Promise<{ paths: Record<string, Record<string, Operation>> }> =>
  (await world.api.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };

test('an unknown method on a known path answers 405 with Allow, not 501', async (t) => {
  // fetch refuses TRACE: node:http sends it.
  const answer = (method: string) =>
    new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
      const request = httpRequest(`${world.api.url}/pipelines/`, { method, headers: { authorization: `Bearer ${world.token}` } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
      });
      request.on('error', reject);
      request.end();
    });
  for (const method of ['TRACE', 'PUT']) {
    const response = await answer(method);
    t.is(response.status, 405, method);
    t.deepEqual(response.allow?.split(', ').sort(), ['GET', 'HEAD', 'POST'], method);
    t.deepEqual(JSON.parse(response.body), { detail: 'Method Not Allowed' });
  }
});

test('a date-time query parameter takes RFC 3339 only: anything else is a 422', async (t) => {
  const { api, token } = world;
  for (const bad of ['0.5', '2024', 'yesterday']) {
    const response = await api.request('GET', `/user-logs?until=${bad}`, { token });
    t.is(response.status, 422, bad);
    t.like(asRecord(response.body), { detail: [{ loc: ['query', 'until'] }] });
  }
  t.is((await api.request('GET', '/user-logs?since=2024-01-01T00:00:00Z&until=2030-01-01T00:00:00.5%2B02:00', { token })).status, 200);
});

test('a query parameter without a name is a 422; an unknown named one is ignored', async (t) => {
  const { api, token } = world;
  const nameless = await api.request('GET', '/teams/?=false', { token });
  t.is(nameless.status, 422);
  t.like(asRecord(nameless.body), { detail: [{ loc: ['query', ''], type: 'value_error.query_name' }] });
  t.is((await api.request('GET', '/teams/?cache_buster=1', { token })).status, 200);
});

test('a PATCH without a body is a 422 at ["body"], not a no-op 200', async (t) => {
  const { api, token, teamId } = world;
  for (const path of ['/users/me', `/teams/${teamId}`]) {
    const response = await api.request('PATCH', path, { token });
    t.is(response.status, 422, path);
    t.deepEqual(response.body, { detail: [{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }] });
  }
  t.is((await api.request('PATCH', '/users/me', { token, json: {} })).status, 200);
});

test('the document lists the 404s of lookups by name and of bodies naming an unknown id, and object details of 400s', async (t) => {
  const { paths } = await documentOf();
  const routes = [
    ['/envs/filter-one', 'get'],
    ['/teams/filter-one', 'get'],
    ['/connectors/filter-one', 'get'],
    ['/pipelines/filter-one', 'get'],
    ['/connectors', 'post'],
    ['/pipelines', 'post'],
    ['/teams', 'post'],
    ['/subscriptions', 'post'],
    ['/subscriptions/subscribe-all', 'post'],
    ['/users/me', 'patch'],
  ] as const;
  for (const [path, method] of routes) t.truthy(paths[path]?.[method]?.responses['404'], `${method} ${path}`);
  const { api, token } = world;
  t.is((await api.request('GET', '/pipelines/filter-one?name=none', { token })).status, 404);
  t.is((await api.request('POST', '/subscriptions/', { token, json: { pipeline_id: crypto.randomUUID() } })).status, 404);
  const short = await api.request('PATCH', '/users/me', { token, json: { password: 'short' } });
  t.is(short.status, 400);
  t.deepEqual(paths['/users/me']?.['patch']?.responses['400']?.content?.['application/json']?.schema, {
    $ref: '#/components/schemas/DetailedError',
  });
});

test('success bodies match the schemas the document derives from the renderers codecs', async (t) => {
  const { api, token, teamId } = world;
  const { paths } = await documentOf();
  const ajv = new Ajv2020({ strict: false });
  const check = (path: string, method: string, status: number, body: unknown) => {
    const schema = paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
    if (schema === undefined) return t.fail(`${method} ${path} ${status}: no schema`);
    t.true(ajv.validate(schema, body), `${method} ${path}: ${ajv.errorsText()}`);
  };
  const connector = await api.request('POST', '/connectors/', {
    token,
    json: {
      name: 'src',
      connector_type: 'KAFKA_SOURCE',
      team_id: teamId,
      config: { topic: 't', bootstrap_servers: 'k:9092', consumer_group_id: 'g' },
    },
  });
  check('/connectors', 'post', 201, connector.body);
  const target = await api.request('POST', '/connectors/', {
    token,
    json: {
      name: 'dst',
      connector_type: 'POSTGRES_TARGET',
      team_id: teamId,
      config: { host: 'db', port: '5432', database: 'd', user: 'u', password: 'not-shown' },
    },
  });
  const pipeline = await api.request('POST', '/pipelines/', {
    token,
    json: {
      name: 'p',
      team_id: teamId,
      existing_source_id: asRecord(connector.body)['id'],
      existing_target_id: asRecord(target.body)['id'],
      subscription_target_table_name: 'rows',
      subscription_mapper_config: [{ key: 'id', path: '$.id', cast: 'string', primary_key: true, nullable: false }],
    },
  });
  t.is(pipeline.status, 201);
  check('/pipelines', 'post', 201, pipeline.body);
  const pipelineId = String(asRecord(pipeline.body)['id']);
  check('/pipelines', 'get', 200, (await api.request('GET', '/pipelines/', { token })).body);
  check('/pipelines/{id}/status', 'get', 200, (await api.request('GET', `/pipelines/${pipelineId}/status`, { token })).body);
  check('/pipelines/count-status', 'get', 200, (await api.request('GET', '/pipelines/count-status', { token })).body);
  check('/pipelines/{id}/start', 'post', 202, (await api.request('POST', `/pipelines/${pipelineId}/start`, { token })).body);
  check('/subscriptions', 'get', 200, (await api.request('GET', `/subscriptions/?pipeline_id=${pipelineId}`, { token })).body);
  check('/users/me', 'get', 200, (await api.request('GET', '/users/me', { token })).body);
  check('/envs', 'get', 200, (await api.request('GET', '/envs/', { token })).body);
  check('/teams/{id}', 'get', 200, (await api.request('GET', `/teams/${teamId}`, { token })).body);
  check('/teams/{id}/members', 'get', 200, (await api.request('GET', `/teams/${teamId}/members`, { token })).body);
  const datamodelId = String(asRecord(pipeline.body)['datamodel_id']);
  const connectorId = String(asRecord(connector.body)['id']);
  for (const [path, concrete] of [
    ['/pipelines/{id}/worker-config', `/pipelines/${pipelineId}/worker-config`],
    ['/pipelines/{id}/configuration', `/pipelines/${pipelineId}/configuration`],
    ['/pipelines/{id}/history', `/pipelines/${pipelineId}/history`],
    ['/connectors/{id}/history', `/connectors/${connectorId}/history`],
    ['/pipelines/{id}/latency-informations', `/pipelines/${pipelineId}/latency-informations`],
    ['/pipelines/{id}/logs', `/pipelines/${pipelineId}/logs`],
    ['/datamodels', '/datamodels/'],
    ['/datamodels/{id}', `/datamodels/${datamodelId}`],
    ['/datamodels/{id}/schema', `/datamodels/${datamodelId}/schema`],
    ['/datamodels/{id}/monitoring', `/datamodels/${datamodelId}/monitoring`],
    ['/user-logs', '/user-logs'],
  ] as const) {
    const response = await api.request('GET', concrete, { token });
    t.is(response.status, 200, concrete);
    check(path, 'get', 200, response.body);
  }
  check(
    '/users/me/service-account-token',
    'post',
    201,
    (await api.request('POST', '/users/me/service-account-token', { token, json: {} })).body,
  );
  for (const side of ['source', 'target'] as const) {
    const id = asRecord((side === 'source' ? connector : target).body)['id'];
    const response = await api.request('GET', `/connectors/${String(id)}/${side}-worker-config`, { token });
    t.is(response.status, 200, side);
    check(`/connectors/{id}/${side}-worker-config`, 'get', 200, response.body);
  }
  const mapped = await api.request('POST', '/smt/process_mapper', {
    token,
    json: { config: [{ key: 'id', path: '$.id', cast: 'int' }], message: [{ id: '1' }, '{"id": 2}'] },
  });
  t.is(mapped.status, 200);
  check('/smt/process_mapper', 'post', 200, mapped.body);

  // The installation routes are a superuser's: its export, imported again (merge: nothing to append), and the archives.
  const admin = await api.login(ADMIN.email, ADMIN.password);
  const exported = await api.request('GET', '/users/export-all', { token: admin });
  t.is(exported.status, 200);
  check('/users/export-all', 'get', 200, exported.body);
  const imported = await api.request('POST', '/users/import-all?mode=merge', { token: admin, json: exported.body });
  t.is(imported.status, 200, JSON.stringify(imported.body));
  check('/users/import-all', 'post', 200, imported.body);
  check('/users/import-all/archives', 'get', 200, (await api.request('GET', '/users/import-all/archives', { token: admin })).body);
});

/** Success answers without a body: every 204, and forgot-password's 202 (it says nothing of the email). */
const BODILESS = new Set(['post /auth/forgot-password 202']);

test('every success answer with a body has its schema in the document', async (t) => {
  const { paths } = await documentOf();
  const missing = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).flatMap(([method, operation]) =>
      Object.entries(operation.responses)
        .filter(([status]) => status.startsWith('2') && status !== '204' && !BODILESS.has(`${method} ${path} ${status}`))
        .filter(([, response]) => Object.values(response.content ?? {}).every((media) => media.schema === undefined))
        .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
    ),
  );
  t.deepEqual(missing, []);
});

test('a malformed id in the path or the query is a 422 at its loc; a well-formed unknown one stays 404', async (t) => {
  const { api, token } = world;
  const malformed = await api.request('GET', '/pipelines/not-a-uuid', { token });
  t.is(malformed.status, 422);
  t.deepEqual(malformed.body, { detail: [{ loc: ['path', 'id'], msg: 'value is not a valid uuid', type: 'type_error.uuid' }] });
  t.like(asRecord((await api.request('DELETE', `/teams/${world.teamId}/members/nobody`, { token })).body), {
    detail: [{ loc: ['path', 'userId'] }],
  });
  t.is((await api.request('GET', `/pipelines/${crypto.randomUUID()}`, { token })).status, 404);
  for (const query of ['/pipelines/?team_id=x', '/teams/?env_id=x', '/subscriptions/?pipeline_id=x', '/user-logs?resource_id=x']) {
    const response = await api.request('GET', query, { token });
    t.is(response.status, 422, query);
    t.like(asRecord(response.body), { detail: [{ loc: ['query', query.split('?')[1]?.split('=')[0]], type: 'type_error.uuid' }] });
  }
  // An actor of the audit log may be `system` or a runtime, not a user's UUID.
  t.is((await api.request('GET', '/user-logs?user_id=system', { token })).status, 200);
  const { paths } = await documentOf();
  const parameters = (path: string, method: string) =>
    (paths[path]?.[method] as unknown as { parameters: { name: string; schema: Record<string, unknown> }[] }).parameters;
  t.like(parameters('/pipelines/{id}', 'get').find((p) => p.name === 'id')?.schema, { type: 'string', format: 'uuid' });
  t.like(parameters('/pipelines', 'get').find((p) => p.name === 'team_id')?.schema, { format: 'uuid' });
  t.truthy(paths['/pipelines/{id}']?.['get']?.responses['422']);
});

test('query integer ranges are in the document as the routes enforce them', async (t) => {
  const { api, token } = world;
  const { paths } = await documentOf();
  const schemaOf = (path: string, name: string) =>
    (paths[path]?.['get'] as unknown as { parameters: { name: string; schema: Record<string, unknown> }[] }).parameters.find(
      (p) => p.name === name,
    )?.schema;
  t.like(schemaOf('/pipelines', 'limit'), { type: 'integer', minimum: 1, maximum: 100 });
  t.like(schemaOf('/pipelines', 'skip'), { minimum: 0 });
  t.like(schemaOf('/pipelines', 'page'), { minimum: 1 });
  t.like(schemaOf('/pipelines/{id}/logs', 'limit'), { minimum: 1, maximum: 500 });
  for (const [query, type] of [
    ['limit=0', 'value_error.number.not_in_range'],
    ['limit=101', 'value_error.number.not_in_range'],
    ['page=0', 'value_error.number.not_ge'],
    ['size=101', 'value_error.number.not_in_range'],
  ] as const) {
    const response = await api.request('GET', `/pipelines/?${query}`, { token });
    t.is(response.status, 422, query);
    t.like(asRecord(response.body), { detail: [{ loc: ['query', query.split('=')[0]], type }] });
  }
  t.is((await api.request('GET', '/pipelines/?limit=100&skip=0&page=1', { token })).status, 200);
});

/** A pipeline named `name` with a Kafka source and a PostgreSQL target of its own (nothing listens at either). */
async function pipelineWithConnectors(name: string) {
  const { api, token, teamId } = world;
  const connector = async (suffix: string, connector_type: string, config: Record<string, unknown>) =>
    asRecord(
      (await api.request('POST', '/connectors/', { token, json: { name: `${name}-${suffix}`, connector_type, team_id: teamId, config } }))
        .body,
    )['id'];
  return api.request('POST', '/pipelines/', {
    token,
    json: {
      name,
      team_id: teamId,
      existing_source_id: await connector('src', 'KAFKA_SOURCE', { topic: 't', bootstrap_servers: 'k:9092', consumer_group_id: 'g' }),
      existing_target_id: await connector('dst', 'POSTGRES_TARGET', { host: 'db', port: '5432', database: 'd', user: 'u', password: 'x' }),
    },
  });
}

test('fields a subscription or datamodel body does not know are dropped, never stored (they stalled MongoDB projections)', async (t) => {
  const { api, token } = world;
  const pipeline = await pipelineWithConnectors('extra-keys');
  t.is(pipeline.status, 201);
  const pipelineId = String(asRecord(pipeline.body)['id']);
  const junk = { '': [-0, [], [null, false, 0]], '\u00e9x': { deep: [[1]] } };
  const added = await api.request('POST', '/subscriptions/', {
    token,
    json: { pipeline_id: pipelineId, target_table_name: 'extra', ...junk },
  });
  t.is(added.status, 201);
  const id = String(asRecord(added.body)['id']);
  t.is((await api.request('PATCH', `/subscriptions/${id}`, { token, json: { backfill: true, ...junk } })).status, 200);
  const datamodelId = String(asRecord(pipeline.body)['datamodel_id']);
  t.is((await api.request('PATCH', `/datamodels/${datamodelId}/error-table`, { token, json: { error_table_enabled: false } })).status, 200);
  const stored = asRecord((await api.request('GET', `/subscriptions/${id}`, { token })).body);
  t.false(Object.hasOwn(stored, ''));
  t.false(Object.hasOwn(stored, '\u00e9x'));
  t.is(stored['backfill'], true);
  const history = JSON.stringify((await api.request('GET', `/pipelines/${pipelineId}/history`, { token })).body);
  t.false(history.includes('deep'), 'no event holds the unknown fields');
});

test('a table name no target can take is a 422 at its field, not a 500 when the error rows are read', async (t) => {
  const { api, token } = world;
  const pipeline = await pipelineWithConnectors('long-names');
  const id = String(asRecord(pipeline.body)['id']);
  for (const [field, value] of [
    ['subscription_error_table_name', 'e'.repeat(64)],
    ['subscription_target_table_name', 'a\u0000b'],
    ['datamodel_error_table_name', 'é'.repeat(32)],
  ] as const) {
    const refused = await api.request('PATCH', `/pipelines/${id}`, { token, json: { [field]: value } });
    t.is(refused.status, 422, field);
    t.like(asRecord(refused.body), { detail: [{ loc: ['body', field], type: 'value_error.table_name' }] });
  }
  t.is((await api.request('PATCH', `/pipelines/${id}`, { token, json: { subscription_error_table_name: 'e'.repeat(63) } })).status, 200);
});

test('request schemas say what the API checks: configs by connector type, mapper entries, passwords', async (t) => {
  const { api, token, teamId } = world;
  const paths = (await documentOf()).paths as unknown as Record<
    string,
    Record<string, { requestBody: { content: Record<string, { schema: object }> } }>
  >;
  const ajv = new Ajv2020({ strict: false });
  // OpenAPI's `password` format only tells a UI to hide the value: nothing to check.
  ajv.addFormat('password', true);
  const accepts = (path: string, method: string, body: unknown) => {
    const schema = paths[path]?.[method]?.requestBody.content['application/json']?.schema;
    if (schema === undefined) throw new Error(`${method} ${path}: no body schema`);
    return ajv.validate(schema, body);
  };
  const source = { name: 'typed', connector_type: 'KAFKA_SOURCE', team_id: teamId, config: { topic: 't', bootstrap_servers: 'k:9092' } };
  t.true(accepts('/connectors', 'post', source), ajv.errorsText());
  // What the API refuses, the document refuses too.
  const refused = [
    { ...source, config: { bootstrap_servers: 'k:9092' } },
    { ...source, config: { topic: 't', bootstrap_servers: 'k:0' } },
    { ...source, config: { topic: 't', bootstrap_servers: 'k:9092', security_protocol: 'SASL_SSL' } },
    { ...source, connector_type: 'POSTGRES_TARGET' },
  ];
  for (const body of refused) {
    t.false(accepts('/connectors', 'post', body), JSON.stringify(body));
    t.is((await api.request('POST', '/connectors/', { token, json: body })).status, 422, JSON.stringify(body));
  }
  t.false(accepts('/connectors', 'post', { ...source, name: ' ' }));
  t.is((await api.request('POST', '/connectors/', { token, json: { ...source, name: ' ' } })).status, 422);
  const entry = { key: 'id', path: '$.id' };
  t.true(accepts('/smt/process_mapper', 'post', { config: [entry], message: {} }));
  for (const bad of [{ ...entry, static: 'x' }, { key: 'id' }, { ...entry, key: '1id' }, { ...entry, cast_format: '%Y' }]) {
    t.false(accepts('/smt/process_mapper', 'post', { config: [bad], message: {} }), JSON.stringify(bad));
    t.is((await api.request('POST', '/smt/process_mapper', { token, json: { config: [bad], message: {} } })).status, 422);
  }
  // Characters are code points, in the document and in the API alike: four emoji are four characters.
  const emoji = '\u{1F600}'.repeat(4);
  t.false(accepts('/auth/register', 'post', { email: 'emoji@example.com', password: emoji }));
  t.is((await api.request('POST', '/auth/register', { json: { email: 'emoji@example.com', password: emoji } })).status, 400);
  t.false(accepts('/auth/register', 'post', { email: 'not an email', password: 'long-enough' }));
});

test('an email with a control character is refused on PATCH /users/me (fuzz lane, --workers 1, seed 13)', async (t) => {
  const { api, token } = world;
  const sent = '\u2000£@v\u0087.\b±o\u2000';
  const refused = await api.request('PATCH', '/users/me', { token, json: { email: sent } });
  t.is(refused.status, 422, JSON.stringify(refused.body));
  t.like(asRecord(refused.body), { detail: [{ type: 'value_error.email' }] });
  t.not(asRecord((await api.request('GET', '/users/me', { token })).body)['email'], '£@v\u0087.\b±o');
});
