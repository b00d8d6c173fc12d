import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createSdrApp } from '../app/sdr-app';
import { defaultDeviceFactory, listPortsForUi } from '../app/devices';
import { startSdrServer } from '../server/server';
import { defaultDatabasePath } from '../storage';
import { UserError, type CommandRegistrar } from './main';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_DIR = path.join(REPO_ROOT, 'dist', 'renderer');

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`--port must be 0-65535, got '${v}'`);
  return n;
}

function parseSpeed(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 20) throw new UserError(`--speed must be a number in (0, 20], got '${v}'`);
  return n;
}

/** Builds the renderer with Vite when its output is missing. */
function ensureRendererBuilt(): void {
  if (fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) return;
  process.stdout.write('sdrlog web: building the user interface (npm run build:renderer)...\n');
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:renderer'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0 || !fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new UserError('building the user interface failed: run `npm run build:renderer` to see why');
  }
}

/** `sdrlog web`: the browser host on 127.0.0.1 with the simulated device available. */
export const registerWeb: CommandRegistrar = (program: Command) => {
  program
    .command('web')
    .description('Serve the sdrlog user interface to a browser on this machine (127.0.0.1 only)')
    .option('--db <path>', 'case database (default: the user data folder, or $SDRLOG_DB)')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 picks a free one)', '8470')
    .option('--speed <x>', 'simulated device time per wall second', '1')
    .option('--seed <n>', 'seed of the simulated patient', '1')
    .option('--no-build', 'do not build the user interface when it is missing')
    .action(async (opts: { db?: string; port: string; speed: string; seed: string; build: boolean }) => {
      const port = parsePort(opts.port);
      const speed = parseSpeed(opts.speed);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed must be a non-negative integer, got '${opts.seed}'`);
      if (opts.build) ensureRendererBuilt();
      const dbPath = opts.db ?? defaultDatabasePath();
      const app = await createSdrApp({ dbPath, createDevice: defaultDeviceFactory({ simulatorSpeed: speed, defaultSeed: seed }), listSerialPorts: listPortsForUi });
      let server;
      try {
        server = await startSdrServer({ app, port, staticDir: RENDERER_DIR });
      } catch (e) {
        await app.close();
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(code === 'EADDRINUSE' ? `port ${port} is in use: pick another with --port` : `cannot start the server: ${(e as Error).message}`);
      }
      for (const r of app.recovery.recovered) {
        process.stdout.write(`sdrlog web: recovered session ${r.sessionId} of case ${r.caseId}: ${r.lostDescription}\n`);
      }
      process.stdout.write(`sdrlog web: open ${server.url} (database ${dbPath}); Ctrl+C stops\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await app.close();
      process.stdout.write('sdrlog web: stopped; the case database is closed cleanly\n');
    });
};
