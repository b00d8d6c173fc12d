import type { Command } from 'commander';
import { importEdf, type EdfImportSummary } from '../app/interchange';
import type { MainsOption } from '../grading/offline';
import { SUGGESTION_PRESETS } from '../grading/suggestion';
import { withStore } from './case';
import { UserError, type CommandRegistrar } from './main';

export interface ImportCliOptions {
  readonly db?: string;
  readonly case?: string;
  readonly montage?: string;
  readonly rules?: string;
  readonly mains?: string;
  readonly lenient?: boolean;
}

function parseMains(v: string): MainsOption {
  if (v === 'auto' || v === 'off') return v;
  if (v === '50') return 50;
  if (v === '60') return 60;
  throw new UserError(`--mains must be off, auto, 50 or 60, got '${v}'`);
}

/** The summary lines `sdrlog import` prints: the new session id first, then the grade summary. */
export function importSummaryLines(r: EdfImportSummary): string[] {
  const grades = ([0, 1, 2, 3, 4] as const).map((g) => `${g}${g > 0 ? '+' : ''}: ${r.gradeHistogram[g]}`).join(', ');
  return [
    `imported ${r.file} as session ${r.sessionId} of case ${r.caseId}`,
    `${r.channels} channels at ${r.sampleRateHz} Hz, ${r.durationS.toFixed(1)} s, ${r.gaps} gaps (${r.gapSamples} samples), `
      + `${r.stimulations} stimulations, ${r.trains} trains, ${r.thresholds} thresholds`,
    `graded ${r.graded} of ${r.trains} trains: ${grades}; suggestions: ${r.suggestions.cut} cut, ${r.suggestions.spare} spare, ${r.suggestions.review} review (the clinician decides)`,
    ...r.warnings.map((w) => `warning: ${w}`),
  ];
}

/** `sdrlog import FILE.edf --db DB --case ID [--montage FILE]`; returns the lines it prints. */
export function runImport(file: string, opts: ImportCliOptions): string[] {
  if (!opts.db) throw new UserError('import: say which database, e.g. --db cases.db');
  if (!opts.case) throw new UserError('import: say which case, e.g. --case <id> (see sdrlog case list)');
  const mains = parseMains(opts.mains ?? 'off');
  const caseId = opts.case;
  const r = withStore(opts.db, false, (store) => importEdf(store, {
    file, caseId, montageFile: opts.montage ?? null, rules: opts.rules ?? 'phillips-park', mains, lenient: opts.lenient ?? false,
  }));
  return importSummaryLines(r);
}

export const registerImport: CommandRegistrar = (program: Command) => {
  program.command('import')
    .description('import an EDF/EDF+ recording as a new session of a case, graded like a live session; all or nothing')
    .argument('<file>', 'EDF/EDF+ file: `EMG <side> <muscle>` signals (or a montage file) and `stim ...` annotations')
    .option('--db <path>', 'case database (must exist)', process.env.SDRLOG_DB)
    .option('--case <id>', 'case to import into (id or unique prefix)')
    .option('--montage <file>', 'montage file mapping the signal labels to muscles and roots')
    .option('--rules <preset>', `suggestion rule preset: ${Object.keys(SUGGESTION_PRESETS).join(' | ')}`, 'phillips-park')
    .option('--mains <hz>', 'mains notch for grading: off (as live acquisition), auto, 50 or 60', 'off')
    .option('--lenient', 'import a truncated file or one with damaged annotations (default: refuse it)')
    .action((file: string, opts: ImportCliOptions) => {
      for (const line of runImport(file, opts)) process.stdout.write(`${line}\n`);
    });
};
