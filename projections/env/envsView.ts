import { ENVS } from '../collections';
import type { Projection } from '../projection';


export const envsView: Projection = {
  name: 'envs',
  collections: { [ENVS]: ['name', 'owner_id'] },
  project: (event) => {
    const { position, metadata } = event;
    switch (event.type) {
      case 'EnvCreated': {
        const { envId, ownerId, name, description, useRetention, retentionConfiguration } = event.data;
        const set = {
          name,
          description,
          use_retention: useRetention,
          retention_configuration: retentionConfiguration,
          owner_id: ownerId,
          created_at: metadata.time,
          updated_at: metadata.time,
        };
        return [{ kind: 'upsert', collection: ENVS, id: envId, set, position }];
      }
      case 'EnvUpdated': {
        const { envId, name, description, useRetention, retentionConfiguration } = event.data;
        const set = {
          ...(name !== undefined ? { name } : {}),
          ...(description !== undefined ? { description } : {}),
          ...(useRetention !== undefined ? { use_retention: useRetention } : {}),
          ...(retentionConfiguration !== undefined ? { retention_configuration: retentionConfiguration } : {}),
          updated_at: metadata.time,
        };
        return [{ kind: 'upsert', collection: ENVS, id: envId, set, position }];
      }
      case 'EnvDeleted':
        return [{ kind: 'remove', collection: ENVS, id: event.data.envId, position }];
      default:
        return [];
    }
  },
};
