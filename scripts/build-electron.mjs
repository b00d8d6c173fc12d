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
  external: ['electron', 'better-sqlite3', 'serialport', '@serialport/*', 'bufferutil', 'utf-8-validate'],
};
await build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.cjs' });
// The preload runs sandboxed: it may only require('electron'), so everything else is bundled in.
await build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs' });
console.log('built dist/electron/main.cjs and dist/electron/preload.cjs');
