import type { Command } from 'commander';
import type { CommandRegistrar } from './main';
import { UserError } from './main';
import { runSimulateEdf, type SimulateEdfCliOptions } from './simulate-edf';

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
    .action((opts: Partial<SimulateEdfCliOptions>) => {
      if (opts.edf === undefined) {
        throw new UserError('simulate: say where the session goes, e.g. --edf session.edf');
      }
      runSimulateEdf({ ...opts, edf: opts.edf });
    });
};
