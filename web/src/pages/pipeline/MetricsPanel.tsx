import { useEffect, useState } from 'react';
import { pipelineMetrics } from '../../api/pipelines';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useLoad } from '../../useLoad';
import { MetricsChart, type MetricsPoint } from './MetricsChart';

const POLL_MS = 2000;
/** Ten minutes of polls. */
const MAX_POINTS = 300;

interface Sample {
  readonly at: number;
  readonly messagesIn: number;
  readonly p95: number | null;
}

/**
 * Counters and latency of the pipeline's workers. The API answers the current figures; the
 * series over time are the polls of this page (throughput: messages read per second between two).
 */
export function MetricsPanel({ pipelineId }: { readonly pipelineId: string }) {
  const metrics = useLoad(() => pipelineMetrics(pipelineId), [pipelineId], { everyMs: POLL_MS });
  const [samples, setSamples] = useState<readonly Sample[]>([]);
  const data = metrics.data;

  useEffect(() => {
    if (data === undefined) return;
    setSamples((current) => [...current, { at: Date.now(), messagesIn: data.messages_in, p95: data.p95_ms }].slice(-MAX_POINTS));
  }, [data]);

  const latency: MetricsPoint[] = samples.map((sample) => ({ at: sample.at, value: sample.p95 }));
  const throughput: MetricsPoint[] = samples.slice(1).map((sample, index) => {
    const before = samples[index];
    const seconds = before === undefined ? 0 : (sample.at - before.at) / 1000;
    return {
      at: sample.at,
      value: before === undefined || seconds <= 0 ? null : Math.max(0, sample.messagesIn - before.messagesIn) / seconds,
    };
  });

  return (
    <section aria-labelledby="metrics-title" className="panel">
      <h2 id="metrics-title">Throughput and latency</h2>
      <ErrorNotice error={metrics.error} />
      {data === undefined ? null : (
        <dl className="figures">
          <div>
            <dt>Messages in</dt>
            <dd data-figure="messages-in">{data.messages_in}</dd>
          </div>
          <div>
            <dt>Messages out</dt>
            <dd data-figure="messages-out">{data.messages_out}</dd>
          </div>
          <div>
            <dt>Errors</dt>
            <dd>{data.errors}</dd>
          </div>
          <div>
            <dt>Lag</dt>
            <dd>{data.lag_total}</dd>
          </div>
          <div>
            <dt>Latency p95</dt>
            <dd>{data.p95_ms === null ? '—' : `${data.p95_ms} ms`}</dd>
          </div>
        </dl>
      )}
      <div className="charts">
        <MetricsChart title="Throughput" unit="messages/s" points={throughput} />
        <MetricsChart title="Latency p95" unit="ms" points={latency} />
      </div>
    </section>
  );
}
