import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * The embedded log as files: where a replaced log is archived, and how a log written aside
 * becomes the live one. The live file stays open by the running platform throughout: every change
 * goes through a second SQLite connection, in transactions, never by moving the open file.
 */

/** `<data dir>/events.db`: the name platform.ts opens. */
export const liveLogFile = (dataDir: string): string => join(dataDir, 'events.db');
export const archiveDirOf = (dataDir: string): string => join(dataDir, 'archive');

export interface ArchivedLog {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly archived_at: string;
}

/** A name that sorts by time and is a valid file name everywhere. */
const stampOf = (now: Date): string => now.toISOString().replaceAll(':', '-');

/** A consistent copy of the live log into `<data dir>/archive/<time>.sqlite` (SQLite's VACUUM INTO: readers and the live file are untouched). */
export function archiveLiveLog(dataDir: string, now: Date): ArchivedLog {
  mkdirSync(archiveDirOf(dataDir), { recursive: true, mode: 0o700 });
  let path = join(archiveDirOf(dataDir), `${stampOf(now)}.sqlite`);
  for (let n = 2; existsSync(path); n++) path = join(archiveDirOf(dataDir), `${stampOf(now)}-${n}.sqlite`);
  const db = new Database(liveLogFile(dataDir), { fileMustExist: true });
  try {
    db.prepare('VACUUM INTO ?').run(path);
  } finally {
    db.close();
  }
  return archivedLogOf(path);
}

function archivedLogOf(path: string): ArchivedLog {
  const stat = statSync(path);
  return { name: basename(path), path, bytes: stat.size, archived_at: stat.mtime.toISOString() };
}

/** The archived logs, oldest first. */
export function listArchivedLogs(dataDir: string): ArchivedLog[] {
  const dir = archiveDirOf(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sqlite'))
    .sort()
    .map((name) => archivedLogOf(join(dir, name)));
}

/**
 * Makes the events of the log file `incoming` the live log's, in one transaction: all of them or,
 * on any failure, none (the old events stay live). Positions go on from the old log's (SQLite's
 * AUTOINCREMENT), so a reader's checkpoint never points into the new log by accident.
 */
export function replaceLiveLogWith(dataDir: string, incoming: string): void {
  const db = new Database(liveLogFile(dataDir), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('ATTACH DATABASE ? AS incoming').run(incoming);
    db.transaction(() => {
      db.exec('DELETE FROM main.events');
      db.exec(
        'INSERT INTO main.events (id, stream_id, revision, type, data, metadata) SELECT id, stream_id, revision, type, data, metadata FROM incoming.events ORDER BY position',
      );
    }).immediate();
    db.exec('DETACH DATABASE incoming');
  } finally {
    db.close();
  }
}

/** A fresh file beside the live log for a log being written (`<data dir>/events.importing-<time>.db`): nothing else opens it. */
export function incomingLogFile(dataDir: string, now: Date): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `events.importing-${stampOf(now)}.db`);
  removeLogFile(path);
  return path;
}

/** Removes a closed log file with its WAL companions. */
export function removeLogFile(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/** Makes a closed, fully written log file the live log of a data dir whose log is empty (the caller checked). */
export function installLogFile(dataDir: string, written: string): void {
  const live = liveLogFile(dataDir);
  // An empty live log (a store opened once, never written) and the WAL files a clean close left are nobody's.
  removeLogFile(live);
  for (const suffix of ['-wal', '-shm']) rmSync(`${written}${suffix}`, { force: true });
  renameSync(written, live);
}
