#!/usr/bin/env node
// Bundles the `sdrlog` command into dist/cli (one ESM file plus the pipeline worker beside it), so the
// command starts without compiling TypeScript on every run. bin/sdrlog.mjs uses the bundle only while it
// is newer than every source file, and otherwise runs the sources through tsx.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
};
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli/sdrlog.mjs' });
await build({ ...common, entryPoints: ['src/app/pipeline-worker.ts'], outfile: 'dist/cli/pipeline-worker.js' });
