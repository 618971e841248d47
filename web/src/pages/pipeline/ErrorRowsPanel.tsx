import { useState } from 'react';
import { listErrorRows, replayErrorRows } from '../../api/pipelines';
import type { ReplayCounts } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { TableRegion } from '../../components/TableRegion';
import { useLoad } from '../../useLoad';

const describeReplay = (counts: ReplayCounts): string =>
  `Replayed: ${counts.applied} written, ${counts.failed} failed again, ${counts.skipped_already_applied} already replayed before` +
  (counts.remaining > 0 ? `, ${counts.remaining} left for another replay.` : '.');

/** The messages the pipeline could not write, and their replay through the current mapper. */
export function ErrorRowsPanel({ pipelineId }: { readonly pipelineId: string }) {
  const rows = useLoad(() => listErrorRows(pipelineId, undefined), [pipelineId], { everyMs: 10_000 });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [outcome, setOutcome] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };

  const replay = (selection: { readonly ids: readonly string[] } | { readonly all: true }) => {
    setBusy(true);
    setError(undefined);
    setOutcome(undefined);
    replayErrorRows(pipelineId, selection)
      .then((counts) => {
        setOutcome(describeReplay(counts));
        setSelected(new Set());
        rows.reload();
      }, setError)
      .finally(() => setBusy(false));
  };

  const items = rows.data?.items ?? [];
  return (
    <section aria-labelledby="error-rows-title" className="panel">
      <h2 id="error-rows-title">Error rows</h2>
      {rows.error !== undefined ? (
        <ErrorNotice error={rows.error} />
      ) : rows.data === undefined ? null : items.length === 0 ? (
        <p>No message failed.</p>
      ) : (
        <>
          <p>
            {rows.data.total} message{rows.data.total === 1 ? '' : 's'} could not be written.
          </p>
          <div className="actions">
            <button
              type="button"
              className="secondary"
              disabled={busy || selected.size === 0}
              onClick={() => replay({ ids: [...selected] })}
            >
              Replay the {selected.size} selected
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => replay({ all: true })}>
              Replay all
            </button>
          </div>
          <TableRegion label="Error rows table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Select</th>
                  <th scope="col">Partition-offset</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Value</th>
                  <th scope="col">Replayed</th>
                </tr>
              </thead>
              <tbody>
                {items.map((row) => (
                  <tr key={row.id}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select error row ${row.id}`}
                        checked={selected.has(row.id)}
                        onChange={(event) => toggle(row.id, event.target.checked)}
                      />
                    </td>
                    <td>{row.id}</td>
                    <td>{row.stage}</td>
                    <td>
                      {row.reason_code}: {row.message}
                      {row.error_column === null ? '' : ` (${row.error_column})`}
                    </td>
                    <td>
                      <code>{row.value_text ?? '(not text)'}</code>
                    </td>
                    <td>
                      {row.replayed_at === null ? 'no' : `${new Date(row.replayed_at).toLocaleString()}: ${row.replay_outcome ?? ''}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        </>
      )}
      <ErrorNotice error={error} />
      {outcome === undefined ? null : (
        <p role="status" className="notice ok">
          {outcome}
        </p>
      )}
    </section>
  );
}
