import { apiClient, clientOptions, type ApiClient } from '../apiClient';
import { emit, EXIT, parseOptions, usageFailure, type CliCommand, type CliContext } from '../context';

const FILTERS =
  '[--reason-code CODE] [--stage parse|map|cast|target] [--partition N] [--offset-from N] [--offset-to N] [--since TIME] [--until TIME] [--replayed true|false]';
const usage = [
  `usage: popsink errors list PIPELINE_ID [--subscription ID] ${FILTERS} [--server URL] [--json]`,
  `       popsink errors replay PIPELINE_ID (--ids ID[,ID...] | --all | FILTERS) [--subscription ID] [--server URL] [--json]`,
  '  an error row id is <partition>-<offset>, as `errors list` prints it',
].join('\n');

/** Filter options and the API's names for them (query parameters of the list, body fields of a replay). */
const FILTER_FIELDS = {
  'reason-code': 'reason_code',
  stage: 'stage',
  partition: 'partition',
  'offset-from': 'offset_from',
  'offset-to': 'offset_to',
  since: 'since',
  until: 'until',
  replayed: 'replayed',
} as const;
type FilterOption = keyof typeof FILTER_FIELDS;

const options = {
  ...clientOptions,
  subscription: { type: 'string' },
  ids: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  ...(Object.fromEntries(Object.keys(FILTER_FIELDS).map((name) => [name, { type: 'string' }])) as Record<FilterOption, { type: 'string' }>),
} as const;

const PAGE = 100;

interface ErrorRow {
  readonly id: string;
  readonly stage: string | null;
  readonly reason_code: string | null;
  readonly message: string;
  readonly attempts: number | null;
  readonly replay_outcome: string | null;
}

/** The API's filter fields the options set (values as typed: the API checks them). */
const filtersOf = (values: Partial<Record<FilterOption, string>>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(FILTER_FIELDS).flatMap(([option, field]) => {
      const value = values[option as FilterOption];
      return value === undefined ? [] : [[field, value]];
    }),
  );

async function list(
  client: ApiClient,
  ctx: CliContext,
  pipelineId: string,
  query: URLSearchParams,
  json: boolean | undefined,
): Promise<number> {
  for (let skip = 0; ; skip += PAGE) {
    query.set('skip', String(skip));
    query.set('limit', String(PAGE));
    const page = (await client.request('GET', `/pipelines/${encodeURIComponent(pipelineId)}/error-rows?${query.toString()}`)) as {
      items: ErrorRow[];
      total: number;
    };
    for (const row of page.items) {
      const outcome = row.replay_outcome ?? 'not replayed';
      emit(
        ctx,
        json,
        row,
        [
          row.id,
          (row.stage ?? '-').padEnd(6),
          (row.reason_code ?? '-').padEnd(12),
          `attempts ${row.attempts ?? 1}`,
          outcome.padEnd(12),
          row.message,
        ].join('  '),
      );
    }
    if (page.items.length < PAGE || skip + PAGE >= page.total) return EXIT.ok;
  }
}

/** Lists and replays a pipeline's error rows through the API (JSON lines with --json). */
export const command: CliCommand = {
  name: 'errors',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(args, options, usage);
    const [action, pipelineId, ...extra] = positionals;
    if (extra.length > 0) throw usageFailure(`unexpected argument ${extra[0]}`, usage);
    if (action !== 'list' && action !== 'replay')
      throw usageFailure(action === undefined ? 'errors needs an action: list or replay' : `unknown action ${action}`, usage);
    if (pipelineId === undefined || pipelineId === '') throw usageFailure(`errors ${action} needs a pipeline id`, usage);
    const filters = filtersOf(values);
    const subscription: Record<string, string> = values.subscription === undefined ? {} : { subscription_id: values.subscription };
    const client = apiClient(ctx, { server: values.server, usage });
    if (action === 'list') {
      if (values.ids !== undefined || values.all !== undefined) throw usageFailure('--ids and --all are for `errors replay`', usage);
      return list(client, ctx, pipelineId, new URLSearchParams({ ...filters, ...subscription }), values.json);
    }
    const ids = values.ids?.flatMap((given) => given.split(',')).filter((id) => id !== '');
    const ways = [ids !== undefined, values.all === true, Object.keys(filters).length > 0].filter(Boolean).length;
    if (ways !== 1) throw usageFailure('errors replay needs exactly one of --ids, --all or filters', usage);
    const body = { ...(ids !== undefined ? { ids } : values.all === true ? { all: true } : filters), ...subscription };
    const counts = (await client.request('POST', `/pipelines/${encodeURIComponent(pipelineId)}/error-rows/replay`, {
      json: body,
    })) as Record<string, number>;
    const text = `selected ${counts['selected']}: applied ${counts['applied']}, failed again ${counts['failed']}, skipped (applied before) ${counts['skipped_already_applied']}, remaining ${counts['remaining']}`;
    emit(ctx, values.json, counts, text);
    return EXIT.ok;
  },
};
