/**
 * Benchmark of the embedded event store (SQLite) and of projection rebuilds.
 *
 *   npm run bench:eventstore -- [--events N] [--skip-mongo] [--mongo-events N] [--mongo-budget S]
 *   POPSINK_MONGO_URL=$(bash scripts/services/ferretdb.sh start) npx tsx bench/eventstore.ts
 *
 * Every figure is one measured run of a fixed size in a fresh temp directory (removed at the
 * end). Each section also measures a bare baseline in the same process (the raw better-sqlite3
 * statements, or `projectBatch` without a store) so the adapter's own cost shows as a ratio.
 * See bench/README.md for what each line means.
 */
import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { MongoClient } from 'mongodb';
import type { EventMetadata, EventStore, NewEvent, RecordedEvent, StartFrom } from '../commands/eventstore/eventStore';
import { pollingSubscription } from '../commands/eventstore/pollingSubscription';
import { EVENTS_SCHEMA, sqliteEventStore } from '../commands/eventstore/sqliteEventStore';
import { teams } from '../commands/aggregates';
import { handleCommand, type CommandContext, type CommandDeps } from '../commands/handleCommand';
import { handleKeyedCommand } from '../commands/keyedCommand';
import { envStream, teamStream, userStream } from '../commands/streams';
import type { EnvEvent } from '../domain/env/env';
import type { DomainError } from '../domain/errors';
import { teamDecider, type TeamEvent, type TeamRole } from '../domain/team/team';
import type { UserEvent } from '../domain/identity/user';
import { CREDENTIALS, ENVS, REVOKED_TOKENS, SERVICE_TOKENS, TEAM_MEMBERS, TEAMS, USER_LOGS, USERS } from '../projections/collections';
import { allProjections } from '../projections/allProjections';
import type { ReadStore } from '../projections/readStore';
import { memoryReadStore } from '../projections/readstore/memoryReadStore';
import { mongoReadStore } from '../projections/readstore/mongoReadStore';
import { ProjectionTimeoutError, projectBatch, startProjectionRunner } from '../projections/runner';
import { EVENT_UPCASTERS } from '../domain/events';

// ---------------------------------------------------------------------------------------------
// Sizes. Fixed so that runs compare; each section takes seconds on 2 cores, the log of section
// 5 is the only one that scales (--events).

const ONE_EVENT_APPENDS = 5_000;
const EXACT_STREAMS = 10;
const BATCH_SIZE = 100;
const BATCH_APPENDS = 1_000;
const BATCH_STREAMS = 100;
const BIG_BATCH_SIZE = 1_000;
const BIG_BATCH_APPENDS = 50;
/** Adapter and bare baseline alternate in this many chunks, so a shared disk's ups and downs hit both alike. */
const ROUNDS = 5;
/** Events per user stream in the identity log (registered, then a lifetime of changes). */
const USER_HISTORY = 20;
const ADD_MEMBER_TEAMS = 50;
const ADD_MEMBER_COMMANDS = 2_000;
const KEYED_CREATES = 1_000;
const KEYED_RENAMES = 1_000;
/** Page size of the readAll scan; the same as the polling subscription's. */
const PAGE = 1_000;

const AIM_BATCH_APPEND = 50_000;
const AIM_REBUILD_EMBEDDED = 100_000;

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  readonly events: number;
  readonly skipMongo: boolean;
  readonly mongoUrl: string | undefined;
  /** Forces one Mongo rebuild of this size; otherwise sizes step up while the budget lasts. */
  readonly mongoEvents: number | undefined;
  readonly mongoBudgetSeconds: number;
}

