/** What every response, export and log line shows instead of a secret. */
export const MASK = '********';

type Config = Readonly<Record<string, unknown>>;

/** The config with each secret field that has a value replaced by the mask. */
export function maskSecrets(config: Config, secretFields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      secretFields.includes(key) && value !== null && value !== undefined && value !== '' ? MASK : value,
    ]),
  );
}

/**
 * A config sent back by a client: a secret field that still holds the mask (the client echoed
 * what it was shown) keeps the stored value; any other value replaces it.
 */
export function keepMaskedSecrets(incoming: Config, stored: Config, secretFields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(incoming).map(([key, value]) => [key, secretFields.includes(key) && value === MASK ? stored[key] : value]),
  );
}
