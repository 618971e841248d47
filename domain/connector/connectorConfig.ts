import * as t from 'io-ts';
import { issuesOf } from '../validationIssue';
import { MapperConfigInput, validateMapperConfig } from '../mapper/mapperSpec';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { invalid, type DomainError } from '../errors';
import { BLANK, documented, NON_BLANK, trimmedPattern, type JsonSchema } from '../jsonSchema';

/**
 * Connector configurations, per connector type, with exactly the seed's field names and enums
 * (`KAFKA_SOURCE` says `bootstrap_servers` / `consumer_group_id`, `KAFKA_TARGET` says
 * `bootstrap_server` / `group_id`: both are the contract, neither is a typo to fix).
 *
 * Each codec is complete: it checks the fields, applies the cross-field rules (SASL needs a
 * mechanism and credentials) and fills the documented defaults, so a request codec that embeds
 * one and goes through `http/decode.ts` reports the same `loc` as `validateConnectorConfig`.
 * Unknown fields are dropped (pydantic's default), so nothing unlisted, e.g. a stray secret,
 * is ever stored unmasked. `null` on an optional field means "not given".
 */

export const ConnectorType = t.keyof(
  { KAFKA_SOURCE: null, KAFKA_TARGET: null, ORACLE_TARGET: null, POSTGRES_TARGET: null, JOB_SMT: null },
  'ConnectorType',
);
export type ConnectorType = t.TypeOf<typeof ConnectorType>;

/** Which side of a pipeline a connector type may stand on. */
export const connectorRole: Readonly<Record<ConnectorType, 'source' | 'target' | 'job'>> = {
  KAFKA_SOURCE: 'source',
  KAFKA_TARGET: 'target',
  ORACLE_TARGET: 'target',
  POSTGRES_TARGET: 'target',
  JOB_SMT: 'job',
};

export const SecurityProtocol = t.keyof({ PLAINTEXT: null, SASL_PLAINTEXT: null, SASL_SSL: null, SSL: null });
export type SecurityProtocol = t.TypeOf<typeof SecurityProtocol>;

/** The contract's list. GSSAPI and OAUTHBEARER decode, then are refused by the rules below. */
export const SaslMechanism = t.keyof({ PLAIN: null, 'SCRAM-SHA-256': null, 'SCRAM-SHA-512': null, GSSAPI: null, OAUTHBEARER: null });
export type SaslMechanism = t.TypeOf<typeof SaslMechanism>;

/** The mechanisms our Kafka client (kafkajs) can run; see `unsupportedMechanism`. */
export type SupportedSaslMechanism = Exclude<SaslMechanism, 'GSSAPI' | 'OAUTHBEARER'>;

export const PostgresSslMode = t.keyof({ disable: null, require: null, 'verify-ca': null, 'verify-full': null });
export type PostgresSslMode = t.TypeOf<typeof PostgresSslMode>;

// ---------------------------------------------------------------------------------------------
// Field codecs. A failure with a message surfaces as that message (http/decode: type
// 'value_error'); without one as a type error named after the codec ('str', 'bool', ...).

const minLength = 'ensure this value has at least 1 characters';

/** A string with something other than blanks in it (stored as given, not trimmed). */
const NonBlankString = documented(
  new t.Type<string, string, unknown>(
    'string',
    (u): u is string => typeof u === 'string' && u.trim().length > 0,
    (u, c) => (typeof u !== 'string' ? t.failure(u, c) : u.trim().length === 0 ? t.failure(u, c, minLength) : t.success(u)),
    (a) => a,
  ),
  NON_BLANK,
);

/** A secret: any non-empty string, never trimmed (blanks may be part of a password). */
const Secret = documented(
  new t.Type<string, string, unknown>(
    'string',
    (u): u is string => typeof u === 'string' && u.length > 0,
    (u, c) => (typeof u !== 'string' ? t.failure(u, c) : u.length === 0 ? t.failure(u, c, minLength) : t.success(u)),
    (a) => a,
  ),
  { type: 'string', minLength: 1, format: 'password' },
);

