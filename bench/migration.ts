/**
 * Export and import of a big installation (`npm run bench:migration -- [--events N]`, default
 * 1 000 000): events/s both ways and the peak resident memory of each, each phase in a process of
 * its own so that its peak is its own.
 *
 * 1. a log of N events (users, envs, teams and their members, with reservations) is written into
 *    an embedded store with bare SQLite inserts (fast; not what is measured);
 * 2. export: the document is streamed from that store into a file, as `GET /api/users/export-all`
 *    streams it (`exportDocumentText`; the read models beside the log are left empty here);
 * 3. import: `popsink import FILE --data-dir DIR`'s path (`importIntoEmptyLog`): the file is read
 *    and checked whole, then read again and written into a fresh embedded log.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { EVENTS_SCHEMA, sqliteEventStore } from '../commands/eventstore/sqliteEventStore';
import { documentFile } from '../commands/installation/documentStream';
import { exportDocumentText } from '../commands/installation/installationExport';
import { importIntoEmptyLog } from '../commands/installation/offlineImport';
import { envStream, teamStream, userStream } from '../commands/streams';
import { EVENT_UPCASTERS } from '../domain/events';
import { secretBox } from '../infrastructure/crypto/secretBox';
import { memoryReadStore } from '../projections/readstore/memoryReadStore';
import { installationStateOf } from '../projections/installation/installationState';

const { values } = parseArgs({
  options: { events: { type: 'string' }, phase: { type: 'string' }, dir: { type: 'string' }, key: { type: 'string' } },
});
const TOTAL = Number(values.events ?? 1_000_000);

interface PhaseResult {
  readonly events: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly bytes?: number;
}

const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** A realistic identity log: users with their email reservations, envs, teams whose members come and go. */
function generateLog(file: string, total: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(EVENTS_SCHEMA);
  const insert = db.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const revisions = new Map<string, number>();
  let written = 0;
  const time = new Date('2025-01-01T00:00:00Z').getTime();
  const put = (stream: string, type: string, data: unknown, actorId: string): void => {
    const revision = revisions.get(stream) ?? 0;
    revisions.set(stream, revision + 1);
    const metadata = { actorId, correlationId: randomUUID(), causationId: randomUUID(), time: new Date(time + written * 10).toISOString() };
    insert.run(randomUUID(), stream, revision, type, JSON.stringify(data), JSON.stringify(metadata));
    written++;
  };
  const users: string[] = [];
  const writeSome = db.transaction((count: number) => {
    const stop = written + count;
    while (written < stop) {
      if (users.length < 1000 || written % 50 === 0) {
        const userId = randomUUID();
        const email = `user-${users.length}@example.com`;
        const reservation = `reservation-email-${userId.replaceAll('-', '')}`;
        put(reservation, 'ReservationClaimed', { scope: 'email', value: email, ownerId: userId }, 'system');
        put(
          userStream(userId),
          'UserRegistered',
          { userId, email, passwordHash: 'scrypt$bench', isActive: true, isSuperuser: false, isVerified: false },
          'system',
        );
        users.push(userId);
        continue;
      }
      const ownerId = users[written % users.length] ?? 'none';
      const envId = randomUUID();
      put(
        envStream(envId),
        'EnvCreated',
        { envId, ownerId, name: `env-${written}`, description: null, useRetention: false, retentionConfiguration: null },
        ownerId,
      );
      const teamId = randomUUID();
      put(teamStream(teamId), 'TeamCreated', { teamId, envId, ownerId, name: `team-${written}`, description: null }, ownerId);
      for (let i = 0; i < 20 && written < stop; i++) {
        const userId = users[(written * 7 + i) % users.length] ?? ownerId;
        put(
          teamStream(teamId),
          i % 3 === 2 ? 'TeamMemberRoleChanged' : 'TeamMemberAdded',
          { teamId, envId, userId, role: i % 3 === 2 ? 'owner' : 'member' },
          ownerId,
        );
      }
    }
  });
  while (written < total) writeSome(Math.min(10_000, total - written));
  db.close();
}

async function exportPhase(dir: string, keyId: string): Promise<PhaseResult> {
  const store = sqliteEventStore(join(dir, 'source', 'events.db'));
  const out = join(dir, 'installation.json');
  const started = performance.now();
  await pipeline(
    Readable.from(
      exportDocumentText(store, await installationStateOf(memoryReadStore()), {
        exported_at: new Date().toISOString(),
        secret_key_fingerprint: keyId,
      }),
    ),
    createWriteStream(out),
  );
  const seconds = (performance.now() - started) / 1000;
  const events = Number((await store.headPosition()) ?? 0n);
  await store.close();
  return { events, seconds, peakRssMb: peakRssMb(), bytes: statSync(out).size };
}

async function importPhase(dir: string, keyId: string): Promise<PhaseResult> {
  const dataDir = join(dir, 'target');
  mkdirSync(dataDir, { recursive: true });
  const started = performance.now();
  const result = await importIntoEmptyLog(documentFile(join(dir, 'installation.json')), sqliteEventStore(join(dataDir, 'events.db')), {
    target: { kind: 'embedded', dataDir, open: (file) => sqliteEventStore(file, { synchronous: 'normal' }) },
    keyId,
    upcasters: EVENT_UPCASTERS,
    commandsOf: (store) => ({ store, newId: randomUUID, now: () => new Date(), upcasters: EVENT_UPCASTERS }),
    now: () => new Date(),
  });
  return { events: result.events, seconds: (performance.now() - started) / 1000, peakRssMb: peakRssMb() };
}

/** Runs one phase in a child process and reads its result line. */
function inChild(phase: string, dir: string, key: string): PhaseResult {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/migration.ts', '--phase', phase, '--dir', dir, '--key', key], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (child.status !== 0) throw new Error(`${phase} failed (exit ${child.status})`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as PhaseResult;
}

const rate = (r: PhaseResult): string => `${Math.round(r.events / r.seconds).toLocaleString('en')} events/s`;

if (values.phase !== undefined && values.dir !== undefined && values.key !== undefined) {
  const result = values.phase === 'export' ? await exportPhase(values.dir, values.key) : await importPhase(values.dir, values.key);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'popsink-bench-migration-'));
  const keyId = secretBox(randomBytes(32)).keyId;
  try {
    process.stdout.write(
      `load average before: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}\n`,
    );
    mkdirSync(join(dir, 'source'));
    const generating = performance.now();
    generateLog(join(dir, 'source', 'events.db'), TOTAL);
    process.stdout.write(
      `log of ${TOTAL.toLocaleString('en')} events generated in ${((performance.now() - generating) / 1000).toFixed(1)} s (bare SQLite inserts)\n`,
    );
    const exported = inChild('export', dir, keyId);
    process.stdout.write(
      `export: ${exported.events.toLocaleString('en')} events in ${exported.seconds.toFixed(1)} s, ${rate(exported)}, ${((exported.bytes ?? 0) / 1_048_576).toFixed(0)} MB document, peak RSS ${exported.peakRssMb} MB\n`,
    );
    const imported = inChild('import', dir, keyId);
    process.stdout.write(
      `import (offline, check then write): ${imported.events.toLocaleString('en')} events in ${imported.seconds.toFixed(1)} s, ${rate(imported)}, peak RSS ${imported.peakRssMb} MB\n`,
    );
    process.stdout.write(
      `load average after: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
