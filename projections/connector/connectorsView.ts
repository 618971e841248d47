import { CONNECTORS } from '../collections';
import type { Projection } from '../projection';
import * as t from 'io-ts';
import type { ReadStore } from '../readStore';
import { documentsOf } from '../documents';
import { ConnectorType } from '../../domain/connector/connectorConfig';

/** A connector; its config's secret fields hold sealed values. */
export const ConnectorDoc = t.type({
  id: t.string,
  team_id: t.string,
  connector_type: ConnectorType,
  name: t.string,
  config: t.UnknownRecord,
  created_at: t.string,
  updated_at: t.string,
});
export type ConnectorDoc = t.TypeOf<typeof ConnectorDoc>;
export const connectorDocuments = (store: ReadStore) => documentsOf(ConnectorDoc, CONNECTORS, store);

/** Connectors with their type and config (secrets still sealed; responses mask them). */
export const connectorsView: Projection = {
  name: 'connectors',
  collections: { [CONNECTORS]: ['team_id', 'name', 'connector_type'] },
  project: (event) => {
    const { position, metadata } = event;
    switch (event.type) {
      case 'ConnectorCreated': {
        const { connectorId, teamId, connectorType, name, config } = event.data;
        const set = { team_id: teamId, connector_type: connectorType, name, config, created_at: metadata.time, updated_at: metadata.time };
        return [{ kind: 'upsert', collection: CONNECTORS, id: connectorId, set, position }];
      }
      case 'ConnectorUpdated': {
        const { connectorId, name, config } = event.data;
        const set = { ...(name !== undefined ? { name } : {}), ...(config !== undefined ? { config } : {}), updated_at: metadata.time };
        return [{ kind: 'upsert', collection: CONNECTORS, id: connectorId, set, position }];
      }
      case 'ConnectorDeleted':
        return [{ kind: 'remove', collection: CONNECTORS, id: event.data.connectorId, position }];
      default:
        return [];
    }
  },
};