/**
 * 1 to 5 ASCII digits worth 1 to 65535 (leading zeros allowed), as a pattern: not all zeros,
 * then at most 4 digits, or 5 up to 65535.
 */
const PORT_DIGITS = '(?!0+(?![0-9]))(?:[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]|[0-9]{1,4})(?![0-9])';

/**
 * A TCP port. The seed types Oracle's `port` as a string ("1521"); clients also send 1521, so
 * both are accepted and the stored value is always the string.
 */
export const PortString = documented(
  new t.Type<string, string, unknown>(
    'PortString',
    (u): u is string => typeof u === 'string' && /^\d{1,5}$/.test(u) && Number(u) >= 1 && Number(u) <= 65535,
    (u, c) => {
      const text = typeof u === 'number' && Number.isInteger(u) ? String(u) : typeof u === 'string' ? u.trim() : undefined;
      if (text === undefined) return t.failure(u, c, 'value is not a valid port (an integer or a string of digits)');
      if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
        return t.failure(u, c, 'ensure this value is a port number between 1 and 65535');
      }
      return t.success(String(Number(text)));
    },
    (a) => a,
  ),
  {
    type: ['string', 'integer'],
    description: 'a TCP port (1 to 65535), as a string or an integer',
    anyOf: [
      { type: 'integer', minimum: 1, maximum: 65535 },
      { type: 'string', pattern: trimmedPattern(PORT_DIGITS) },
    ],
  },
);

/** Kafka's own rule for topic names (kafka.common.internals.Topic). */
const legalTopic = /^[A-Za-z0-9._-]{1,249}$/;
const Topic = documented(
  new t.Type<string, string, unknown>(
    'string',
    (u): u is string => typeof u === 'string' && legalTopic.test(u) && u !== '.' && u !== '..',
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c);
      if (u.length === 0) return t.failure(u, c, minLength);
      if (!legalTopic.test(u) || u === '.' || u === '..') {
        return t.failure(u, c, 'a Kafka topic name is 1 to 249 characters among letters, digits, ".", "_" and "-"');
      }
      return t.success(u);
    },
    (a) => a,
  ),
  { type: 'string', pattern: legalTopic.source, not: { enum: ['.', '..'] } },
);

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

/** Kafka's default port, used for a broker written without one (as librdkafka does). */
export const DEFAULT_KAFKA_PORT = 9092;

const brokerPattern = /^([A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

/**
 * The brokers of a `bootstrap_servers` / `bootstrap_server` value: comma-separated
 * `host[:port]`, blanks around commas ignored. A string when one entry is not an address (the
 * reason), so validation and the Kafka client read the list alike. IPv6 literals are refused:
 * kafkajs splits a broker at its first ':' and cannot reach one (a host name works).
 */
export function parseBrokerList(raw: string): readonly BrokerAddress[] | string {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) return minLength;
  const brokers: BrokerAddress[] = [];
  for (const entry of entries) {
    if (entry.startsWith('[')) return `'${entry}': IPv6 addresses are not supported by this platform's Kafka client; use a host name`;
    const match = brokerPattern.exec(entry);
    const host = match?.[1];
    const port = match?.[2] === undefined ? DEFAULT_KAFKA_PORT : Number(match[2]);
    if (host === undefined || port < 1 || port > 65535) return `'${entry}' is not a broker address (host:port)`;
    brokers.push({ host, port });
  }
  return brokers;
}

/** One entry of a broker list as a pattern: `brokerPattern`'s host, and a port from 1 to 65535. */
const BROKER = `[A-Za-z0-9._-]+(?::${PORT_DIGITS})?`;

const BrokerList = documented(
  new t.Type<string, string, unknown>(
    'string',
    (u): u is string => typeof u === 'string' && typeof parseBrokerList(u) !== 'string',
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c);
      const brokers = parseBrokerList(u);
      return typeof brokers === 'string' ? t.failure(u, c, brokers) : t.success(u);
    },
    (a) => a,
  ),
  {
    type: 'string',
    description: 'comma-separated host[:port] list',
    // Blank entries are skipped; at least one broker, each trimmed.
    pattern: `^(?:[${BLANK}]*,)*[${BLANK}]*${BROKER}[${BLANK}]*(?:,[${BLANK}]*(?:${BROKER}[${BLANK}]*)?)*$`,
  },
);

