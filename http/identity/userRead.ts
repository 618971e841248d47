import * as t from 'io-ts';
import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import { UserDoc } from '../../projections/identity/usersView';

const { created_at: _created, updated_at: _updated, ...userReadProps } = UserDoc.props;
/** The contract's UserRead: the user document without its bookkeeping times (and never a password hash). */
export const UserRead = t.type(userReadProps, 'UserRead');

/** The contract's UserRead; 404 when the user is gone. */
export function userRead(doc: UserDoc | undefined): t.TypeOf<typeof UserRead> {
  if (doc === undefined) throw new DomainFailure(notFound('USER_NOT_FOUND'));
  const { id, email, is_active, is_superuser, is_verified, active_env_id } = doc;
  return { id, email, is_active, is_superuser, is_verified, active_env_id };
}
