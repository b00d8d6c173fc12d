#!/usr/bin/env node
// `npm run bench`: runs every benchmark in bench/ (or those named on the command line) and prints
// their figures. Each bench file exports `run(): Promise<void>` and prints its own results.
import { register } from 'tsx/esm/api';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

register();
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench');
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
for (const f of files) {
  console.log(`\n== ${f}`);
  const mod = await import(pathToFileURL(path.join(dir, f)).href);
  await mod.run();
}
