import * as t from 'io-ts';
import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import { TeamDoc } from '../../projections/team/teamsView';

const { created_at: _created, updated_at: _updated, ...teamReadProps } = TeamDoc.props;
/** The contract's TeamRead: the team document without its bookkeeping times. */
export const TeamRead = t.type(teamReadProps, 'TeamRead');

/** The contract's TeamRead; 404 when the team is gone. */
export function teamRead(doc: TeamDoc | undefined): t.TypeOf<typeof TeamRead> {
  if (doc === undefined) throw new DomainFailure(notFound('TEAM_NOT_FOUND'));
  const { id, name, description, env_id } = doc;
  return { id, name, description, env_id };
}
