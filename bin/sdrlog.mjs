#!/usr/bin/env node
// Entry point of the `sdrlog` command. Loads the TypeScript sources through tsx, so the command works
// straight after `npm install` (npx sdrlog, npm run sdrlog) without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
