import { randomUUID } from 'node:crypto';
import { conflict } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import type { RetentionConfiguration } from '../../domain/env/env';
import { envs, users } from '../aggregates';
import { execute, type ServiceDeps } from '../execute';
import type { CommandContext } from '../handleCommand';

export interface NewEnv {
  readonly name: string;
  readonly description: string | null;
  readonly useRetention: boolean;
  readonly retentionConfiguration: RetentionConfiguration | null;
}

/** Creates an env owned by the actor; it becomes the actor's active env when they had none. Answers its id. */
export async function createEnv(deps: ServiceDeps, context: CommandContext, env: NewEnv, actorHasActiveEnv: boolean): Promise<string> {
  const envId = randomUUID();
  await execute(deps, context, envs, envId, { type: 'CreateEnv', envId, ownerId: context.actorId, ...env });
  if (!actorHasActiveEnv) await execute(deps, context, users, context.actorId, { type: 'SetActiveEnv', envId });
  return envId;
}

/** Deletes an env that holds no team; `teams` counts those it holds. */
export async function deleteEnv(deps: ServiceDeps, context: CommandContext, envId: string, teams: number): Promise<void> {
  if (teams > 0) throw new DomainFailure(conflict('ENV_NOT_EMPTY', 'Delete the teams of this env first'));
  await execute(deps, context, envs, envId, { type: 'DeleteEnv' });
}
