import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asRecord, type Api } from '../http/apiFixtures';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A HOME of its own, so the token a test saves is its own. */
export const tempHome = (): string => mkdtempSync(join(tmpdir(), 'popsink-cli-home-'));

/**
 * Runs `node --import tsx cli.ts ...args` as a child process with exactly `env` (plus PATH),
 * as a script would, and answers its exit code and output.
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  options: { input?: string; timeoutMs?: number; signalOn?: { stderr: RegExp; signal: NodeJS.Signals } } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli.ts'), ...args], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.signalOn?.stderr.test(stderr) === true) child.kill(options.signalOn.signal);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** stdout as JSON lines. */
export const jsonLines = (stdout: string): Record<string, unknown>[] =>
  stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * Creates a Kafka → Oracle pipeline `name` (connectors `name-source` / `name-target`) through the
 * API; the connector passwords are `secret-kafka` / `secret-oracle` suffixed by `name`.
 */
export async function createPipeline(api: Api, token: string, teamId: string, name: string): Promise<string> {
  const created = await api.request('POST', '/pipelines/', {
    token,
    json: {
      name,
      team_id: teamId,
      source_name: `${name}-source`,
      source_type: 'KAFKA_SOURCE',
      source_config: {
        topic: 'events',
        bootstrap_servers: 'kafka:9092',
        consumer_group_id: 'g',
        sasl_username: 'u',
        sasl_password: `secret-kafka-${name}`,
        sasl_mechanism: 'PLAIN',
        security_protocol: 'SASL_SSL',
      },
      target_name: `${name}-target`,
      target_type: 'ORACLE_TARGET',
      target_config: {
        host: 'oracle',
        port: '1521',
        database: 'ORCL',
        server_name: 'XE',
        server_id: 'o1',
        user: 'etl',
        password: `secret-oracle-${name}`,
      },
      subscription_target_table_name: 'events',
      subscription_backfill: false,
      subscription_mapper_config: [{ key: 'id', path: '$.id', cast: 'string', primary_key: true, nullable: false }],
    },
  });
  if (created.status !== 201) throw new Error(`pipeline ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  return String(asRecord(created.body)['id']);
}
