import { useState } from 'react';
import { countStatus, listPipelines } from '../api/pipelines';
import { PIPELINE_STATES, type PipelineState } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { SelectField, TextField } from '../components/Field';
import { StateBadge } from '../components/StateBadge';
import { TableRegion } from '../components/TableRegion';
import { Link } from '../navigation';
import { useSession } from '../session';
import { useLoad } from '../useLoad';

type StateFilter = PipelineState | 'all';

const STATE_OPTIONS: readonly { value: StateFilter; label: string }[] = [
  { value: 'all', label: 'Any state' },
  ...PIPELINE_STATES.map((state) => ({ value: state, label: state })),
];

/** The figures of count-status; each one filters the list by its state. */
function StateFigures({
  teamId,
  chosen,
  choose,
}: {
  readonly teamId: string | undefined;
  readonly chosen: StateFilter;
  choose(state: StateFilter): void;
}) {
  const counts = useLoad(() => countStatus(teamId), [teamId], { everyMs: 5000 });
  if (counts.data === undefined) return <ErrorNotice error={counts.error} />;
  const figures: readonly StateFilter[] = ['all', ...PIPELINE_STATES];
  return (
    <ul className="figures" aria-label="Pipelines by state">
      {figures.map((state) => (
        <li key={state}>
          <button type="button" className="figure" aria-pressed={chosen === state} onClick={() => choose(state)}>
            <span className="figure-value">{counts.data?.[state] ?? 0}</span>
            <span className="figure-label">{state === 'all' ? 'all' : state}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

export function PipelinesPage() {
  const { team } = useSession();
  const [state, setState] = useState<StateFilter>('all');
  const [search, setSearch] = useState('');
  const pipelines = useLoad(
    () => listPipelines({ teamId: team?.id, state: state === 'all' ? undefined : state, search: search.trim() }),
    [team?.id, state, search],
    {
      everyMs: 5000,
    },
  );

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Pipelines</h1>
        <Link to="/pipelines/new" className="button">
          New pipeline
        </Link>
      </div>
      <StateFigures teamId={team?.id} chosen={state} choose={setState} />
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <SelectField<StateFilter> label="State" value={state} onChange={setState} options={STATE_OPTIONS} />
        <TextField label="Search by name" type="search" value={search} onChange={setSearch} />
      </form>
      <ErrorNotice error={pipelines.error} />
      {pipelines.data === undefined ? (
        <p role="status">Loading pipelines…</p>
      ) : pipelines.data.items.length === 0 ? (
        <p>No pipeline matches. {team === undefined ? 'Choose a team first.' : <Link to="/pipelines/new">Create one.</Link>}</p>
      ) : (
        <TableRegion label="Pipelines">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Source</th>
                <th scope="col">Target</th>
                <th scope="col">Table</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {pipelines.data.items.map((pipeline) => (
                <tr key={pipeline.id}>
                  <td>
                    <Link to={`/pipelines/${pipeline.id}`}>{pipeline.name}</Link>
                  </td>
                  <td>
                    <StateBadge state={pipeline.state} />
                  </td>
                  <td>{pipeline.source_name ?? pipeline.source_type ?? '—'}</td>
                  <td>{pipeline.target_name ?? pipeline.target_type ?? '—'}</td>
                  <td>{pipeline.subscription_target_table_name ?? '—'}</td>
                  <td>{new Date(pipeline.updated_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </>
  );
}