/** An optional field: `null` and absence both decode to `undefined` (then dropped). */
const optional = <A, O>(codec: t.Type<A, O, unknown>) =>
  documented(
    new t.Type<A | undefined, O | undefined, unknown>(
      codec.name,
      (u): u is A | undefined => u === undefined || codec.is(u),
      // The inner codec gets its own (keyless) context entry so a failure names it, e.g. an enum.
      (u, c) => (u === undefined || u === null ? t.success(undefined) : codec.validate(u, t.appendContext(c, '', codec, u))),
      (a) => (a === undefined ? undefined : codec.encode(a)),
    ),
    {},
    t.union([codec, t.null]),
  );

// ---------------------------------------------------------------------------------------------
// Cross-field rules and defaults, applied after the fields decode.

type Rule<A> = (value: A) => { readonly field: string; readonly message: string; readonly missing?: boolean } | undefined;

/** A config's cross-field rules, and what they say in JSON Schema, for the document. */
interface RuleSet<A> {
  readonly rules: readonly Rule<A>[];
  readonly schema: JsonSchema;
}

/**
 * A complete config codec: fields, then rules, then defaults and removal of absent keys. A rule
 * failure extends the context with the offending field, so its loc names that field, and a
 * `missing` one carries no value, which http/decode reports as `field required`.
 */
function configCodec<P extends t.Props, Q extends t.Props, D extends Partial<t.TypeOf<t.PartialC<Q>>>>(
  name: string,
  required: P,
  optionalProps: Q,
  defaults: D,
  { rules, schema }: RuleSet<t.TypeOf<t.TypeC<P>> & t.TypeOf<t.PartialC<Q>>> = { rules: [], schema: {} },
) {
  type Decoded = t.TypeOf<t.TypeC<P>> & t.TypeOf<t.PartialC<Q>>;
  type Output = Decoded & { readonly [K in keyof D]-?: Exclude<Decoded[K & keyof Decoded], undefined> };
  const both = t.intersection([t.type(required), t.partial(optionalProps)]);
  const fields = t.exact(both);
  const finish = (value: Decoded): Output => {
    const present = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
    return { ...defaults, ...present } as Output; // the spread holds every key of D, now defined
  };
  const codec = new t.Type<Output, Output, unknown>(
    name,
    (u): u is Output => fields.is(u),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c);
      // Entered through `both`, so the intersection's positions are recognised as not fields.
      const decoded = fields.validate(u, t.appendContext(c, '', both, u));
      if (isLeft(decoded)) return decoded;
      for (const rule of rules) {
        const broken = rule(decoded.right);
        if (broken === undefined) continue;
        const value = broken.missing ? undefined : (decoded.right as Record<string, unknown>)[broken.field];
        return t.failure(value, [...c, { key: broken.field, type: t.unknown, actual: value }], broken.message);
      }
      return t.success(finish(decoded.right));
    },
    (a) => a,
  );
  // Documented as its fields (the io-ts parts above), with what its rules say.
  return documented(codec, schema, fields);
}

interface KafkaSecurityFields {
  readonly security_protocol?: SecurityProtocol | undefined;
  readonly sasl_mechanism?: SaslMechanism | undefined;
  readonly sasl_username?: string | undefined;
  readonly sasl_password?: string | undefined;
}

const SASL_PROTOCOLS = ['SASL_PLAINTEXT', 'SASL_SSL'] as const;
const UNSUPPORTED_MECHANISMS: readonly SaslMechanism[] = ['GSSAPI', 'OAUTHBEARER'];

