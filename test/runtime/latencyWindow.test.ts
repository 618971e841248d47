import test from 'ava';
import { latencyWindow } from '../../runtime/observability/latencyWindow';

/** A window on a clock the test moves. */
const windowAt = (options: { windowMs?: number; maxSamples?: number } = {}) => {
  const clock = { ms: 1_000_000 };
  return { clock, window: latencyWindow({ ...options, now: () => clock.ms }) };
};

test('before any sample: count 0 and null percentiles', (t) => {
  t.deepEqual(windowAt().window.summary(), { window_s: 60, count: 0, p50_ms: null, p95_ms: null, p99_ms: null, max_ms: null });
});

test('percentiles are exact nearest ranks over the samples, whatever their order', (t) => {
  const { window } = windowAt();
  const samples = Array.from({ length: 100 }, (_, i) => i + 1).reverse();
  for (const ms of samples) window.record(ms);
  t.deepEqual(window.summary(), { window_s: 60, count: 100, p50_ms: 50, p95_ms: 95, p99_ms: 99, max_ms: 100 });
});

test('one sample is every percentile', (t) => {
  const { window } = windowAt();
  window.record(42);
  t.like(window.summary(), { count: 1, p50_ms: 42, p95_ms: 42, p99_ms: 42, max_ms: 42 });
});

test('samples older than the window are dropped', (t) => {
  const { clock, window } = windowAt({ windowMs: 10_000 });
  window.record(900);
  clock.ms += 6_000;
  window.record(10);
  t.like(window.summary(), { window_s: 10, count: 2, max_ms: 900 });
  clock.ms += 5_000;
  t.like(window.summary(), { count: 1, p50_ms: 10, max_ms: 10 });
  clock.ms += 10_000;
  t.like(window.summary(), { count: 0, p50_ms: null, max_ms: null });
});

test('a sample may carry its own time', (t) => {
  const { clock, window } = windowAt({ windowMs: 1_000 });
  window.record(7, clock.ms - 5_000);
  window.record(3, clock.ms);
  t.like(window.summary(), { count: 1, max_ms: 3 });
});

test('past maxSamples the oldest go first', (t) => {
  const { window } = windowAt({ maxSamples: 3 });
  for (const ms of [1000, 1, 2, 3]) window.record(ms);
  t.like(window.summary(), { count: 3, p50_ms: 2, max_ms: 3 });
  for (const ms of [4, 5, 6, 7]) window.record(ms);
  t.like(window.summary(), { count: 3, p50_ms: 6, max_ms: 7 });
});

test('negative latencies (clock skew) count as zero; non-finite ones are ignored', (t) => {
  const { window } = windowAt();
  window.record(-5);
  window.record(Number.NaN);
  window.record(Number.POSITIVE_INFINITY);
  t.like(window.summary(), { count: 1, p50_ms: 0, max_ms: 0 });
});
