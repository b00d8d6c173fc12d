import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { openEdfSession, type EdfSession } from '../formats';
import { gradeRecording, type MainsOption } from '../grading/offline';
import { SUGGESTION_PRESETS } from '../grading/suggestion';
import type { GradedTrain } from '../grading/train';
import { UserError, type CommandRegistrar } from './main';

/** One line of `sdrlog grade --json` (architecture.md, "Interchange conventions"; field order fixed). */
export interface GradeLine {
  readonly onset_s: number;
  readonly root: string;
  readonly side: string;
  readonly rootlet: number | null;
  readonly grade: number;
  readonly pattern: string;
  readonly responding: readonly string[];
  readonly suggest: string;
}

export function gradeLine(t: GradedTrain, onsetS: number): GradeLine {
  return {
    onset_s: onsetS,
    root: t.target.level,
    side: t.target.side,
    rootlet: t.target.rootlet,
    grade: t.grade,
    pattern: t.pattern,
    responding: t.responding,
    suggest: t.suggestion,
  };
}

function parseMains(v: string): MainsOption {
  if (v === 'auto' || v === 'off') return v;
  if (v === '50') return 50;
  if (v === '60') return 60;
  throw new UserError(`--mains must be auto, off, 50 or 60, got '${v}'`);
}

export interface GradeFileOptions {
  readonly montage?: string;
  readonly rules?: string;
  readonly mains?: string;
}

/** Grades every train of an EDF+ file; the lines in onset order, plus the session's warnings. */
export function gradeEdfFile(file: string, opts: GradeFileOptions): { lines: GradeLine[]; trains: GradedTrain[]; warnings: string[] } {
  if (!existsSync(file)) throw new UserError(`no such file: ${file}`);
  if (opts.montage !== undefined && !existsSync(opts.montage)) throw new UserError(`no such montage file: ${opts.montage}`);
  const rules = SUGGESTION_PRESETS[opts.rules ?? 'phillips-park'];
  if (!rules) throw new UserError(`unknown rule preset '${opts.rules}' (known: ${Object.keys(SUGGESTION_PRESETS).join(', ')})`);
  const mains = parseMains(opts.mains ?? 'auto');
  const session: EdfSession = openEdfSession(file, { montageFile: opts.montage ?? null });
  try {
    const unreadable = session.unreadableStimulations;
    if (unreadable.length > 0 && session.stimulations.length === 0) {
      const first = unreadable[0]!;
      throw new UserError(
        `${file}: none of its ${unreadable.length} stimulation annotation(s) could be read, nothing to grade ` +
          `(first, at ${first.annotation.onsetS} s: '${first.annotation.text}': ${first.reason})`,
      );
    }
    const trainsIn = session.stimulations.filter((e) => e.stimulation.mode === 'train');
    const onsetBySample = new Map<number, number>();
    for (const s of session.stimulationAnnotations) if (!onsetBySample.has(s.event.sampleIndex)) onsetBySample.set(s.event.sampleIndex, s.annotation.onsetS);
    const result = gradeRecording(
      { sampleRateHz: session.sampleRateHz, channelCount: session.montage.channels.length, blocks: session.blocks(), events: session.stimulations, gaps: session.gaps },
      { montage: session.montage, rules, mains },
    );
    const warnings = [...session.warnings];
    if (unreadable.length > 0) warnings.push(`${unreadable.length} of ${unreadable.length + session.stimulationAnnotations.length} stimulation annotations unreadable and skipped`);
    for (const e of result.events) if (e.type === 'skipped') warnings.push(`train at sample ${e.onsetSample} not graded: ${e.reason}`);
    if (result.trains.length !== trainsIn.length) warnings.push(`${trainsIn.length} trains in the file, ${result.trains.length} graded`);
    const lines = result.trains.map((t) => gradeLine(t, onsetBySample.get(t.onsetSample) ?? t.onsetS));
    return { lines, trains: [...result.trains], warnings };
  } finally {
    session.close();
  }
}

function table(trains: readonly GradedTrain[], lines: readonly GradeLine[]): string {
  const head = ['onset s', 'root', 'rootlet', 'mA', 'grade', 'pattern', 'suggest', 'sustained responders'];
  const rows = trains.map((t, i) => [
    lines[i]!.onset_s.toFixed(3),
    `${t.target.level} ${t.target.side}`,
    t.target.rootlet === null ? '-' : String(t.target.rootlet),
    t.intensityMa.toFixed(2),
    `${t.grade}${t.grade > 0 ? '+' : ''}`,
    t.pattern,
    t.suggestion,
    t.responding.join(', ') || '-',
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const fmt = (r: readonly string[]): string => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!))).join('  ');
  const out = [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  const excluded = new Map<string, string>();
  for (const t of trains) for (const c of t.channels) if (c.state !== 'ok' && !excluded.has(`${c.side} ${c.muscle}`)) excluded.set(`${c.side} ${c.muscle}`, c.state);
  if (excluded.size > 0) out.push('', `excluded channels: ${[...excluded].map(([n, s]) => `${n} (${s})`).join(', ')}`);
  out.push('', `${trains.length} trains; suggestions: ${['cut', 'spare', 'review'].map((s) => `${trains.filter((t) => t.suggestion === s).length} ${s}`).join(', ')} (the clinician decides)`);
  return out.join('\n');
}

/** `sdrlog grade FILE.edf [--montage FILE] [--json]`. */
export const registerGrade: CommandRegistrar = (program: Command) => {
  program.command('grade')
    .description('grade every stimulation train of an EDF+ recording (spread grade 0-4+, pattern, cut/spare/review suggestion)')
    .argument('<file>', 'EDF/EDF+ file with `stim ...` annotations and `EMG <side> <muscle>` signals')
    .option('--montage <file>', 'montage file mapping signal labels to muscles and roots')
    .option('--json', 'print one JSON object per train (JSON Lines), onset order')
    .option('--rules <preset>', `suggestion rule preset: ${Object.keys(SUGGESTION_PRESETS).join(' | ')}`, 'phillips-park')
    .option('--mains <hz>', 'mains notch: auto (detect), 50, 60 or off', 'auto')
    .action((file: string, opts: GradeFileOptions & { json?: boolean }) => {
      const { lines, trains, warnings } = gradeEdfFile(file, opts);
      for (const w of warnings) process.stderr.write(`sdrlog: warning: ${w}\n`);
      if (opts.json) {
        process.stdout.write(lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : ''));
      } else {
        process.stdout.write(`${table(trains, lines)}\n`);
      }
    });
};
