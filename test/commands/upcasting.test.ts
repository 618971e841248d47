import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { isLeft } from 'fp-ts/lib/Either.js';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectors } from '../../commands/aggregates';
import { connectorHistory } from '../../commands/audit/streamHistory';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import { handleCommand, loadState, type CommandDeps } from '../../commands/handleCommand';
import { CorruptEventError } from '../../commands/eventstore/decodeRecorded';
import { documentChecker, INSTALLATION_FORMAT, InstallationDocument } from '../../commands/installation/installationDocument';
import { appendPlan, planImport } from '../../commands/installation/installationImport';
import type { ConnectorState } from '../../domain/connector/connector';
import { EVENT_UPCASTERS } from '../../domain/events';
import { upcasters } from '../../domain/upcasting/upcasters';
import { allProjections } from '../../projections/allProjections';
import { CONNECTORS, USER_LOGS } from '../../projections/collections';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { startProjectionRunner } from '../../projections/runner';
import { context, tempDir } from './commandFixtures';

// An invented first shape of ConnectorUpdated that said `oldName` / `newName`; today's says `previousName` / `name`.
const toName = (data: unknown): unknown => {
  const { oldName, newName, ...rest } = data as Record<string, unknown>;
  return { ...rest, previousName: oldName, ...(newName !== undefined ? { name: newName } : {}) };
};
const registry = upcasters([{ eventType: 'ConnectorUpdated', fromVersion: 1, upcast: toName }]);

const depsOf = (file: string, withUpcasters = registry): CommandDeps => ({
  store: sqliteEventStore(file),
  newId: randomUUID,
  now: () => new Date(),
  upcasters: withUpcasters,
});

const nameOf = (state: ConnectorState): string | undefined => (state.status === 'exists' ? state.name : undefined);

/** The old event, read back through the aggregate, the projections and the history, in today's shape. */
async function readsTodaysShape(t: ExecutionContext, deps: CommandDeps, connectorId: string): Promise<void> {
  t.is(nameOf((await loadState(deps, connectors.decider, connectors.stream(connectorId))).state), 'renamed', 'aggregate load');

  const readStore = memoryReadStore();
  const runner = await startProjectionRunner({ store: deps.store, readStore, projections: allProjections, upcasters: deps.upcasters });
  await runner.waitFor((await deps.store.headPosition()) ?? 0n);
  await runner.stop();
  t.is((await readStore.get(CONNECTORS, connectorId))?.['name'], 'renamed', 'read model');
  const logs = await readStore.find(USER_LOGS, { where: { resource_id: connectorId, event_type: 'ConnectorUpdated' } });
  t.like(logs.items[0], { details: { name: 'renamed', previousName: 'first' } }, 'GET /user-logs');

  const [, updated] = await connectorHistory(deps, connectorId);
  t.deepEqual(updated?.changes, [{ field: 'name', old: 'first', new: 'renamed' }], 'history');
}

test('an event of an old shape, in the log and in an export file, reads in the current shape once its upcaster is registered', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'events.db');
  const deps = depsOf(file);
  t.teardown(() => deps.store.close());
  const connectorId = randomUUID();
  const stream = connectors.stream(connectorId);
  await handleCommand(
    deps,
    connectors.decider,
    stream,
    { type: 'CreateConnector', connectorId, teamId: 't-1', connectorType: 'KAFKA_SOURCE', name: 'first', config: { topic: 'a' } },
    context(),
  );

  // Written by a build that had no versions: the v1 shape, and no version in the metadata.
  const metadata = { actorId: 'actor-1', correlationId: 'c-1', causationId: 'c-1', time: '2024-01-01T00:00:00.000Z' };
  const old = new Database(file);
  old
    .prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)')
    .run(
      randomUUID(),
      stream,
      1,
      'ConnectorUpdated',
      JSON.stringify({ connectorId, teamId: 't-1', oldName: 'first', newName: 'renamed' }),
      JSON.stringify(metadata),
    );
  old.close();

  await t.throwsAsync(
    loadState({ ...deps, upcasters: EVENT_UPCASTERS }, connectors.decider, stream),
    { instanceOf: CorruptEventError },
    'without its upcaster the old shape does not decode',
  );
  await readsTodaysShape(t, deps, connectorId);

  // New events are written at the current version, which no upcaster touches.
  await handleCommand(deps, connectors.decider, stream, { type: 'UpdateConnector', name: 'third' }, context());
  const stored = await deps.store.readStream(stream);
  t.deepEqual(
    stored.map((event) => [event.type, event.metadata.schemaVersion]),
    [
      ['ConnectorCreated', 1],
      ['ConnectorUpdated', undefined],
      ['ConnectorUpdated', 2],
    ],
  );
  t.is(nameOf((await loadState(deps, connectors.decider, stream)).state), 'third');

  // An export file written by that older build: its events as stored, old shape and no version.
  const exportFile = join(dir, 'export.json');
  const events = (await deps.store.readAll('start', 2)).map((e) => ({
    id: e.id,
    stream_id: e.streamId,
    revision: Number(e.revision),
    type: e.type,
    data: e.data,
    metadata: e.metadata,
  }));
  writeFileSync(
    exportFile,
    JSON.stringify({
      format: INSTALLATION_FORMAT,
      exported_at: new Date().toISOString(),
      secret_key_fingerprint: 'k',
      state: { users: [], envs: [], teams: [], team_members: [], connectors: [], pipelines: [], subscriptions: [], datamodels: [] },
      events,
    }),
  );
  const document = InstallationDocument.decode(JSON.parse(readFileSync(exportFile, 'utf8')));
  if (isLeft(document)) return t.fail('the export file does not decode');
  t.like(document.right.events[1], { type: 'ConnectorUpdated', data: { newName: 'renamed' } });
  t.is(document.right.events[1]?.metadata.schemaVersion, undefined);

  const issuesWith = (checker: ReturnType<typeof documentChecker>) =>
    document.right.events.flatMap((event, index) => checker.check(event, index));
  t.deepEqual(issuesWith(documentChecker(registry)), [], 'the import check upcasts before it decodes');
  t.like(issuesWith(documentChecker(EVENT_UPCASTERS))[0], { type: 'value_error.event_data' });

  const imported = depsOf(join(tempDir(), 'events.db'));
  t.teardown(() => imported.store.close());
  await appendPlan(imported.store, await planImport(imported.store, document.right.events));
  await readsTodaysShape(t, imported, connectorId);
});
