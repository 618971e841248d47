import type { AnyEvent } from '../../domain/events';
import type { PipelineSettings } from '../../domain/pipeline/pipeline';
import type { EventStore } from '../eventstore/eventStore';
import { connectorStream, envStream, teamStream, userStream } from '../streams';

/** One id an event points at: the stream of the resource it names, and the field that names it. */
export interface Reference {
  readonly field: string;
  readonly stream: string;
}

/** A reference of the document that names a resource neither the document nor this installation holds. */
export interface UnresolvedReference extends Reference {
  /** The stream of the event that holds it. */
  readonly from: string;
  readonly event_id: string;
}

function settingsReferences(settings: PipelineSettings): Reference[] {
  const refs: Reference[] = [
    { field: 'settings.sourceConnectorId', stream: connectorStream(settings.sourceConnectorId) },
    { field: 'settings.targetConnectorId', stream: connectorStream(settings.targetConnectorId) },
  ];
  const errorTarget = settings.datamodel.error_table_target_id;
  if (typeof errorTarget === 'string')
    refs.push({ field: 'settings.datamodel.error_table_target_id', stream: connectorStream(errorTarget) });
  settings.subscriptions.forEach((subscription, i) => {
    if (typeof subscription.error_table_target_id === 'string') {
      refs.push({
        field: `settings.subscriptions[${i}].error_table_target_id`,
        stream: connectorStream(subscription.error_table_target_id),
      });
    }
  });
  return refs;
}

/**
 * Every id an event points at besides its own aggregate's. The log copies ids as they are, so
 * an id resolves on import when the resource it names came with the document or is here already.
 */
export function referencesOf(event: AnyEvent): Reference[] {
  switch (event.type) {
    case 'UserActiveEnvSet':
      return event.data.envId === null ? [] : [{ field: 'envId', stream: envStream(event.data.envId) }];
    case 'EnvCreated':
      return [{ field: 'ownerId', stream: userStream(event.data.ownerId) }];
    case 'TeamCreated':
      return [
        { field: 'envId', stream: envStream(event.data.envId) },
        { field: 'ownerId', stream: userStream(event.data.ownerId) },
      ];
    case 'TeamMemberAdded':
    case 'TeamMemberRoleChanged':
      return [{ field: 'userId', stream: userStream(event.data.userId) }];
    case 'ConnectorCreated':
      return [{ field: 'teamId', stream: teamStream(event.data.teamId) }];
    case 'PipelineCreated':
      return [{ field: 'teamId', stream: teamStream(event.data.teamId) }, ...settingsReferences(event.data.settings)];
    case 'PipelineReconfigured':
      return settingsReferences(event.data.settings);
    // A name claim may name an owner that was never created: a create refused after its claim
    // (which is then released), or a process that died in between (claimRepairing takes such a
    // claim over). The log keeps those claims, and a document brings them as they are.
    default:
      return [];
  }
}

/**
 * Collects the references of a document's events as they are checked, and answers at the end
 * which of them resolve nowhere: not to a stream of the document, nor to one of `store`.
 */
export function referenceCollector() {
  const documentStreams = new Set<string>();
  /** Target stream → the first event found pointing at it (one is enough to name the problem). */
  const wanted = new Map<string, UnresolvedReference>();
  return {
    add(streamId: string, eventId: string, event: AnyEvent): void {
      documentStreams.add(streamId);
      for (const reference of referencesOf(event)) {
        if (!wanted.has(reference.stream)) wanted.set(reference.stream, { ...reference, from: streamId, event_id: eventId });
      }
    },
    /** Streams the document holds (seen so far). */
    has: (streamId: string): boolean => documentStreams.has(streamId),
    async unresolved(store: EventStore | undefined): Promise<UnresolvedReference[]> {
      const missing: UnresolvedReference[] = [];
      for (const [stream, reference] of wanted) {
        if (documentStreams.has(stream)) continue;
        if (store !== undefined && (await store.readStream(stream)).length > 0) continue;
        missing.push(reference);
      }
      return missing;
    },
  };
}
export type ReferenceCollector = ReturnType<typeof referenceCollector>;
