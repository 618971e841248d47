import WebSocket from 'ws';
import { apiClient, clientOptions, exitCodeOf } from '../apiClient';
import { CliFailure, EXIT, parseOptions, usageFailure, type CliContext, type CliCommand } from '../context';

const usage = [
  'usage: popsink logs PIPELINE_ID [--lines N] [--no-follow] [--server URL] [--json]',
  '  prints the last N lines (default 100), then follows new ones until interrupted',
].join('\n');

interface LogLine {
  readonly ts: string;
  readonly level: string;
  readonly message: string;
  readonly pipeline_id: string;
}

const keyOf = (line: LogLine): string => `${line.ts}\u0000${line.level}\u0000${line.message}`;
const print = (ctx: CliContext, json: boolean | undefined, line: LogLine): void => {
  ctx.write(`${json === true ? JSON.stringify(line) : `${line.ts} ${line.level.toUpperCase().padEnd(5)} ${line.message}`}\n`);
};

/**
 * Follows the WebSocket log stream. The server first sends its own backlog: the lines already
 * printed (by time, then exact match) are skipped. Ends with 0 on SIGINT / SIGTERM.
 */
function follow(ctx: CliContext, url: string, printed: Set<string>, lastTs: string, json: boolean | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const stop = (): void => {
      socket.close();
      resolve(EXIT.ok);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const done = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
    socket.on('unexpected-response', (_request, response) => {
      done();
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => reject(new CliFailure(exitCodeOf(response.statusCode ?? 0), `HTTP ${response.statusCode}: ${body}`)));
    });
    socket.on('open', () => ctx.warn('-- following new lines; Ctrl-C to stop\n'));
    socket.on('message', (data) => {
      const line = JSON.parse(String(data)) as LogLine;
      const key = keyOf(line);
      if (line.ts < lastTs || printed.delete(key)) return;
      print(ctx, json, line);
    });
    socket.on('error', (error) => {
      done();
      reject(new CliFailure(EXIT.failure, `log stream: ${error.message}`));
    });
    socket.on('close', () => {
      done();
      resolve(EXIT.ok);
    });
  });
}

/** Tails a pipeline's worker logs: the backlog by GET, then new lines over the WebSocket. */
export const command: CliCommand = {
  name: 'logs',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(
      args,
      { ...clientOptions, lines: { type: 'string' }, 'no-follow': { type: 'boolean' } },
      usage,
    );
    const [id, ...extra] = positionals;
    if (id === undefined || id === '') throw usageFailure('logs needs a pipeline id', usage);
    if (extra.length > 0) throw usageFailure(`unexpected argument ${extra[0]}`, usage);
    const lines = Number(values.lines ?? '100');
    if (!Number.isInteger(lines) || lines < 1 || lines > 500) throw usageFailure('--lines must be between 1 and 500', usage);
    const client = apiClient(ctx, { server: values.server, usage });
    const backlog = (await client.request('GET', `/pipelines/${encodeURIComponent(id)}/logs?limit=${lines}`)) as LogLine[];
    for (const line of backlog) print(ctx, values.json, line);
    if (values['no-follow'] === true) return EXIT.ok;
    const ws = `${client.server.replace(/^http/, 'ws')}/api/pipelines/${encodeURIComponent(id)}/logs?token=${encodeURIComponent(client.token ?? '')}`;
    return follow(ctx, ws, new Set(backlog.map(keyOf)), backlog.at(-1)?.ts ?? '', values.json);
  },
};
