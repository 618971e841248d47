import { useState } from 'react';
import { listSubscriptions, pauseSubscription, startSubscription } from '../../api/pipelines';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StateBadge } from '../../components/StateBadge';
import { TableRegion } from '../../components/TableRegion';
import { useLoad } from '../../useLoad';

/** The pipeline's subscriptions: each a mapper into one table with its own consumer group, started and paused alone. */
export function SubscriptionsPanel({ pipelineId }: { readonly pipelineId: string }) {
  const subscriptions = useLoad(() => listSubscriptions(pipelineId), [pipelineId], { everyMs: 5000 });
  const [error, setError] = useState<unknown>();

  const act = (action: (id: string) => Promise<string>, id: string) => {
    setError(undefined);
    action(id).then(subscriptions.reload, setError);
  };

  return (
    <section aria-labelledby="subscriptions-title" className="panel">
      <h2 id="subscriptions-title">Subscriptions</h2>
      <ErrorNotice error={subscriptions.error ?? error} />
      {subscriptions.data === undefined ? null : (
        <TableRegion label="Subscriptions table">
          <table>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">State</th>
                <th scope="col">Columns</th>
                <th scope="col">Consumer group</th>
                <th scope="col">Error table</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {subscriptions.data.items.map((subscription) => (
                <tr key={subscription.id}>
                  <td>{subscription.target_table_name ?? '—'}</td>
                  <td>
                    <StateBadge state={subscription.state} />
                  </td>
                  <td>{(subscription.mapper_config ?? []).map((entry) => entry.key).join(', ') || '—'}</td>
                  <td>
                    <code>{subscription.consumer_id}</code>
                  </td>
                  <td>{subscription.error_table_enabled === true ? (subscription.error_table_name ?? 'yes') : 'no'}</td>
                  <td>
                    {subscription.state === 'live' || subscription.state === 'building' ? (
                      <button type="button" className="secondary" onClick={() => act(pauseSubscription, subscription.id)}>
                        Pause {subscription.target_table_name ?? 'subscription'}
                      </button>
                    ) : (
                      <button type="button" className="secondary" onClick={() => act(startSubscription, subscription.id)}>
                        Start {subscription.target_table_name ?? 'subscription'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}
