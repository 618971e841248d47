import type Router from '@koa/router';
import { jsonSchemaOf, withoutProperties, type JsonSchema } from './ioTsSchema';
import { Uuid } from '../queryCodecs';
import { OPERATIONS, type BodySpec, type OperationSpec, type ResponseSpec } from './operations';

/** One method on one path, as a router serves it. */
export interface RouteInfo {
  readonly method: string;
  /** OpenAPI style (`/pipelines/{id}`), without the router's prefix. */
  readonly path: string;
  readonly params: readonly string[];
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json | undefined };

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly servers: readonly { readonly url: string }[];
  readonly security: readonly Record<string, readonly string[]>[];
  readonly tags: readonly { readonly name: string }[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, Json>>>>;
  readonly components: Json;
}

/** `/pipelines/:id` as OpenAPI writes it. */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

/**
 * Every method and path the routers serve (HEAD, which Koa adds to each GET, left out), relative
 * to `prefix`, where the app mounts them.
 */
export function routesOf(routers: readonly Pick<Router, 'stack'>[], prefix: string): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const layer of routers.flatMap((router) => router.stack)) {
    if (typeof layer.path !== 'string') continue;
    const relative = layer.path.startsWith(prefix) ? layer.path.slice(prefix.length) : layer.path;
    for (const method of layer.methods) {
      if (method === 'HEAD') continue;
      routes.push({ method, path: openApiPath(relative === '' ? '/' : relative), params: layer.paramNames.map((key) => String(key.name)) });
    }
  }
  return routes;
}

const ERROR: Json = { $ref: '#/components/schemas/Error' };
const DETAILED_ERROR: Json = { $ref: '#/components/schemas/DetailedError' };
const VALIDATION_ERROR: Json = { $ref: '#/components/schemas/ValidationError' };

const COMPONENTS: Json = {
  securitySchemes: {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A token from `POST /auth/jwt/login` or a service-account token.',
    },
  },
  schemas: {
    Error: {
      type: 'object',
      properties: { detail: { type: 'string', description: 'An error code (e.g. `PIPELINE_NOT_FOUND`), or a code and its reason' } },
      required: ['detail'],
    },
    DetailedError: {
      type: 'object',
      properties: {
        detail: {
          description: 'An error code, or `{code, reason}` / `{code, message, ...}` where the contract gives one',
          anyOf: [{ type: 'string' }, { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] }],
        },
      },
      required: ['detail'],
    },
    ValidationError: {
      type: 'object',
      properties: {
        detail: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              loc: {
                type: 'array',
                items: { type: ['string', 'integer'] },
                description: 'where: `["body", "name"]`, `["query", "limit"]`',
              },
              msg: { type: 'string' },
              type: { type: 'string' },
            },
            required: ['loc', 'msg', 'type'],
          },
        },
      },
      required: ['detail'],
    },
  },
};

// JsonSchema is JSON by construction; the document type only needs it said once.
const json = (schema: JsonSchema): Json => schema as Json;

const bodySchemaOf = (body: BodySpec): JsonSchema => {
  const schema = body.codec !== undefined ? jsonSchemaOf(body.codec) : (body.schema ?? {});
  return withoutProperties(schema, body.omit ?? []);
};

function parametersOf(route: RouteInfo, spec: OperationSpec | undefined): Json[] {
  // Path parameters are ids (see idParam) unless the operation says otherwise.
  const path: Json[] = route.params.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: json(spec?.pathParams?.[name] ?? jsonSchemaOf(Uuid)),
  }));
  const query: Json[] = (spec?.query ?? []).flatMap((codec) => {
    const schema = jsonSchemaOf(codec);
    const required = schema.required ?? [];
    return Object.entries(schema.properties ?? {}).map(([name, property]): Json => ({
      name,
      in: 'query',
      required: required.includes(name),
      schema: json(property),
    }));
  });
  return [...path, ...query];
}

/** The contract's page `{items, total, skip, limit}` of `items`. */
const page = (items: Json): Json => ({
  type: 'object',
  properties: { items: { type: 'array', items }, total: { type: 'integer' }, skip: { type: 'integer' }, limit: { type: 'integer' } },
  required: ['items', 'total', 'skip', 'limit'],
});

