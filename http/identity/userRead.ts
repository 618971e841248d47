import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import type { UserDoc } from '../../projections/identity/usersView';

/** The contract's UserRead (never a password hash); 404 when the user is gone. */
export function userRead(doc: UserDoc | undefined) {
  if (doc === undefined) throw new DomainFailure(notFound('USER_NOT_FOUND'));
  const { id, email, is_active, is_superuser, is_verified, active_env_id } = doc;
  return { id, email, is_active, is_superuser, is_verified, active_env_id };
}
