import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Builds the React renderer into dist/renderer. The output is served by the browser host and loaded by
 * Electron under a strict CSP (no inline scripts, no eval): Vite emits external module scripts and CSS
 * files, and `modulePreload.polyfill` is off because the polyfill is an inline script.
 */
export default defineConfig({
  root: path.join(here, 'renderer'),
  base: './',
  plugins: [react()],
  build: {
    outDir: path.join(here, 'dist', 'renderer'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1200,
  },
  server: { host: '127.0.0.1' },
});
