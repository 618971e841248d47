import { notFound } from '../../domain/errors';
import { DomainFailure } from '../../domain/failures';
import type { SubscriptionSettings } from '../../domain/pipeline/pipeline';
import { pipelines } from '../aggregates';
import { execute, type ServiceDeps } from '../execute';
import type { CommandContext } from '../handleCommand';
import { subscriptionFrom, type FieldLoc, type SubscriptionFields } from './pipelineFields';
import { existingPipeline } from './pipelineService';

/**
 * Subscriptions live inside their pipeline (one stream, one version): every change here is a
 * pipeline command, so a pipeline and its subscriptions never disagree.
 */

/** Adds subscriptions to a pipeline, all or none (one pipeline version); `locOf(i)` places the i-th one's problems. Answers them. */
export async function addSubscriptions(
  deps: ServiceDeps,
  context: CommandContext,
  pipelineId: string,
  fields: readonly SubscriptionFields[],
  locOf: (index: number) => FieldLoc,
): Promise<SubscriptionSettings[]> {
  const { teamId } = await existingPipeline(deps, pipelineId);
  const added: SubscriptionSettings[] = [];
  for (const [index, one] of fields.entries()) added.push(await subscriptionFrom(deps, teamId, one, undefined, locOf(index)));
  await execute(deps, context, pipelines, pipelineId, { type: 'AddSubscriptions', subscriptions: added });
  return added;
}

/** Applies the given fields to one subscription of a pipeline. */
export async function updateSubscription(
  deps: ServiceDeps,
  context: CommandContext,
  pipelineId: string,
  subscriptionId: string,
  fields: SubscriptionFields,
): Promise<void> {
  const { teamId, settings } = await existingPipeline(deps, pipelineId);
  const stored = settings.subscriptions.find((subscription) => subscription.id === subscriptionId);
  if (stored === undefined) throw new DomainFailure(notFound('SUBSCRIPTION_NOT_FOUND'));
  const subscription = await subscriptionFrom(deps, teamId, fields, stored, (field) => ['body', field]);
  await execute(deps, context, pipelines, pipelineId, { type: 'ReplaceSubscription', subscription });
}
