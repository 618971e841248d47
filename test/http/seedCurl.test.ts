import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { asRecord, startTeamApi } from './apiFixtures';

/**
 * The contract's curl commands of steps 6 to 8 and Patterns 1, 2 and 5
 * (test/fixtures/seedCurl.sh, verbatim), run in order with bash against the API: only the
 * server address is replaced, and Option B's example connector ids by the ids Option A created,
 * as a reader following the tutorial would.
 */
const blocks = readFileSync(new URL('../fixtures/seedCurl.sh', import.meta.url), 'utf8')
  .split(/^#--- /m)
  .slice(1)
  .map((block) => {
    const [status = '', ...command] = block.split('\n');
    return { expected: Number(status), command: command.join('\n').trim() };
  });

test("the contract's curl commands of steps 6-8 and Patterns 1, 2 and 5 answer as the contract says", async (t) => {
  const { api, token, teamId } = await startTeamApi('seed-curl', 'Data Engineering Team');
  try {
    t.is(blocks.length, 13);
    const env: Record<string, string> = { ...process.env, TOKEN: token, TEAM_ID: teamId };
    const server = api.url.replace(/\/api$/, '');
    for (const [index, { expected, command }] of blocks.entries()) {
      let runnable = command.replaceAll('https://your-server', server);
      if (index === 1) {
        const optionA = asRecord((await api.request('GET', `/pipelines/${env['PIPELINE_ID']}`, { token })).body);
        const sourceId = String(
          asRecord((await api.request('GET', `/connectors/filter-one?name=${String(optionA['source_name'])}`, { token })).body)['id'],
        );
        const targetId = String(
          asRecord((await api.request('GET', `/connectors/filter-one?name=${String(optionA['target_name'])}`, { token })).body)['id'],
        );
        runnable = runnable
          .replace('a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d', sourceId)
          .replace('f6e5d4c3-b2a1-4c5d-9e8f-5d4c3b2a1f0e', targetId);
      }
      const { stdout } = await promisify(execFile)('bash', ['-c', `${runnable} -s -w '\\n%{http_code}'`], { env, timeout: 30_000 });
      const lines = stdout.split('\n');
      const status = Number(lines.pop());
      const body = lines.join('\n');
      t.is(status, expected, `${command.split('\n')[0]} → ${body.slice(0, 300)}`);
      if (index === 0) env['PIPELINE_ID'] = String(asRecord(JSON.parse(body))['id']);
    }
    t.like(asRecord((await api.request('GET', `/pipelines/${env['PIPELINE_ID']}`, { token })).body), {
      name: 'updated-pipeline-name',
      state: 'paused',
      version: 2,
      subscription_backfill: true,
    });
    // The PATCH's partial source_config edited the connector in place, keeping its SASL settings and secret.
    const source = asRecord(asRecord((await api.request('GET', `/pipelines/${env['PIPELINE_ID']}`, { token })).body)['source_config']);
    t.like(source, {
      topic: 'new-topic',
      consumer_group_id: 'updated-consumer',
      security_protocol: 'SASL_SSL',
      sasl_username: 'kafka_user',
      sasl_password: '********',
    });
  } finally {
    await api.stop();
  }
});
