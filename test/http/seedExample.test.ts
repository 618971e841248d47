import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startApi } from './apiFixtures';

/**
 * The contract's "Complete Example Script" (Python, `requests`), copied verbatim into
 * test/fixtures/seedExample.py but for the server address, run to its last line against the API.
 */
test("the contract's complete example script runs to its last line (start answers BUILDING)", async (t) => {
  const api = await startApi();
  try {
    const script = fileURLToPath(new URL('../fixtures/seedExample.py', import.meta.url));
    const { stdout } = await promisify(execFile)('python3', [script], {
      env: { ...process.env, POPSINK_SERVER: api.url.replace(/\/api$/, '') },
      timeout: 60_000,
    });
    t.regex(stdout, /Pipeline state: BUILDING/);
    t.regex(stdout, /All steps completed successfully!/);
  } finally {
    await api.stop();
  }
});
