import type { EventStore, StartFrom } from '../eventstore/eventStore';
import { INSTALLATION_FORMAT, type DocumentHead, type ExportedEvent, type InstallationState } from './installationDocument';

const PAGE = 1000;

/** Every event of the log in position order, a page at a time, as the document holds them (no positions: an import gets its own). */
export async function* exportedEvents(store: EventStore): AsyncGenerator<ExportedEvent[]> {
  let from: StartFrom = 'start';
  for (;;) {
    const batch = await store.readAll(from, PAGE);
    yield batch.map((e) => ({
      id: e.id,
      stream_id: e.streamId,
      revision: Number(e.revision),
      type: e.type,
      data: e.data,
      metadata: e.metadata,
    }));
    const last = batch[batch.length - 1];
    if (last === undefined || batch.length < PAGE) return;
    from = { after: last.position };
  }
}

/**
 * The whole installation as one JSON document, as text in pieces: the log is read a page at a
 * time and never held whole, so an export of millions of events takes little memory. `state`
 * (the read models) must be read before the log starts: the log is never older than it. Secrets
 * are copied as stored (sealed), never opened. One event a line, which keeps the file greppable.
 */
export async function* exportDocumentText(
  store: EventStore,
  state: InstallationState,
  head: Pick<DocumentHead, 'exported_at' | 'secret_key_fingerprint'>,
): AsyncGenerator<string> {
  const fields: Omit<DocumentHead, 'state'> = {
    format: INSTALLATION_FORMAT,
    exported_at: head.exported_at,
    secret_key_fingerprint: head.secret_key_fingerprint,
  };
  yield `${JSON.stringify(fields).slice(0, -1)},"state":${JSON.stringify(state)},"events":[`;
  let separator = '\n';
  for await (const page of exportedEvents(store)) {
    if (page.length === 0) continue;
    yield separator + page.map((event) => JSON.stringify(event)).join(',\n');
    separator = ',\n';
  }
  yield '\n]}\n';
}
