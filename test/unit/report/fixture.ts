// A realistic small SDR case written through the store API, for the report tests. The table below is
// the whole truth of the case; the tests compare the report with numbers worked out by hand from it.
import path from 'node:path';
import {
  DEFAULT_MONTAGE, makeCaseInfo, makeDecision, makeSampleBlock, makeStimulation,
  type DecisionKind, type Level, type Side, type SpreadGrade, type TrainGrade,
} from '../../../src/domain';
import { openCaseStore, type CaseStore } from '../../../src/storage';
import { steppingClock } from '../storage/helpers';

export interface FixtureRootlet {
  level: Level; side: Side; index: number; thresholdMa: number; grade: SpreadGrade;
  decision: DecisionKind | null; fraction?: number;
}

/** [level, side, index, threshold mA, latest grade, decision (partial fraction)] */
export const ROOTLETS: FixtureRootlet[] = ([
  ['L2', 'L', 1, 1.8, 1, 'spare'], ['L2', 'L', 2, 2.1, 2, 'spare'], ['L2', 'L', 3, 1.5, 3, 'cut'],
  ['L4', 'L', 1, 1.2, 1, 'spare'], ['L4', 'L', 2, 0.9, 3, 'cut'], ['L4', 'L', 3, 1.1, 2, 'spare'], ['L4', 'L', 4, 0.8, 4, 'cut'],
  ['L4', 'R', 1, 1.0, 2, 'spare'], ['L4', 'R', 2, 0.7, 3, 'cut'], ['L4', 'R', 3, 0.9, 3, 'partial', 0.5], ['L4', 'R', 4, 1.3, 1, 'spare'],
  // L5 left #2: first spared, then corrected to cut; #4 stimulated and graded but never decided
  ['L5', 'L', 1, 0.6, 3, 'cut'], ['L5', 'L', 2, 0.8, 2, 'cut'], ['L5', 'L', 3, 1.0, 1, 'spare'], ['L5', 'L', 4, 1.2, 0, null],
  ['L5', 'R', 1, 0.5, 4, 'cut'], ['L5', 'R', 2, 0.7, 3, 'cut'], ['L5', 'R', 3, 0.9, 2, 'spare'],
  ['S1', 'L', 1, 0.6, 3, 'cut'], ['S1', 'L', 2, 0.9, 1, 'spare'], ['S1', 'L', 3, 0.7, 2, 'spare'],
  ['S1', 'R', 1, 0.5, 4, 'partial', 0.6], ['S1', 'R', 2, 0.6, 3, 'cut'], ['S1', 'R', 3, 1.1, 2, 'spare'], ['S1', 'R', 4, 0.8, 3, 'cut'],
  ['S2', 'R', 1, 1.4, 1, 'spare-sphincter'], ['S2', 'R', 2, 1.6, 3, 'spare-sphincter'],
] as const).map(([level, side, index, thresholdMa, grade, decision, fraction]) => ({
  level, side, index, thresholdMa, grade, decision, ...(fraction !== undefined ? { fraction } : {}),
})) as FixtureRootlet[];

export const CUT_PLAN = { L2: { L: 30 }, L4: { L: 40, R: 50 }, L5: { L: 50, R: 50 }, S1: { L: 50, R: 60 } } as const;

function trainGrade(r: { level: Level; side: Side; index: number }, grade: SpreadGrade, onsetSample: number, intensityMa: number): TrainGrade {
  return {
    target: { level: r.level, side: r.side, kind: 'dorsal', rootlet: r.index }, onsetSample, onsetS: onsetSample / 10_000, intensityMa,
    grade, pattern: grade >= 3 ? 'sustained' : grade === 0 ? 'none' : 'decremental', responding: grade === 0 ? [] : [`${r.side} TA`],
    suggestion: grade >= 3 ? 'cut' : 'spare', suggestionReason: 'fixture', channels: [], warnings: [],
  };
}

export interface BuiltCase { store: CaseStore; caseId: string; dbPath: string }

