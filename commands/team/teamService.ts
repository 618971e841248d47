import { conflict } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import { teams, users } from '../aggregates';
import { execute, stateOf, type ServiceDeps } from '../execute';
import type { CommandContext } from '../handleCommand';

/** Deletes a team that holds no pipeline and no connector; `resources` counts those it holds. */
export async function deleteTeam(deps: ServiceDeps, context: CommandContext, teamId: string, resources: number): Promise<void> {
  if (resources > 0) throw new DomainFailure(conflict('TEAM_NOT_EMPTY', 'Delete the pipelines and connectors of this team first'));
  await execute(deps, context, teams, teamId, { type: 'DeleteTeam' });
}

/** Adds members and owners (an id in both is an owner), all or none: every one must be an existing user. */
export async function addMembers(
  deps: ServiceDeps,
  context: CommandContext,
  teamId: string,
  members: readonly string[],
  owners: readonly string[],
): Promise<void> {
  for (const userId of new Set([...members, ...owners])) {
    const user = await stateOf(deps, users, userId);
    if (user.status === 'absent' || user.status === 'deleted')
      throw new DomainFailure({ kind: 'not_found', code: `USER_NOT_FOUND: ${userId}` });
  }
  const added = [
    ...members.filter((id) => !owners.includes(id)).map((userId) => ({ userId, role: 'member' as const })),
    ...owners.map((userId) => ({ userId, role: 'owner' as const })),
  ];
  await execute(deps, context, teams, teamId, { type: 'AddMembers', members: added });
}
