import { writeFileSync } from 'node:fs';
import { apiClient, clientOptions } from '../apiClient';
import { CliFailure, emit, EXIT, parseOptions, usageFailure, type CliCommand } from '../context';

const usage = 'usage: popsink export --out FILE [--server URL] [--json]   (superuser; FILE is written mode 0600)';

/** The whole installation (state and event log; secrets stay sealed) into a file. */
export const command: CliCommand = {
  name: 'export',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(args, { ...clientOptions, out: { type: 'string' } }, usage);
    if (positionals.length > 0) throw usageFailure(`unexpected argument ${positionals[0]}`, usage);
    if (values.out === undefined || values.out === '') throw usageFailure('--out is required', usage);
    const document = await apiClient(ctx, { server: values.server, usage: usage }).requestText('GET', '/users/export-all');
    try {
      // Password hashes and sealed secrets: for its owner's eyes only.
      writeFileSync(values.out, document, { mode: 0o600 });
    } catch (error) {
      throw new CliFailure(EXIT.failure, `cannot write ${values.out}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const bytes = Buffer.byteLength(document);
    emit(ctx, values.json, { out: values.out, bytes }, `exported to ${values.out} (${bytes} bytes)`);
    return EXIT.ok;
  },
};
