import { parseArgs } from 'node:util';
import { isLeft } from 'fp-ts/lib/Either.js';
import { readConfig } from './config';
import { ensureSuperuser } from './commands/ensureSuperuser';
import { scryptHasher } from './commands/passwords';
import { commandDepsOf, openEventStore } from './platform';

// The command line: `popsink create-superuser --email E --password P` (password also from POPSINK_ADMIN_PASSWORD).
const usage = 'usage: popsink create-superuser --email EMAIL [--password PASSWORD]';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'create-superuser') {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' } } });
  const config = readConfig(process.env);
  const email = values.email ?? config.adminEmail;
  const password = values.password ?? config.adminPassword ?? '';
  if (email === undefined) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const store = await openEventStore(config);
  try {
    const outcome = await ensureSuperuser(commandDepsOf(store), scryptHasher(), email, password);
    if (isLeft(outcome)) {
      process.stderr.write(`refused: ${outcome.left.code}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify({ user_id: outcome.right.userId, created: outcome.right.created })}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
