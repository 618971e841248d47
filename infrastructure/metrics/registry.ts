/**
 * A small Prometheus registry: counters and histograms updated as things happen, and collectors
 * that read a value on scrape (from the read store, the event log). `exposition` renders the
 * text format 0.0.4 that Prometheus scrapes. Label values come from code (route templates,
 * status classes) or from ids the platform generated, never from what a client sent.
 */

export type Labels = Readonly<Record<string, string>>;
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

/** An unlabelled counter, exposed from 0. */
export interface Counter {
  inc(by?: number): void;
}

export interface Histogram {
  observe(labels: Labels, value: number): void;
}

export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  /** A family read on each scrape; a collector that throws leaves its family out of that scrape. */
  collect(name: string, help: string, type: Exclude<MetricType, 'histogram'>, read: () => Promise<readonly Sample[]>): void;
  /** The Prometheus text exposition of every family. */
  exposition(): Promise<string>;
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
const escapeValue = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');

export const formatNumber = (value: number): string =>
  Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value);

const labelText = (labels: Labels | undefined): string => {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [label] of entries) if (!LABEL.test(label) || label.startsWith('__')) throw new Error(`invalid label name ${label}`);
  return `{${entries.map(([label, value]) => `${label}="${escapeValue(value)}"`).join(',')}}`;
};

/** One key per label set, independent of the order the labels were given in. */
const keyOf = (labels: Labels | undefined): string => JSON.stringify(Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  lines(): Promise<string[]>;
}

export function metricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();
  const register = (family: Family): void => {
    if (!NAME.test(family.name)) throw new Error(`invalid metric name ${family.name}`);
    if (families.has(family.name)) throw new Error(`metric ${family.name} registered twice`);
    families.set(family.name, family);
  };

  return {
    counter(name, help) {
      let value = 0;
      register({ name, help, type: 'counter', lines: async () => [`${name} ${formatNumber(value)}`] });
      return {
        inc(by = 1) {
          if (!(by >= 0)) throw new Error(`${name}: a counter only goes up`);
          value += by;
        },
      };
    },

    histogram(name, help, buckets) {
      const bounds = [...buckets].sort((a, b) => a - b);
      const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
      register({
        name,
        help,
        type: 'histogram',
        lines: async () =>
          [...series.values()].flatMap(({ labels, counts, sum, count }) => [
            ...bounds.map((bound, index) => `${name}_bucket${labelText({ ...labels, le: formatNumber(bound) })} ${counts[index] ?? 0}`),
            `${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`,
            `${name}_sum${labelText(labels)} ${formatNumber(sum)}`,
            `${name}_count${labelText(labels)} ${count}`,
          ]),
      });
      return {
        observe(labels, value) {
          const key = keyOf(labels);
          let entry = series.get(key);
          if (entry === undefined) {
            entry = { labels, counts: bounds.map(() => 0), sum: 0, count: 0 };
            series.set(key, entry);
          }
          // Buckets are cumulative: a value counts in every bucket whose bound it does not exceed.
          bounds.forEach((bound, index) => {
            if (value <= bound && entry !== undefined) entry.counts[index] = (entry.counts[index] ?? 0) + 1;
          });
          entry.sum += value;
          entry.count += 1;
        },
      };
    },

    collect(name, help, type, read) {
      register({ name, help, type, lines: async () => (await read()).map(({ labels, value }) => `${name}${labelText(labels)} ${formatNumber(value)}`) });
    },

    async exposition() {
      const rendered = await Promise.all(
        [...families.values()].map(async (family) => {
          const lines = await family.lines().catch(() => undefined);
          return lines === undefined ? { family, lines: [] as string[], failed: true } : { family, lines, failed: false };
        }),
      );
      const text = rendered.flatMap(({ family, lines }) => [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`, ...lines]);
      const failed = rendered.filter((entry) => entry.failed).map((entry) => entry.family.name);
      text.push('# HELP popsink_metrics_collect_failed 1 for a family that could not be read during this scrape (its samples are left out).');
      text.push('# TYPE popsink_metrics_collect_failed gauge');
      for (const name of failed) text.push(`popsink_metrics_collect_failed${labelText({ metric: name })} 1`);
      return `${text.join('\n')}\n`;
    },
  };
}
