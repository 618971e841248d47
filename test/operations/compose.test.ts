import test from 'ava';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { readConfig } from '../../config';
import { parseSecretKey } from '../../infrastructure/crypto/secretBox';

// docker-compose.yml and the Dockerfile cannot be run here (no Docker): this suite reads them and
// checks what can go wrong silently: a floating image, a variable the platform never reads, the
// api and runtime disagreeing on their keys, a dependency without a health check.

interface Service {
  readonly image?: string;
  readonly build?: unknown;
  readonly environment?: Readonly<Record<string, unknown>> | readonly string[];
  readonly depends_on?: Readonly<Record<string, { readonly condition?: string }>> | readonly string[];
  readonly healthcheck?: { readonly disable?: boolean; readonly test?: unknown };
  readonly ports?: readonly string[];
}

const fromRoot = (file: string): string => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

const compose = parse(fromRoot('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const dockerfile = fromRoot('Dockerfile');
const configSource = fromRoot('config.ts');

/** What README's configuration table says separate api / runtime processes must share. */
const requiredForSeparateProcesses = [
  'POPSINK_EVENTSTORE_URL',
  'POPSINK_MONGO_URL',
  'POPSINK_SECRET_KEY',
  'POPSINK_JWT_SECRET',
  'POPSINK_ROLE',
];

/** The variables config.ts reads: `env['NAME']`, `positiveInt(env, 'NAME', …)` and `tcpPort(env, 'NAME', …)`. */
function configVariables(source: string): Set<string> {
  const names = new Set(['PORT', 'HOST']);
  for (const match of source.matchAll(
    /env\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]|(?:positiveInt|tcpPort)\(\s*env\s*,\s*['"]([A-Z][A-Z0-9_]*)['"]/g,
  )) {
    names.add((match[1] ?? match[2]) as string);
  }
  return names;
}

/** A service's environment, from either compose form (`NAME: value` or `- NAME=value`). */
function environmentOf(service: Service | undefined): Map<string, string | undefined> {
  const environment = service?.environment ?? {};
  if (Array.isArray(environment)) {
    return new Map(
      (environment as readonly string[]).map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return new Map(
    Object.entries(environment).map(([name, value]) => [name, value === null || value === undefined ? undefined : String(value)]),
  );
}

const unknownVariables = (environment: Map<string, unknown>, known: ReadonlySet<string>): string[] =>
  [...environment.keys()].filter((name) => !known.has(name));

/** Pinned: a digest, or a tag that names at least major.minor (never `latest`, never just `7`). */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const colon = image.lastIndexOf(':');
  if (colon < 0 || colon < image.lastIndexOf('/')) return false;
  const tag = image.slice(colon + 1);
  return tag !== 'latest' && /^v?\d+\.\d+/.test(tag);
}

/** The value compose would pass with nothing set on the host: `${VAR:-default}` becomes the default. */
function withDefaults(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (whole, _name: string, fallback: string | undefined) => {
    if (fallback === undefined) throw new Error(`${whole} has no default: compose would pass an empty value`);
    return fallback;
  });
}

const resolvedEnvironment = (service: Service | undefined): Record<string, string> =>
  Object.fromEntries([...environmentOf(service)].map(([name, value]) => [name, withDefaults(value ?? '')]));

const platformServices = ['api', 'runtime'] as const;
const known = configVariables(configSource);

test('the variables read from config.ts include every one README lists for separate processes', (t) => {
  for (const name of [
    ...requiredForSeparateProcesses,
    'POPSINK_DATA_DIR',
    'POPSINK_ADMIN_EMAIL',
    'POPSINK_RUNTIME_ID',
    'POPSINK_LOGIN_MAX_FAILURES',
  ]) {
    t.true(known.has(name), `${name} not found in config.ts`);
  }
});

test('every image is pinned to a version or a digest; services without one are built here', (t) => {
  t.true(Object.keys(compose.services).length >= 7);
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.image === undefined) t.not(service.build, undefined, `${name} has neither image nor build`);
    else t.true(isPinned(service.image), `${name}: ${service.image} is not pinned`);
  }
  t.false(isPinned('mongo'));
  t.false(isPinned('mongo:latest'));
  t.false(isPinned('mongo:7'));
  t.false(isPinned('registry:5000/mongo'));
  t.true(isPinned(`mongo@sha256:${'a'.repeat(64)}`));
});

test('the Dockerfile starts from pinned images and runs the platform as it documents', (t) => {
  const stages = new Set<string>();
  const bases = [...dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)].map((match) => {
    if (match[2] !== undefined) stages.add(match[2].toLowerCase());
    return match[1] as string;
  });
  t.true(bases.length >= 2, 'a multi-stage build');
  for (const base of bases.filter((image) => !stages.has(image.toLowerCase()))) {
    t.true(isPinned(base), `FROM ${base} is not pinned`);
    t.regex(base, /^node:20\./);
  }
  t.regex(dockerfile, /^RUN npm ci\b/m);
  t.regex(dockerfile, /^COPY package\.json package-lock\.json/m);
  t.regex(dockerfile, /^USER (?!root\b)\S+/m);
  t.regex(dockerfile, /POPSINK_DATA_DIR=\/data\b/);
  t.regex(dockerfile, /^VOLUME \["\/data"\]/m);
  t.regex(dockerfile, /^EXPOSE 8000 8001$/m);
  const healthcheck = /^HEALTHCHECK\b.*\n.*$/m.exec(dockerfile)?.[0] ?? '';
  t.regex(healthcheck, /\/api\/livez/, 'the API answers its liveness');
  t.regex(healthcheck, /POPSINK_RUNTIME_PORT\D+8001\D+\/livez/, 'a runtime-only process answers on its probes port');
  // The compiled platform, built in the image: no TypeScript tooling at run time.
  t.regex(dockerfile, /^RUN node scripts\/build\.mjs\b/m);
  t.regex(dockerfile, /^CMD \["node", "--enable-source-maps", "dist\/main\.js"\]/m);
  const unknown = [...new Set(dockerfile.match(/\bPOPSINK_[A-Z0-9_]+/g) ?? [])].filter((name) => !known.has(name));
  t.deepEqual(unknown, [], 'the Dockerfile names variables config.ts does not read');
});

