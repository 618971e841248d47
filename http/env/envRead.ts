import * as t from 'io-ts';
import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import { EnvDoc } from '../../projections/env/envsView';

const { owner_id: _owner, created_at: _created, updated_at: _updated, ...envReadProps } = EnvDoc.props;
/** The contract's EnvRead: the env document without its owner and bookkeeping times. */
export const EnvRead = t.type(envReadProps, 'EnvRead');

/** The contract's EnvRead; 404 when the env is gone. */
export function envRead(doc: EnvDoc | undefined): t.TypeOf<typeof EnvRead> {
  if (doc === undefined) throw new DomainFailure(notFound('ENV_NOT_FOUND'));
  const { id, name, description, use_retention, retention_configuration } = doc;
  return { id, name, description, use_retention, retention_configuration };
}
