import { readFileSync } from 'node:fs';
import { apiClient, clientOptions } from '../apiClient';
import { CliFailure, emit, EXIT, parseOptions, usageFailure, type CliCommand } from '../context';

const usage = 'usage: popsink import FILE [--merge] [--server URL] [--json]   (superuser; into an empty installation unless --merge)';

/** A document `popsink export` wrote, into this installation. */
export const command: CliCommand = {
  name: 'import',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(args, { ...clientOptions, merge: { type: 'boolean' } }, usage);
    const [file, ...extra] = positionals;
    if (file === undefined || file === '') throw usageFailure('import needs a FILE', usage);
    if (extra.length > 0) throw usageFailure(`unexpected argument ${extra[0]}`, usage);
    let document: string;
    try {
      document = readFileSync(file, 'utf8');
      JSON.parse(document);
    } catch (error) {
      throw new CliFailure(EXIT.failure, `cannot read ${file} as JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const path = `/users/import-all${values.merge === true ? '?merge=true' : ''}`;
    const answer = await apiClient(ctx, { server: values.server, usage: usage }).request('POST', path, { text: document });
    emit(ctx, values.json, answer ?? { imported: true }, `imported ${file}${answer === undefined ? '' : `: ${JSON.stringify(answer)}`}`);
    return EXIT.ok;
  },
};
