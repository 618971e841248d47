import { SUBSCRIPTIONS } from '../collections';
import type { Projection } from '../projection';
import * as t from 'io-ts';
import type { ReadStore, WriteOp } from '../readStore';
import { documentsOf } from '../documents';
import { SubscriptionSettings } from '../../domain/pipeline/pipeline';

export const SubscriptionDoc = t.intersection([
  SubscriptionSettings,
  t.type({ pipeline_id: t.string, team_id: t.string, order: t.number, updated_at: t.string }),
  t.partial({ paused: t.boolean }),
]);
export type SubscriptionDoc = t.TypeOf<typeof SubscriptionDoc>;
export const subscriptionDocuments = (store: ReadStore) => documentsOf(SubscriptionDoc, SUBSCRIPTIONS, store);

/**
 * One document per subscription, for `/subscriptions/`: its settings, its pipeline and team, and
 * whether it was paused on its own. Its running state is its pipeline's, read with it.
 */
export const subscriptionsView: Projection = {
  name: 'subscriptions',
  collections: { [SUBSCRIPTIONS]: ['pipeline_id', 'team_id', 'order'] },
  project: (event): readonly WriteOp[] => {
    const { position, metadata } = event;
    const set = (subscriptionId: string, fields: Record<string, unknown>): WriteOp => ({
      kind: 'upsert',
      collection: SUBSCRIPTIONS,
      id: subscriptionId,
      set: { ...fields, updated_at: metadata.time },
      position,
    });
    switch (event.type) {
      case 'PipelineCreated':
      case 'PipelineReconfigured': {
        const { pipelineId, teamId, settings } = event.data;
        return settings.subscriptions.map(({ id, ...fields }, order) =>
          set(id, { ...fields, pipeline_id: pipelineId, team_id: teamId, order }),
        );
      }
      case 'SubscriptionPaused':
        return [set(event.data.subscriptionId, { paused: true })];
      case 'SubscriptionResumed':
        return [set(event.data.subscriptionId, { paused: false })];
      case 'SubscriptionRemoved':
        return [{ kind: 'remove', collection: SUBSCRIPTIONS, id: event.data.subscriptionId, position }];
      default:
        return [];
    }
  },
};
