#!/usr/bin/env node
// Bundles the Electron main process and preload with esbuild into dist/electron. Native modules and
// electron itself stay external (loaded from node_modules at run time).
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['electron', 'better-sqlite3', 'serialport', '@serialport/*', 'bufferutil', 'utf-8-validate', 'playwright-core'],
  // The app locates its worker script relative to its own module URL; in a CommonJS bundle that is the
  // bundle file itself, so the worker is bundled next to it (dist/electron/pipeline-worker.js).
  define: { 'import.meta.url': '__sdrlogModuleUrl' },
  banner: { js: "const __sdrlogModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};
await build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.cjs' });
await build({ ...common, entryPoints: ['src/app/pipeline-worker.ts'], outfile: 'dist/electron/pipeline-worker.js' });
// The preload runs sandboxed: it may only require('electron'), so everything else is bundled in.
const { define: _define, banner: _banner, ...preloadOptions } = common;
await build({ ...preloadOptions, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs' });
console.log('built dist/electron/main.cjs, preload.cjs and pipeline-worker.js');
