#!/usr/bin/env node
// Makes sure better-sqlite3 loads in this Node. Packaging (electron-builder, npmRebuild) rebuilds it in
// place for Electron's ABI; tests run on Node's ABI, so rebuild it for Node when that happened.
// Costs one require() when nothing needs doing.
import { createRequire } from 'node:module';
import { execSync } from 'node:child_process';

const require = createRequire(import.meta.url);
function loads() {
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    return true;
  } catch (e) {
    if (String(e && e.message).includes('NODE_MODULE_VERSION')) return false;
    throw e;
  }
}
if (!loads()) {
  console.log('better-sqlite3 was built for another runtime (Electron); rebuilding it for Node...');
  execSync('npm rebuild better-sqlite3', { stdio: 'inherit' });
}
