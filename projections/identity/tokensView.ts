import { REVOKED_TOKENS, SERVICE_TOKENS } from '../collections';
import type { Projection } from '../projection';
import type { WriteOp } from '../readStore';

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
