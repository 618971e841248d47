// The web console (web/: React, built by Vite) as static files, by default into dist/console/,
// which the API serves at `/` (http/console/consoleRoute.ts). `npm run build` calls it; run alone,
// `node scripts/buildConsole.mjs [outDir]` builds it elsewhere (the browser test does, so that
// another suite rebuilding dist/ meanwhile cannot pull the files from under it).
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildConsole(outDir = resolve(root, 'dist/console')) {
  await build({
    configFile: resolve(root, 'web/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: resolve(outDir), emptyOutDir: true },
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await buildConsole(process.argv[2]);
}
