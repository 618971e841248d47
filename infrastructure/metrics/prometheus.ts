import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics through prom-client, one registry per composition root (never the global
 * one, so that two platforms in one process do not collide). Label values come from code
 * (route templates, status classes) or from ids the platform generated, never from what a
 * client sent.
 */
export type { Registry };

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** A registry with prom-client's default process and Node.js metrics. */
export function metricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export interface Sample<Label extends string> {
  readonly labels: Readonly<Record<Label, string>>;
  readonly value: number;
}

/**
 * A family whose samples are read on each scrape (from the read store, the event log, the
 * worker pool) rather than updated as things happen. Its series are the ones the last read
 * returned: a pipeline that is gone leaves no stale series behind.
 */
export function scrapedFamily<Label extends string>(
  registry: Registry,
  family: {
    readonly name: string;
    readonly help: string;
    readonly type: 'counter' | 'gauge';
    readonly labelNames: readonly Label[];
    readonly read: () => Promise<readonly Sample<Label>[]>;
  },
): void {
  const { name, help, labelNames, read } = family;
  // Read first, then replace the series in one synchronous step: a concurrent scrape never
  // sees a half-written family.
  if (family.type === 'counter') {
    new Counter<Label>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const samples = await read();
        this.reset();
        for (const { labels, value } of samples) this.inc(labels, value);
      },
    });
  } else {
    new Gauge<Label>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const samples = await read();
        this.reset();
        for (const { labels, value } of samples) this.set(labels, value);
      },
    });
  }
}

/**
 * The text exposition of every family. A family whose read fails is left out of that scrape
 * (its HELP and TYPE stay) and named by `popsink_metrics_collect_failed`, so that one
 * unreachable store does not blank the whole scrape.
 */
export async function exposition(registry: Registry): Promise<string> {
  const families = await Promise.all(
    registry.getMetricsAsArray().map(async ({ name, help, type }) => {
      try {
        return { name, text: await registry.getSingleMetricAsString(name), failed: false };
      } catch {
        return { name, text: `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`, failed: true };
      }
    }),
  );
  const failed = families.filter((family) => family.failed).map((family) => `popsink_metrics_collect_failed{metric="${family.name}"} 1`);
  return (
    [
      ...families.map((family) => family.text),
      '# HELP popsink_metrics_collect_failed 1 for a family that could not be read during this scrape (its samples are left out).',
      '# TYPE popsink_metrics_collect_failed gauge',
      ...failed,
    ].join('\n') + '\n'
  );
}

const escapeHelp = (text: string): string => text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