/** Accepts 1000000, 1_000_000, 1e6, 100k, 1m. */
function parseCount(what: string, raw: string): number {
  const match = /^([\d_.e+]+)([km]?)$/i.exec(raw.trim());
  const base = match?.[1] === undefined ? Number.NaN : Number(match[1].replaceAll('_', ''));
  const unit = match?.[2]?.toLowerCase();
  const n = Math.round(base * (unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : 1));
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${what}: expected a positive count, got "${raw}"`);
  return n;
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const [name = '', inline] = arg.slice(2).split('=', 2);
    if (name === 'skip-mongo' || name === 'help') flags.set(name, true);
    else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      flags.set(name, value);
    }
  }
  if (flags.has('help')) {
    process.stdout.write(
      'usage: tsx bench/eventstore.ts [--events N] [--skip-mongo] [--mongo-events N] [--mongo-budget SECONDS]\n' +
        'env: BENCH_EVENTS, BENCH_SKIP_MONGO=1, BENCH_MONGO_EVENTS, POPSINK_MONGO_URL\n',
    );
    process.exit(0);
  }
  for (const name of flags.keys()) {
    if (!['events', 'skip-mongo', 'mongo-events', 'mongo-budget'].includes(name)) throw new Error(`unknown option --${name}`);
  }
  const value = (flag: string, envName: string): string | undefined => {
    const v = flags.get(flag);
    return typeof v === 'string' ? v : env[envName] === '' ? undefined : env[envName];
  };
  const events = value('events', 'BENCH_EVENTS');
  const mongoEvents = value('mongo-events', 'BENCH_MONGO_EVENTS');
  const budget = value('mongo-budget', 'BENCH_MONGO_BUDGET');
  const url = env.POPSINK_MONGO_URL;
  return {
    events: events === undefined ? 1_000_000 : parseCount('--events', events),
    skipMongo: flags.has('skip-mongo') || env.BENCH_SKIP_MONGO === '1',
    mongoUrl: url === undefined || url.trim() === '' ? undefined : url.trim(),
    mongoEvents: mongoEvents === undefined ? undefined : parseCount('--mongo-events', mongoEvents),
    mongoBudgetSeconds: budget === undefined ? 240 : parseCount('--mongo-budget', budget),
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring and reporting

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const int = (n: number | bigint): string => fmt.format(n);
const seconds = (s: number): string => `${s.toFixed(2)} s`;
const ratio = (x: number): string => `${x.toFixed(2)}x`;

/**
 * Wall time, and CPU time of this process (all its threads): the gap is time spent waiting
 * (fsync, network, other processes). `windows` are the performance.now() spans measured, to
 * add up the garbage collections that started within them once V8 has reported them.
 */
interface Measured {
  readonly seconds: number;
  readonly cpu: number;
  readonly windows: readonly (readonly [number, number])[];
}

function startClock(): () => Measured {
  const wall = process.hrtime.bigint();
  const from = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return {
      seconds: Number(process.hrtime.bigint() - wall) / 1e9,
      cpu: (used.user + used.system) / 1e6,
      windows: [[from, performance.now()]],
    };
  };
}

const plus = (a: Measured, b: Measured): Measured => ({
  seconds: a.seconds + b.seconds,
  cpu: a.cpu + b.cpu,
  windows: [...a.windows, ...b.windows],
});
const ZERO: Measured = { seconds: 0, cpu: 0, windows: [] };

// GC pauses as V8 reports them: asynchronously, after the collection, so they are summed per
// row only when the report is printed.
const gcPauses: { readonly start: number; readonly duration: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, duration: entry.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });

function gcSeconds(windows: Measured['windows']): number {
  let ms = 0;
  for (const { start, duration } of gcPauses) {
    if (windows.some(([from, to]) => start >= from && start < to)) ms += duration;
  }
  return ms / 1000;
}

async function timed<T>(fn: () => Promise<T>): Promise<Measured & { readonly value: T }> {
  const stop = startClock();
  const value = await fn();
  return { value, ...stop() };
}

interface Row {
  readonly id: string;
  readonly what: string;
  readonly size: string;
  readonly seconds: number;
  readonly cpu: number | undefined;
  readonly windows: Measured['windows'];
  readonly throughput: string;
}

const rows: Row[] = [];
const comparisons: string[] = [];
const aims: string[] = [];
const notes: string[] = [];

const progress = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

/** One line of the table; `time` is a wall time in seconds, or wall and CPU time. Returns the rate. */
function record(id: string, what: string, count: number, unit: string, time: number | Measured, extra?: string): number {
  const m = typeof time === 'number' ? { seconds: time, cpu: undefined, windows: [] } : time;
  const rate = count / m.seconds;
  const row: Row = {
    id,
    what,
    size: `${int(count)} ${unit}`,
    ...m,
    throughput: `${int(rate)} ${unit}/s${extra === undefined ? '' : `  ${extra}`}`,
  };
  rows.push(row);
  progress(`${id} ${what}: ${row.size} in ${seconds(m.seconds)} = ${row.throughput}`);
  return rate;
}

/** A ratio of two rates; with `cpu`, also the CPU time per unit of both sides (insensitive to waits). */
function compare(
  id: string,
  what: string,
  value: number,
  base: number,
  label = 'adapter / bare',
  cpu?: { unit: string; value: number; base: number },
): void {
  const perUnit = cpu === undefined ? '' : `; CPU ${(cpu.value * 1e6).toFixed(1)} vs ${(cpu.base * 1e6).toFixed(1)} µs/${cpu.unit}`;
  comparisons.push(`${id.padEnd(4)} ${what.padEnd(60)} ${label} = ${ratio(value / base)}  (${int(value)} vs ${int(base)} /s${perUnit})`);
}

function aim(what: string, rate: number, target: number): void {
  aims.push(`${what.padEnd(48)} ${int(rate).padStart(10)} /s  aim ≥ ${int(target)} /s  ${rate >= target ? 'MET' : 'NOT MET'}`);
}

function printReport(header: readonly string[]): void {
  const w = {
    id: Math.max(...rows.map((r) => r.id.length)),
    what: Math.max(...rows.map((r) => r.what.length)),
    size: Math.max(...rows.map((r) => r.size.length)),
  };
  const line = '-'.repeat(w.id + w.what + w.size + 62);
  const out: string[] = ['', ...header, line];
  out.push(
    `${'#'.padEnd(w.id)}  ${'measurement'.padEnd(w.what)}  ${'size'.padStart(w.size)}  ${'wall'.padStart(9)}  ${'cpu'.padStart(9)}  ${'gc'.padStart(9)}  throughput`,
  );
  out.push(line);
  for (const r of rows) {
    const cpu = r.cpu === undefined ? '-' : seconds(r.cpu);
    const gc = r.windows.length === 0 ? '-' : seconds(gcSeconds(r.windows));
    out.push(
      `${r.id.padEnd(w.id)}  ${r.what.padEnd(w.what)}  ${r.size.padStart(w.size)}  ${seconds(r.seconds).padStart(9)}  ${cpu.padStart(9)}  ${gc.padStart(9)}  ${r.throughput}`,
    );
  }
  out.push(line, 'Baselines (same process, same data):', ...comparisons.map((c) => `  ${c}`));
  out.push(line, 'Aims:', ...aims.map((a) => `  ${a}`));
  if (notes.length > 0) out.push(line, 'Notes:', ...notes.map((n) => `  - ${n}`));
  out.push(line, '');
  process.stdout.write(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Event data. Shapes are typed with the domain's event types, so they match the io-ts codecs the
// projections and deciders decode with (a mismatch would fail type-checking, then decoding).

type IdentityEvent = UserEvent | EnvEvent | TeamEvent;

const ACTOR = randomUUID();
const metadataNow = (): EventMetadata => {
  const correlationId = randomUUID();
  return { actorId: ACTOR, correlationId, causationId: correlationId, time: new Date().toISOString() };
};
const toNew = (event: IdentityEvent, metadata: EventMetadata, newId: () => string = randomUUID): NewEvent => ({
  id: newId(),
  type: event.type,
  data: event.data,
  metadata,
});

let v7Time = 0;
let v7Sequence = 0;
/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond time, then a 12-bit sequence within the millisecond,
 * then random bits. Ids made one after another sort in that order, unlike random v4 ids.
 */
function uuidV7(): string {
  const now = Date.now();
  v7Sequence = now === v7Time ? (v7Sequence + 1) & 0xfff : 0;
  v7Time = now;
  const time = now.toString(16).padStart(12, '0');
  const random = randomBytes(8);
  random[0] = ((random[0] ?? 0) & 0x3f) | 0x80;
  const tail = random.toString('hex');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${v7Sequence.toString(16).padStart(3, '0')}-${tail.slice(0, 4)}-${tail.slice(4, 16)}`;
}

