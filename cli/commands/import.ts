import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { documentFile, MalformedDocumentError } from '../../commands/installation/documentStream';
import { ImportRefused } from '../../commands/installation/installationImport';
import { importIntoEmptyLog, LogNotEmptyError } from '../../commands/installation/offlineImport';
import { sqliteEventStore } from '../../commands/eventstore/sqliteEventStore';
import { EVENT_UPCASTERS } from '../../domain/events';
import { commandDepsOf } from '../../platform';
import { apiClient, clientOptions } from '../apiClient';
import { CliFailure, emit, EXIT, parseOptions, usageFailure, type CliCommand, type CliContext } from '../context';
import { openServerEventStore, refuseUsedReadModels, serverConfig, serverSecretKeyId } from '../storeConfig';
import { megabytes, throttledProgress } from '../../commands/installation/migrationProgress';

const CONFIRM = 'yes-i-mean-it';

const usage = [
  'usage: popsink import FILE [--merge] [--server URL] [--json]   into a running installation (superuser): an empty one, or --merge',
  `       popsink import FILE --replace --${CONFIRM} [--server URL] [--json]   archive the running installation's log, make the document's live`,
  '       popsink import FILE --data-dir DIR [--json]   before the first start: write the log into an empty data dir (or --offline with',
  '                                                     POPSINK_DATA_DIR / POPSINK_EVENTSTORE_URL / POPSINK_MONGO_URL as for the server)',
].join('\n');

const options = {
  ...clientOptions,
  merge: { type: 'boolean' },
  replace: { type: 'boolean' },
  [CONFIRM]: { type: 'boolean' },
  offline: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const;

/** What an offline import refuses, as one line for stderr. */
function offlineFailure(error: unknown): unknown {
  if (error instanceof LogNotEmptyError || error instanceof MalformedDocumentError) return new CliFailure(EXIT.failure, error.message);
  if (!(error instanceof ImportRefused)) return error;
  const refusal = error.refusal;
  switch (refusal.code) {
    case 'SECRET_KEY_MISMATCH':
      return new CliFailure(
        EXIT.failure,
        "SECRET_KEY_MISMATCH: the document was sealed with another secret key than this installation's (POPSINK_SECRET_KEY); nothing was written",
      );
    case 'INVALID_DOCUMENT':
      return new CliFailure(
        EXIT.failure,
        `not a valid installation document; nothing was written:\n${refusal.issues.map((issue) => `  ${issue.loc.join('.')}: ${issue.msg}`).join('\n')}`,
      );
    case 'IMPORT_UNRESOLVED_REFERENCES':
      return new CliFailure(
        EXIT.failure,
        `ids that name nothing the document holds; nothing was written:\n${refusal.references.map((r) => `  ${r.from} ${r.field} -> ${r.stream}`).join('\n')}`,
      );
  }
}

/**
 * Writes the document into the empty log of an installation that is not running yet. The log is
 * written aside with `synchronous: normal`: its clean close checkpoints and syncs it before it
 * becomes the live log, so nothing is lost, for several times the speed.
 */
async function importOffline(file: string, dataDir: string | undefined, json: boolean | undefined, ctx: CliContext): Promise<number> {
  const config = serverConfig({ ...ctx, env: { ...ctx.env, ...(dataDir !== undefined ? { POPSINK_DATA_DIR: resolve(dataDir) } : {}) } });
  const keyId = serverSecretKeyId(config);
  await refuseUsedReadModels(config);
  const progress = throttledProgress((line) => ctx.warn(`${line}\n`));
  const source = documentFile(file, (read, size) => progress(() => `reading ${file}: ${megabytes(read)} of ${megabytes(size)}`));
  const live = await openServerEventStore(config, { mustExist: false });
  const started = Date.now();
  try {
    const result = await importIntoEmptyLog(source, live, {
      target:
        config.eventStoreUrl === undefined
          ? { kind: 'embedded', dataDir: config.dataDir, open: (path) => sqliteEventStore(path, { synchronous: 'normal' }) }
          : { kind: 'eventstoredb', store: live },
      keyId,
      upcasters: EVENT_UPCASTERS,
      commandsOf: commandDepsOf,
      now: () => new Date(),
      onProgress: ({ phase, events }) => phase === 'write' && progress(() => `writing the log: ${events} events`),
    });
    const seconds = (Date.now() - started) / 1000;
    const where = config.eventStoreUrl === undefined ? config.dataDir : 'EventStoreDB';
    emit(
      ctx,
      json,
      { imported: file, events: result.events, pipelines_paused: result.pipelinesPaused, seconds },
      `imported ${result.events} events into ${where} in ${seconds.toFixed(1)} s (${result.pipelinesPaused} running pipelines paused); the first start builds the read models`,
    );
    return EXIT.ok;
  } catch (error) {
    throw offlineFailure(error);
  }
}

/**
 * A document `popsink export` wrote: into a running installation through the API (empty, merged,
 * or replacing its log), or, before the first start, straight into its empty event log.
 */
export const command: CliCommand = {
  name: 'import',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(args, options, usage);
    const [file, ...extra] = positionals;
    if (file === undefined || file === '') throw usageFailure('import needs a FILE', usage);
    if (extra.length > 0) throw usageFailure(`unexpected argument ${extra[0]}`, usage);
    const offline = values.offline === true || values['data-dir'] !== undefined;
    if (offline && (values.merge === true || values.replace === true || values.server !== undefined))
      throw usageFailure('an offline import writes into an empty log: no --merge, --replace or --server', usage);
    if (values.merge === true && values.replace === true) throw usageFailure('--merge or --replace, not both', usage);
    if (values.replace === true && values[CONFIRM] !== true)
      throw usageFailure(`--replace archives the installation's whole log and makes the document's live: confirm with --${CONFIRM}`, usage);
    try {
      statSync(file);
    } catch (error) {
      throw new CliFailure(EXIT.failure, `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (offline) return importOffline(file, values['data-dir'], values.json, ctx);

    let document: string;
    try {
      document = readFileSync(file, 'utf8');
      JSON.parse(document);
    } catch (error) {
      throw new CliFailure(EXIT.failure, `cannot read ${file} as JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const mode = values.replace === true ? '?mode=replace' : values.merge === true ? '?mode=merge' : '';
    ctx.warn(`sending ${megabytes(Buffer.byteLength(document))}; the server checks the whole document before it writes anything\n`);
    const answer = await apiClient(ctx, { server: values.server, usage: usage }).request('POST', `/users/import-all${mode}`, {
      text: document,
    });
    emit(ctx, values.json, answer ?? { imported: true }, `imported ${file}${answer === undefined ? '' : `: ${JSON.stringify(answer)}`}`);
    return EXIT.ok;
  },
};
