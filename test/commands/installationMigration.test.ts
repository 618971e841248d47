import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import type { EventStore, RecordedEvent } from '../../commands/eventstore/eventStore';
import { documentFile, documentParts, MalformedDocumentError, type DocumentPart } from '../../commands/installation/documentStream';
import { guardedEventStore } from '../../commands/installation/guardedEventStore';
import { exportDocumentText } from '../../commands/installation/installationExport';
import { ImportRefused } from '../../commands/installation/installationImport';
import { logReplacer, ReplaceRolledBackError } from '../../commands/installation/installationReplace';
import { importIntoEmptyLog, LogNotEmptyError } from '../../commands/installation/offlineImport';
import { listArchivedLogs, liveLogFile } from '../../commands/installation/sqliteLogFiles';
import { connectorStream, envStream, pipelineStream, teamStream, userStream } from '../../commands/streams';
import { EVENT_UPCASTERS } from '../../domain/events';
import { secretBox } from '../../infrastructure/crypto/secretBox';
import { memoryReadStore } from '../../projections/readstore/memoryReadStore';
import { tempDir } from './commandFixtures';
import { installationStateOf } from '../../projections/installation/installationState';

const KEY = secretBox(randomBytes(32));
const commandsOf = (store: EventStore) => ({ store, newId: randomUUID, now: () => new Date(), upcasters: EVENT_UPCASTERS });

/** A small installation's log: a user, an env, a team, two connectors and a running pipeline whose error table is on the second. */
async function sourceLog(dir: string, options: { dropErrorTableConnector?: boolean } = {}): Promise<EventStore> {
  const store = sqliteEventStore(join(dir, 'events.db'));
  const metadata = { actorId: 'system', correlationId: randomUUID(), causationId: randomUUID(), time: new Date().toISOString() };
  const put = (stream: string, events: { type: string; data: unknown }[]) =>
    store.append(
      stream,
      events.map((e) => ({ id: randomUUID(), metadata, ...e })),
      'no_stream',
    );
  const [userId, envId, teamId, sourceId, targetId, errorsId, pipelineId] = Array.from({ length: 7 }, () => randomUUID()) as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  await put(userStream(userId), [
    {
      type: 'UserRegistered',
      data: { userId, email: 'jane@example.com', passwordHash: 'x', isActive: true, isSuperuser: true, isVerified: false },
    },
  ]);
  await put(envStream(envId), [
    {
      type: 'EnvCreated',
      data: { envId, ownerId: userId, name: 'prod', description: null, useRetention: false, retentionConfiguration: null },
    },
  ]);
  await put(teamStream(teamId), [{ type: 'TeamCreated', data: { teamId, envId, ownerId: userId, name: 'data', description: null } }]);
  const connectors: [string, string][] = [
    [sourceId, 'KAFKA_SOURCE'],
    [targetId, 'KAFKA_TARGET'],
    ...(options.dropErrorTableConnector === true ? [] : ([[errorsId, 'KAFKA_TARGET']] as [string, string][])),
  ];
  for (const [connectorId, connectorType] of connectors) {
    await put(connectorStream(connectorId), [
      {
        type: 'ConnectorCreated',
        data: { connectorId, teamId, connectorType, name: `c-${connectorId}`, config: { password: KEY.seal('hunter2') } },
      },
    ]);
  }
  const settings = {
    sourceConnectorId: sourceId,
    targetConnectorId: targetId,
    ownsSource: false,
    ownsTarget: false,
    subscriptions: [{ id: randomUUID(), consumer_id: 'c', backfill: false, mapper_config: [] }],
    datamodel: { id: randomUUID(), error_table_enabled: true, error_table_name: 'errors', error_table_target_id: errorsId },
  };
  await put(pipelineStream(pipelineId), [
    { type: 'PipelineCreated', data: { pipelineId, teamId, name: 'p', settings } },
    { type: 'PipelineStarted', data: { pipelineId, version: 1 } },
  ]);
  return store;
}

async function exportTo(store: EventStore, file: string, keyId = KEY.keyId): Promise<void> {
  await pipeline(
    Readable.from(
      exportDocumentText(store, await installationStateOf(memoryReadStore()), {
        exported_at: new Date().toISOString(),
        secret_key_fingerprint: keyId,
      }),
    ),
    createWriteStream(file),
  );
}

async function allEvents(store: EventStore): Promise<RecordedEvent[]> {
  return store.readAll('start', 100_000);
}