/** The row shape of sections 1 and 2: a member joining a team, as handleCommand would append it. */
const memberAdded = (teamId: string, envId: string, newId: () => string = randomUUID): NewEvent =>
  toNew({ type: 'TeamMemberAdded', data: { teamId, envId, userId: randomUUID(), role: 'member' } }, metadataNow(), newId);

/** Deterministic PRNG (mulberry32), so every run writes the same mix of events. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface LogBatch {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
}

/**
 * A realistic identity log of exactly `total` events, each batch one append to a fresh stream:
 * first 100 users and 10 envs, then teams and more users mixed so that any prefix looks like the
 * whole. A user stream is one append of USER_HISTORY events (registered, then a lifetime of
 * logouts, env switches, password changes and resets, service tokens, (de)activations, email
 * changes, see userBatch); a team stream is one append
 * of 100 events (created, then ~60% members added, ~15% removed, ~10% role changes, the rest
 * renames; 2% end deleted). About 20% of the events are user events. Whole histories in one
 * append keep the write fast; readers and projections see the same events either way.
 */
function* identityLog(total: number, seed = 42): Generator<LogBatch> {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => {
    const item = list[Math.floor(random() * list.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  };
  const hash = (): string =>
    `$argon2id$v=19$m=65536,t=3,p=4$${Math.floor(random() * 2 ** 52)
      .toString(36)
      .padEnd(22, 'x')}$${'h'.repeat(43)}`;
  const secret = (): string =>
    Math.floor(random() * 2 ** 52)
      .toString(16)
      .padStart(64, '0');
  const users: string[] = [];
  const envs: string[] = [];
  let written = 0;
  let userEvents = 0;
  let teamCount = 0;
  let clock = Date.parse('2024-01-01T00:00:00Z');

  const batch = (streamId: string, events: readonly IdentityEvent[]): LogBatch => {
    const correlationId = randomUUID();
    clock += 1_000;
    const metadata: EventMetadata = {
      actorId: users[0] ?? ACTOR,
      correlationId,
      causationId: correlationId,
      time: new Date(clock).toISOString(),
    };
    written += events.length;
    return { streamId, events: events.map((e) => toNew(e, metadata)) };
  };

  const userBatch = (size: number): LogBatch => {
    const userId = randomUUID();
    const n = users.length;
    let email = `user${n}@example.com`;
    let active = true;
    let verified = false;
    let superuser = n === 0;
    const serviceTokens: { tokenId: string; expiresAt: string | null }[] = [];
    const later = (hours: number): string => new Date(clock + hours * 3_600_000).toISOString();
    const events: UserEvent[] = [
      { type: 'UserRegistered', data: { userId, email, passwordHash: hash(), isActive: true, isSuperuser: superuser, isVerified: false } },
    ];
    // A lifetime: verified early, many logouts (revoked session tokens), env switches, some
    // password changes and resets, service tokens issued and withdrawn, the odd email change.
    while (events.length < size) {
      const r = random();
      if (!verified && (events.length === 1 ? r < 0.9 : r < 0.05)) {
        verified = true;
        events.push({ type: 'UserVerified', data: { userId } });
      } else if (r < 0.35) events.push({ type: 'UserTokenRevoked', data: { userId, tokenId: randomUUID(), expiresAt: later(1) } });
      else if (r < 0.5) events.push({ type: 'UserActiveEnvSet', data: { userId, envId: envs.length > 0 && r < 0.48 ? pick(envs) : null } });
      else if (r < 0.58) events.push({ type: 'UserPasswordChanged', data: { userId, passwordHash: hash() } });
      else if (r < 0.66 && events.length + 2 <= size) {
        const tokenHash = secret();
        events.push({ type: 'UserPasswordResetRequested', data: { userId, tokenHash, expiresAt: later(1) } });
        events.push({ type: 'UserPasswordReset', data: { userId, tokenHash, passwordHash: hash() } });
      } else if (r < 0.72) {
        const token = { tokenId: randomUUID(), expiresAt: r < 0.7 ? later(24 * 90) : null };
        serviceTokens.push(token);
        events.push({ type: 'UserServiceTokenIssued', data: { userId, ...token, name: `token ${serviceTokens.length}` } });
      } else if (r < 0.76 && serviceTokens.length > 0) {
        const token = serviceTokens.shift();
        if (token !== undefined) events.push({ type: 'UserTokenRevoked', data: { userId, ...token } });
      } else if (r < 0.86) {
        events.push(active ? { type: 'UserDeactivated', data: { userId } } : { type: 'UserActivated', data: { userId } });
        active = !active;
      } else if (r < 0.97) {
        const previousEmail = email;
        email = `user${n}.${events.length}@example.com`;
        events.push({ type: 'UserEmailChanged', data: { userId, email, previousEmail } });
      } else {
        superuser = !superuser;
        events.push({ type: 'UserSuperuserSet', data: { userId, isSuperuser: superuser } });
      }
    }
    users.push(userId);
    userEvents += events.length;
    return batch(userStream(userId), events);
  };

  const envBatch = (): LogBatch => {
    const envId = randomUUID();
    const useRetention = envs.length % 2 === 0;
    envs.push(envId);
    const event: EnvEvent = {
      type: 'EnvCreated',
      data: {
        envId,
        ownerId: pick(users),
        name: `env-${envs.length}`,
        description: useRetention ? 'Environment with retention' : null,
        useRetention,
        retentionConfiguration: useRetention ? { retention_ms: 604_800_000, retention_bytes: null } : null,
      },
    };
    return batch(envStream(envId), [event]);
  };

  const teamBatch = (size: number): LogBatch => {
    const teamId = randomUUID();
    const envId = pick(envs);
    const ownerId = pick(users);
    const number = teamCount++;
    let name = `Team ${number}`;
    const roles = new Map<string, TeamRole>([[ownerId, 'owner']]);
    const memberIds = [ownerId];
    const events: TeamEvent[] = [
      { type: 'TeamCreated', data: { teamId, envId, ownerId, name, description: random() < 0.5 ? 'A team of the benchmark' : null } },
    ];
    const deleted = size === BATCH_SIZE && random() < 0.02;
    while (events.length < (deleted ? size - 1 : size)) {
      const r = random();
      if (r < 0.6) {
        const userId = pick(users);
        if (!roles.has(userId)) {
          const role: TeamRole = random() < 0.1 ? 'owner' : 'member';
          roles.set(userId, role);
          memberIds.push(userId);
          events.push({ type: 'TeamMemberAdded', data: { teamId, envId, userId, role } });
          continue;
        }
      } else if (r < 0.75) {
        const userId = pick(memberIds);
        // Only plain members leave, so the creator always remains as an owner.
        if (roles.get(userId) === 'member') {
          roles.delete(userId);
          memberIds.splice(memberIds.indexOf(userId), 1);
          events.push({ type: 'TeamMemberRemoved', data: { teamId, envId, userId } });
          continue;
        }
      } else if (r < 0.85) {
        const userId = pick(memberIds);
        if (userId !== ownerId) {
          const role: TeamRole = roles.get(userId) === 'owner' ? 'member' : 'owner';
          roles.set(userId, role);
          events.push({ type: 'TeamMemberRoleChanged', data: { teamId, envId, userId, role } });
          continue;
        }
      }
      // A rename; also when the membership change drawn above did not apply.
      const previousName = name;
      name = `Team ${number} v${events.length}`;
      events.push({ type: 'TeamUpdated', data: { teamId, envId, previousName, name } });
    }
    if (deleted) events.push({ type: 'TeamDeleted', data: { teamId, envId, name, memberIds: [...roles.keys()] } });
    return batch(teamStream(teamId), events);
  };

  while (written < total) {
    const left = total - written;
    if (users.length < 100 || userEvents < 0.2 * written) yield userBatch(Math.min(USER_HISTORY, left));
    else if (envs.length < 10) yield envBatch();
    else yield teamBatch(Math.min(BATCH_SIZE, left));
  }
}

interface LogWritten {
  readonly events: number;
  readonly appends: number;
  /** Time in store.append only, not in generating the events. */
  readonly appending: Measured;
  readonly wallSeconds: number;
  readonly types: ReadonlyMap<string, number>;
}

async function writeIdentityLog(store: EventStore, total: number): Promise<LogWritten> {
  let events = 0;
  let appends = 0;
  let appending = ZERO;
  const types = new Map<string, number>();
  const { seconds: wallSeconds } = await timed(async () => {
    for (const { streamId, events: batch } of identityLog(total)) {
      const stop = startClock();
      await store.append(streamId, batch, 'no_stream');
      appending = plus(appending, stop());
      appends++;
      events += batch.length;
      for (const e of batch) types.set(e.type, (types.get(e.type) ?? 0) + 1);
      if (appends % 5_000 === 0) progress(`  log: ${int(events)} / ${int(total)} events`);
    }
  });
  return { events, appends, appending, wallSeconds, types };
}

// ---------------------------------------------------------------------------------------------
// Bare better-sqlite3: the adapter's schema, pragmas and statements without the adapter.

type Synchronous = 'full' | 'normal';

function bareDatabase(file: string, synchronous: Synchronous = 'full'): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 10000');
  db.exec(EVENTS_SCHEMA);
  db.defaultSafeIntegers(true);
  return db;
}

interface Append {
  readonly streamId: string;
  /** Revision of the first event of the batch. */
  readonly first: bigint;
  readonly events: readonly NewEvent[];
}

/** Plain INSERTs, one transaction per append, nothing read: the floor of what an append can cost. */
function bareAppender(file: string, synchronous: Synchronous): { readonly append: (a: Append) => void; readonly close: () => void } {
  const db = bareDatabase(file, synchronous);
  const insert = db.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const tx = db.transaction((a: Append) => {
    let revision = a.first;
    for (const e of a.events) insert.run(e.id, a.streamId, revision++, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata));
  });
  return { append: (a) => tx.immediate(a), close: () => db.close() };
}

