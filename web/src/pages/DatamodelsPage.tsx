import { useState } from 'react';
import { datamodelMonitoring, datamodelSchema, listDatamodels } from '../api/datamodels';
import type { Datamodel } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { TableRegion } from '../components/TableRegion';
import { Link } from '../navigation';
import { useLoad } from '../useLoad';

/** The columns the datamodel's target gets, and what flowed through it. */
function DatamodelDetail({ datamodel }: { readonly datamodel: Datamodel }) {
  const schema = useLoad(() => datamodelSchema(datamodel.id), [datamodel.id]);
  const monitoring = useLoad(() => datamodelMonitoring(datamodel.id), [datamodel.id], { everyMs: 5000 });
  return (
    <section aria-labelledby="datamodel-title" className="panel">
      <h2 id="datamodel-title">Schema</h2>
      <p>
        Of the datamodel of <Link to={`/pipelines/${datamodel.pipeline_id}`}>its pipeline</Link>. Error table:{' '}
        {datamodel.error_table_enabled ? (datamodel.error_table_name ?? 'on') : 'off'}.
      </p>
      <ErrorNotice error={schema.error} />
      {schema.data === undefined ? null : schema.data.length === 0 ? (
        <p>No column: the mapper has none yet.</p>
      ) : (
        <TableRegion label="Schema columns">
          <table>
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">Type</th>
                <th scope="col">Nullable</th>
                <th scope="col">Primary key</th>
              </tr>
            </thead>
            <tbody>
              {schema.data.map((column) => (
                <tr key={column.name}>
                  <td>{column.name}</td>
                  <td>{column.type}</td>
                  <td>{column.nullable ? 'yes' : 'no'}</td>
                  <td>{column.primary_key ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {monitoring.data === undefined ? null : (
        <p>
          {monitoring.data.messages_in} messages in, {monitoring.data.messages_out} out, {monitoring.data.errors} errors, lag{' '}
          {monitoring.data.lag_total}.
        </p>
      )}
    </section>
  );
}

export function DatamodelsPage() {
  const datamodels = useLoad(listDatamodels, []);
  const [chosen, setChosen] = useState<string>();
  const items = datamodels.data?.items ?? [];
  const datamodel = items.find((candidate) => candidate.id === chosen);
  return (
    <>
      <h1 tabIndex={-1}>Datamodels</h1>
      <ErrorNotice error={datamodels.error} />
      {datamodels.data === undefined ? null : items.length === 0 ? (
        <p>No datamodel yet: each pipeline has one.</p>
      ) : (
        <TableRegion label="Datamodels">
          <table>
            <thead>
              <tr>
                <th scope="col">Datamodel</th>
                <th scope="col">Source topic</th>
                <th scope="col">Error table</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id}>
                  <td>
                    <button type="button" className="link" aria-pressed={chosen === item.id} onClick={() => setChosen(item.id)}>
                      Schema of {item.id.slice(0, 8)}
                    </button>
                  </td>
                  <td>{item.source_topic ?? 'the source connector’s'}</td>
                  <td>{item.error_table_enabled ? (item.error_table_name ?? 'on') : 'off'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      {datamodel === undefined ? null : <DatamodelDetail key={datamodel.id} datamodel={datamodel} />}
    </>
  );
}
