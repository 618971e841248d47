import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { exitCodeOf, serverOf, clientOptions } from '../apiClient';
import { storedToken } from '../tokenStore';
import { CliFailure, emit, EXIT, parseOptions, usageFailure, type CliCommand } from '../context';
import { megabytes, throttledProgress } from '../../commands/installation/migrationProgress';
import { exportYamlFile } from '../pipelinesAsCode/yamlExporter';

const usage = [
  'usage: popsink export --out FILE [--server URL] [--json]   (superuser; FILE is written mode 0600)',
  '       popsink export --format yaml [--out FILE] [--server URL] [--json]   (pipelines as code: what you can see, secrets as ${env:...}; stdout without --out)',
].join('\n');

/** `detail` of an error body, as one line. */
function detailOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { detail?: unknown };
    return typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail ?? parsed);
  } catch {
    return text;
  }
}

/** The whole installation (state and event log; secrets stay sealed) streamed into a file: never held whole in memory. */
export const command: CliCommand = {
  name: 'export',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(args, { ...clientOptions, out: { type: 'string' }, format: { type: 'string' } }, usage);
    if (positionals.length > 0) throw usageFailure(`unexpected argument ${positionals[0]}`, usage);
    if (values.format === 'yaml') return exportYamlFile(ctx, { ...values, usage });
    if (values.format !== undefined && values.format !== 'installation')
      throw usageFailure(`--format is installation (the default) or yaml, got ${values.format}`, usage);
    if (values.out === undefined || values.out === '') throw usageFailure('--out is required', usage);
    const server = serverOf(ctx, values.server, usage);
    const token = storedToken(ctx);
    if (token === undefined) throw new CliFailure(EXIT.refused, 'not logged in: run `popsink login` or set POPSINK_TOKEN');

    let response: Response;
    try {
      response = await fetch(`${server}/api/users/export-all`, {
        headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      });
    } catch (error) {
      throw new CliFailure(
        EXIT.failure,
        `cannot reach ${server}: ${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)}`,
      );
    }
    if (!response.ok || response.body === null)
      throw new CliFailure(exitCodeOf(response.status), `HTTP ${response.status}: ${detailOf(await response.text())}`);

    let bytes = 0;
    const progress = throttledProgress((line) => ctx.warn(`${line}\n`));
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      progress(() => `exporting: ${megabytes(bytes)} written to ${values.out}`);
    });
    try {
      // Password hashes and sealed secrets: for its owner's eyes only.
      await pipeline(body, createWriteStream(values.out, { mode: 0o600 }));
    } catch (error) {
      throw new CliFailure(EXIT.failure, `cannot write ${values.out}: ${error instanceof Error ? error.message : String(error)}`);
    }
    emit(ctx, values.json, { out: values.out, bytes }, `exported to ${values.out} (${bytes} bytes)`);
    return EXIT.ok;
  },
};
