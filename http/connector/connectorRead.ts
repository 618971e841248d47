import { secretFieldsOf } from '../../domain/connector/connectorConfig';
import { maskSecrets } from '../../domain/connector/secrets';
import type { ConnectorDoc } from '../../projections/connector/connectorsView';

/** A connector's config as responses show it: secrets masked. */
export const maskedConfig = (connector: Pick<ConnectorDoc, 'connector_type' | 'config'>): Record<string, unknown> =>
  maskSecrets(connector.config, secretFieldsOf(connector.connector_type, connector.config));

/** The contract's ConnectorRead. */
export const connectorRead = (doc: ConnectorDoc) => ({
  id: doc.id,
  name: doc.name,
  connector_type: doc.connector_type,
  team_id: doc.team_id,
  config: maskedConfig(doc),
  created_at: doc.created_at,
  updated_at: doc.updated_at,
});
