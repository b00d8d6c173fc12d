#!/usr/bin/env node
// `npm start`: the desktop app on the simulated device.
// 1. builds the renderer (Vite) and bundles main + preload (esbuild);
// 2. builds better-sqlite3 for Electron's ABI into .cache/electron-native (a copy of the module, so the
//    Node build used by `npm test` stays untouched) - needs a network connection the first time to fetch
//    Electron's headers;
// 3. launches Electron (whose npm package downloads the Electron binary on first run).
import { execSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const run = (cmd, cwd = root) => execSync(cmd, { stdio: 'inherit', cwd });

run('npm run build:renderer');
run('node scripts/build-electron.mjs');

const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
const nativeDir = path.join(root, '.cache/electron-native', electronVersion);
const binding = path.join(nativeDir, 'better-sqlite3/build/Release/better_sqlite3.node');
if (!existsSync(binding)) {
  console.log(`building better-sqlite3 for Electron ${electronVersion} (once)...`);
  mkdirSync(nativeDir, { recursive: true });
  cpSync(path.join(root, 'node_modules/better-sqlite3'), path.join(nativeDir, 'better-sqlite3'), {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}build${path.sep}`),
  });
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  run(`node "${gyp}" rebuild --release --runtime=electron --target=${electronVersion} --dist-url=https://electronjs.org/headers`,
    path.join(nativeDir, 'better-sqlite3'));
  writeFileSync(path.join(nativeDir, 'built-for'), `electron ${electronVersion}\n`);
}

const electronBin = require('electron');
const child = spawn(electronBin, ['.'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SDRLOG_SQLITE_BINDING: binding },
});
child.on('exit', (code) => process.exit(code ?? 0));
