import { ConnectorType, secretFieldsOf } from './connectorConfig';
import { maskSecrets } from './secrets';

const CONNECTOR_TYPES = Object.keys(ConnectorType.keys).filter(ConnectorType.is);

/**
 * A connector config with its secrets masked, as every response, history and audit line shows
 * it. Without a type (an update event does not name it) the secret fields of every type are
 * masked: masking a field too many is safe.
 */
export function maskedConfig(type: ConnectorType | undefined, config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const types = type === undefined ? CONNECTOR_TYPES : [type];
  return maskSecrets(config, [...new Set(types.flatMap((each) => secretFieldsOf(each, config)))]);
}
