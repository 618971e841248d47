import { USERS } from '../collections';
import type { Projection } from '../projection';
import * as t from 'io-ts';
import type { ReadStore } from '../readStore';
import { documentsOf } from '../documents';

export const UserDoc = t.type({
  id: t.string,
  email: t.string,
  is_active: t.boolean,
  is_superuser: t.boolean,
  is_verified: t.boolean,
  active_env_id: t.union([t.string, t.null]),
  created_at: t.string,
  updated_at: t.string,
});
export type UserDoc = t.TypeOf<typeof UserDoc>;
export const userDocuments = (store: ReadStore) => documentsOf(UserDoc, USERS, store);

/** Users as the API shows them (UserRead), never with a password hash. */
export const usersView: Projection = {
  name: 'users',
  collections: { [USERS]: ['email', 'is_superuser', 'is_active'] },
  project: (event) => {
    const position = event.position;
    const upsert = (id: string, set: Record<string, unknown>) =>
      [{ kind: 'upsert', collection: USERS, id, set: { ...set, updated_at: event.metadata.time }, position }] as const;
    switch (event.type) {
      case 'UserRegistered': {
        const { userId, email, isActive, isSuperuser, isVerified } = event.data;
        return upsert(userId, {
          email,
          is_active: isActive,
          is_superuser: isSuperuser,
          is_verified: isVerified,
          active_env_id: null,
          created_at: event.metadata.time,
        });
      }
      case 'UserActivated':
        return upsert(event.data.userId, { is_active: true });
      case 'UserDeactivated':
        return upsert(event.data.userId, { is_active: false });
      case 'UserEmailChanged':
        return upsert(event.data.userId, { email: event.data.email });
      case 'UserActiveEnvSet':
        return upsert(event.data.userId, { active_env_id: event.data.envId });
      case 'UserSuperuserSet':
        return upsert(event.data.userId, { is_superuser: event.data.isSuperuser });
      case 'UserVerified':
        return upsert(event.data.userId, { is_verified: true });
      case 'UserDeleted':
        return [{ kind: 'remove', collection: USERS, id: event.data.userId, position }];
      default:
        return [];
    }
  },
};