export const isSaslProtocol = (protocol: SecurityProtocol | undefined): protocol is (typeof SASL_PROTOCOLS)[number] =>
  SASL_PROTOCOLS.some((sasl) => sasl === protocol);

/**
 * A SASL protocol needs a mechanism, a user name and a password. GSSAPI (Kerberos) and
 * OAUTHBEARER are in the contract's enum but kafkajs cannot run them (no Kerberos; OAuth would
 * need a token provider the contract has no fields for), so a config using them is refused
 * now rather than accepted and failing at start. Without a SASL protocol the SASL fields are
 * ignored, so a leftover mechanism there is harmless and accepted.
 */
const kafkaSecurityRules: RuleSet<KafkaSecurityFields> = {
  rules: [
    (v) =>
      isSaslProtocol(v.security_protocol) && v.sasl_mechanism === undefined
        ? { field: 'sasl_mechanism', missing: true, message: `field required when security_protocol is ${v.security_protocol}` }
        : undefined,
    (v) =>
      isSaslProtocol(v.security_protocol) && v.sasl_mechanism !== undefined && UNSUPPORTED_MECHANISMS.includes(v.sasl_mechanism)
        ? {
            field: 'sasl_mechanism',
            message: `${v.sasl_mechanism} is not supported by this platform's Kafka client; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`,
          }
        : undefined,
    (v) =>
      isSaslProtocol(v.security_protocol) && v.sasl_username === undefined
        ? { field: 'sasl_username', missing: true, message: `field required when security_protocol is ${v.security_protocol}` }
        : undefined,
    (v) =>
      isSaslProtocol(v.security_protocol) && v.sasl_password === undefined
        ? { field: 'sasl_password', missing: true, message: `field required when security_protocol is ${v.security_protocol}` }
        : undefined,
  ],
  // The same, said in JSON Schema: under a SASL protocol, the three fields given (not null), and a supported mechanism.
  schema: {
    allOf: [
      {
        if: { properties: { security_protocol: { enum: SASL_PROTOCOLS } }, required: ['security_protocol'] },
        then: {
          properties: {
            sasl_mechanism: { type: 'string', not: { enum: UNSUPPORTED_MECHANISMS } },
            sasl_username: { type: 'string' },
            sasl_password: { type: 'string' },
          },
          required: ['sasl_mechanism', 'sasl_username', 'sasl_password'],
        },
      },
    ],
  },
};

const kafkaSecurityProps = {
  security_protocol: optional(SecurityProtocol),
  sasl_mechanism: optional(SaslMechanism),
  sasl_username: optional(NonBlankString),
  sasl_password: optional(Secret),
};

export const KafkaSourceConfig = configCodec(
  'KafkaSourceConfig',
  { topic: Topic, bootstrap_servers: BrokerList },
  // `ca_cert` is this platform's extension (the seed has it on KAFKA_TARGET only), read alike.
  {
    consumer_group_id: optional(NonBlankString),
    ...kafkaSecurityProps,
    ca_cert: optional(t.string),
    include_metadata: optional(t.boolean),
  },
  { include_metadata: false },
  kafkaSecurityRules,
);
export type KafkaSourceConfig = t.TypeOf<typeof KafkaSourceConfig>;

export const KafkaTargetConfig = configCodec(
  'KafkaTargetConfig',
  { bootstrap_server: BrokerList },
  // The seed's example sends `"ca_cert": ""`: a blank CA is "none", so it is not refused here.
  { ...kafkaSecurityProps, ca_cert: optional(t.string), group_id: optional(NonBlankString) },
  {},
  kafkaSecurityRules,
);
export type KafkaTargetConfig = t.TypeOf<typeof KafkaTargetConfig>;

export const OracleTargetConfig = configCodec(
  'OracleTargetConfig',
  {
    database: NonBlankString,
    user: NonBlankString,
    password: Secret,
    host: NonBlankString,
    port: PortString,
    server_name: NonBlankString,
    server_id: NonBlankString,
  },
  {},
  {},
);
export type OracleTargetConfig = t.TypeOf<typeof OracleTargetConfig>;