/**
 * The same appends through the adapter (into `store`) and bare (into a fresh file), alternating
 * in ROUNDS chunks, the side that goes first switching each round.
 */
async function appendBoth(
  store: EventStore,
  bareFile: string,
  appends: readonly Append[],
  synchronous: Synchronous = 'full',
): Promise<{ readonly adapter: Measured; readonly bare: Measured }> {
  const bare = bareAppender(bareFile, synchronous);
  let adapter = ZERO;
  let baseline = ZERO;
  try {
    const chunk = Math.ceil(appends.length / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const part = appends.slice(round * chunk, (round + 1) * chunk);
      const viaAdapter = async (): Promise<void> => {
        const stop = startClock();
        for (const a of part) await store.append(a.streamId, a.events, a.first === 0n ? 'no_stream' : a.first - 1n);
        adapter = plus(adapter, stop());
      };
      const viaBare = (): void => {
        const stop = startClock();
        for (const a of part) bare.append(a);
        baseline = plus(baseline, stop());
      };
      if (round % 2 === 0) {
        await viaAdapter();
        viaBare();
      } else {
        viaBare();
        await viaAdapter();
      }
    }
  } finally {
    bare.close();
  }
  return { adapter, bare: baseline };
}

/** Adapter vs bare line for an append measurement. */
function compareAppends(id: string, what: string, events: number, m: { adapter: Measured; bare: Measured }): number {
  const rate = events / m.adapter.seconds;
  compare(id, what, rate, events / m.bare.seconds, 'adapter / bare', {
    unit: 'event',
    value: m.adapter.cpu / events,
    base: m.bare.cpu / events,
  });
  return rate;
}

interface BareRow {
  position: bigint;
  id: string;
  stream_id: string;
  revision: bigint;
  type: string;
  data: string;
  metadata: string;
}

