import { maskedConfig } from '../../domain/connector/maskedConfig';
import { keptPerObject } from '../../infrastructure/memo/keptPerObject';
import type * as t from 'io-ts';
import { ConnectorDoc } from '../../projections/connector/connectorsView';

// A document read again unchanged is the same object (the read models decode each stored version
// once), so its masked config is worked out once; responses only serialise it, never change it.
/** A connector's config as responses show it: secrets masked. */
export const maskedConfigOf: (connector: Pick<ConnectorDoc, 'connector_type' | 'config'>) => Record<string, unknown> = keptPerObject(
  (connector) => maskedConfig(connector.connector_type, connector.config),
);

/** The contract's ConnectorRead: the connector document as it is, its config's secrets masked. */
export const ConnectorRead = ConnectorDoc;

/** The contract's ConnectorRead. */
export const connectorRead = (doc: ConnectorDoc): t.TypeOf<typeof ConnectorRead> => ({
  id: doc.id,
  name: doc.name,
  connector_type: doc.connector_type,
  team_id: doc.team_id,
  config: maskedConfigOf(doc),
  created_at: doc.created_at,
  updated_at: doc.updated_at,
});