test('every variable set on the api and the runtime is one config.ts reads', (t) => {
  for (const name of platformServices) {
    t.deepEqual(unknownVariables(environmentOf(compose.services[name]), known), [], `${name} sets variables config.ts does not read`);
  }
  // The check itself catches a typo or a variable nobody reads.
  const withTypo = new Map(environmentOf(compose.services['api'])).set('POPSINK_EVENTSTORE_ULR', 'esdb://x');
  t.deepEqual(unknownVariables(withTypo, known), ['POPSINK_EVENTSTORE_ULR']);
  t.deepEqual(unknownVariables(environmentOf({ environment: ['PORT=1', 'POPSINK_NOPE=2'] }), known), ['POPSINK_NOPE']);
});

test('the api and the runtime set what separate processes need, with the same keys', (t) => {
  const api = environmentOf(compose.services['api']);
  const runtime = environmentOf(compose.services['runtime']);
  for (const [name, environment] of [
    ['api', api],
    ['runtime', runtime],
  ] as const) {
    for (const variable of requiredForSeparateProcesses) t.truthy(environment.get(variable), `${name} lacks ${variable}`);
  }
  t.is(api.get('POPSINK_ROLE'), 'api');
  t.is(runtime.get('POPSINK_ROLE'), 'runtime');
  for (const shared of [
    'POPSINK_SECRET_KEY',
    'POPSINK_JWT_SECRET',
    'POPSINK_EVENTSTORE_URL',
    'POPSINK_MONGO_URL',
    'POPSINK_MONGO_DATABASE',
  ]) {
    t.is(api.get(shared), runtime.get(shared), `api and runtime differ on ${shared}`);
  }
  t.truthy(runtime.get('POPSINK_RUNTIME_ID'));
  t.truthy(api.get('POPSINK_ADMIN_EMAIL'));
  t.truthy(api.get('POPSINK_ADMIN_PASSWORD'));
});

test('with nothing set on the host, the defaults are a configuration config.ts accepts', (t) => {
  for (const name of platformServices) {
    const environment = resolvedEnvironment(compose.services[name]);
    const config = readConfig(environment);
    t.is(config.role, name);
    t.is(config.eventStoreUrl, 'esdb://eventstoredb:2113?tls=false');
    t.regex(config.mongoUrl ?? '', /^mongodb:\/\/mongodb:27017\//);
    t.not(parseSecretKey(config.secretKey ?? ''), undefined, `${name}: the default POPSINK_SECRET_KEY is not a 32-byte key`);
    t.truthy(config.jwtSecret);
  }
  t.throws(() => withDefaults('${POPSINK_SECRET_KEY}'));
});

test('the platform waits for healthy stores; every dependency has a health check', (t) => {
  const healthChecked = (name: string): boolean => {
    const service = compose.services[name];
    if (service === undefined || service.healthcheck?.disable === true) return false;
    return service.healthcheck?.test !== undefined || (service.build !== undefined && /^HEALTHCHECK\b/m.test(dockerfile));
  };
  for (const name of platformServices) {
    const dependsOn = compose.services[name]?.depends_on;
    t.false(Array.isArray(dependsOn), `${name}: depends_on needs conditions`);
    const conditions = Object.entries((dependsOn ?? {}) as Record<string, { condition?: string }>);
    t.deepEqual(
      conditions
        .map(([service]) => service)
        .filter((service) => service === 'eventstoredb' || service === 'mongodb')
        .sort(),
      ['eventstoredb', 'mongodb'],
    );
    for (const [service, { condition }] of conditions) {
      t.is(condition, 'service_healthy', `${name} -> ${service}`);
      t.true(healthChecked(service), `${service} has no health check`);
    }
  }
  for (const name of ['eventstoredb', 'mongodb', 'kafka', 'oracle', 'postgres', 'api'])
    t.true(healthChecked(name), `${name} has no health check`);
  t.true(
    compose.services['api']?.ports?.some((port) => /(^|:)8000:8000$/.test(port)),
    'the api publishes port 8000',
  );
});