export const PostgresTargetConfig = configCodec(
  'PostgresTargetConfig',
  { host: NonBlankString, port: PortString, database: NonBlankString, user: NonBlankString, password: Secret },
  { schema: optional(NonBlankString), sslmode: optional(PostgresSslMode) },
  { schema: 'public', sslmode: 'disable' },
);
export type PostgresTargetConfig = t.TypeOf<typeof PostgresTargetConfig>;

/** A reusable transform. The entries are the mapper's; its own codec (elsewhere) checks them. */
export const JobSmtConfig = configCodec('JobSmtConfig', { smt_config: MapperConfigInput }, {}, {});
export type JobSmtConfig = t.TypeOf<typeof JobSmtConfig>;

export interface ConnectorConfigs {
  readonly KAFKA_SOURCE: KafkaSourceConfig;
  readonly KAFKA_TARGET: KafkaTargetConfig;
  readonly ORACLE_TARGET: OracleTargetConfig;
  readonly POSTGRES_TARGET: PostgresTargetConfig;
  readonly JOB_SMT: JobSmtConfig;
}
export type ConnectorConfig = ConnectorConfigs[ConnectorType];

export const connectorConfigCodecs: { readonly [K in ConnectorType]: t.Type<ConnectorConfigs[K], ConnectorConfigs[K], unknown> } = {
  KAFKA_SOURCE: KafkaSourceConfig,
  KAFKA_TARGET: KafkaTargetConfig,
  ORACLE_TARGET: OracleTargetConfig,
  POSTGRES_TARGET: PostgresTargetConfig,
  JOB_SMT: JobSmtConfig,
};

/** The connector types that may stand on that side of a pipeline. */
export const typesOfRole = (role: 'source' | 'target' | 'job'): ConnectorType[] =>
  (Object.keys(connectorRole) as ConnectorType[]).filter((type) => connectorRole[type] === role);

/**
 * A body's connector type and config, in the fields `typeField` and `configField`: one alternative
 * per type, its config codec under its type as a literal. A shape for the document (see
 * domain/jsonSchema.ts): the routes decode the type, then check the config with
 * `validateConnectorConfig`, which locates its problems.
 */
export function typedConfigShape(typeField: string, configField: string, role?: 'source' | 'target'): t.Mixed {
  const types = role === undefined ? (Object.keys(ConnectorType.keys) as ConnectorType[]) : typesOfRole(role);
  const [first, ...others] = types.map((type) => t.type({ [typeField]: t.literal(type), [configField]: connectorConfigCodecs[type] }));
  // A role with a single type (a source) is that alternative alone; t.union takes two or more.
  if (first === undefined) throw new Error(`no connector type has the role ${String(role)}`);
  const [second, ...rest] = others;
  return second === undefined ? first : t.union([first, second, ...rest]);
}

/**
 * The fields always holding a secret, per type: sealed at rest and masked in every answer.
 * `ca_cert` is not one: a CA certificate is public, and users need to see which CA a connector
 * trusts; it is a secret only when it holds a private key (see `secretFieldsOf`).
 */
export const connectorSecretFields: { readonly [K in ConnectorType]: readonly (keyof ConnectorConfigs[K] & string)[] } = {
  KAFKA_SOURCE: ['sasl_password'],
  KAFKA_TARGET: ['sasl_password'],
  ORACLE_TARGET: ['password'],
  POSTGRES_TARGET: ['password'],
  JOB_SMT: [],
};

/** A PEM private key of any kind: PKCS#8, encrypted, RSA, EC, OpenSSH, PGP. */
const privateKeyBlock = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----/;

/**
 * Whether a `ca_cert` value is a secret: it holds a private key (e.g. a client bundle pasted as
 * the CA), or it is not PEM at all, which is how such a value looks once sealed or masked. A
 * plain CA (certificates only) and a blank one are public.
 */
