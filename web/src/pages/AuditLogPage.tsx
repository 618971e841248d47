import { useState } from 'react';
import { AUDIT_PAGE_SIZE, auditLog } from '../api/audit';
import { fieldErrorsOf } from '../api/fieldErrors';
import { ErrorNotice } from '../components/ErrorNotice';
import { TextField } from '../components/Field';
import { TableRegion } from '../components/TableRegion';
import { valueText } from '../components/valueText';
import { useLoad } from '../useLoad';

/** Who did what, when: `/api/user-logs`, newest first, filtered by event type or resource. */
export function AuditLogPage() {
  const [eventType, setEventType] = useState('');
  const [resourceId, setResourceId] = useState('');
  const [skip, setSkip] = useState(0);
  const log = useLoad(() => auditLog({ eventType: eventType.trim(), resourceId: resourceId.trim(), skip }), [eventType, resourceId, skip]);
  const errors = fieldErrorsOf(log.error);
  const total = log.data?.total ?? 0;

  const filter = (set: (value: string) => void) => (value: string) => {
    set(value);
    setSkip(0);
  };

  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <TextField
          label="Event type"
          value={eventType}
          onChange={filter(setEventType)}
          error={errors['event_type']}
          hint="e.g. PipelineStarted"
        />
        <TextField label="Resource id" value={resourceId} onChange={filter(setResourceId)} error={errors['resource_id']} />
      </form>
      <ErrorNotice error={log.error} shown={['event_type', 'resource_id']} />
      {log.data === undefined ? null : log.data.items.length === 0 ? (
        <p>Nothing recorded matches.</p>
      ) : (
        <TableRegion label="Audit entries">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Resource</th>
                <th scope="col">User</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {log.data.items.map((entry) => (
                <tr key={entry.id}>
                  <td>
                    <time dateTime={entry.time}>{new Date(entry.time).toLocaleString()}</time>
                  </td>
                  <td>{entry.event_type}</td>
                  <td>
                    {entry.resource_type} <code>{entry.resource_id}</code>
                  </td>
                  <td>
                    <code>{entry.user_id}</code>
                  </td>
                  <td>
                    <code>{valueText(entry.details)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <div className="actions">
        <button type="button" className="secondary" disabled={skip === 0} onClick={() => setSkip(Math.max(0, skip - AUDIT_PAGE_SIZE))}>
          Newer
        </button>
        <span>
          {total === 0 ? 0 : skip + 1}–{Math.min(total, skip + AUDIT_PAGE_SIZE)} of {total}
        </span>
        <button
          type="button"
          className="secondary"
          disabled={skip + AUDIT_PAGE_SIZE >= total}
          onClick={() => setSkip(skip + AUDIT_PAGE_SIZE)}
        >
          Older
        </button>
      </div>
    </>
  );
}
