import { CONNECTORS, ENVS, PIPELINES, SUBSCRIPTIONS, TEAM_MEMBERS, TEAMS, USERS } from '../../projections/collections';
import type { Doc, ReadStore } from '../../projections/readStore';
import type { EventStore, StartFrom } from '../eventstore/eventStore';
import { INSTALLATION_FORMAT, type ExportedEvent, type InstallationDocument, type InstallationState } from './installationDocument';

const PAGE = 1000;

async function allDocs(readStore: ReadStore, collection: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  for (;;) {
    const page = await readStore.find(collection, { sort: [{ field: 'id', direction: 'asc' }], skip: docs.length, limit: PAGE });
    docs.push(...page.items);
    if (page.items.length < PAGE) return docs;
  }
}

/** Every event of the log in position order, as the document holds them (no positions: an import gets its own). */
export async function exportedEvents(store: EventStore): Promise<ExportedEvent[]> {
  const events: ExportedEvent[] = [];
  let from: StartFrom = 'start';
  for (;;) {
    const batch = await store.readAll(from, PAGE);
    for (const e of batch) {
      events.push({ id: e.id, stream_id: e.streamId, revision: Number(e.revision), type: e.type, data: e.data, metadata: e.metadata });
    }
    const last = batch[batch.length - 1];
    if (last === undefined || batch.length < PAGE) return events;
    from = { after: last.position };
  }
}

/**
 * The whole installation as one document. The read models are read first, then the log: the log
 * is never older than the state beside it. Secrets are copied as stored (sealed), never opened.
 */
export async function exportInstallation(store: EventStore, readStore: ReadStore, secretKeyFingerprint: string, now: Date): Promise<InstallationDocument> {
  const pipelines = await allDocs(readStore, PIPELINES);
  const state: InstallationState = {
    users: await allDocs(readStore, USERS),
    envs: await allDocs(readStore, ENVS),
    teams: await allDocs(readStore, TEAMS),
    team_members: await allDocs(readStore, TEAM_MEMBERS),
    connectors: await allDocs(readStore, CONNECTORS),
    pipelines,
    subscriptions: await allDocs(readStore, SUBSCRIPTIONS),
    // A datamodel lives in its pipeline's settings; listed on its own as the API shows it.
    datamodels: pipelines.map((p) => ({ id: p['datamodel_id'], pipeline_id: p.id, team_id: p['team_id'], ...((p['datamodel'] ?? {}) as Record<string, unknown>) })),
  };
  return {
    format: INSTALLATION_FORMAT,
    exported_at: now.toISOString(),
    secret_key_fingerprint: secretKeyFingerprint,
    state,
    events: await exportedEvents(store),
  };
}
