import { useState } from 'react';
import { connectorHistory, listSources, listTargets } from '../api/connectors';
import type { Connector } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { TableRegion } from '../components/TableRegion';
import { valueText } from '../components/valueText';
import { useSession } from '../session';
import { useLoad } from '../useLoad';

/** A connector's config, field by field; secrets come from the API already masked. */
function ConnectorDetail({ connector }: { readonly connector: Connector }) {
  const history = useLoad(() => connectorHistory(connector.id), [connector.id]);
  return (
    <section aria-labelledby="connector-title" className="panel">
      <h2 id="connector-title">{connector.name}</h2>
      <dl className="summary">
        <dt>Type</dt>
        <dd>{connector.connector_type}</dd>
        {Object.entries(connector.config).map(([field, value]) => (
          <div key={field} className="summary-row">
            <dt>{field}</dt>
            <dd>{valueText(value)}</dd>
          </div>
        ))}
      </dl>
      <h3>Changes</h3>
      <ErrorNotice error={history.error} />
      <ul>
        {(history.data?.items ?? []).map((entry) => (
          <li key={entry.revision}>
            {entry.event_type}, <time dateTime={entry.time}>{new Date(entry.time).toLocaleString()}</time> by{' '}
            {entry.actor_email ?? entry.actor_id}
            {entry.changes.length === 0
              ? ''
              : `: ${entry.changes
                  .map((change) => change.field)
                  .filter(Boolean)
                  .join(', ')}`}
          </li>
        ))}
      </ul>
    </section>
  );
}

function ConnectorTable({
  title,
  connectors,
  chosen,
  choose,
}: {
  readonly title: string;
  readonly connectors: readonly Connector[];
  readonly chosen: string | undefined;
  choose(id: string): void;
}) {
  return (
    <section aria-labelledby={`${title}-title`}>
      <h2 id={`${title}-title`}>{title}</h2>
      {connectors.length === 0 ? (
        <p>None in this team yet: the pipeline wizard creates them.</p>
      ) : (
        <TableRegion label={`${title} table`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {connectors.map((connector) => (
                <tr key={connector.id}>
                  <td>
                    <button type="button" className="link" aria-pressed={chosen === connector.id} onClick={() => choose(connector.id)}>
                      {connector.name}
                    </button>
                  </td>
                  <td>{connector.connector_type}</td>
                  <td>
                    {valueText(connector.config['bootstrap_servers'] ?? connector.config['bootstrap_server'] ?? connector.config['host'])}
                  </td>
                  <td>{new Date(connector.updated_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}

export function ConnectorsPage() {
  const { team } = useSession();
  const sources = useLoad(() => listSources(team?.id), [team?.id]);
  const targets = useLoad(() => listTargets(team?.id), [team?.id]);
  const [chosen, setChosen] = useState<string>();
  const all = [...(sources.data ?? []), ...(targets.data ?? [])];
  const connector = all.find((candidate) => candidate.id === chosen);
  return (
    <>
      <h1 tabIndex={-1}>Connectors</h1>
      <ErrorNotice error={sources.error ?? targets.error} />
      <ConnectorTable title="Sources" connectors={sources.data ?? []} chosen={chosen} choose={setChosen} />
      <ConnectorTable title="Targets" connectors={targets.data ?? []} chosen={chosen} choose={setChosen} />
      {connector === undefined ? null : <ConnectorDetail key={connector.id} connector={connector} />}
    </>
  );
}
