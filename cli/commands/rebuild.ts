import { apiClient, clientOptions } from '../apiClient';
import { emit, EXIT, parseOptions, usageFailure, type CliCommand } from '../context';

const usage = [
  'usage: popsink rebuild [--detach] [--server URL] [--json]   rebuild the read models while the API serves (superuser)',
  '       popsink rebuild --status [--server URL] [--json]',
].join('\n');

interface Status {
  readonly generation: number;
  readonly running: boolean;
  readonly position: string | null;
  readonly head: string | null;
  readonly rebuild: {
    readonly id: string;
    readonly generation: number;
    readonly state: string;
    readonly position: string | null;
    readonly error?: string;
  } | null;
}

const line = (s: Status): string =>
  `generation ${s.generation}, ${s.running ? `rebuilding generation ${s.rebuild?.generation} (at ${s.rebuild?.position ?? 0} of ${s.head ?? 0})` : 'no rebuild running'}; read models at ${s.position ?? 0}, log head ${s.head ?? 0}` +
  (s.rebuild?.state === 'failed' ? `; last rebuild failed: ${s.rebuild.error ?? ''}` : '');

/**
 * Talks to the running API (`POST` / `GET /api/admin/rebuild`, with the token of `popsink login`):
 * the rebuild runs inside the API process, which alone knows which generation its readers use.
 * Waits for the swap unless `--detach`; exit 1 when the rebuild failed.
 */
export const command: CliCommand = {
  name: 'rebuild',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(
      args,
      { ...clientOptions, detach: { type: 'boolean' }, status: { type: 'boolean' } },
      usage,
    );
    if (positionals.length > 0) throw usageFailure(`unexpected argument ${positionals[0]}`, usage);
    const client = apiClient(ctx, { server: values.server, usage });
    if (values.status === true) {
      const status = (await client.request('GET', '/admin/rebuild')) as Status;
      emit(ctx, values.json, status, line(status));
      return EXIT.ok;
    }
    const started = (await client.request('POST', '/admin/rebuild')) as { id: string; generation: number };
    if (values.detach === true) {
      emit(ctx, values.json, started, `rebuild ${started.id} of generation ${started.generation} started`);
      return EXIT.ok;
    }
    for (;;) {
      const status = (await client.request('GET', '/admin/rebuild')) as Status;
      if (status.rebuild?.id === started.id && status.rebuild.state !== 'running') {
        emit(ctx, values.json, status, line(status));
        return status.rebuild.state === 'done' ? EXIT.ok : EXIT.failure;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  },
};
