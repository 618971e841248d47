import { isLeft } from 'fp-ts/lib/Either.js';
import { ensureSuperuser } from '../../commands/identity/ensureSuperuser';
import { scryptHasher } from '../../infrastructure/crypto/passwords';
import { commandDepsOf } from '../../platform';
import { EXIT, parseOptions, usageFailure, type CliCommand } from '../context';
import { openServerEventStore, serverConfig } from '../storeConfig';

const usage = 'usage: popsink create-superuser --email EMAIL [--password PASSWORD]   (password also from POPSINK_ADMIN_PASSWORD)';

/** Registers (or promotes) a superuser straight into the event log. */
export const command: CliCommand = {
  name: 'create-superuser',
  usage,
  async run(args, ctx) {
    const { values } = parseOptions(args, { email: { type: 'string' }, password: { type: 'string' } }, usage);
    const config = serverConfig(ctx);
    const email = values.email ?? config.adminEmail;
    const password = values.password ?? config.adminPassword ?? '';
    if (email === undefined) throw usageFailure('--email is required', usage);
    const store = await openServerEventStore(config, { mustExist: false });
    try {
      const outcome = await ensureSuperuser(commandDepsOf(store), scryptHasher(), email, password);
      if (isLeft(outcome)) {
        ctx.warn(`refused: ${outcome.left.code}\n`);
        return EXIT.failure;
      }
      ctx.write(`${JSON.stringify({ user_id: outcome.right.userId, created: outcome.right.created })}\n`);
      return EXIT.ok;
    } finally {
      await store.close();
    }
  },
};
