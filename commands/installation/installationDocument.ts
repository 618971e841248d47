import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { AnyEvent, isKnownEventType } from '../../domain/events';
import type { ValidationIssue } from '../../domain/validationIssue';
import { EventMetadata } from '../eventstore/eventStore';
import { isSealed } from '../../infrastructure/crypto/secretBox';

/**
 * The document `GET /api/users/export-all` answers and `POST /api/users/import-all` takes:
 * the read models as they were (for a reader; import does not use them) and the whole event log
 * they came from, in log order. Connector secrets stay sealed as the log holds them; the key's
 * fingerprint says which key opens them.
 */
export const INSTALLATION_FORMAT = 'popsink.installation.v1';

const NonEmptyString = t.refinement(t.string, (s) => s.length > 0, 'NonEmptyString');
const Revision = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'Revision');

export const ExportedEvent = t.type({
  id: NonEmptyString,
  stream_id: NonEmptyString,
  /** 0-based index of the event in its stream, as in the source log. */
  revision: Revision,
  type: NonEmptyString,
  data: t.unknown,
  metadata: EventMetadata,
});
export type ExportedEvent = t.TypeOf<typeof ExportedEvent>;

const Docs = t.array(t.UnknownRecord);

export const InstallationState = t.type({
  users: Docs,
  envs: Docs,
  teams: Docs,
  team_members: Docs,
  connectors: Docs,
  pipelines: Docs,
  subscriptions: Docs,
  datamodels: Docs,
});
export type InstallationState = t.TypeOf<typeof InstallationState>;

export const InstallationDocument = t.type({
  format: t.literal(INSTALLATION_FORMAT),
  exported_at: t.string,
  secret_key_fingerprint: NonEmptyString,
  state: InstallationState,
  events: t.array(ExportedEvent),
});
export type InstallationDocument = t.TypeOf<typeof InstallationDocument>;

/**
 * What the codec cannot say about a decoded document: ids unique, each stream's revisions
 * 0, 1, 2... in document order, and every event of ours decodable (so projections never choke on it).
 */
export function documentIssues(document: InstallationDocument): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const ids = new Set<string>();
  const nextRevision = new Map<string, number>();
  document.events.forEach((event, i) => {
    const loc = ['body', 'events', i];
    if (ids.has(event.id)) issues.push({ loc: [...loc, 'id'], msg: `event id ${event.id} appears twice`, type: 'value_error.duplicate_event_id' });
    ids.add(event.id);
    const expected = nextRevision.get(event.stream_id) ?? 0;
    if (event.revision !== expected) {
      issues.push({ loc: [...loc, 'revision'], msg: `stream ${event.stream_id}: expected revision ${expected}, found ${event.revision}`, type: 'value_error.revision_gap' });
    }
    nextRevision.set(event.stream_id, Math.max(expected, event.revision) + 1);
    if (isKnownEventType(event.type) && isLeft(AnyEvent.decode({ type: event.type, data: event.data }))) {
      issues.push({ loc: [...loc, 'data'], msg: `not a valid ${event.type} event`, type: 'value_error.event_data' });
    }
  });
  return issues;
}

/** Fingerprints of the keys that sealed the secrets found anywhere in `value` (`sealed:v1:<key id>:...`). */
export function sealingKeyIds(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const keyId = isSealed(value) ? value.split(':')[2] : undefined;
    if (keyId !== undefined) found.add(keyId);
  } else if (Array.isArray(value)) {
    for (const item of value) sealingKeyIds(item, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) sealingKeyIds(item, found);
  }
  return found;
}
