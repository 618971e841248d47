import { pipelines } from '../aggregates';
import { execute, type ServiceDeps } from '../execute';
import type { CommandContext } from '../handleCommand';
import { datamodelFrom, type ErrorTableFields } from './pipelineFields';
import { existingPipeline } from './pipelineService';

/**
 * A pipeline's datamodel lives in the pipeline's settings, so every change here is a new
 * pipeline version.
 */

/** Applies an error-table change to the pipeline's datamodel. */
export async function updateErrorTable(
  deps: ServiceDeps,
  context: CommandContext,
  pipelineId: string,
  patch: ErrorTableFields,
): Promise<void> {
  const { teamId, settings } = await existingPipeline(deps, pipelineId);
  const datamodel = await datamodelFrom(deps, teamId, patch, settings.datamodel, (field) => ['body', field]);
  await execute(deps, context, pipelines, pipelineId, { type: 'ReplaceDatamodel', datamodel });
}

/**
 * A pipeline cannot lose its datamodel: deleting it resets it (source topic from the source
 * connector, no target topic, no error table), keeping its id.
 */
export async function resetDatamodel(deps: ServiceDeps, context: CommandContext, pipelineId: string): Promise<void> {
  const { settings } = await existingPipeline(deps, pipelineId);
  await execute(deps, context, pipelines, pipelineId, { type: 'ReplaceDatamodel', datamodel: { id: settings.datamodel.id } });
}
