import { ENVS } from '../collections';
import type { Projection } from '../projection';
import * as t from 'io-ts';
import type { ReadStore } from '../readStore';
import { documentsOf } from '../documents';
import { RetentionConfiguration } from '../../domain/env/env';

export const EnvDoc = t.type({
  id: t.string,
  name: t.string,
  description: t.union([t.string, t.null]),
  use_retention: t.boolean,
  retention_configuration: t.union([RetentionConfiguration, t.null]),
  owner_id: t.string,
  created_at: t.string,
  updated_at: t.string,
});
export type EnvDoc = t.TypeOf<typeof EnvDoc>;
export const envDocuments = (store: ReadStore) => documentsOf(EnvDoc, ENVS, store);

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
