import type { LatencySummary } from './workerReport';

export const DEFAULT_LATENCY_WINDOW_MS = 60_000;

export interface LatencyWindow {
  record(latencyMs: number, atMs?: number): void;
  summary(): LatencySummary;
}

export interface LatencyWindowOptions {
  readonly windowMs?: number;
  /** Past this many samples in the window the oldest go first: a burst costs bounded memory. */
  readonly maxSamples?: number;
  readonly now?: () => number;
}

/**
 * Latency percentiles over the last `windowMs`. Samples sit in a fixed ring, and percentiles are
 * exact (nearest rank) over a sorted copy taken at summary time: summaries (about one a second)
 * are far rarer than samples, so sorting then is cheaper than keeping an ordered structure.
 */
export function latencyWindow({
  windowMs = DEFAULT_LATENCY_WINDOW_MS,
  maxSamples = 50_000,
  now = Date.now,
}: LatencyWindowOptions = {}): LatencyWindow {
  const values = new Float64Array(maxSamples);
  const times = new Float64Array(maxSamples);
  let oldest = 0;
  let size = 0;

  const dropOldest = (): void => {
    oldest = (oldest + 1) % maxSamples;
    size--;
  };

  return {
    record(latencyMs, atMs = now()) {
      if (!Number.isFinite(latencyMs)) return;
      if (size === maxSamples) dropOldest();
      const slot = (oldest + size) % maxSamples;
      // A message stamped slightly ahead of this host's clock is a zero latency, not a negative one.
      values[slot] = Math.max(0, latencyMs);
      times[slot] = atMs;
      size++;
    },

    summary() {
      const cutoff = now() - windowMs;
      while (size > 0 && (times[oldest] ?? cutoff) < cutoff) dropOldest();
      const sorted = new Float64Array(size);
      for (let i = 0; i < size; i++) sorted[i] = values[(oldest + i) % maxSamples] ?? 0;
      sorted.sort();
      const rank = (fraction: number): number | null => (size === 0 ? null : (sorted[Math.ceil(fraction * size) - 1] ?? null));
      return { window_s: windowMs / 1000, count: size, p50_ms: rank(0.5), p95_ms: rank(0.95), p99_ms: rank(0.99), max_ms: rank(1) };
    },
  };
}