const offlineDeps = (dataDir: string, keyId = KEY.keyId) => ({
  target: { kind: 'embedded' as const, dataDir, open: (file: string) => sqliteEventStore(file) },
  keyId,
  upcasters: EVENT_UPCASTERS,
  commandsOf,
  now: () => new Date(),
});

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function collect(parts: AsyncIterable<DocumentPart>): Promise<DocumentPart[]> {
  const all: DocumentPart[] = [];
  for await (const part of parts) all.push(part);
  return all;
}

test('a document is read piece by piece, whatever its layout and wherever the chunks cut it', async (t) => {
  const document = { format: 'f', events: [{ a: '}]",\\"', b: [1, { c: null }] }, { d: 'é' }, 3], state: { x: [{}] }, last: 'tail' };
  for (const text of [JSON.stringify(document), JSON.stringify(document, null, 2)]) {
    for (const size of [1, 3, 7, 1000]) {
      const parts = await collect(documentParts(chunked(text, size)));
      t.deepEqual(
        parts.filter((p) => p.kind === 'event').map((p) => p.value),
        document.events,
      );
      t.deepEqual(Object.fromEntries(parts.flatMap((p) => (p.kind === 'field' ? [[p.key, p.value]] : []))), {
        format: 'f',
        state: document.state,
        last: 'tail',
      });
    }
  }
  for (const broken of ['[1]', '{"a": 1', '{"events": [1, 2}', '{"a": tru}', '{"a": 1} x']) {
    await t.throwsAsync(collect(documentParts(chunked(broken, 2))), { instanceOf: MalformedDocumentError }, broken);
  }
});