/** The readAll query with JSON.parse of data and metadata, without the adapter's io-ts checks. */
function bareScan(file: string): Measured & { readonly events: number } {
  const db = bareDatabase(file);
  const page = db.prepare<[bigint, number], BareRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
  let after = 0n;
  let events = 0;
  const stop = startClock();
  for (;;) {
    const recorded = page.all(after, PAGE).map((r) => ({
      id: r.id,
      type: r.type,
      // Parsed into unknown on purpose: the point is to cost the parse, not to use the values.
      data: JSON.parse(r.data) as unknown,
      metadata: JSON.parse(r.metadata) as unknown,
      streamId: r.stream_id,
      revision: r.revision,
      position: r.position,
    }));
    const last = recorded[recorded.length - 1];
    if (last === undefined) break;
    events += recorded.length;
    after = last.position;
  }
  const measured = stop();
  db.close();
  return { events, ...measured };
}

// ---------------------------------------------------------------------------------------------
// Sections

/** `appends` batches of `size` events over `streams` streams, each stream growing by one batch per round. */
function growingStreams(appends: number, size: number, streams: number, newId: () => string = randomUUID): Append[] {
  const envId = randomUUID();
  const teamIds = Array.from({ length: streams }, () => randomUUID());
  return Array.from({ length: appends }, (_, i) => {
    const teamId = teamIds[i % streams] ?? '';
    const first = BigInt(Math.floor(i / streams) * size);
    return { streamId: teamStream(teamId), first, events: Array.from({ length: size }, () => memberAdded(teamId, envId, newId)) };
  });
}

/**
 * Each comparison starts from two empty files (the adapter's and the bare one): the cost of an
 * insert grows with the size of the table's indexes, so both sides must hold the same rows.
 */
async function appendSections(dir: string): Promise<void> {
  let files = 0;
  const compareOn = async (appends: readonly Append[], synchronous: Synchronous = 'full') => {
    const n = files++;
    const store = sqliteEventStore(join(dir, `appends-${n}.db`), { synchronous });
    try {
      return await appendBoth(store, join(dir, `bare-${n}.db`), appends, synchronous);
    } finally {
      await store.close();
    }
  };

  progress('1. single-event appends');
  // 1a: each append creates its stream.
  const a = await compareOn(growingStreams(ONE_EVENT_APPENDS, 1, ONE_EVENT_APPENDS));
  record('1a', 'append 1 event, each to a new stream (no_stream)', ONE_EVENT_APPENDS, 'appends', a.adapter, '(= events/s)');
  compareAppends('1a', '1-event append vs INSERT 1 row per transaction', ONE_EVENT_APPENDS, a);

  // 1b: a few streams, each append with the exact expected revision (as handleCommand does).
  const b = await compareOn(growingStreams(ONE_EVENT_APPENDS, 1, EXACT_STREAMS));
  record(
    '1b',
    `append 1 event to ${EXACT_STREAMS} streams, exact expected revision`,
    ONE_EVENT_APPENDS,
    'appends',
    b.adapter,
    '(= events/s)',
  );
  compareAppends('1b', '1-event append, exact revision, vs INSERT 1 row per transaction', ONE_EVENT_APPENDS, b);

  progress('2. batch appends');
  const events2 = BATCH_APPENDS * BATCH_SIZE;
  const batchLine = (id: string, what: string, m: { adapter: Measured }, appends: number): void => {
    record(id, what, appends * (events2 / BATCH_APPENDS), 'events', m.adapter, `(${int(appends / m.adapter.seconds)} appends/s)`);
  };
  // 2a: 100-event batches, each stream growing by BATCH_APPENDS / BATCH_STREAMS appends.
  const c = await compareOn(growingStreams(BATCH_APPENDS, BATCH_SIZE, BATCH_STREAMS));
  batchLine('2a', `append ${BATCH_SIZE}-event batches, ${BATCH_STREAMS} streams, exact revision`, c, BATCH_APPENDS);
  const rate2a = compareAppends('2a', `${BATCH_SIZE}-event append vs INSERT ${BATCH_SIZE} rows per transaction`, events2, c);
  aim(`append, ${BATCH_SIZE}-event batches (2a)`, rate2a, AIM_BATCH_APPEND);

  // 2b: 1000-event batches, each to a new stream.
  const d = await compareOn(growingStreams(BIG_BATCH_APPENDS, BIG_BATCH_SIZE, BIG_BATCH_APPENDS));
  const events2b = BIG_BATCH_APPENDS * BIG_BATCH_SIZE;
  record(
    '2b',
    `append ${BIG_BATCH_SIZE}-event batches, each to a new stream`,
    events2b,
    'events',
    d.adapter,
    `(${int(BIG_BATCH_APPENDS / d.adapter.seconds)} appends/s)`,
  );
  compareAppends('2b', `${BIG_BATCH_SIZE}-event append vs INSERT ${BIG_BATCH_SIZE} rows per transaction`, events2b, d);

  // 2c: as 2a with the adapter's `synchronous: 'normal'` option (POPSINK_SQLITE_SYNCHRONOUS):
  // one fsync per WAL checkpoint instead of one per append.
  const e = await compareOn(growingStreams(BATCH_APPENDS, BATCH_SIZE, BATCH_STREAMS), 'normal');
  batchLine('2c', `as 2a, synchronous: 'normal' (durable on kill, not on power loss)`, e, BATCH_APPENDS);
  const rate2c = compareAppends('2c', `${BATCH_SIZE}-event append vs INSERT ${BATCH_SIZE} rows per tx, both NORMAL`, events2, e);
  aim(`append, ${BATCH_SIZE}-event batches, synchronous normal (2c)`, rate2c, AIM_BATCH_APPEND);

  // 2d: as 2a with time-ordered event ids. The UNIQUE index on random v4 ids takes each new
  // id to a random leaf page, so an append dirties about one index page per event once the
  // index outgrows the cache; UUIDv7 ids all land on the index's last page.
  const f = await compareOn(growingStreams(BATCH_APPENDS, BATCH_SIZE, BATCH_STREAMS, uuidV7));
  batchLine('2d', 'as 2a, event ids UUIDv7 (time-ordered) instead of v4', f, BATCH_APPENDS);
  const rate2d = compareAppends('2d', `${BATCH_SIZE}-event append vs INSERT ${BATCH_SIZE} rows per tx, both v7 ids`, events2, f);
  compare('2d', 'UUIDv7 ids vs random v4 ids, adapter, 100-event batches (2a)', rate2d, rate2a, 'v7 / v4');
}

