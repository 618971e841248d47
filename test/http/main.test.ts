import test from 'ava';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tempDir } from '../commands/commandFixtures';

/** Starts the real composition root (embedded defaults) on an ephemeral port. */
function startPlatform(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const port = new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${lines.join('')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as { message?: string; port?: number };
      if (entry.message === 'popsink listening' && entry.port !== undefined) resolve(entry.port);
    });
  });
  return { child, port, lines };
}

test('npm start answers livez on the embedded default and stops cleanly on SIGTERM', async (t) => {
  const started = Date.now();
  const platform = startPlatform({ POPSINK_DATA_DIR: tempDir() });
  t.teardown(() => platform.child.kill('SIGKILL'));
  const port = await platform.port;
  const live = await fetch(`http://127.0.0.1:${port}/api/livez`);
  t.is(live.status, 200);
  t.log(`livez answered ${Date.now() - started} ms after spawn`);
  t.is((await fetch(`http://127.0.0.1:${port}/api/readyz`)).status, 200);

  platform.child.removeAllListeners('exit');
  const exit = new Promise<number | null>((resolve) => platform.child.once('exit', resolve));
  platform.child.kill('SIGTERM');
  t.is(await exit, 0);
  t.true(platform.lines.some((line) => line.includes('"shutting down"')));
});

test('a bad configuration stops start-up with a clear message', async (t) => {
  const platform = startPlatform({ POPSINK_DATA_DIR: tempDir(), POPSINK_MONGO_URL: 'http://not-mongo' });
  const error = await t.throwsAsync(platform.port);
  t.regex(error?.message ?? '', /POPSINK_MONGO_URL must be a mongodb:\/\/ connection string/);
});
