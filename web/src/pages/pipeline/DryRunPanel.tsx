import { useState } from 'react';
import { dryRun } from '../../api/pipelines';
import type { DryRunResult } from '../../api/types';
import { ErrorNotice } from '../../components/ErrorNotice';
import { TableRegion } from '../../components/TableRegion';
import { valueText } from '../../components/valueText';

const DRY_RUN_MESSAGES = 5;

/** The latest messages of the source, mapped and tried against the real target, nothing kept. */
export function DryRunPanel({ pipelineId }: { readonly pipelineId: string }) {
  const [result, setResult] = useState<DryRunResult>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const run = () => {
    setBusy(true);
    setError(undefined);
    dryRun(pipelineId, DRY_RUN_MESSAGES)
      .then(setResult, setError)
      .finally(() => setBusy(false));
  };

  return (
    <section aria-labelledby="dry-run-title" className="panel">
      <h2 id="dry-run-title">Dry run</h2>
      <p>
        Reads the latest {DRY_RUN_MESSAGES} messages of the source, maps them and tries them against the target in a transaction that is
        rolled back.
      </p>
      <button type="button" className="secondary" disabled={busy} onClick={run}>
        {busy ? 'Trying…' : 'Dry run against the target'}
      </button>
      <ErrorNotice error={error} />
      {result === undefined ? null : (
        <div>
          <p role="status" className={result.target_reachable ? 'notice ok' : 'notice error'}>
            {result.target_reachable
              ? 'The target accepted the trial.'
              : `The target could not be tried: ${result.target_error?.message ?? 'no reason given'}`}
          </p>
          {result.notes.map((note, index) => (
            <p key={index} className="hint">
              {note}
            </p>
          ))}
          {result.ddl.length === 0 ? null : (
            <>
              <h3>Table definition</h3>
              {result.ddl.map((statement, index) => (
                <pre key={index}>{statement}</pre>
              ))}
            </>
          )}
          {result.messages.length === 0 ? (
            <p>The source holds no message to try.</p>
          ) : (
            <TableRegion label="Dry-run messages">
              <table>
                <caption>Messages tried</caption>
                <thead>
                  <tr>
                    <th scope="col">Partition / offset</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Row or reason</th>
                  </tr>
                </thead>
                <tbody>
                  {result.messages.map((message) => (
                    <tr key={`${message.partition}-${message.offset}`}>
                      <td>
                        {message.partition} / {message.offset}
                      </td>
                      <td>{message.outcome}</td>
                      <td>
                        <code>
                          {message.error !== undefined
                            ? `${message.error.stage}: ${message.error.message}`
                            : valueText(message.row ?? message.note)}
                        </code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )}
        </div>
      )}
    </section>
  );
}
