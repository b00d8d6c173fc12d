#!/usr/bin/env node
// Entry point of the `sdrlog` command. Runs the bundle in dist/cli when it is up to date with the sources
// (npm test and npm install build it), and otherwise the TypeScript sources through tsx, so the command
// always runs the code as it is in the working tree.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'cli', 'sdrlog.mjs');

function newestSourceMtimeMs() {
  let newest = statSync(path.join(root, 'package.json')).mtimeMs;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ts|tsx|js|mjs|json)$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(path.join(root, 'src'));
  walk(path.join(root, 'hardware'));
  return newest;
}

function bundleIsFresh() {
  try {
    return statSync(bundle).mtimeMs >= newestSourceMtimeMs();
  } catch {
    return false;
  }
}

let entry;
if (process.env.SDRLOG_FROM_SOURCE !== '1' && bundleIsFresh()) {
  entry = pathToFileURL(bundle).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = pathToFileURL(path.join(root, 'src', 'cli', 'main.ts')).href;
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