test('appends wait while held; subscriptions open before a fence see nothing past it', async (t) => {
  const store = guardedEventStore(sqliteEventStore(join(tempDir(), 'events.db'), { pollIntervalMs: 10 }));
  const event = () => ({
    id: randomUUID(),
    type: 'X',
    data: {},
    metadata: { actorId: 'a', correlationId: 'c', causationId: 'c', time: new Date().toISOString() },
  });
  await store.append('s-1', [event()], 'any');
  const seenByOld: bigint[] = [];
  const old = store.subscribeToAll('start', async (batch) => void seenByOld.push(...batch.map((e) => e.position)));
  const hold = await store.hold();
  let landed = false;
  const held = store.append('s-1', [event()], 'any').then(() => (landed = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.false(landed);
  const fence = store.fenceOpenSubscriptions(1n);
  hold.release();
  await held;
  const seenByNew: bigint[] = [];
  const fresh = store.subscribeToAll('start', async (batch) => void seenByNew.push(...batch.map((e) => e.position)));
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(seenByOld, [1n]);
  t.deepEqual(seenByNew, [1n, 2n]);
  fence.lift();
  await store.append('s-1', [event()], 'any');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(seenByOld, [1n, 3n]);
  await old.stop();
  await fresh.stop();
  await store.close();
});

test('offline import: the whole log into an empty data dir, running pipelines paused, references kept', async (t) => {
  const source = await sourceLog(tempDir());
  const file = join(tempDir(), 'installation.json');
  await exportTo(source, file);
  const dataDir = tempDir();
  const result = await importIntoEmptyLog(documentFile(file), sqliteEventStore(liveLogFile(dataDir)), offlineDeps(dataDir));
  const sourceEvents = await allEvents(source);
  t.is(result.events, sourceEvents.length);
  t.is(result.pipelinesPaused, 1);
  const imported = sqliteEventStore(liveLogFile(dataDir));
  const events = await allEvents(imported);
  t.deepEqual(
    events.slice(0, -1).map((e) => [e.id, e.streamId, e.revision, e.data]),
    sourceEvents.map((e) => [e.id, e.streamId, e.revision, e.data]),
  );
  t.is(events[events.length - 1]?.type, 'PipelinePaused');
  t.false(existsSync(join(dataDir, 'archive')));
  await imported.close();
  await source.close();
});

test('offline import refuses a non-empty log, another secret key, a dangling id and a broken file, writing nothing', async (t) => {
  const source = await sourceLog(tempDir());
  const file = join(tempDir(), 'installation.json');
  await exportTo(source, file);

  const used = tempDir();
  const usedLog = sqliteEventStore(liveLogFile(used));
  await usedLog.append(
    'x-1',
    [{ id: randomUUID(), type: 'X', data: {}, metadata: { actorId: 'a', correlationId: 'c', causationId: 'c', time: '' } }],
    'no_stream',
  );
  await t.throwsAsync(importIntoEmptyLog(documentFile(file), usedLog, offlineDeps(used)), { instanceOf: LogNotEmptyError });

  const otherKey = tempDir();
  const refused = await t.throwsAsync(
    importIntoEmptyLog(
      documentFile(file),
      sqliteEventStore(liveLogFile(otherKey)),
      offlineDeps(otherKey, secretBox(randomBytes(32)).keyId),
    ),
    { instanceOf: ImportRefused },
  );
  t.is(refused?.refusal.code, 'SECRET_KEY_MISMATCH');
  const afterRefusal = sqliteEventStore(liveLogFile(otherKey));
  t.is(await afterRefusal.headPosition(), undefined);
  await afterRefusal.close();

  const dangling = await sourceLog(tempDir(), { dropErrorTableConnector: true });
  const danglingFile = join(tempDir(), 'dangling.json');
  await exportTo(dangling, danglingFile);
  const target = tempDir();
  const unresolved = await t.throwsAsync(
    importIntoEmptyLog(documentFile(danglingFile), sqliteEventStore(liveLogFile(target)), offlineDeps(target)),
    { instanceOf: ImportRefused },
  );
  t.like(unresolved?.refusal, { code: 'IMPORT_UNRESOLVED_REFERENCES' });
  t.true(JSON.stringify(unresolved?.refusal).includes('settings.datamodel.error_table_target_id'));

  const truncated = join(tempDir(), 'truncated.json');
  writeFileSync(truncated, '{"format": "popsink.installation.v1", "events": [');
  await t.throwsAsync(importIntoEmptyLog(documentFile(truncated), sqliteEventStore(liveLogFile(target)), offlineDeps(target)), {
    instanceOf: MalformedDocumentError,
  });
  await source.close();
  await dangling.close();
});

test('replace: the live log archived and swapped; a failed rebuild swaps the old log back', async (t) => {
  const source = await sourceLog(tempDir());
  const file = join(tempDir(), 'installation.json');
  await exportTo(source, file);
  const documentEvents = await allEvents(source);

  const dataDir = tempDir();
  const store = guardedEventStore(sqliteEventStore(liveLogFile(dataDir)));
  const mine = await sourceLog(tempDir());
  for (const e of await allEvents(mine)) await store.append(e.streamId, [e], e.revision === 0n ? 'no_stream' : e.revision - 1n);
  const before = (await allEvents(store)).map((e) => e.id);

  const calls: string[] = [];
  let failRebuild = true;
  const replacer = logReplacer({
    dataDir,
    store,
    openLogFile: (path) => sqliteEventStore(path),
    commands: commandsOf(store),
    upcasters: EVENT_UPCASTERS,
    keyId: KEY.keyId,
    stopRuntime: async () => void calls.push('stop'),
    startRuntime: async () => void calls.push('start'),
    rebuildReadModels: async () => {
      calls.push('rebuild');
      if (failRebuild) {
        failRebuild = false;
        throw new Error('projection failed');
      }
    },
    waitFor: async () => undefined,
    afterSwap: async () => void calls.push('afterSwap'),
  });
  const context = { actorId: 'admin', correlationId: randomUUID() };

  await t.throwsAsync(replacer.replace(documentFile(file), context), { instanceOf: ReplaceRolledBackError });
  t.deepEqual(
    (await allEvents(store)).map((e) => e.id),
    before,
    'the old log is live again',
  );
  t.deepEqual(calls, ['stop', 'rebuild', 'rebuild', 'start']);

  calls.length = 0;
  const result = await replacer.replace(documentFile(file), context);
  t.deepEqual(calls, ['stop', 'rebuild', 'afterSwap', 'start']);
  t.is(result.eventsWritten, documentEvents.length);
  t.is(result.pipelinesPaused, 1);
  const live = await allEvents(store);
  t.deepEqual(
    live.slice(0, documentEvents.length).map((e) => e.id),
    documentEvents.map((e) => e.id),
  );
  t.true((live[0]?.position ?? 0n) > BigInt(before.length), 'positions go on from the old log');
  const archives = listArchivedLogs(dataDir);
  t.is(archives.length, 2, 'one archive per replace, the rolled-back one included');
  const archived = sqliteEventStore(archives[archives.length - 1]?.path ?? '');
  t.deepEqual(
    (await allEvents(archived)).map((e) => e.id),
    before,
    'the archive holds the old log',
  );
  await archived.close();

  await t.throwsAsync(replacer.replace(documentFile(join(tempDir(), 'missing.json')), context));
  t.deepEqual(
    (await allEvents(store)).map((e) => e.id),
    live.map((e) => e.id),
    'a document that cannot be read changes nothing',
  );
  await store.close();
  await source.close();
  await mine.close();
});
