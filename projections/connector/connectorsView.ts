import { CONNECTORS } from '../collections';
import type { Projection } from '../projection';

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
