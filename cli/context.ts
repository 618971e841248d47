import { parseArgs, type ParseArgsConfig } from 'node:util';

/** What a command may touch of its process: cli.ts builds it, so no command reads `process` itself. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly stdin: NodeJS.ReadStream;
  write(text: string): void;
  warn(text: string): void;
}

/** One `popsink` command: cli.ts dispatches on `name`. */
export interface CliCommand {
  readonly name: string;
  /** One or more `usage: ...` lines. */
  readonly usage: string;
  run(args: readonly string[], ctx: CliContext): Promise<number>;
}

/** The exit codes scripts can rely on (README, "CLI"). */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, refused: 4 } as const;

/** Ends a command with an exit code and a message for stderr. */
export class CliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

export const usageFailure = (problem: string, usage: string): CliFailure => new CliFailure(EXIT.usage, `${problem}\n${usage}`);

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, with positionals; a bad option is a usage error (exit 2), not a crash. */
export function parseOptions<O extends Options>(args: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw usageFailure(error instanceof Error ? error.message : String(error), usage);
  }
}

/** An ISO-8601 time given as an option, or undefined when absent. */
export function timeOption(name: string, raw: string | undefined, usage: string): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms)) throw usageFailure(`--${name} must be an ISO-8601 time, got ${raw}`, usage);
  return ms;
}

/** Prints one result: a JSON line for scripts, or the text for people. */
export function emit(ctx: CliContext, json: boolean | undefined, value: unknown, text: string): void {
  ctx.write(`${json === true ? JSON.stringify(value) : text}\n`);
}
