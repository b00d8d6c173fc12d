import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmgSynthesizer, createVirtualPatient } from '../../../hardware/simulated';
import { makeCaseInfo, makeStimulation, type SampleBlock, type SampleGap, type StimulationEvent } from '../../../src/domain';
import { gradeRecording } from '../../../src/grading/offline';
import { ReplayRun, replayAll } from '../../../src/app/replay';
import { scoreAnswers } from '../../../src/app/training';
import { openCaseStore, type CaseStore, type TrainingAnswerRecord } from '../../../src/storage';
import type { ReplayStatus } from '../../../src/contracts';

/**
 * Replay over a stored session built by hand (simulated patient, a 'disconnected' gap between trains):
 * the grades equal the offline grader's on the same stored blocks, gaps included (one code path), and
 * the pacing follows the clock it is given (1x..10x, pause, resume).
 */

const FS = 10_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrlog-replay-unit-'));
let store: CaseStore;
let sessionId = 0;
const events: StimulationEvent[] = [];
const GAP: SampleGap = { startSample: 70_000, lengthSamples: 15_000, reason: 'disconnected' };
const END = 200_000;

beforeAll(() => {
  store = openCaseStore(path.join(dir, 'c.db'));
  const c = store.cases.create(makeCaseInfo({ patientId: 'RU-1', ageYears: 7 }));
  const s = store.sessions.start({ caseId: c.id, source: 'live', sampleRateHz: FS, channelCount: 16 });
  sessionId = s.id;
  const synth = new EmgSynthesizer({
    patient: createVirtualPatient({ seed: 5, levels: ['L4', 'L5'], overrides: [{ level: 'L5', side: 'R', rootlet: 1, thresholdMa: 0.6, grade: 3, pattern: 'sustained' }] }),
    sampleRateHz: FS,
  });
  const train = (level: 'L4' | 'L5', side: 'L' | 'R', rootlet: number, ma: number) => makeStimulation({ mode: 'train', intensityMa: ma, pulseWidthUs: 100, rateHz: 50, durationS: 1, target: { level, side, kind: 'dorsal', rootlet } });
  const plan = new Map<number, ReturnType<typeof train>>([[20_000, train('L5', 'R', 1, 1.2)], [100_000, train('L4', 'L', 1, 1.5)], [150_000, train('L5', 'L', 2, 2)]]);
  const w = store.raw.writer(s.id, { timer: false });
  for (let at = 0; at < END; at += 1000) {
    const stim = plan.get(at);
    if (stim) {
      const e = { sampleIndex: at, stimulation: stim };
      synth.stimulate(e);
      events.push(e);
      store.stimulations.record(s.id, e);
    }
    const b: SampleBlock = synth.generate(1000);
    if (at >= GAP.startSample && at < GAP.startSample + GAP.lengthSamples) {
      if (at === GAP.startSample) w.appendGap(GAP);
      continue;
    }
    w.append(b);
  }
  w.close();
  store.sessions.end(s.id);
});

afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('replay', () => {
  it('grades as the offline grader does over the same stored blocks and gaps', async () => {
    const run = await replayAll(store, sessionId);
    const raw = store.raw.read(sessionId, 0, END);
    const blocks: SampleBlock[] = [];
    // 1 s blocks, as an EDF+ file gives them (one block longer than the pipeline's ring would overrun it)
    const runs: [number, number][] = [];
    for (const [a0, b0] of [[0, GAP.startSample], [GAP.startSample + GAP.lengthSamples, END]] as const) for (let a = a0; a < b0; a += FS) runs.push([a, Math.min(b0, a + FS)]);
    for (const [a, b] of runs) {
      const n = b - a;
      const data = new Float32Array(n * 16);
      for (let c = 0; c < 16; c++) data.set(raw.data.subarray(c * END + a, c * END + b), c * n);
      blocks.push({ startSample: a, sampleRateHz: FS, channelCount: 16, samplesPerChannel: n, data });
    }
    expect(raw.gaps).toEqual([GAP]);
    const offline = gradeRecording({ sampleRateHz: FS, channelCount: 16, blocks, events, gaps: [GAP] }, { montage: run.setup.montage });
    expect(offline.trains).toHaveLength(3);
    const stims = store.stimulations.forSession(sessionId);
    for (const t of offline.trains) {
      const id = stims.find((s) => s.onsetSample === t.onsetSample)!.id;
      const r = run.grades.get(id)!;
      expect({ grade: r.grade, pattern: r.pattern, responding: r.responding, suggestion: r.suggestion })
        .toEqual({ grade: t.grade, pattern: t.pattern, responding: [...t.responding], suggestion: t.suggestion });
      // the evidence numbers too: same code, same data
      expect(r.channels.map((c) => c.trainMedianUv)).toEqual(t.channels.map((c) => c.trainMedianUv));
    }
    expect(offline.trains[0]!.grade).toBe(3);
  }, 30_000);

  it('follows its clock: 2x, pause, 10x; a jump restarts before the target', async () => {
    let t = 0;
    const statuses: ReplayStatus[] = [];
    const run = new ReplayRun({ store, sessionId, speed: 2, nowMs: () => t, sink: { status: (s) => statuses.push(s) } });
    const settle = () => new Promise((r) => setTimeout(r, 80));
    try {
      await settle();
      expect(run.status().positionSample).toBe(0);
      t = 1000; // one second of wall time at 2x: two seconds of signal
      await settle();
      expect(run.status().positionSample).toBe(2 * FS);
      run.pause();
      t = 5000;
      await settle();
      expect(run.status()).toMatchObject({ state: 'paused', positionSample: 2 * FS });
      run.setSpeed(10);
      run.resume();
      t = 5500;
      await settle();
      expect(run.status().positionSample).toBe(2 * FS + 5 * FS);
      // jump to the last train: the feed restarts a warm-up and margin before its window
      const last = store.stimulations.forSession(sessionId)[2]!;
      const gen = run.status().generation;
      run.seek(last.id);
      await settle();
      const s = run.status();
      expect(s.generation).toBe(gen + 1);
      expect(s.positionSample).toBeLessThan(last.onsetSample - 0.2 * FS);
      expect(s.positionSample).toBeGreaterThan(last.onsetSample - 5 * FS);
      expect(s.stimulationsPassed).toBe(2); // the earlier trains are behind the new start
      expect(() => run.seek(99_999)).toThrow(/no stimulation 99999/);
    } finally {
      await run.stop();
    }
    expect(statuses[statuses.length - 1]!.state).toBe('idle');
  }, 30_000);
});

describe('training scores', () => {
  const answer = (o: Partial<TrainingAnswerRecord> & Pick<TrainingAnswerRecord, 'stimulationId' | 'grade'>): TrainingAnswerRecord => ({
    level: 'L4', side: 'R', rootlet: o.stimulationId, pattern: 'none', decision: 'spare', cutFraction: 0, answeredAt: '', expertGrade: null, expertPattern: null,
    expertDecision: null, expertCutFraction: null, expertDecisionId: null, autoGrade: null, autoPattern: null, autoSuggestion: null, ...o,
  });

  it('exact agreement, quadratic-weighted kappa and cut/spare agreement against the references', () => {
    // trainee 0,1,2,3 vs reference 0,1,3,3 (the last from the automatic grade: no recorded one)
    const rows = [
      answer({ stimulationId: 1, grade: 0, expertGrade: 0, decision: 'spare', expertDecision: 'spare-sphincter' }),
      answer({ stimulationId: 2, grade: 1, expertGrade: 1, decision: 'partial', cutFraction: 0.5, expertDecision: 'cut', expertCutFraction: 1 }),
      answer({ stimulationId: 3, grade: 2, expertGrade: 3, decision: 'spare', expertDecision: 'cut' }),
      answer({ stimulationId: 4, grade: 3, autoGrade: 3 }),
    ];
    const s = scoreAnswers(rows, 6);
    // kappa by hand: observed weighted disagreement 1/16 (one item one step off); expected by chance from
    // the marginals, trainee {0,1,2,3} x reference {0,1,3,3}: sum of (i-j)^2 = 19+9+7+13 = 48, /16 /4 = 0.75
    expect(s).toEqual({
      trainsTotal: 6, trainsAnswered: 4, rootlets: 4, gradesCompared: 4, gradeExact: 0.75,
      gradeKappa: 1 - (1 / 16) / 0.75, decisionsCompared: 3, cutSpareAgreement: 2 / 3,
    });
  });

  it('uses the last answered train of a rootlet for its decision, and null scores when nothing compares', () => {
    const rows = [
      answer({ stimulationId: 1, rootlet: 2, grade: 2, decision: 'spare', expertDecision: 'cut' }),
      answer({ stimulationId: 5, rootlet: 2, grade: 3, decision: 'cut', expertDecision: 'cut' }),
    ];
    expect(scoreAnswers(rows, 2)).toMatchObject({ rootlets: 1, gradesCompared: 0, gradeExact: null, gradeKappa: null, decisionsCompared: 1, cutSpareAgreement: 1 });
  });
});
