import Router from '@koa/router';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { openApiDocument, routesOf, type OpenApiDocument } from './openApiDocument';
import { pathParam } from '../decode';

/** Where the `swagger-ui-dist` package lies: the Swagger UI page is served from it, no CDN. */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The package's files the page uses (and their source maps), with their content types; nothing else of the folder is served. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui.css.map': 'application/json',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-bundle.js.map': 'application/json',
  'favicon-16x16.png': 'image/png',
  'favicon-32x32.png': 'image/png',
};

/** Our own start-up script (a file, not inline, so a strict Content-Security-Policy can allow it). */
const INITIALIZER = 'popsink-swagger-init.js';
const INITIALIZER_JS = `window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({ url: root.dataset.url, dom_id: '#swagger-ui', presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout', deepLinking: true });
});
`;

/** The project's version, from the package.json above this module: two folders up from source, one from dist/. */
function projectVersion(): string {
  for (let dir = new URL('.', import.meta.url), depth = 0; depth < 4; dir = new URL('..', dir), depth += 1) {
    const file = new URL('package.json', dir);
    if (!existsSync(file)) continue;
    const found = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (found.name === 'popsink-on-prem') return found.version ?? '0.0.0';
  }
  return '0.0.0';
}
const VERSION = projectVersion();

const escapeAttribute = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

const page = (assets: string, documentUrl: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Popsink API</title>
<link rel="stylesheet" href="${escapeAttribute(`${assets}swagger-ui.css`)}">
<link rel="icon" type="image/png" sizes="32x32" href="${escapeAttribute(`${assets}favicon-32x32.png`)}">
<link rel="icon" type="image/png" sizes="16x16" href="${escapeAttribute(`${assets}favicon-16x16.png`)}">
</head>
<body>
<div id="swagger-ui" data-url="${escapeAttribute(documentUrl)}"></div>
<script src="${escapeAttribute(`${assets}swagger-ui-bundle.js`)}"></script>
<script src="${escapeAttribute(`${assets}${INITIALIZER}`)}"></script>
</body>
</html>
`;

/**
 * `GET /openapi.json` (the OpenAPI 3.1 document of every route of `routers`, this one's included,
 * walked from their layers once the app has mounted them under `apiPrefix`) and `GET /docs`
 * (Swagger UI over it). Both public: no caller needed.
 */
export function docsRouter(apiPrefix: string, routers: () => readonly Router[]): Router {
  const router = new Router();
  let document: OpenApiDocument | undefined;

  router.get('/openapi.json', (ctx) => {
    document ??= openApiDocument(routesOf(routers(), apiPrefix), { apiPrefix, version: VERSION });
    ctx.body = document;
  });

  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page(`${apiPrefix}/docs/`, `${apiPrefix}/openapi.json`);
  });

  router.get('/docs/:file', (ctx) => {
    const file = pathParam(ctx, 'file');
    if (file === INITIALIZER) {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = INITIALIZER_JS;
      return;
    }
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (type === undefined) return; // left unanswered: the app's 404
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = type;
    ctx.body = createReadStream(join(SWAGGER_UI_DIR, file));
  });

  return router;
}
