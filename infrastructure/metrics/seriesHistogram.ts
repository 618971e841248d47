import type { Metric, Registry } from 'prom-client';

export interface HistogramSeries {
  observe(value: number): void;
}

export interface SeriesHistogram<Label extends string> {
  /** The series of these label values, made at its first use and kept. */
  series(labels: Readonly<Record<Label, string>>): HistogramSeries;
}

interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/**
 * A Prometheus histogram registered with prom-client, for a metric observed on every request:
 * prom-client's own `observe` validates and hashes the label object each time (a twentieth of an
 * authenticated read), here a series is found by its label values and an observation is a bucket
 * increment and two additions. The registry formats what `get` answers, so the exposition is a
 * histogram like prom-client's.
 */
export function seriesHistogram<Label extends string>(
  registry: Registry,
  options: { readonly name: string; readonly help: string; readonly labelNames: readonly Label[]; readonly buckets: readonly number[] },
): SeriesHistogram<Label> {
  const { name, help, labelNames, buckets } = options;
  interface Entry {
    readonly samples: () => Sample[];
    readonly series: HistogramSeries;
  }
  // A tree of maps, one level per label in `labelNames` order: finding a series allocates nothing.
  type Level = Map<string, Level | Entry>;
  let root: Level = new Map();
  const entries = (level: Level, depth: number): Entry[] =>
    [...level.values()].flatMap((child) => (depth === labelNames.length - 1 ? [child as Entry] : entries(child as Level, depth + 1)));

  const made = (labels: Readonly<Record<Label, string>>) => {
    /** Per upper bound, the observations at or under it and above the bound before. */
    const counts = buckets.map(() => 0);
    let sum = 0;
    let count = 0;
    const series: HistogramSeries = {
      observe(value) {
        const bucket = buckets.findIndex((bound) => value <= bound);
        if (bucket !== -1) counts[bucket] = (counts[bucket] ?? 0) + 1;
        sum += value;
        count += 1;
      },
    };
    const samples = (): Sample[] => {
      let cumulative = 0;
      return [
        ...buckets.map((bound, i) => {
          cumulative += counts[i] ?? 0;
          return { metricName: `${name}_bucket`, labels: { le: bound, ...labels }, value: cumulative };
        }),
        { metricName: `${name}_bucket`, labels: { le: '+Inf', ...labels }, value: count },
        { metricName: `${name}_sum`, labels, value: sum },
        { metricName: `${name}_count`, labels, value: count },
      ];
    };
    return { samples, series };
  };

  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: entries(root, 0).flatMap(({ samples }) => samples()) }),
    reset: () => {
      root = new Map();
    },
  };
  // The registry takes any metric with a name, help, type, `get` and `reset`; its type only names prom-client's classes.
  registry.registerMetric(metric as unknown as Metric);

  return {
    series(labels) {
      let level = root;
      for (let depth = 0; depth < labelNames.length - 1; depth += 1) {
        const value = labels[labelNames[depth] as Label];
        let next = level.get(value) as Level | undefined;
        if (next === undefined) {
          next = new Map();
          level.set(value, next);
        }
        level = next;
      }
      const last = labels[labelNames[labelNames.length - 1] as Label];
      let found = level.get(last) as Entry | undefined;
      if (found === undefined) {
        found = made({ ...labels });
        level.set(last, found);
      }
      return found.series;
    },
  };
}
