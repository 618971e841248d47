import type { ConnectorType } from '../../api/types';

/** One config field of a connector type, as the form asks for it. */
export interface ConfigField {
  readonly name: string;
  readonly label: string;
  readonly secret?: boolean;
  readonly options?: readonly string[];
  readonly initial?: string;
  readonly hint?: string;
  /** Shown (and sent) only when this holds of the other values. */
  readonly when?: (values: Readonly<Record<string, string>>) => boolean;
}

const usesSasl = (values: Readonly<Record<string, string>>): boolean => (values['security_protocol'] ?? '').startsWith('SASL');

const KAFKA_SECURITY: readonly ConfigField[] = [
  {
    name: 'security_protocol',
    label: 'Security protocol',
    options: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
    initial: 'PLAINTEXT',
  },
  {
    name: 'sasl_mechanism',
    label: 'SASL mechanism',
    options: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    initial: 'PLAIN',
    when: usesSasl,
  },
  { name: 'sasl_username', label: 'SASL user name', when: usesSasl },
  { name: 'sasl_password', label: 'SASL password', secret: true, when: usesSasl },
];

/** The config fields of each connector type the wizard creates (the contract's connector configurations). */
export const CONFIG_FIELDS: Readonly<Record<Exclude<ConnectorType, 'JOB_SMT'>, readonly ConfigField[]>> = {
  KAFKA_SOURCE: [
    { name: 'bootstrap_servers', label: 'Bootstrap servers', hint: 'host:port, comma-separated' },
    ...KAFKA_SECURITY,
    { name: 'topic', label: 'Topic' },
  ],
  KAFKA_TARGET: [{ name: 'bootstrap_server', label: 'Bootstrap servers', hint: 'host:port, comma-separated' }, ...KAFKA_SECURITY],
  POSTGRES_TARGET: [
    { name: 'host', label: 'Host' },
    { name: 'port', label: 'Port', initial: '5432' },
    { name: 'database', label: 'Database' },
    { name: 'user', label: 'User' },
    { name: 'password', label: 'Password', secret: true },
    { name: 'schema', label: 'Schema', initial: 'public' },
    { name: 'sslmode', label: 'SSL mode', options: ['disable', 'require', 'verify-ca', 'verify-full'], initial: 'disable' },
  ],
  ORACLE_TARGET: [
    { name: 'host', label: 'Host' },
    { name: 'port', label: 'Port', initial: '1521' },
    { name: 'database', label: 'Database' },
    { name: 'server_name', label: 'Service name' },
    { name: 'server_id', label: 'Server id' },
    { name: 'user', label: 'User' },
    { name: 'password', label: 'Password', secret: true },
  ],
};

export const initialValues = (fields: readonly ConfigField[]): Record<string, string> =>
  Object.fromEntries(fields.map((field) => [field.name, field.initial ?? '']));

/** The config to send: shown fields only, blank ones left out (the API then applies its defaults). */
export function configOf(fields: readonly ConfigField[], values: Readonly<Record<string, string>>): Record<string, string> {
  const config: Record<string, string> = {};
  for (const field of fields) {
    const value = (values[field.name] ?? '').trim();
    if (value !== '' && (field.when === undefined || field.when(values))) config[field.name] = value;
  }
  return config;
}
