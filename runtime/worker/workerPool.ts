import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { WorkerReport } from '../observability/workerReport';
import { PoolEvent, type PoolCommand, type ProcessStats } from './poolMessages';
import type { SpawnWorker, WorkerHandle } from './workerHandle';

/**
 * The runtime's worker processes: `processes` shared ones, each hosting the workers of many
 * subscriptions (placed on the least loaded), plus one process of its own for each quarantined
 * subscription. A process that dies ends only its own workers, which the supervisor restarts
 * (here: on a live process). A subscription whose worker crashed `quarantineAfter` times within
 * `quarantineWindowMs` is quarantined: from then on it runs alone, so that it can no longer take
 * its neighbours down, and the pipeline's log says so (WORKER_QUARANTINED).
 */

export interface WorkerPoolOptions {
  readonly processes: number;
  /** V8 heap cap of each process, in MB. */
  readonly maxOldSpaceMb: number;
  readonly quarantineAfter?: number;
  readonly quarantineWindowMs?: number;
  /** The module a process runs (poolProcess by default; tests give one hosting other workers). */
  readonly entry?: string;
}

export interface PoolProcessStatus {
  readonly pid: number | undefined;
  readonly shared: boolean;
  readonly workers: number;
  readonly stats: ProcessStats | undefined;
}

export interface WorkerPool {
  readonly spawn: SpawnWorker;
  /** Each live process: shared or a quarantine, its workers, its last stats. */
  status(): PoolProcessStatus[];
  readonly quarantined: () => readonly string[];
  close(): Promise<void>;
}

interface Hosted {
  readonly onReport: (report: WorkerReport) => void;
  readonly end: (outcome: { crashed: boolean; detail: string }) => void;
}

interface PoolProcess {
  readonly child: ChildProcess;
  readonly shared: boolean;
  readonly hosted: Map<string, Hosted>;
  stats: ProcessStats | undefined;
}

/**
 * From source, the entry is poolProcess.ts beside this file, run through tsx. Built (see
 * scripts/build.mjs), this code sits in a bundle at dist/'s top level and the entry is
 * dist/runtime/worker/poolProcess.js, which node runs bare.
 */
const FROM_SOURCE = extname(fileURLToPath(import.meta.url)) === '.ts';
const ENTRY = fileURLToPath(new URL(FROM_SOURCE ? './poolProcess.ts' : './runtime/worker/poolProcess.js', import.meta.url));
const loaderFor = (entry: string): string[] => (extname(entry) === '.ts' ? ['--import', import.meta.resolve('tsx')] : []);
const GRACE_MS = 30_000;

export function workerPool(options: WorkerPoolOptions): WorkerPool {
  const quarantineAfter = options.quarantineAfter ?? 3;
  const quarantineWindowMs = options.quarantineWindowMs ?? 600_000;
  const processes = new Set<PoolProcess>();
  const crashes = new Map<string, number[]>();
  const quarantined = new Set<string>();
  let closing = false;

  function launch(shared: boolean): PoolProcess {
    const entry = options.entry ?? ENTRY;
    const child = fork(entry, [], {
      execArgv: [...loaderFor(entry), `--max-old-space-size=${options.maxOldSpaceMb}`],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const pool: PoolProcess = { child, shared, hosted: new Map(), stats: undefined };
    processes.add(pool);
    child.on('message', (raw) => {
      const event = PoolEvent.decode(raw);
      if (isLeft(event)) return;
      const message = event.right;
      if (message.type === 'stats') pool.stats = message.stats;
      else if (message.type === 'report') pool.hosted.get(message.id)?.onReport(message.report);
      else pool.hosted.get(message.id)?.end(message);
    });
    // An IPC error (the child died mid-send) surfaces as its exit.
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      processes.delete(pool);
      const detail = `worker process ${String(child.pid)} ended (${signal === null ? `exit code ${String(code)}` : `signal ${signal}`})`;
      for (const hosted of [...pool.hosted.values()]) hosted.end({ crashed: !closing, detail });
    });
    return pool;
  }

  /** The least loaded shared process, a new one while there are fewer than `processes`. */
  function placeShared(): PoolProcess {
    const shared = [...processes].filter((pool) => pool.shared && pool.child.connected);
    if (shared.length < options.processes) return launch(true);
    return shared.reduce((least, pool) => (pool.hosted.size < least.hosted.size ? pool : least));
  }

  /** Counts a crash; answers whether the subscription crossed into quarantine with it. */
  function countCrash(id: string, at: number): boolean {
    const recent = [...(crashes.get(id) ?? []), at].filter((time) => at - time <= quarantineWindowMs);
    crashes.set(id, recent);
    if (recent.length < quarantineAfter || quarantined.has(id)) return false;
    quarantined.add(id);
    return true;
  }

  const spawn: SpawnWorker = (spec, onReport) => {
    const id = spec.subscriptionId;
    const pool = quarantined.has(id) ? launch(false) : placeShared();
    let resolveEnded: (outcome: { crashed: boolean; detail: string }) => void = () => undefined;
    const ended = new Promise<{ readonly crashed: boolean; readonly detail: string }>((resolve) => {
      resolveEnded = resolve;
    });
    let stopping = false;
    pool.hosted.set(id, {
      onReport,
      end: (outcome) => {
        if (pool.hosted.get(id)?.onReport !== onReport) return;
        pool.hosted.delete(id);
        const crashed = outcome.crashed && !stopping;
        if (crashed && countCrash(id, Date.now())) {
          onReport({
            type: 'log',
            level: 'error',
            message: `WORKER_QUARANTINED: the worker crashed ${quarantineAfter} times within ${Math.round(quarantineWindowMs / 1000)} s (last: ${outcome.detail}); it now runs in a process of its own`,
            ts: new Date().toISOString(),
          });
        }
        // A quarantine process serves one worker: it goes with it.
        if (!pool.shared) pool.child.kill('SIGTERM');
        resolveEnded({ crashed, detail: outcome.detail });
      },
    });
    const command: PoolCommand = { type: 'start', id, spec };
    pool.child.send(command);

    const handle: WorkerHandle = {
      ended,
      async stop() {
        stopping = true;
        if (!pool.hosted.has(id)) return;
        const stopCommand: PoolCommand = { type: 'stop', id };
        pool.child.send(stopCommand, () => undefined);
        // A worker that does not stop in time takes its process down with it: its neighbours restart elsewhere.
        const timer = setTimeout(() => pool.child.kill('SIGKILL'), GRACE_MS);
        await ended;
        clearTimeout(timer);
      },
    };
    return handle;
  };

  return {
    spawn,
    status: () =>
      [...processes].map((pool) => ({ pid: pool.child.pid, shared: pool.shared, workers: pool.hosted.size, stats: pool.stats })),
    quarantined: () => [...quarantined],
    async close() {
      closing = true;
      await Promise.all(
        [...processes].map(async (pool) => {
          if (pool.child.exitCode !== null || pool.child.signalCode !== null) return;
          const exited = new Promise((resolve) => pool.child.once('exit', resolve));
          pool.child.kill('SIGTERM');
          const timer = setTimeout(() => pool.child.kill('SIGKILL'), GRACE_MS);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}
