import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { AnyEvent, isKnownEventType } from '../../domain/events';
import { documented } from '../../domain/jsonSchema';
import { decodeStored, type Upcasters } from '../../domain/upcasting/upcasters';
import type { ValidationIssue } from '../../domain/validationIssue';
import { EventMetadata } from '../eventstore/eventStore';
import { isSealed } from '../../infrastructure/crypto/secretBox';
import { referenceCollector } from './references';

/**
 * The document `GET /api/users/export-all` answers and `POST /api/users/import-all` takes:
 * the read models as they were (for a reader; import does not use them) and the whole event log
 * they came from, in log order. Connector secrets stay sealed as the log holds them; the key's
 * fingerprint says which key opens them.
 */
export const INSTALLATION_FORMAT = 'popsink.installation.v1';

const NonEmptyString = documented(
  t.refinement(t.string, (s) => s.length > 0, 'NonEmptyString'),
  { type: 'string', minLength: 1 },
);
const Revision = documented(
  t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'Revision'),
  { type: 'integer', minimum: 0 },
);

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

/** Every field of the document but its log: what a reader needs besides the events. */
export const DocumentHead = t.type({
  format: t.literal(INSTALLATION_FORMAT),
  exported_at: t.string,
  secret_key_fingerprint: NonEmptyString,
  state: InstallationState,
});
export type DocumentHead = t.TypeOf<typeof DocumentHead>;

export const InstallationDocument = t.type({ ...DocumentHead.props, events: t.array(ExportedEvent) });
export type InstallationDocument = t.TypeOf<typeof InstallationDocument>;

/**
 * What the codec cannot say about a document, checked one event at a time in document order (so
 * a document read from a file is checked without holding its log): ids unique, each stream's
 * revisions 0, 1, 2..., every event of ours decodable once upcast (so projections never choke on
 * it). Along the way it collects the keys that sealed the secrets and the ids events point at.
 */
export function documentChecker(upcasters: Upcasters) {
  const ids = new Set<string>();
  const nextRevision = new Map<string, number>();
  const sealingKeys = new Set<string>();
  const references = referenceCollector();
  return {
    sealingKeys,
    references,
    check(event: ExportedEvent, index: number): ValidationIssue[] {
      const issues: ValidationIssue[] = [];
      const loc = ['body', 'events', index];
      if (ids.has(event.id))
        issues.push({ loc: [...loc, 'id'], msg: `event id ${event.id} appears twice`, type: 'value_error.duplicate_event_id' });
      ids.add(event.id);
      const expected = nextRevision.get(event.stream_id) ?? 0;
      if (event.revision !== expected) {
        issues.push({
          loc: [...loc, 'revision'],
          msg: `stream ${event.stream_id}: expected revision ${expected}, found ${event.revision}`,
          type: 'value_error.revision_gap',
        });
      }
      nextRevision.set(event.stream_id, Math.max(expected, event.revision) + 1);
      sealingKeyIds(event.data, sealingKeys);
      if (!isKnownEventType(event.type)) return issues;
      const decoded = decodeStored(AnyEvent, upcasters, { type: event.type, data: event.data, version: event.metadata.schemaVersion });
      if (isLeft(decoded)) issues.push({ loc: [...loc, 'data'], msg: `not a valid ${event.type} event`, type: 'value_error.event_data' });
      else references.add(event.stream_id, event.id, decoded.right);
      return issues;
    },
  };
}
export type DocumentChecker = ReturnType<typeof documentChecker>;

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
