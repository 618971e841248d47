import { PIPELINES } from '../collections';
import type { Projection } from '../projection';
import * as t from 'io-ts';
import type { ReadStore, WriteOp } from '../readStore';
import { documentsOf } from '../documents';
import { DatamodelSettings, PipelineStateName, SubscriptionSettings, type PipelineSettings } from '../../domain/pipeline/pipeline';

const settingsFields = (settings: PipelineSettings) => ({
  source_connector_id: settings.sourceConnectorId,
  target_connector_id: settings.targetConnectorId,
  owns_source: settings.ownsSource,
  owns_target: settings.ownsTarget,
  subscriptions: settings.subscriptions,
  datamodel: settings.datamodel,
  datamodel_id: settings.datamodel.id,
});

export const PipelineDoc = t.type({
  id: t.string,
  name: t.string,
  team_id: t.string,
  state: PipelineStateName,
  version: t.number,
  error_reason: t.union([t.string, t.null]),
  source_connector_id: t.string,
  target_connector_id: t.string,
  owns_source: t.boolean,
  owns_target: t.boolean,
  subscriptions: t.array(SubscriptionSettings),
  datamodel: DatamodelSettings,
  datamodel_id: t.string,
  created_at: t.string,
  updated_at: t.string,
});
export type PipelineDoc = t.TypeOf<typeof PipelineDoc>;
export const pipelineDocuments = (store: ReadStore) => documentsOf(PipelineDoc, PIPELINES, store);

/** The settings a pipeline document was projected from (the inverse of settingsFields). */
export const settingsOf = (doc: PipelineDoc): PipelineSettings => ({
  sourceConnectorId: doc.source_connector_id,
  targetConnectorId: doc.target_connector_id,
  ownsSource: doc.owns_source,
  ownsTarget: doc.owns_target,
  subscriptions: doc.subscriptions,
  datamodel: doc.datamodel,
});

/** Pipelines for the list / filter / search / count-status endpoints and the flattened read shape. */
export const pipelinesView: Projection = {
  name: 'pipelines',
  collections: { [PIPELINES]: ['team_id', 'state', 'name', 'source_connector_id', 'target_connector_id', 'datamodel_id'] },
  project: (event): readonly WriteOp[] => {
    const { position, metadata } = event;
    const upsert = (id: string, set: Record<string, unknown>): WriteOp[] => [
      { kind: 'upsert', collection: PIPELINES, id, set: { ...set, updated_at: metadata.time }, position },
    ];
    switch (event.type) {
      case 'PipelineCreated': {
        const { pipelineId, teamId, name, settings } = event.data;
        return upsert(pipelineId, {
          name,
          team_id: teamId,
          state: 'draft',
          version: 1,
          error_reason: null,
          ...settingsFields(settings),
          created_at: metadata.time,
        });
      }
      case 'PipelineRenamed':
        return upsert(event.data.pipelineId, { name: event.data.name });
      case 'PipelineReconfigured': {
        const { pipelineId, version, settings } = event.data;
        return upsert(pipelineId, { version, ...settingsFields(settings) });
      }
      case 'PipelineStarted':
        return upsert(event.data.pipelineId, { state: 'building', error_reason: null });
      case 'PipelineWentLive':
        return upsert(event.data.pipelineId, { state: 'live' });
      case 'PipelinePaused':
        return upsert(event.data.pipelineId, { state: 'paused' });
      case 'PipelineFailed':
        return upsert(event.data.pipelineId, { state: 'error', error_reason: `${event.data.reasonCode}: ${event.data.reason}` });
      case 'PipelineDeleted':
        return [{ kind: 'remove', collection: PIPELINES, id: event.data.pipelineId, position }];
      default:
        return [];
    }
  },
};
