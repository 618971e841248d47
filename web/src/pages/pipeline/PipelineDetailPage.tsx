import { useState } from 'react';
import { getPipeline, pausePipeline, startPipeline } from '../../api/pipelines';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StateBadge } from '../../components/StateBadge';
import { Link } from '../../navigation';
import { useLoad } from '../../useLoad';
import { DryRunPanel } from './DryRunPanel';
import { ErrorRowsPanel } from './ErrorRowsPanel';
import { HistoryPanel } from './HistoryPanel';
import { LiveLogs } from './LiveLogs';
import { MetricsPanel } from './MetricsPanel';
import { SubscriptionsPanel } from './SubscriptionsPanel';

const POLL_MS = 2000;

export function PipelineDetailPage({ id }: { readonly id: string }) {
  const pipeline = useLoad(() => getPipeline(id), [id], { everyMs: POLL_MS });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const data = pipeline.data;

  const act = (action: (id: string) => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    action(id)
      .then(pipeline.reload, setError)
      .finally(() => setBusy(false));
  };

  if (data === undefined) {
    return (
      <>
        <h1 tabIndex={-1}>Pipeline</h1>
        {pipeline.error === undefined ? <p role="status">Loading…</p> : <ErrorNotice error={pipeline.error} />}
        <p>
          <Link to="/pipelines">All pipelines</Link>
        </p>
      </>
    );
  }

  const running = data.state === 'live' || data.state === 'building';
  return (
    <>
      <p className="crumbs">
        <Link to="/pipelines">Pipelines</Link> / {data.team_name}
      </p>
      <div className="page-head">
        <h1 tabIndex={-1}>{data.name}</h1>
        <div className="actions">
          <button type="button" disabled={busy || running} onClick={() => act(startPipeline)}>
            Start
          </button>
          <button type="button" className="secondary" disabled={busy || !running} onClick={() => act(pausePipeline)}>
            Pause
          </button>
        </div>
      </div>
      <div role="status" className="pipeline-state">
        <p>
          State: <StateBadge state={data.state} /> · version {data.version}
        </p>
        {data.error_reason === null ? null : <p className="notice error">Reason: {data.error_reason}</p>}
      </div>
      <ErrorNotice error={error ?? pipeline.error} />
      <dl className="summary">
        <dt>Source</dt>
        <dd>
          {data.source_name ?? '—'} ({data.source_type ?? '?'}) topic {String(data.source_config?.['topic'] ?? '—')}
        </dd>
        <dt>Target</dt>
        <dd>
          {data.target_name ?? '—'} ({data.target_type ?? '?'}) table {data.subscription_target_table_name ?? '—'}
        </dd>
      </dl>
      <MetricsPanel pipelineId={id} />
      <LiveLogs pipelineId={id} />
      <SubscriptionsPanel pipelineId={id} />
      <ErrorRowsPanel pipelineId={id} />
      <DryRunPanel pipelineId={id} />
      <HistoryPanel pipelineId={id} version={`${data.version}-${data.state}`} />
    </>
  );
}
