import type { Command } from 'commander';
import { exportRootletCsv, exportSessionEdf, exportTraining } from '../app/interchange';
import { withStore } from './case';
import { UserError, type CommandRegistrar } from './main';

export interface ExportCliOptions {
  readonly case?: string;
  readonly session?: string;
  readonly edf?: string;
  readonly csv?: string;
  readonly training?: string;
  readonly rangeUv?: string;
}

function positiveNumber(v: string, name: string, integer: boolean): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UserError(`${name} must be a positive ${integer ? 'whole ' : ''}number, got '${v}'`);
  }
  return n;
}

/** `sdrlog export DB --case ID [--session N] --edf OUT | --csv OUT | --training DIR`; returns the lines it prints. */
export function runExport(db: string, opts: ExportCliOptions): string[] {
  if (!opts.case) throw new UserError('export: say which case, e.g. --case <id> (see sdrlog case list)');
  const outputs = [opts.edf, opts.csv, opts.training].filter((o) => o !== undefined);
  if (outputs.length !== 1) throw new UserError('export: give exactly one of --edf FILE, --csv FILE or --training FOLDER');
  const sessionId = opts.session === undefined ? null : positiveNumber(opts.session, '--session', true);
  const rangeUv = opts.rangeUv === undefined ? undefined : positiveNumber(opts.rangeUv, '--range-uv', false);
  const caseId = opts.case;
  return withStore(db, false, (store) => {
    if (opts.edf !== undefined) {
      const r = exportSessionEdf(store, { caseId, sessionId, out: opts.edf, ...(rangeUv !== undefined ? { physicalRangeUv: rangeUv } : {}) });
      return [
        `exported session ${r.sessionId} of case ${r.caseId} to ${r.file}: ${r.channels} channels at ${r.sampleRateHz} Hz, ${r.durationS.toFixed(1)} s, `
          + `${r.stimulations} stimulations, ${r.grades} grades, ${r.decisions} decisions, ${r.gaps} gaps`,
        ...(r.montageFile ? [`montage with this case's roots: ${r.montageFile}`] : []),
        ...r.warnings.map((w) => `warning: ${w}`),
      ];
    }
    if (opts.csv !== undefined) {
      const r = exportRootletCsv(store, { caseId, sessionId, out: opts.csv });
      return [`wrote ${r.rows} rows to ${r.file}`];
    }
    const r = exportTraining(store, { caseId, sessionId, outDir: opts.training!, ...(rangeUv !== undefined ? { physicalRangeUv: rangeUv } : {}) });
    return [
      `de-identified training export ${r.trainingCode} in ${r.dir}: ${r.files.join(', ')}`,
      ...r.warnings.map((w) => `warning: ${w}`),
    ];
  });
}

export const registerExport: CommandRegistrar = (program: Command) => {
  program.command('export')
    .description('export a case: a session as EDF+ (EMG, stimulations, grades, decisions, gaps), the rootlet table as CSV, or a de-identified training set')
    .argument('<db>', 'case database')
    .option('--case <id>', 'case to export (id or unique prefix)')
    .option('--session <n>', 'session to export (default: the latest session with raw EMG; for --csv: all sessions)')
    .option('--edf <file>', 'write the session as an EDF+ file')
    .option('--csv <file>', 'write the rootlet table (thresholds, grade, pattern, decision, who/when) as CSV')
    .option('--training <folder>', 'write a de-identified training set (EDF+ per session, rootlet CSV, training.json) into a new folder')
    .option('--range-uv <uv>', 'EDF physical range +-uV of the EMG signals (default 10000: 0.305 uV per step)')
    .action((db: string, opts: ExportCliOptions) => {
      for (const line of runExport(db, opts)) process.stdout.write(`${line}\n`);
    });
};
