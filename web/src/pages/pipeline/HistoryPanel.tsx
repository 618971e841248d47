import { pipelineHistory } from '../../api/pipelines';
import type { FieldChange, HistoryEntry } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { TableRegion } from '../../components/TableRegion';
import { valueText } from '../../components/valueText';
import { useLoad } from '../../useLoad';

/** Past this many changed fields (a creation lists every field), the diff is folded until asked for. */
const OPEN_CHANGES = 8;

function Diff({ entry, changes }: { readonly entry: HistoryEntry; readonly changes: readonly FieldChange[] }) {
  return (
    <TableRegion label={`Changes of revision ${entry.revision}`}>
      <table className="diff">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((change) => (
            <tr key={change.field}>
              <td>
                <code>{change.field}</code>
              </td>
              <td className="diff-old">{valueText(change.old)}</td>
              <td className="diff-new">{valueText(change.new)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}

function Change({ entry }: { readonly entry: HistoryEntry }) {
  const changes = entry.changes.filter((change) => change.field !== '');
  return (
    <li className="history-entry">
      <p>
        <strong>{entry.event_type}</strong> <time dateTime={entry.time}>{new Date(entry.time).toLocaleString()}</time> by{' '}
        {entry.actor_email ?? entry.actor_id}
        {entry.version === null ? '' : `, version ${entry.version}`}
      </p>
      {entry.details === null || entry.details === undefined ? null : <p className="hint">{valueText(entry.details)}</p>}
      {changes.length === 0 ? null : changes.length <= OPEN_CHANGES ? (
        <Diff entry={entry} changes={changes} />
      ) : (
        <details>
          <summary>{changes.length} fields changed</summary>
          <Diff entry={entry} changes={changes} />
        </details>
      )}
    </li>
  );
}

/** Every change of the pipeline, newest first, field by field, from its stream in the event log. */
export function HistoryPanel({ pipelineId, version }: { readonly pipelineId: string; readonly version: string }) {
  const history = useLoad(() => pipelineHistory(pipelineId), [pipelineId, version]);
  return (
    <section aria-labelledby="history-title" className="panel">
      <h2 id="history-title">History</h2>
      <ErrorNotice error={history.error} />
      {history.data === undefined ? null : (
        <ol className="history">
          {history.data.items.map((entry) => (
            <Change key={entry.revision} entry={entry} />
          ))}
        </ol>
      )}
    </section>
  );
}
