import { apiClient, clientOptions, type ApiClient } from '../apiClient';
import { emit, EXIT, parseOptions, usageFailure, type CliCommand, type CliContext } from '../context';

const usage = [
  'usage: popsink pipelines list [--state STATE] [--team TEAM_ID] [--search TEXT] [--server URL] [--json]',
  '       popsink pipelines start ID [--server URL] [--json]',
  '       popsink pipelines pause ID [--server URL] [--json]',
].join('\n');

const PAGE = 100;

interface PipelineRow {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly team_id: string;
  readonly team_name?: string;
  readonly version?: number;
}

async function list(
  client: ApiClient,
  ctx: CliContext,
  filters: { state?: string | undefined; team?: string | undefined; search?: string | undefined },
  json: boolean | undefined,
): Promise<number> {
  const query = new URLSearchParams();
  if (filters.state !== undefined) query.set('state', filters.state);
  if (filters.team !== undefined) query.set('team_id', filters.team);
  if (filters.search !== undefined) query.set('search', filters.search);
  for (let skip = 0; ; skip += PAGE) {
    query.set('skip', String(skip));
    query.set('limit', String(PAGE));
    const page = (await client.request('GET', `/pipelines/?${query.toString()}`)) as { items: PipelineRow[]; total: number };
    for (const row of page.items) {
      const shown = {
        id: row.id,
        name: row.name,
        state: row.state,
        team_id: row.team_id,
        team_name: row.team_name ?? null,
        version: row.version ?? null,
      };
      emit(ctx, json, shown, [row.id, row.state.padEnd(8), row.name, row.team_name ?? row.team_id].join('  '));
    }
    if (page.items.length < PAGE || skip + PAGE >= page.total) return EXIT.ok;
  }
}

/** Lists, starts and pauses pipelines through the API (JSON lines with --json). */
export const command: CliCommand = {
  name: 'pipelines',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(
      args,
      { ...clientOptions, state: { type: 'string' }, team: { type: 'string' }, search: { type: 'string' } },
      usage,
    );
    const [action, id, ...extra] = positionals;
    if (extra.length > 0) throw usageFailure(`unexpected argument ${extra[0]}`, usage);
    if (action === 'list') {
      if (id !== undefined) throw usageFailure(`unexpected argument ${id}`, usage);
      return list(apiClient(ctx, { server: values.server, usage }), ctx, values, values.json);
    }
    if (action === 'start' || action === 'pause') {
      if (id === undefined || id === '') throw usageFailure(`pipelines ${action} needs a pipeline id`, usage);
      if (values.state !== undefined || values.team !== undefined || values.search !== undefined)
        throw usageFailure('--state, --team and --search are for `pipelines list`', usage);
      const answer = await apiClient(ctx, { server: values.server, usage }).request(
        'POST',
        `/pipelines/${encodeURIComponent(id)}/${action}`,
      );
      const state = typeof answer === 'string' ? answer.toLowerCase() : 'unknown';
      emit(ctx, values.json, { id, state }, `pipeline ${id}: ${state}`);
      return EXIT.ok;
    }
    throw usageFailure(action === undefined ? 'pipelines needs an action' : `unknown action ${action}`, usage);
  },
};