function expectRight<T>(what: string, outcome: Either<DomainError, T>): T {
  if (isLeft(outcome)) throw new Error(`${what} refused: ${JSON.stringify(outcome.left)}`);
  return outcome.right;
}

async function commandSections(dir: string): Promise<void> {
  progress('3. command round trips');
  const store = sqliteEventStore(join(dir, 'commands.db'));
  const deps: CommandDeps = { store, newId: randomUUID, now: () => new Date(), upcasters: EVENT_UPCASTERS };
  const context: CommandContext = { actorId: ACTOR, correlationId: randomUUID() };
  const envId = randomUUID();
  try {
    // 3a: AddMembers (one new member each) round-robin over a set of teams: every stream grows
    // from 1 to 1 + ADD_MEMBER_COMMANDS / ADD_MEMBER_TEAMS events, so later commands fold more.
    const teamIds = Array.from({ length: ADD_MEMBER_TEAMS }, () => randomUUID());
    for (const [i, teamId] of teamIds.entries()) {
      const command = { type: 'CreateTeam', teamId, envId, ownerId: ACTOR, name: `Plain ${i}`, description: null } as const;
      expectRight('CreateTeam', await handleCommand(deps, teamDecider, teamStream(teamId), command, context));
    }
    const a = await timed(async () => {
      for (let i = 0; i < ADD_MEMBER_COMMANDS; i++) {
        const teamId = teamIds[i % ADD_MEMBER_TEAMS] ?? '';
        const command = { type: 'AddMembers', members: [{ userId: randomUUID(), role: 'member' }] } as const;
        expectRight('AddMembers', await handleCommand(deps, teamDecider, teamStream(teamId), command, context));
      }
    });
    const finalLength = 1 + ADD_MEMBER_COMMANDS / ADD_MEMBER_TEAMS;
    const rate3a = record(
      '3a',
      `handleCommand AddMembers, ${ADD_MEMBER_TEAMS} teams growing 1→${finalLength} events`,
      ADD_MEMBER_COMMANDS,
      'commands',
      a,
      '(1 read + 1 append each)',
    );

    // 3b: CreateTeam through the keyed path: read the team, claim the name (read + append a
    // reservation stream), then read + append the team.
    const keyed = Array.from({ length: KEYED_CREATES }, () => randomUUID());
    const b = await timed(async () => {
      for (const [i, teamId] of keyed.entries()) {
        const command = { type: 'CreateTeam', teamId, envId, ownerId: ACTOR, name: `Keyed ${i}`, description: null } as const;
        expectRight('keyed CreateTeam', await handleKeyedCommand(deps, context, teams, teamId, command));
      }
    });
    const rate3b = record(
      '3b',
      'handleKeyedCommand CreateTeam (name reservation)',
      KEYED_CREATES,
      'commands',
      b,
      `(${int((2 * KEYED_CREATES) / b.seconds)} appends/s, 3 reads + 2 appends each)`,
    );

    // 3c: UpdateTeam renames through the keyed path: claim the new name, update, release the old.
    const c = await timed(async () => {
      for (let i = 0; i < KEYED_RENAMES; i++) {
        const teamId = keyed[i % KEYED_CREATES] ?? '';
        const command = { type: 'UpdateTeam', name: `Renamed ${i}` } as const;
        expectRight('keyed UpdateTeam', await handleKeyedCommand(deps, context, teams, teamId, command));
      }
    });
    record(
      '3c',
      'handleKeyedCommand UpdateTeam rename (claim + release)',
      KEYED_RENAMES,
      'commands',
      c,
      `(${int((3 * KEYED_RENAMES) / c.seconds)} appends/s, 4 reads + 3 appends each)`,
    );

    const single = ONE_EVENT_APPENDS / (rows.find((r) => r.id === '1b')?.seconds ?? Number.NaN);
    compare('3a', 'AddMembers round trip vs 1-event exact-revision append (1b)', rate3a, single, 'command / append');
    compare('3b', 'keyed CreateTeam vs 1-event exact-revision append (1b)', rate3b, single, 'command / append');
  } finally {
    await store.close();
  }
}

async function catchUpSections(store: EventStore, file: string, total: number): Promise<void> {
  progress('4. catch-up reads');
  const head = await store.headPosition();
  if (head === undefined) throw new Error('empty log');

  const scan = await timed(async () => {
    let from: StartFrom = 'start';
    let events = 0;
    for (;;) {
      const page = await store.readAll(from, PAGE);
      const last = page[page.length - 1];
      if (last === undefined) return events;
      events += page.length;
      from = { after: last.position };
    }
  });
  if (scan.value !== total) throw new Error(`readAll returned ${scan.value} events, the log has ${total}`);
  const rate4a = record('4a', `readAll, pages of ${PAGE}, whole log`, scan.value, 'events', scan);
  const bare = bareScan(file);
  compare('4a', `readAll vs SELECT page + JSON.parse (no io-ts checks)`, rate4a, bare.events / bare.seconds);

  const sub = await timed(async () => {
    let events = 0;
    const reached = deferred();
    const subscription = store.subscribeToAll('start', async (batch) => {
      events += batch.length;
      const last = batch[batch.length - 1];
      if (last !== undefined && last.position >= head) reached.resolve();
    });
    try {
      await Promise.race([reached.promise, subscription.done.then(() => Promise.reject(new Error('subscription ended before the head')))]);
    } finally {
      await subscription.stop();
    }
    return events;
  });
  record('4b', 'subscribeToAll from start until the head', sub.value, 'events', sub);
}

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve: () => resolve() };
}

