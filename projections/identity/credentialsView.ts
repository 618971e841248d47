import { CREDENTIALS } from '../collections';
import type { Projection } from '../projection';
import type { ReadStore, WriteOp } from '../readStore';
import * as t from 'io-ts';
import { documentsOf } from '../documents';

export const CredentialsDoc = t.type({ id: t.string, email: t.string, password_hash: t.string });
export type CredentialsDoc = t.TypeOf<typeof CredentialsDoc>;
export const credentialDocuments = (store: ReadStore) => documentsOf(CredentialsDoc, CREDENTIALS, store);

/** What login needs: email → password hash. Kept apart from `users`, which the API returns. */
export const credentialsView: Projection = {
  name: 'credentials',
  collections: { [CREDENTIALS]: ['email'] },
  project: (event): readonly WriteOp[] => {
    const upsert = (id: string, set: Record<string, unknown>): WriteOp[] => [
      { kind: 'upsert', collection: CREDENTIALS, id, set, position: event.position },
    ];
    switch (event.type) {
      case 'UserRegistered':
        return upsert(event.data.userId, { email: event.data.email, password_hash: event.data.passwordHash });
      case 'UserEmailChanged':
        return upsert(event.data.userId, { email: event.data.email });
      case 'UserPasswordChanged':
      case 'UserPasswordReset':
        return upsert(event.data.userId, { password_hash: event.data.passwordHash });
      case 'UserDeleted':
        return [{ kind: 'remove', collection: CREDENTIALS, id: event.data.userId, position: event.position }];
      default:
        return [];
    }
  },
};
