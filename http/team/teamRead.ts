import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import type { TeamDoc } from '../../projections/team/teamsView';

/** The contract's TeamRead; 404 when the team is gone. */
export function teamRead(doc: TeamDoc | undefined) {
  if (doc === undefined) throw new DomainFailure(notFound('TEAM_NOT_FOUND'));
  const { id, name, description, env_id } = doc;
  return { id, name, description, env_id };
}
