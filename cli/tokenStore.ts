import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CliContext } from './context';

/** Where `popsink login` keeps the token: readable by its owner only. */
export const tokenFile = (ctx: CliContext): string => join(ctx.homeDir, '.config', 'popsink', 'token');

export function saveToken(ctx: CliContext, token: string): string {
  const file = tokenFile(ctx);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  // The mode above applies only to a new file: an older one is narrowed too.
  chmodSync(file, 0o600);
  return file;
}

/** POPSINK_TOKEN first (CI), else the token `popsink login` saved. */
export function storedToken(ctx: CliContext): string | undefined {
  const fromEnv = ctx.env['POPSINK_TOKEN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const file = tokenFile(ctx);
  if (!existsSync(file)) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  return token === '' ? undefined : token;
}
