import { useEffect, useState } from 'react';
import { openLogSocket } from '../../api/pipelines';
import type { LogLine } from '../../api/types';
import { useSession } from '../../session';

/** Lines kept on screen; the stream sends the recent ones first, then each new one. */
const MAX_LINES = 200;
const RECONNECT_MS = 3000;

type Connection = 'connecting' | 'open' | 'closed';

const isLogLine = (value: unknown): value is LogLine =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Record<string, unknown>)['message'] === 'string' &&
  typeof (value as Record<string, unknown>)['ts'] === 'string';

/** The pipeline's log over its WebSocket, reconnecting after a drop. */
export function LiveLogs({ pipelineId }: { readonly pipelineId: string }) {
  const { token } = useSession();
  const [lines, setLines] = useState<readonly LogLine[]>([]);
  const [connection, setConnection] = useState<Connection>('connecting');

  useEffect(() => {
    let disposed = false;
    let socket: WebSocket | undefined;
    let retry: number | undefined;
    const connect = () => {
      setConnection('connecting');
      // A reconnection sends the recent lines again: start from an empty list.
      setLines([]);
      const opened = openLogSocket(pipelineId, token);
      socket = opened;
      opened.onopen = () => {
        if (!disposed) setConnection('open');
      };
      opened.onmessage = (event: MessageEvent<unknown>) => {
        if (typeof event.data !== 'string') return;
        const line: unknown = JSON.parse(event.data);
        if (isLogLine(line)) setLines((current) => [...current, line].slice(-MAX_LINES));
      };
      opened.onclose = () => {
        if (disposed) return;
        setConnection('closed');
        retry = window.setTimeout(connect, RECONNECT_MS);
      };
    };
    connect();
    return () => {
      disposed = true;
      window.clearTimeout(retry);
      const current = socket;
      if (current === undefined) return;
      // Closing a socket still connecting makes the browser report an error: close it once open.
      if (current.readyState === WebSocket.CONNECTING) current.onopen = () => current.close();
      else current.close();
    };
  }, [pipelineId, token]);

  return (
    <section aria-labelledby="logs-title" className="panel">
      <h2 id="logs-title">Live logs</h2>
      <p className="hint">
        Stream: {connection === 'open' ? 'connected' : connection === 'connecting' ? 'connecting…' : 'disconnected, reconnecting…'}
      </p>
      {lines.length === 0 ? <p>No log line yet.</p> : null}
      <div className="log-lines" role="log" aria-label="Pipeline log lines" tabIndex={0}>
        <ol>
          {lines.map((line, index) => (
            <li key={index} className={`log-${line.level}`}>
              <time dateTime={line.ts}>{new Date(line.ts).toLocaleTimeString()}</time> <span className="log-level">{line.level}</span>{' '}
              {line.message}
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
