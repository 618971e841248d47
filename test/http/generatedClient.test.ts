import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { tempDir } from '../commands/commandFixtures';
import { startApi } from './apiFixtures';

test("a client generated from the served document type-checks against the contract's example flow", async (t) => {
  const api = await startApi();
  t.teardown(() => api.stop());
  const document = (await api.request('GET', '/openapi.json')).body;
  const dir = tempDir();
  writeFileSync(join(dir, 'schema.ts'), astToString(await openapiTS(JSON.stringify(document))));
  copyFileSync(new URL('../fixtures/generatedClient/flow.ts.txt', import.meta.url), join(dir, 'flow.ts'));
  const tsc = join(process.cwd(), 'node_modules', '.bin', 'tsc');
  const args = [
    '--noEmit',
    '--strict',
    '--target',
    'ES2022',
    '--module',
    'preserve',
    '--moduleResolution',
    'bundler',
    join(dir, 'flow.ts'),
  ];
  const result = await promisify(execFile)(tsc, args, { cwd: dir }).then(
    () => '',
    (error: { stdout?: string }) => error.stdout ?? String(error),
  );
  t.is(result, '');
});
