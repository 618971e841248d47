// `npm run build`: the platform as JavaScript in dist/ (main.js, cli.js and the worker pool's
// runtime/worker/poolProcess.js), so that production processes load no TypeScript tooling.
// esbuild bundles the project's modules (the sources import without extensions, as tsconfig's
// "bundler" resolution allows, which Node's own ESM loader would refuse) and leaves packages
// external. Type checking is `npm run typecheck`; this only translates. The web console is built
// last, into dist/console/ (scripts/buildConsole.mjs).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { buildConsole } from './buildConsole.mjs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: new URL('..', import.meta.url).pathname,
  entryPoints: ['main.ts', 'cli.ts', 'runtime/worker/poolProcess.ts'],
  outdir: 'dist',
  outbase: '.',
  bundle: true,
  // Shared modules become chunks at dist/'s top level, beside main.js (see workerPool.ts).
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
await buildConsole();
