import { REVOKED_TOKENS, SERVICE_TOKENS } from '../collections';
import type { Projection } from '../projection';
import type { ReadStore, WriteOp } from '../readStore';
import * as t from 'io-ts';
import { documentsOf } from '../documents';

export const RevokedTokenDoc = t.type({ id: t.string, user_id: t.string, expires_at: t.union([t.string, t.null]) });
export type RevokedTokenDoc = t.TypeOf<typeof RevokedTokenDoc>;
export const revokedTokenDocuments = (store: ReadStore) => documentsOf(RevokedTokenDoc, REVOKED_TOKENS, store);

export const ServiceTokenDoc = t.type({
  id: t.string,
  user_id: t.string,
  name: t.string,
  expires_at: t.union([t.string, t.null]),
  created_at: t.string,
});
export type ServiceTokenDoc = t.TypeOf<typeof ServiceTokenDoc>;
export const serviceTokenDocuments = (store: ReadStore) => documentsOf(ServiceTokenDoc, SERVICE_TOKENS, store);

/** Revoked token ids (checked on every request) and the service-account tokens a user holds. */
export const tokensView: Projection = {
  name: 'tokens',
  collections: { [REVOKED_TOKENS]: [], [SERVICE_TOKENS]: ['user_id'] },
  project: (event): readonly WriteOp[] => {
    const { position } = event;
    switch (event.type) {
      case 'UserServiceTokenIssued': {
        const { userId, tokenId, name, expiresAt } = event.data;
        const set = { user_id: userId, name, expires_at: expiresAt, created_at: event.metadata.time };
        return [{ kind: 'upsert', collection: SERVICE_TOKENS, id: tokenId, set, position }];
      }
      case 'UserTokenRevoked': {
        const { userId, tokenId, expiresAt } = event.data;
        return [
          { kind: 'upsert', collection: REVOKED_TOKENS, id: tokenId, set: { user_id: userId, expires_at: expiresAt }, position },
          { kind: 'remove', collection: SERVICE_TOKENS, id: tokenId, position },
        ];
      }
      default:
        return [];
    }
  },
};
