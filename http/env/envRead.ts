import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import type { EnvDoc } from '../../projections/env/envsView';

/** The contract's EnvRead; 404 when the env is gone. */
export function envRead(doc: EnvDoc | undefined) {
  if (doc === undefined) throw new DomainFailure(notFound('ENV_NOT_FOUND'));
  const { id, name, description, use_retention, retention_configuration } = doc;
  return { id, name, description, use_retention, retention_configuration };
}