export const caCertIsSecret = (value: unknown): boolean =>
  typeof value === 'string' && value.trim() !== '' && (privateKeyBlock.test(value) || !value.includes('-----BEGIN '));

/**
 * The secret fields of one config of a type: `connectorSecretFields`, plus a Kafka connector's
 * `ca_cert` when `caCertIsSecret`. Pass the config at hand (clear, sealed or as a client sent it
 * back masked): each of its forms answers alike.
 */
export function secretFieldsOf(type: ConnectorType, config: Readonly<Record<string, unknown>>): readonly string[] {
  const fields: readonly string[] = connectorSecretFields[type];
  return (type === 'KAFKA_SOURCE' || type === 'KAFKA_TARGET') && caCertIsSecret(config['ca_cert']) ? [...fields, 'ca_cert'] : fields;
}

// ---------------------------------------------------------------------------------------------

/** The first problem of a failed decode as a DomainError, located FastAPI style. */
function firstProblem(errors: t.Errors, loc: readonly (string | number)[]): DomainError {
  const [issue] = issuesOf(errors, loc);
  return issue === undefined ? invalid('value_error', loc, 'invalid value') : invalid(issue.type, issue.loc, issue.msg);
}

/**
 * Checks a connector's config for its type, naming the first faulty field under `loc`
 * (e.g. `['body', 'source_config']` → `['body', 'source_config', 'bootstrap_servers']`), and
 * answers the normalised config (defaults filled, ports as strings, unknown fields dropped).
 */
export function validateConnectorConfig<K extends ConnectorType>(
  type: K,
  config: unknown,
  loc: readonly (string | number)[],
): Either<DomainError, ConnectorConfigs[K]> {
  const codec: t.Type<ConnectorConfigs[K], ConnectorConfigs[K], unknown> = connectorConfigCodecs[type];
  const result = codec.decode(config);
  if (isLeft(result)) return left(firstProblem(result.left, loc));
  // A JOB_SMT holds mapper entries: the mapper's own rules check them, at their own loc.
  if (type === 'JOB_SMT') {
    const smt = result.right as JobSmtConfig;
    const entries = validateMapperConfig(smt.smt_config, [...loc, 'smt_config']);
    if (isLeft(entries)) return left(entries.left[0] ?? invalid('value_error', [...loc, 'smt_config'], 'invalid mapper'));
    return right({ smt_config: entries.right } as ConnectorConfigs[K]);
  }
  return right(result.right);
}

// ---------------------------------------------------------------------------------------------
// Connectivity checks (`/connector-types/.../check-credentials` and friends). The checks run in
// the runtime; their outcome is part of the contract: ok, or a 400 with the server's reason.

/** The contract's budget: a check answers within 10 s, whatever the remote end does. */
export const CHECK_TIMEOUT_MS = 10_000;

/** Why a check failed, for code; the error's message says it in plain words for people. */
export type ConnectorCheckReason =
  | 'auth_failed' // wrong user name or password
  | 'not_authorized' // authenticated, but not allowed to do what the check needs
  | 'unknown_host' // the host name does not resolve
  | 'connection_refused' // nothing listens on that port
  | 'connection_closed' // the server hung up: often a security_protocol / sslmode mismatch
  | 'tls_failed' // TLS handshake or certificate verification failed
  | 'timeout' // no answer within the budget
  | 'unknown_topic'
  | 'unknown_database'
  | 'unknown_schema'
  | 'unknown_service' // Oracle: the listener does not know the service name
  | 'server_error'; // anything else the server said (its words are in the message)

/** A failed check. The message is safe to show: it never contains a password. */
export class ConnectorCheckError extends Error {
  constructor(
    readonly reason: ConnectorCheckReason,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectorCheckError';
  }
}

/** The text with each secret replaced by the mask, for messages that quote a server or driver. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  return secrets.reduce<string>((out, secret) => (secret === undefined || secret === '' ? out : out.split(secret).join('********')), text);
}
