import { homedir } from 'node:os';
import { CliFailure, EXIT, type CliCommand, type CliContext } from './cli/context';

// The command line: `popsink COMMAND ...`. Each command lives in cli/commands/, loaded only when run;
// this file only dispatches (and is the one place, with config.ts, that reads the process's environment).
const commands: Readonly<Record<string, () => Promise<{ command: CliCommand }>>> = {
  'create-superuser': () => import('./cli/commands/createSuperuser'),
  audit: () => import('./cli/commands/audit'),
  login: () => import('./cli/commands/login'),
  pipelines: () => import('./cli/commands/pipelines'),
  logs: () => import('./cli/commands/logs'),
  errors: () => import('./cli/commands/errors'),
  export: () => import('./cli/commands/export'),
  import: () => import('./cli/commands/import'),
  rebuild: () => import('./cli/commands/rebuild'),
  plan: () => import('./cli/commands/plan'),
  apply: () => import('./cli/commands/apply'),
  schema: () => import('./cli/commands/schema'),
};

const overview = `usage: popsink COMMAND [OPTIONS]   (popsink COMMAND --help for its options)\ncommands: ${Object.keys(commands).join(', ')}\nexit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 refused (401/403, not logged in)`;

async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? ctx.warn : ctx.write)(`${overview}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (load === undefined) {
    ctx.warn(`unknown command ${name}\n${overview}\n`);
    return EXIT.usage;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, ctx);
  } catch (error) {
    if (error instanceof CliFailure) {
      ctx.warn(`popsink ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    ctx.warn(`popsink ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.failure;
  }
}

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  homeDir: homedir(),
  stdin: process.stdin,
  write: (text) => process.stdout.write(text),
  warn: (text) => process.stderr.write(text),
});