/** Document counts of the read models, to check a rebuild and show its size. */
async function docCounts(readStore: ReadStore): Promise<string> {
  // countBy over a low-cardinality field: the memory store's find() would sort a whole collection to count it.
  const grouped = async (collection: string, field: string): Promise<number> =>
    Object.values(await readStore.countBy(collection, field)).reduce((sum, n) => sum + n, 0);
  const found = async (collection: string): Promise<number> => (await readStore.find(collection, { limit: 0 })).total;
  const counts: [string, number][] = [
    [USERS, await grouped(USERS, 'is_active')],
    [CREDENTIALS, await found(CREDENTIALS)],
    [SERVICE_TOKENS, await found(SERVICE_TOKENS)],
    [REVOKED_TOKENS, await found(REVOKED_TOKENS)],
    [ENVS, await grouped(ENVS, 'owner_id')],
    [TEAMS, await grouped(TEAMS, 'env_id')],
    [TEAM_MEMBERS, await grouped(TEAM_MEMBERS, 'role')],
    [USER_LOGS, await grouped(USER_LOGS, 'event_type')],
  ];
  return counts.map(([name, n]) => `${name} ${int(n)}`).join(', ');
}

interface Rebuilt extends Measured {
  /** Events applied when the measurement ended (all of them unless it timed out). */
  readonly events: number;
  readonly complete: boolean;
}

/** startProjectionRunner on a fresh read store, then waitFor(head): wall time of the whole rebuild. */
async function rebuild(store: EventStore, readStore: ReadStore, timeoutMs: number): Promise<Rebuilt> {
  const head = await store.headPosition();
  if (head === undefined) throw new Error('empty log');
  const failed = deferred();
  let failure: unknown;
  const elapsed = startClock();
  const runner = await startProjectionRunner({
    store,
    readStore,
    projections: allProjections,
    upcasters: EVENT_UPCASTERS,
    checkpointName: 'bench',
    // The runner would retry forever with back-off; a benchmark must fail instead.
    onError: (error) => {
      failure ??= error;
      failed.resolve();
    },
  });
  try {
    await Promise.race([runner.waitFor(head, timeoutMs), failed.promise]);
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
    return { events: Number(head), ...elapsed(), complete: true };
  } catch (error) {
    if (!(error instanceof ProjectionTimeoutError)) throw error;
    return { events: Number(runner.position() ?? 0n), ...elapsed(), complete: false };
  } finally {
    await runner.stop();
  }
}

async function embeddedRebuildSections(store: EventStore, total: number): Promise<void> {
  progress('5. projection rebuild, embedded read store');
  const readStore = memoryReadStore();
  // The longest time the event loop went without running a timer: I/O (an HTTP server in the
  // same process) waits as long. A ticker, since a loop blocked all along reports no delay sample.
  let lastTick = performance.now();
  let stall = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - lastTick);
    lastTick = now;
  }, 10);
  const rebuilt = await rebuild(store, readStore, 30 * 60_000);
  clearInterval(ticker);
  stall = Math.max(stall, performance.now() - lastTick);
  notes.push(
    `5a longest event-loop stall during the rebuild: ${seconds(stall / 1000)} of ${seconds(rebuilt.seconds)} (timers and I/O of this process wait that long)`,
  );
  if (!rebuilt.complete) throw new Error('embedded rebuild timed out');
  const rate5a = record('5a', 'rebuild: startProjectionRunner + waitFor(head), memory read store', rebuilt.events, 'events', rebuilt);
  notes.push(`5a read models after the rebuild: ${await docCounts(readStore)}`);
  await readStore.close();

  // The runner's work taken apart, page by page: read, decode + project (bare projectBatch), apply.
  const parts = memoryReadStore();
  let read = ZERO;
  let project = ZERO;
  let apply = ZERO;
  let events = 0;
  let ops = 0;
  let from: StartFrom = 'start';
  for (;;) {
    let stop = startClock();
    const page = await store.readAll(from, PAGE);
    read = plus(read, stop());
    const last = page[page.length - 1];
    if (last === undefined) break;
    stop = startClock();
    const writes = projectBatch(allProjections, EVENT_UPCASTERS, page);
    project = plus(project, stop());
    stop = startClock();
    await parts.apply(writes);
    apply = plus(apply, stop());
    events += page.length;
    ops += writes.length;
    from = { after: last.position };
  }
  await parts.close();
  if (events !== total) throw new Error(`projection parts saw ${events} events, the log has ${total}`);
  const rateProject = record('5b', 'bare projectBatch (decode + project, no store)', events, 'events', project, `(${int(ops)} write ops)`);
  record('5c', '  of which memory read store apply alone', events, 'events', apply);
  record('5d', '  of which readAll alone', events, 'events', read);
  const rateSum = record('5e', '  read + project + apply, sequential, no runner', events, 'events', plus(plus(read, project), apply));
  compare('5a', 'runner rebuild (memory) vs bare projectBatch', rate5a, rateProject, 'rebuild / bare');
  compare('5a', 'runner rebuild (memory) vs read+project+apply without runner', rate5a, rateSum, 'runner / parts');
  aim('projection rebuild, embedded read store (5a)', rate5a, AIM_REBUILD_EMBEDDED);
}

/** Sizes the MongoDB rebuild steps through, smallest first, while the time budget lasts. */
const MONGO_STEPS = [2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];

/**
 * The first `limit` events of a log, as a read-only log of its own, so a smaller rebuild needs no
 * second log. A fresh SQLite log numbers its events 1, 2, 3, ..., so these are the events at
 * positions ≤ limit; the identity log mixes its kinds of events evenly, so a prefix has the mix
 * of the whole. Subscriptions run the adapter's own polling loop over the clipped readAll.
 */
function prefixOf(store: EventStore, limit: bigint): EventStore {
  const readAll = async (from: StartFrom, n: number): Promise<RecordedEvent[]> => {
    if (from !== 'start' && from.after >= limit) return [];
    return (await store.readAll(from, n)).filter((e) => e.position <= limit);
  };
  return {
    append: () => Promise.reject(new Error('a log prefix is read-only')),
    readStream: async (streamId) => (await store.readStream(streamId)).filter((e) => e.position <= limit),
    readAll,
    subscribeToAll: (from, handler) => pollingSubscription({ from, readAll, handler, appended: new EventEmitter(), pollIntervalMs: 100 }),
    headPosition: async () => {
      const head = await store.headPosition();
      return head === undefined || head < limit ? head : limit;
    },
    close: async () => undefined,
  };
}

