import test from 'ava';
import { Histogram, Registry } from 'prom-client';
import { seriesHistogram } from '../../infrastructure/metrics/seriesHistogram';

const BUCKETS = [0.005, 0.01, 0.1, 1];
const OBSERVED: readonly [string, string, number][] = [
  ['GET', '/api/teams/:id', 0.001],
  ['GET', '/api/teams/:id', 0.005],
  ['GET', '/api/teams/:id', 0.05],
  ['POST', '/api/teams', 2.5],
  ['GET', 'unmatched', 0.0099],
  ['GET', '/api/teams/:id', 1],
];

test('the exposition is the one prom-client writes for the same observations', async (t) => {
  const ours = new Registry();
  const durations = seriesHistogram(ours, { name: 'h_seconds', help: 'A histogram.', labelNames: ['method', 'route'], buckets: BUCKETS });
  const theirs = new Registry();
  const reference = new Histogram({
    name: 'h_seconds',
    help: 'A histogram.',
    labelNames: ['method', 'route'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  for (const [method, route, seconds] of OBSERVED) {
    durations.series({ method, route }).observe(seconds);
    reference.observe({ method, route }, seconds);
  }
  const lines = async (registry: Registry) => (await registry.metrics()).split('\n').sort();
  t.deepEqual(await lines(ours), await lines(theirs));
  t.true((await lines(ours)).includes('h_seconds_bucket{le="+Inf",method="GET",route="/api/teams/:id"} 4'));
});

test('a reset empties every series; a series used after it counts from zero', async (t) => {
  const registry = new Registry();
  const durations = seriesHistogram(registry, { name: 'r_seconds', help: 'A histogram.', labelNames: ['route'], buckets: BUCKETS });
  durations.series({ route: '/a' }).observe(0.002);
  registry.resetMetrics();
  t.false((await registry.metrics()).includes('r_seconds_count'));
  durations.series({ route: '/a' }).observe(0.5);
  t.regex(await registry.metrics(), /r_seconds_count\{route="\/a"\} 1\n/);
  t.regex(await registry.metrics(), /r_seconds_sum\{route="\/a"\} 0\.5\n/);
});
