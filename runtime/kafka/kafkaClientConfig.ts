import { logLevel, type KafkaConfig, type SASLOptions, type logCreator } from 'kafkajs';
import { parseBrokerList, type KafkaSourceConfig, type KafkaTargetConfig } from '../../domain/connector/connectorConfig';

/** Either Kafka connector: they differ in the broker field's name only (as the contract has it). */
export type KafkaConnectorConfig = KafkaSourceConfig | KafkaTargetConfig;

/** Timeouts and retries of a client. The defaults suit interactive checks: fail fast. */
export interface KafkaClientOptions {
  readonly clientId?: string;
  /** TCP (and TLS) connect, per broker. kafkajs's default, 1 s, is short for a remote TLS broker. */
  readonly connectionTimeoutMs?: number;
  /** SASL handshake and authentication. */
  readonly authenticationTimeoutMs?: number;
  /** One request; kafkajs's default (30 s) alone would exceed a check's 10 s budget. */
  readonly requestTimeoutMs?: number;
  /** Retries of a failed operation (kafkajs retries connection errors too). */
  readonly retries?: number;
  /** Where kafkajs logs go; by default nowhere (its lines repeat what the caught error says). */
  readonly logCreator?: logCreator;
}

export const checkClientDefaults = {
  clientId: 'popsink-on-prem',
  connectionTimeoutMs: 3000,
  authenticationTimeoutMs: 3000,
  requestTimeoutMs: 4000,
  retries: 1,
} as const;

export const brokersOf = (config: KafkaConnectorConfig): string =>
  'bootstrap_servers' in config ? config.bootstrap_servers : config.bootstrap_server;

/**
 * The SASL options of a config, or undefined without a SASL protocol. The domain already
 * refuses a SASL config lacking a mechanism or credentials, and GSSAPI / OAUTHBEARER; the
 * throws below are the same rules restated for a config that skipped validation.
 */
export function saslOf(config: KafkaConnectorConfig): SASLOptions | undefined {
  const protocol = config.security_protocol;
  if (protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL') return undefined;
  const { sasl_mechanism: mechanism, sasl_username: username, sasl_password: password } = config;
  if (username === undefined || password === undefined) throw new Error(`${protocol} needs sasl_username and sasl_password`);
  switch (mechanism) {
    case 'PLAIN':
      return { mechanism: 'plain', username, password };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username, password };
    case 'GSSAPI':
    case 'OAUTHBEARER':
    case undefined:
      throw new Error(`SASL mechanism ${mechanism ?? '(none)'} is not supported by this platform's Kafka client`);
  }
}

/**
 * TLS for SSL / SASL_SSL: the connector's CA when it has one (`ca_cert`, PEM, on either Kafka
 * connector), else the system's trusted CAs. Certificates are always verified: the contract has no
 * "skip verification" switch, and a check that passes against an impostor broker is worse
 * than one that fails. kafkajs sets the SNI server name to the broker's host itself.
 */
function sslOf(config: KafkaConnectorConfig): KafkaConfig['ssl'] {
  if (config.security_protocol !== 'SSL' && config.security_protocol !== 'SASL_SSL') return false;
  const ca = config.ca_cert !== undefined && config.ca_cert.trim() !== '' ? config.ca_cert : undefined;
  return ca === undefined ? true : { ca: [ca], rejectUnauthorized: true };
}

/** A validated connector config as a kafkajs client configuration. */
export function kafkaClientConfig(config: KafkaConnectorConfig, options: KafkaClientOptions = {}): KafkaConfig {
  const brokers = parseBrokerList(brokersOf(config));
  if (typeof brokers === 'string') throw new Error(`bootstrap servers: ${brokers}`);
  const sasl = saslOf(config);
  return {
    clientId: options.clientId ?? checkClientDefaults.clientId,
    brokers: brokers.map(({ host, port }) => `${host}:${port}`),
    ssl: sslOf(config),
    ...(sasl === undefined ? {} : { sasl }),
    connectionTimeout: options.connectionTimeoutMs ?? checkClientDefaults.connectionTimeoutMs,
    authenticationTimeout: options.authenticationTimeoutMs ?? checkClientDefaults.authenticationTimeoutMs,
    requestTimeout: options.requestTimeoutMs ?? checkClientDefaults.requestTimeoutMs,
    enforceRequestTimeout: true,
    retry: { retries: options.retries ?? checkClientDefaults.retries, initialRetryTime: 200, maxRetryTime: 1000 },
    ...(options.logCreator === undefined ? { logLevel: logLevel.NOTHING } : { logCreator: options.logCreator, logLevel: logLevel.WARN }),
  };
}