/** Writes the case into a new database in `dir` (the store stays open; the caller closes it). */
export function buildFixtureCase(dir: string): BuiltCase {
  const dbPath = path.join(dir, 'report.db');
  const store = openCaseStore(dbPath, { now: steppingClock() });
  const c = store.cases.create(makeCaseInfo({
    patientId: 'SDR-2024-017', ageYears: 6, diagnosis: 'Spastic diplegia (GMFCS II)', targetMuscles: ['ADD', 'HAM', 'GAS'],
    cutPlan: CUT_PLAN, approach: 'Single-level laminectomy at the conus (L1)', anaesthesiaNotes: 'TIVA, no neuromuscular block after intubation',
  }));
  store.montages.set(c.id, DEFAULT_MONTAGE);
  const session = store.sessions.start({ caseId: c.id, source: 'live', sampleRateHz: 10_000, channelCount: 16 });
  const s = session.id;

  // whole-root thresholds: dorsal and ventral
  store.roots.record(c.id, { level: 'L4', side: 'L', kind: 'dorsal', thresholdMa: 1.1 });
  store.roots.record(c.id, { level: 'L4', side: 'L', kind: 'ventral', thresholdMa: 0.12 });
  store.roots.record(c.id, { level: 'L4', side: 'R', kind: 'dorsal', thresholdMa: 0.95 });
  store.roots.record(c.id, { level: 'L4', side: 'R', kind: 'ventral', thresholdMa: 0.1 });
  store.roots.record(c.id, { level: 'L5', side: 'L', kind: 'dorsal', thresholdMa: 0.8 });
  store.roots.record(c.id, { level: 'S1', side: 'R', kind: 'dorsal', thresholdMa: 0.7 });
  store.roots.record(c.id, { level: 'S1', side: 'R', kind: 'ventral', thresholdMa: 0.08 });

  let sample = 10_000;
  const next = (): number => (sample += 20_000);
  const pulse = (ma: number, target: { level: Level; side: Side; kind: 'dorsal' | 'ventral'; rootlet: number | null }) =>
    store.stimulations.record(s, { sampleIndex: next(), stimulation: makeStimulation({ mode: 'single', intensityMa: ma, pulseWidthUs: 100, target }) });
  const train = (ma: number, r: { level: Level; side: Side; index: number }) =>
    store.stimulations.record(s, { sampleIndex: next(), stimulation: makeStimulation({ mode: 'train', intensityMa: ma, pulseWidthUs: 100, rateHz: 50, durationS: 1, target: { level: r.level, side: r.side, kind: 'dorsal', rootlet: r.index } }) });

  // ventral root mapping pulse (no rootlet)
  pulse(0.3, { level: 'L4', side: 'L', kind: 'ventral', rootlet: null });

  const decidedAt = (n: number): string => new Date(Date.parse('2024-03-01T09:00:00Z') + n * 60_000).toISOString();
  let minute = 0;
  for (const r of ROOTLETS) {
    const target = { level: r.level, side: r.side, kind: 'dorsal' as const, rootlet: r.index };
    if (r.level === 'L4' && r.side === 'R' && r.index === 2) {
      // an earlier ramp gave 0.9 mA; the later one (0.7) is the rootlet's threshold
      store.thresholds.record(c.id, { target, thresholdMa: 0.9, perChannel: [] }, s);
    }
    store.thresholds.record(c.id, { target, thresholdMa: r.thresholdMa, perChannel: [{ channel: 3, thresholdMa: r.thresholdMa, latencyMs: 14.2, amplitudeUv: 310 }] }, s);
    pulse(r.thresholdMa, target);
    if (r.level === 'L4' && r.side === 'L' && r.index === 2) {
      // graded 2+ on a first train, 3+ on the repeat: the latest grade counts
      const first = train(r.thresholdMa, r);
      store.grades.record(first.id, trainGrade(r, 2, first.onsetSample, r.thresholdMa), 'fixture-grader-1');
    }
    const st = train(r.thresholdMa, r);
    const g = store.grades.record(st.id, trainGrade(r, r.grade, st.onsetSample, r.thresholdMa), 'fixture-grader-1');
    const rootlet = store.rootlets.find(c.id, r.level, r.side, r.index)!;
    if (r.level === 'L5' && r.side === 'L' && r.index === 2) {
      store.decisions.record({ rootletId: rootlet.id, gradeId: g.id, decision: makeDecision({ kind: 'spare', decidedBy: 'Dr Rivera', decidedAt: decidedAt(minute++), reason: 'borderline 2+' }) });
      store.decisions.record({ rootletId: rootlet.id, gradeId: g.id, decision: makeDecision({ kind: 'cut', decidedBy: 'Dr Okafor', decidedAt: decidedAt(minute++), reason: 'repeat train: sustained spread' }) });
    } else if (r.decision !== null) {
      store.decisions.record({ rootletId: rootlet.id, gradeId: g.id, decision: makeDecision({ kind: r.decision, fraction: r.fraction, decidedBy: 'Dr Okafor', decidedAt: decidedAt(minute++) }) });
    }
  }
  // 25 mA on a rootlet with a 1.0 mA threshold: 25x, flagged as high intensity
  const high = train(25, { level: 'L4', side: 'R', index: 1 });

  store.events.record(s, { kind: 'alarm', message: 'stimulator current limit reached', sampleIndex: high.onsetSample });
  store.events.record(s, { kind: 'electrode-off', message: 'R TA electrode off', channel: 3, sampleIndex: 300_000 });
  store.events.record(s, { kind: 'electrode-on', message: 'R TA electrode back on', channel: 3, sampleIndex: 320_000 });

  // a little raw EMG with a sequence gap of 0.25 s between two blocks
  const w = store.raw.writer(s, { flushIntervalMs: 60_000 });
  w.append(makeSampleBlock(0, 10_000, 16, new Float32Array(16 * 1000)));
  w.appendGap({ startSample: 1000, lengthSamples: 2500, reason: 'sequence-gap' });
  w.append(makeSampleBlock(3500, 10_000, 16, new Float32Array(16 * 1000)));
  w.close();
  store.sessions.end(s);

  // a second session that crashed and was recovered
  const s2 = store.sessions.start({ caseId: c.id, source: 'live', sampleRateHz: 10_000, channelCount: 16 });
  store.sessions.end(s2.id, false);
  return { store, caseId: c.id, dbPath };
}