function responsesOf(route: RouteInfo, spec: OperationSpec): Record<string, Json> {
  const responses: Record<string, Json> = {};
  const add = (status: number, response: string | ResponseSpec) => {
    const {
      description,
      codec,
      schema: given,
      contentType = 'application/json',
    } = typeof response === 'string' ? { description: response } : response;
    const body = codec !== undefined ? json(jsonSchemaOf(codec)) : given !== undefined ? json(given) : undefined;
    const schema =
      status < 300
        ? spec.paged === true
          ? page(body ?? { type: 'object' })
          : body
        : (body ?? (status === 422 ? VALIDATION_ERROR : (spec.detailedErrors ?? []).includes(status) ? DETAILED_ERROR : ERROR));
    responses[String(status)] = { description, ...(schema !== undefined ? { content: { [contentType]: { schema } } } : {}) };
  };
  for (const [status, response] of Object.entries(spec.responses)) add(Number(status), response);
  const missing = (status: number) => responses[String(status)] === undefined;
  if (spec.public !== true && missing(401)) add(401, 'No valid bearer token');
  if (route.params.length > 0 && missing(404)) add(404, 'Not found');
  if (spec.body !== undefined && missing(413)) add(413, 'The body is larger than POPSINK_BODY_LIMIT');
  const idInPath = route.params.some((name) => spec.pathParams?.[name] === undefined);
  if ((spec.body !== undefined || (spec.query ?? []).length > 0 || idInPath) && missing(422))
    add(422, 'The request does not match its schema');
  // A change is recorded before the read models show it; answered 503 when they lag behind too long.
  if (route.method !== 'GET' && missing(503)) add(503, '`READ_MODELS_LAGGING`: the change is recorded but not yet readable');
  return responses;
}

const tagsOf = (route: RouteInfo, spec: OperationSpec | undefined): readonly string[] => spec?.tags ?? [route.path.split('/')[1] ?? 'api'];

function operationOf(route: RouteInfo, spec: OperationSpec | undefined, tags: readonly string[]): Json {
  const operationId = `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+/g, '_')}`.replace(/_$/, '');
  const parameters = parametersOf(route, spec);
  // A route nobody described is still listed, without a description, for the OpenAPI test to refuse.
  if (spec === undefined)
    return { operationId, tags, summary: `${route.method} ${route.path}`, description: '', parameters, responses: {} };
  const body = spec.body;
  const mediaType = body?.encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
  return {
    operationId,
    tags,
    summary: spec.summary,
    description: spec.description,
    ...(spec.public === true ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body !== undefined
      ? { requestBody: { required: body.optional !== true, content: { [mediaType]: { schema: json(bodySchemaOf(body)) } } } }
      : {}),
    responses: responsesOf(route, spec),
  };
}

/**
 * The OpenAPI 3.1 document of the routes given (see `routesOf`), described by `operations`;
 * `apiPrefix` is where they are mounted (the servers' URL).
 */
export function openApiDocument(
  routes: readonly RouteInfo[],
  options: { apiPrefix: string; version: string; operations?: Readonly<Record<string, OperationSpec>> },
): OpenApiDocument {
  const operations = options.operations ?? OPERATIONS;
  const paths: Record<string, Record<string, Json>> = {};
  const tags: string[] = [];
  for (const route of routes) {
    const spec = operations[`${route.method} ${route.path}`];
    const routeTags = tagsOf(route, spec);
    const entry = (paths[route.path] ??= {});
    entry[route.method.toLowerCase()] = operationOf(route, spec, routeTags);
    for (const tag of routeTags) if (!tags.includes(tag)) tags.push(tag);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Popsink on-prem API',
      version: options.version,
      description:
        'The control plane of Popsink on-prem: users, envs, teams, connectors, pipelines, subscriptions and datamodels. Send `Authorization: Bearer <token>` (from `POST /auth/jwt/login`) except on the public routes.',
    },
    servers: [{ url: options.apiPrefix === '' ? '/' : options.apiPrefix }],
    security: [{ bearerAuth: [] }],
    tags: tags.map((name) => ({ name })),
    paths,
    components: COMPONENTS,
  };
}
