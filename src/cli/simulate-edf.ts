import { writeFileSync } from 'node:fs';
import { parseLevel, parseSide, type Level, type Side } from '../domain';
import { EdfWriter, fileSink, type EdfWriteSummary } from '../formats';
import { simulateSession, type SimulatedSession } from '../../hardware/simulated';
import { UserError } from './main';

export interface SimulateEdfOptions {
  readonly outPath: string;
  readonly seed: number;
  readonly seconds?: number;
  readonly sampleRateHz?: number;
  readonly levels?: readonly Level[];
  readonly sides?: readonly Side[];
  readonly truthPath?: string;
  /** Recording start written in the header; fixed by default so a seed always gives the same bytes. */
  readonly start?: Date;
}

export interface SimulateEdfResult {
  readonly session: SimulatedSession;
  readonly summary: EdfWriteSummary;
}

/** Fixed start time of simulated recordings: the file depends only on the options. */
export const SIMULATED_START = new Date(2024, 0, 1, 8, 0, 0);

/**
 * Writes a simulated case as EDF+ (conventions of src/formats/README.md), streaming: samples are
 * generated and written one second at a time, never held whole.
 */
export function simulateToEdf(o: SimulateEdfOptions): SimulateEdfResult {
  let session: SimulatedSession;
  try {
    session = simulateSession({
      seed: o.seed,
      ...(o.levels ? { levels: o.levels } : {}),
      ...(o.sides ? { sides: o.sides } : {}),
      ...(o.seconds !== undefined ? { durationS: o.seconds } : {}),
      ...(o.sampleRateHz !== undefined ? { sampleRateHz: o.sampleRateHz } : {}),
    });
  } catch (e) {
    throw new UserError(`simulate: ${e instanceof Error ? e.message : String(e)}`);
  }
  const writer = new EdfWriter(fileSink(o.outPath), {
    montage: session.montage,
    sampleRateHz: session.sampleRateHz,
    start: o.start ?? SIMULATED_START,
    patientCode: `SIM-${o.seed}`,
    recordingCode: `seed-${o.seed}`,
    equipment: 'sdrlog-simulator',
  });
  for (const item of session.items(session.sampleRateHz)) {
    if (item.kind === 'stimulation') writer.addStimulation(item.event);
    else writer.writeBlock(item.block);
  }
  const summary = writer.close();
  if (o.truthPath) writeFileSync(o.truthPath, `${JSON.stringify(truthSidecar(session, o), null, 2)}\n`);
  return { session, summary };
}

/**
 * The truth sidecar: the latent (physiological) grade of every test train, for building graded
 * corpora. Train keys follow `sdrlog grade --json` (onset_s, root, side, rootlet, grade, pattern,
 * responding) so the two can be joined on onset_s.
 */
export function truthSidecar(session: SimulatedSession, o: Pick<SimulateEdfOptions, 'seed' | 'outPath'>) {
  return {
    format: 'sdrlog-simulation-truth',
    version: 1,
    seed: o.seed,
    edf: o.outPath.replace(/^.*[\\/]/, ''),
    sample_rate_hz: session.sampleRateHz,
    duration_s: session.durationS,
    montage: session.montage.channels.map((c) => `${c.side} ${c.muscle}`),
    trains: session.trains.map((t) => ({
      onset_s: t.onsetS,
      sample_index: t.sampleIndex,
      root: t.target.level,
      side: t.target.side,
      rootlet: t.target.rootlet ?? 0,
      intensity_ma: t.intensityMa,
      threshold_ma: t.thresholdMa,
      grade: t.grade,
      observable_grade: t.observableGrade,
      pattern: t.pattern,
      responding: t.responding,
    })),
    ramps: session.ramps.map((r) => ({
      root: r.target.level,
      side: r.target.side,
      kind: r.target.kind,
      rootlet: r.target.rootlet ?? 0,
      threshold_ma: r.thresholdMa,
      found_at_ma: r.foundAtMa,
    })),
  };
}

/** Parses `--levels L4,L5,S1` (or `--sides L,R`): a comma list, each validated. */
export function parseList<T>(value: string, parse: (v: string) => T, what: string): T[] {
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new UserError(`--${what}: empty list`);
  try {
    return [...new Set(parts.map(parse))];
  } catch (e) {
    throw new UserError(`--${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function parseNumberOption(value: string, name: string, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UserError(`--${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got '${value}'`);
  }
  return n;
}

export interface SimulateEdfCliOptions {
  edf: string;
  seconds?: string;
  seed?: string;
  rate?: string;
  levels?: string;
  sides?: string;
  truth?: string;
}

/** Action of `sdrlog simulate --edf`: validates the options, writes, prints a one-line summary. */
export function runSimulateEdf(opts: SimulateEdfCliOptions): void {
  const seed = opts.seed === undefined ? 1 : parseNumberOption(opts.seed, 'seed', 0, 2 ** 32 - 1, true);
  const r = simulateToEdf({
    outPath: opts.edf,
    seed,
    ...(opts.seconds !== undefined ? { seconds: parseNumberOption(opts.seconds, 'seconds', 0.1, 24 * 3600) } : {}),
    ...(opts.rate !== undefined ? { sampleRateHz: parseNumberOption(opts.rate, 'rate', 1000, 50_000) } : {}),
    ...(opts.levels !== undefined ? { levels: parseList(opts.levels, parseLevel, 'levels') } : {}),
    ...(opts.sides !== undefined ? { sides: parseList(opts.sides, parseSide, 'sides') } : {}),
    ...(opts.truth !== undefined ? { truthPath: opts.truth } : {}),
  });
  const { session, summary } = r;
  const lines = [
    `${opts.edf}: EDF+C, ${session.montage.channels.length} EMG channels at ${session.sampleRateHz} Hz, ${summary.recordedS.toFixed(1)} s, ` +
      `${session.events.length} stimulations (${session.trains.length} trains), ${summary.dataRecords} data records, ${(summary.bytes / 1e6).toFixed(1)} MB`,
  ];
  if (summary.clippedSamples > 0) lines.push(`warning: ${summary.clippedSamples} samples beyond +-10000 uV were clipped`);
  if (opts.truth) lines.push(`${opts.truth}: truth for ${session.trains.length} trains`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
