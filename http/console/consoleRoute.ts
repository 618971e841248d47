import Router from '@koa/router';
import type { Context } from 'koa';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every path but the API's and /metrics: those stay with their own routers. */
const CONSOLE_PATH = /^\/(?!api(?:\/|$)|metrics(?:\/|$))/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The console loads only its own files and talks only to this origin (the API and the log
 * WebSockets); it is never framed. A violation shows in the browser's console, so the browser
 * test catches a change that would need more.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

const NOT_BUILT = `The web console is not built here.
Run \`npm run build\` (\`npm start\` does it), which writes it to dist/console/, or point POPSINK_CONSOLE_DIR at a built console.
The API is at /api (Swagger UI at /api/docs).
`;

/** dist/console/ of the project this module belongs to, found from its package.json: the same from the sources and from dist/. */
export function defaultConsoleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'popsink-on-prem')
      return join(dir, 'dist', 'console');
    const parent = dirname(dir);
    if (parent === dir) return resolve('dist', 'console');
    dir = parent;
  }
}

/** The file under `root` a URL path names, or undefined when the path would leave it (`..`, encoded or not). */
function fileUnder(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = resolve(root, `.${decoded}`);
  return file === root || file.startsWith(`${root}${sep}`) ? file : undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function send(ctx: Context, file: string, cacheControl: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) ctx.set(name, value);
  ctx.set('Cache-Control', cacheControl);
  ctx.type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  ctx.body = createReadStream(file);
}

/**
 * The web console at `/`: the built files of `dir` (the project's dist/console/ by default), and
 * index.html for any other path without a file extension, so that the console's own routes
 * (`/pipelines/<id>`) load on a reload or a shared link. Vite names its assets by content hash,
 * so those are cached for good; index.html is revalidated each time. When the console is not
 * built (the platform run from its sources), every console path answers 503 saying how to build
 * it, and the API works as ever.
 */
export function consoleRouter({ dir }: { readonly dir: string }): Router {
  const root = resolve(dir);
  const index = join(root, 'index.html');
  const router = new Router();

  router.get(CONSOLE_PATH, async (ctx) => {
    const file = fileUnder(root, ctx.path);
    if (file !== undefined && ctx.path !== '/' && (await isFile(file))) {
      const hashed = ctx.path.startsWith('/assets/');
      send(ctx, file, hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      return;
    }
    // A missing file (a stale asset, a typo) is a 404, not the page: only extension-less paths are the console's routes.
    if (extname(ctx.path) !== '') return;
    if (!(await isFile(index))) {
      ctx.status = 503;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = NOT_BUILT;
      return;
    }
    send(ctx, index, 'no-cache');
  });

  return router;
}
