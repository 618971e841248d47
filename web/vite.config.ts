import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The console's build. `npm run build` (scripts/buildConsole.mjs) writes it to dist/console/,
 * which the API serves at `/`. `npx vite --config web/vite.config.ts` serves it with hot reload,
 * sending /api (the WebSocket log streams too) to an API on port 8000.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:8000', ws: true } },
  },
});
