import { text } from 'node:stream/consumers';
import { apiClient, clientOptions } from '../apiClient';
import { CliFailure, emit, EXIT, parseOptions, usageFailure, type CliCommand } from '../context';
import { saveToken } from '../tokenStore';

const usage = [
  'usage: popsink login --email EMAIL [--password PASSWORD] [--server URL] [--json]',
  '  without --password, the password is read from stdin (e.g. `echo "$PW" | popsink login --email me@x`)',
].join('\n');

/** Logs in and keeps the token in ~/.config/popsink/token (mode 0600) for the other commands. */
export const command: CliCommand = {
  name: 'login',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseOptions(
      args,
      { ...clientOptions, email: { type: 'string' }, password: { type: 'string' } },
      usage,
    );
    if (positionals.length > 0) throw usageFailure(`unexpected argument ${positionals[0]}`, usage);
    if (values.email === undefined || values.email === '') throw usageFailure('--email is required', usage);
    let password = values.password;
    if (password === undefined) {
      if (ctx.stdin.isTTY === true) throw usageFailure('--password is required (or pipe it on stdin)', usage);
      password = (await text(ctx.stdin)).replace(/\r?\n$/, '');
    }
    const client = apiClient(ctx, { server: values.server, usage, anonymous: true });
    let answer: unknown;
    try {
      answer = await client.request('POST', '/auth/jwt/login', { form: { username: values.email, password } });
    } catch (error) {
      // The API answers bad credentials with 400 (the contract's); for a script it is a refusal.
      if (error instanceof CliFailure && error.message.includes('LOGIN_BAD_CREDENTIALS')) throw new CliFailure(EXIT.refused, error.message);
      throw error;
    }
    const token = (answer as { access_token?: unknown } | undefined)?.access_token;
    if (typeof token !== 'string') throw new CliFailure(EXIT.failure, `${client.server} answered the login without a token`);
    const file = saveToken(ctx, token);
    emit(
      ctx,
      values.json,
      { email: values.email, server: client.server, token_file: file },
      `logged in as ${values.email} at ${client.server}; token saved in ${file}`,
    );
    return EXIT.ok;
  },
};
