import type { Command } from 'commander';
import { ReplayRun, type ReplaySink } from '../app/replay';
import { pickSession, requireCase } from '../app/interchange/common';
import type { ReplaySpeed } from '../contracts';
import { openCaseStore, type CaseStore } from '../storage';
import type { GradeLine } from './grade';
import { UserError, type CommandRegistrar } from './main';

async function withStoreAsync<T>(db: string, fn: (store: CaseStore) => Promise<T>): Promise<T> {
  const store = openCaseStore(db, { create: false });
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

export interface ReplayCliOptions {
  readonly case?: string;
  readonly session?: string;
  readonly speed?: string;
  readonly json?: boolean;
}

function parseSpeed(v: string): ReplaySpeed {
  if (v === 'max') return 'max';
  const n = Number(v);
  if (n === 1 || n === 2 || n === 5 || n === 10) return n;
  throw new UserError(`--speed must be max, 1, 2, 5 or 10, got '${v}'`);
}

/**
 * `sdrlog replay DB --case ID [--session N] [--speed max|1|2|5|10] [--json]`: replays a stored session
 * through the live pipeline and grader (src/app/replay.ts) and prints every graded train. With --json,
 * one line per train in the `sdrlog grade --json` format, onset in seconds from the session's first
 * stored sample (time 0 of its EDF+ export), so replay, live and EDF grading can be diffed line by line.
 */
export async function runReplay(db: string, opts: ReplayCliOptions, write: (line: string) => void): Promise<{ lines: GradeLine[]; sessionId: number }> {
  if (!opts.case) throw new UserError('replay: say which case, e.g. --case <id> (see sdrlog case list)');
  const speed = parseSpeed(opts.speed ?? 'max');
  let sessionId: number | null = null;
  if (opts.session !== undefined) {
    const n = Number(opts.session);
    if (!Number.isInteger(n) || n <= 0) throw new UserError(`--session must be a positive whole number, got '${opts.session}'`);
    sessionId = n;
  }
  const caseOpt = opts.case;
  return withStoreAsync(db, async (store) => {
    const c = requireCase(store, caseOpt);
    const session = pickSession(store, c.id, sessionId);
    const lines: GradeLine[] = [];
    let origin = 0;
    const sink: ReplaySink = {
      grade: (g) => {
        const t = g.grade;
        // field order of `sdrlog grade --json` (gradeLine)
        const line: GradeLine = {
          onset_s: Number(((t.onsetSample - origin) / session.sampleRateHz).toFixed(6)), root: t.target.level, side: t.target.side,
          rootlet: t.target.rootlet, grade: t.grade, pattern: t.pattern, responding: [...t.responding], suggest: t.suggestion,
        };
        lines.push(line);
        if (opts.json) write(JSON.stringify(line));
        else write(`${line.onset_s.toFixed(3)}  ${line.root} ${line.side} r${line.rootlet ?? '-'}  ${g.stimulation.intensityMa.toFixed(2)} mA  `
          + `grade ${line.grade}${line.grade > 0 ? '+' : ''}  ${line.pattern}  ${line.suggest}  ${line.responding.join(', ') || '-'}`);
      },
    };
    const run = new ReplayRun({ store, sessionId: session.id, speed, sink });
    origin = run.startSample;
    await run.finished;
    await run.stop();
    const err = run.status().lastError;
    if (err) process.stderr.write(`sdrlog: warning: ${err}\n`);
    return { lines, sessionId: session.id };
  });
}

export const registerReplay: CommandRegistrar = (program: Command) => {
  program.command('replay')
    .description('replay a recorded session through the live pipeline and grader, printing each graded train')
    .argument('<db>', 'case database')
    .option('--case <id>', 'case id (or a unique prefix)')
    .option('--session <n>', 'session id (default: the latest session with raw EMG)')
    .option('--speed <x>', 'max (as fast as possible), or 1, 2, 5, 10 times real time', 'max')
    .option('--json', 'one JSON object per train, the `sdrlog grade --json` line format')
    .action(async (db: string, opts: ReplayCliOptions) => {
      const { lines, sessionId } = await runReplay(db, opts, (l) => process.stdout.write(`${l}\n`));
      if (!opts.json) process.stdout.write(`session ${sessionId}: ${lines.length} trains graded by replay\n`);
    });
};
