import type { Command } from 'commander';
import type { CommandRegistrar } from './main';
import { UserError } from './main';
import { runSimulateEdf, type SimulateEdfCliOptions } from './simulate-edf';
import { parseFaults, runSimulatePty } from './simulate-pty';

interface SimulatePtyCliOptions {
  pty?: boolean;
  link?: string;
  faults?: string;
  speed?: string;
}

function positiveNumber(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UserError(`${name} must be a positive number, got '${v}'`);
  return n;
}

/**
 * `sdrlog simulate`: a simulated patient and session. `--edf OUT.edf` writes the session as an EDF+
 * file (src/cli/simulate-edf.ts); other outputs (e.g. a pseudo-terminal device) add their own option.
 */
export const registerSimulate: CommandRegistrar = (program: Command) => {
  program
    .command('simulate')
    .description('simulate an SDR monitoring session (threshold ramps and test trains over several levels and both sides)')
    .option('--edf <file>', 'write the simulated session as an EDF+ file')
    .option('--seconds <n>', 'length of the recording in seconds (default: the whole scripted session)')
    .option('--seed <n>', 'random seed: the same seed gives the same patient and file', '1')
    .option('--rate <hz>', 'EMG sample rate in Hz (default 10000)')
    .option('--levels <list>', 'levels to stimulate, comma-separated, e.g. L4,L5,S1 (default L1..S2)')
    .option('--sides <list>', 'sides, comma-separated (default L,R)')
    .option('--truth <file>', 'with --edf: also write a JSON sidecar with the latent grade of every test train')
    .option('--pty', 'run the simulated device behind a pseudo-terminal (needs socat) and print its path; runs until killed')
    .option('--link <path>', 'with --pty: where to put the device path (default: a new temporary folder)')
    .option('--faults <list>', 'with --pty: injected faults, e.g. corrupt=1e-4,drop=1e-5,stall=5:200,unplug=10:3,electrode-off=8:4:2 (times in device seconds after the host first starts streaming)')
    .option('--speed <x>', 'with --pty: device seconds per wall-clock second (default 1)')
    .action(async (opts: Partial<SimulateEdfCliOptions> & SimulatePtyCliOptions) => {
      if (opts.pty) {
        const seed = Number(opts.seed ?? '1');
        if (!Number.isInteger(seed)) throw new UserError(`--seed must be an integer, got '${String(opts.seed)}'`);
        await runSimulatePty({
          seed, sampleRateHz: positiveNumber(opts.rate, '--rate'), link: opts.link, faults: parseFaults(opts.faults),
          speed: positiveNumber(opts.speed, '--speed'),
          onReady: (devicePath) => process.stdout.write(`device: ${devicePath}\n`),
        });
        return;
      }
      if (opts.edf === undefined) {
        throw new UserError('simulate: say where the session goes, e.g. --edf session.edf or --pty');
      }
      runSimulateEdf({ ...opts, edf: opts.edf });
    });
};