async function mongoSections(options: Options, log: EventStore, logEvents: number): Promise<void> {
  const url = options.mongoUrl;
  if (options.skipMongo || url === undefined) {
    notes.push(`MongoDB rebuild skipped (${options.skipMongo ? '--skip-mongo' : 'POPSINK_MONGO_URL not set'})`);
    return;
  }
  progress(`5f. projection rebuild into MongoDB at ${url}`);
  const budget = options.mongoBudgetSeconds;
  // Each rebuild gets its own database, dropped afterwards.
  const mongoRebuild = async (events: number, timeoutMs: number): Promise<Rebuilt & { counts: string }> => {
    const database = `popsink_bench_${process.pid}_${Date.now()}`;
    const readStore = await mongoReadStore(url, { database });
    try {
      const result = await rebuild(prefixOf(log, BigInt(events)), readStore, timeoutMs);
      return { ...result, counts: result.complete ? await docCounts(readStore) : 'incomplete' };
    } finally {
      await readStore.close();
      const client = new MongoClient(url);
      try {
        await client.connect();
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    }
  };

  // Rebuilds of growing prefixes, each into a fresh database, while the next one is predicted to
  // fit in what is left of the budget. The prediction extrapolates the last two runs (a rate that
  // falls with size, i.e. a cost growing faster than linearly, is extrapolated as such).
  const steps =
    options.mongoEvents !== undefined
      ? [Math.min(options.mongoEvents, logEvents)]
      : [...MONGO_STEPS.filter((n) => n < logEvents), logEvents];
  const done: { events: number; seconds: number }[] = [];
  let spent = 0;
  let last: (Rebuilt & { counts: string }) | undefined;
  for (const size of steps) {
    const previous = done[done.length - 1];
    const before = done[done.length - 2];
    if (previous !== undefined && options.mongoEvents === undefined) {
      const exponent =
        before === undefined ? 1 : Math.max(1, Math.log(previous.seconds / before.seconds) / Math.log(previous.events / before.events));
      const predicted = previous.seconds * (size / previous.events) ** exponent;
      if (spent + predicted > budget) {
        notes.push(
          `MongoDB rebuild stopped at ${int(previous.events)} of ${int(logEvents)} events: the next size (${int(size)}) was predicted to take ` +
            `~${int(predicted)} s (cost ∝ events^${exponent.toFixed(2)} from the last runs; the whole log ~${int(previous.seconds * (logEvents / previous.events) ** exponent)} s), ` +
            `over the ${budget} s budget (--mongo-budget SECONDS / --mongo-events N change it)`,
        );
        break;
      }
    }
    progress(`  MongoDB rebuild over the first ${int(size)} events`);
    const result = await mongoRebuild(size, Math.max(budget - spent, 60) * 1_000);
    spent += result.seconds;
    record(
      '5f',
      `rebuild into MongoDB (mongoReadStore), first ${int(size)} events${result.complete ? '' : ': TIMED OUT, partial'}`,
      result.events,
      'events',
      result,
    );
    if (!result.complete) break;
    done.push({ events: size, seconds: result.seconds });
    last = result;
  }
  if (last === undefined) return;
  const count = last.events;
  const rateMongo = count / last.seconds;
  // The same prefix into the memory store: a like-for-like ratio, and a check that both agree.
  const memory = memoryReadStore();
  const embedded = await rebuild(prefixOf(log, BigInt(count)), memory, 30 * 60_000);
  const memoryCounts = await docCounts(memory);
  await memory.close();
  compare(
    '5f',
    `MongoDB vs memory rebuild of the same first ${int(count)} events`,
    rateMongo,
    embedded.events / embedded.seconds,
    'mongo / memory',
  );
  notes.push(
    `read models in MongoDB after ${int(count)} events: ${last.counts}; memory store on the same events: ${memoryCounts}${last.counts === memoryCounts ? ' (match)' : ' (MISMATCH)'}`,
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const dir = mkdtempSync(join(tmpdir(), 'popsink-bench-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      cleanup();
      process.exit(code);
    });
  }
  const started = process.hrtime.bigint();
  const loadAtStart = loadavg()[0] ?? 0;
  try {
    await appendSections(dir);
    await commandSections(dir);

    progress(`writing the ${int(options.events)}-event identity log`);
    const logFile = join(dir, 'log.db');
    const log = sqliteEventStore(logFile);
    try {
      const written = await writeIdentityLog(log, options.events);
      record(
        'L',
        `identity log for 4/5: ${USER_HISTORY}-event user + ${BATCH_SIZE}-event team appends`,
        written.events,
        'events',
        written.appending,
        `(${int(written.appends / written.appending.seconds)} appends/s; ${seconds(written.wallSeconds)} with generation)`,
      );
      const mix = [...written.types.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([type, n]) => `${type} ${((100 * n) / written.events).toFixed(1)}%`);
      notes.push(`log mix (${int(written.appends)} streams): ${mix.join(', ')}`);

      await catchUpSections(log, logFile, written.events);
      await embeddedRebuildSections(log, written.events);
      // A server that is down or goes away must not cost the figures already measured.
      await mongoSections(options, log, written.events).catch((error: unknown) => {
        notes.push(`MongoDB rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    } finally {
      await log.close();
    }

    const total = Number(process.hrtime.bigint() - started) / 1e9;
    // Lets V8 deliver the last GC reports before they are summed.
    await new Promise((resolve) => setTimeout(resolve, 50));
    gcObserver.disconnect();
    printReport([
      `Popsink event store benchmark — embedded SQLite (WAL, synchronous=FULL) in ${tmpdir()}`,
      `node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs, log of ${int(options.events)} events, whole run ${total.toFixed(0)} s`,
      // Other processes on the machine skew every figure; the load average says how much there was.
      `load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${(loadavg()[0] ?? 0).toFixed(2)}; wall ≫ cpu on a line = waiting (fsync, server, other processes)`,
    ]);
  } finally {
    cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
