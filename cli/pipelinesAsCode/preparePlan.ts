import { apiClient, clientOptions, type ApiClient } from '../apiClient';
import { CliFailure, EXIT, parseOptions, usageFailure, type CliContext } from '../context';
import { readDesiredState } from './desiredState';
import { readInstallation, userIdsByEmail, type Installation } from './installationReader';
import { plan, type Plan } from './planner';

/** The options `popsink plan` and `popsink apply` share. */
export const planOptions = {
  ...clientOptions,
  file: { type: 'string', short: 'f', multiple: true },
  prune: { type: 'boolean' },
  'update-secrets': { type: 'boolean' },
} as const;

export const planUsage = (name: 'plan' | 'apply', what: string): string =>
  [
    `usage: popsink ${name} -f FILE|DIR [-f ...] [--prune] [--update-secrets] [--server URL] [--json]`,
    `  ${what}`,
    '  --prune           delete what the files do not declare, within the environments, teams and pipelines they declare',
    '  --update-secrets  send the secrets of existing connectors again (stored secrets cannot be read back to compare)',
  ].join('\n');

/**
 * Reads and checks the files (before any API call), reads the installation and plans. Problems
 * of the files or of their references end the command with every problem listed.
 */
export async function preparePlan(
  args: readonly string[],
  ctx: CliContext,
  usage: string,
): Promise<{ client: ApiClient; installation: Installation; plan: Plan; json: boolean | undefined }> {
  const { values, positionals } = parseOptions(args, planOptions, usage);
  if (positionals.length > 0) throw usageFailure(`unexpected argument ${positionals[0]} (files are given with -f)`, usage);
  if (values.file === undefined || values.file.length === 0) throw usageFailure('-f FILE is required', usage);
  const desired = readDesiredState(values.file, ctx.env);
  const client = apiClient(ctx, { server: values.server, usage });
  const installation = await readInstallation(client);
  const emails = desired.teams.flatMap(({ spec }) => (spec.members ?? []).map((member) => member.email));
  const userIds = await userIdsByEmail(client, installation, emails);
  const planned = plan(desired, installation, userIds, { prune: values.prune === true, updateSecrets: values['update-secrets'] === true });
  if ('problems' in planned)
    throw new CliFailure(EXIT.failure, `the files cannot be applied to ${client.server}:\n${planned.problems.join('\n')}`);
  return { client, installation, plan: planned.plan, json: values.json };
}
