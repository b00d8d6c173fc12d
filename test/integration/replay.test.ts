import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSdrApp, type SdrApp } from '../../src/app/sdr-app';
import { replayAll } from '../../src/app/replay';
import { quadraticWeightedKappa } from '../../src/grading/agreement';
import { openCaseStore, type GradeRecord, type StimulationRecord } from '../../src/storage';
import type { EventOf } from '../../src/contracts';
import type { DecisionKind, Level, Result, Side, SpreadGrade } from '../../src/domain';
import { SynthDevice } from '../unit/app/synth-device';
import { runReplay } from '../../src/cli/replay';

/**
 * The acceptance test for replay: a session recorded live (the app service, its pipeline
 * worker and grader, the simulated patient at about 20x real time) is replayed from the store through
 * the same pipeline + grader path, as fast as possible and at 10x with a pause and jumps: every train
 * must get exactly the grade, pattern, responders and suggestion stored live for it.
 * Then a training run over the same session: grades/decisions hidden, answers scored and revealed.
 */

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrlog-replay-'));
const dbPath = path.join(dir, 'cases.db');
let caseId = '';
let sessionId = 0;

const TARGETS: { level: Level; side: Side; rootlet: number; ma: number }[] = [
  { level: 'L4', side: 'L', rootlet: 1, ma: 1.5 },
  { level: 'L4', side: 'R', rootlet: 1, ma: 1.2 },
  { level: 'L5', side: 'L', rootlet: 1, ma: 2 },
  { level: 'L5', side: 'R', rootlet: 2, ma: 1.5 },
  { level: 'L4', side: 'R', rootlet: 2, ma: 2.5 },
  { level: 'L5', side: 'R', rootlet: 1, ma: 2 },
];

// the simulated patient's truth for these rootlets: grades 0..4 and several patterns
const OVERRIDES = [
  { level: 'L4' as const, side: 'L' as const, rootlet: 1, thresholdMa: 0.8, grade: 1 as const, pattern: 'decremental' as const },
  { level: 'L4' as const, side: 'R' as const, rootlet: 1, thresholdMa: 0.6, grade: 3 as const, pattern: 'sustained' as const },
  { level: 'L5' as const, side: 'L' as const, rootlet: 1, thresholdMa: 1, grade: 0 as const, pattern: 'none' as const },
  { level: 'L5' as const, side: 'R' as const, rootlet: 2, thresholdMa: 0.7, grade: 4 as const, pattern: 'clonic' as const },
  { level: 'L4' as const, side: 'R' as const, rootlet: 2, thresholdMa: 0.9, grade: 2 as const, pattern: 'incremental' as const },
  { level: 'L5' as const, side: 'R' as const, rootlet: 1, thresholdMa: 0.5, grade: 3 as const, pattern: 'squared' as const },
];

interface Stored { stim: StimulationRecord; grade: GradeRecord }
let stored: Stored[] = [];

const essentials = (g: { grade: number; pattern: string; responding: readonly string[]; suggestion: string }) =>
  ({ grade: g.grade, pattern: g.pattern, responding: [...g.responding], suggestion: g.suggestion });

beforeAll(async () => {
  const app: SdrApp = await createSdrApp({ dbPath, createDevice: () => new SynthDevice(31, OVERRIDES), stimulationTimeoutMs: 30_000 });
  try {
    const c = value(await app.createCase({ patientId: 'RP-0007', ageYears: 6 }));
    caseId = c.id;
    value(await app.openCase({ caseId }));
    value(await app.connectDevice({ source: 'simulator' }));
    value(await app.setStimulation({ settings: { pulseWidthUs: 200 }, target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 1 } }));
    for (const ma of [0.3, 0.9]) value(await app.triggerPulse({ intensityMa: ma }));
    for (const t of TARGETS) {
      value(await app.setStimulation({ settings: { intensityMa: t.ma, pulseWidthUs: 100, trainRateHz: 50, trainDurationS: 1 }, target: { level: t.level, side: t.side, kind: 'dorsal', rootlet: t.rootlet } }));
      value(await app.runTrain({}));
    }
    const decide = async (level: Level, side: Side, rootlet: number, kind: DecisionKind) =>
      value(await app.recordDecision({ caseId, level, side, rootlet, kind, decidedBy: 'Dr Expert', ...(kind === 'partial' ? { fraction: 0.5 } : {}) }));
    await decide('L4', 'R', 1, 'cut');
    await decide('L5', 'L', 1, 'spare');
    await decide('L5', 'R', 2, 'partial');
    value(await app.disconnectDevice({}));
  } finally {
    await app.close();
  }
  const store = openCaseStore(dbPath);
  try {
    sessionId = store.sessions.forCaseId(caseId)[0]!.id;
    stored = store.stimulations.forSession(sessionId).filter((s) => s.stimulation.mode === 'train').map((s) => ({ stim: s, grade: store.grades.latestForStimulation(s.id)! }));
  } finally {
    store.close();
  }
}, 120_000);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('replay of a recorded session', () => {
  it('recorded trains with varied live grades', () => {
    expect(stored).toHaveLength(TARGETS.length);
    expect(stored.every((s) => s.grade !== null)).toBe(true);
    expect(new Set(stored.map((s) => s.grade.grade)).size).toBeGreaterThanOrEqual(3);
  });

  it('as fast as possible: identical grade, pattern, responders and suggestion per train', async () => {
    const store = openCaseStore(dbPath);
    try {
      const stims: EventOf<'stimulation'>[] = [];
      const traces: EventOf<'trace'>['startSample'][] = [];
      const t0 = performance.now();
      const run = await replayAll(store, sessionId, { stimulation: (s) => stims.push(s), trace: (f) => traces.push(f.startSample) });
      const wallS = (performance.now() - t0) / 1000;
      const signalS = (run.endSample - run.startSample) / run.sampleRateHz;
      for (const s of stored) {
        const g = run.grades.get(s.stim.id);
        expect(g, `train ${s.stim.id}`).toBeDefined();
        expect(essentials(g!)).toEqual(essentials(s.grade));
        expect(g!.target).toEqual(s.grade.evidence.target);
      }
      expect(run.grades.size).toBe(stored.length);
      // every stored stimulation was announced once, in order; the live trace moved forward
      expect(stims.map((s) => s.stimulationId)).toEqual(store.stimulations.forSession(sessionId).map((s) => s.id));
      expect(traces.length).toBeGreaterThan(0);
      expect(signalS / wallS).toBeGreaterThan(2); // faster than real time even on a loaded machine
      console.log(`replayed ${signalS.toFixed(1)} s of 16-channel EMG in ${wallS.toFixed(2)} s (${(signalS / wallS).toFixed(0)}x real time)`);
    } finally {
      store.close();
    }
  }, 60_000);

  it('sdrlog replay --json prints the stored grades in the `sdrlog grade --json` line format', async () => {
    const out: string[] = [];
    const r = await runReplay(dbPath, { case: caseId.slice(0, 8), json: true }, (l) => out.push(l));
    expect(r.sessionId).toBe(sessionId);
    const store = openCaseStore(dbPath);
    const origin = store.raw.extentOf(sessionId).firstSample!;
    store.close();
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual(stored.map((s) => ({
      onset_s: (s.stim.onsetSample - origin) / 10_000, root: s.stim.stimulation.target!.level, side: s.stim.stimulation.target!.side,
      rootlet: s.stim.stimulation.target!.rootlet, grade: s.grade.grade, pattern: s.grade.pattern, responding: s.grade.responding, suggest: s.grade.suggestion,
    })));
    expect(Object.keys(JSON.parse(out[0]!) as object)).toEqual(['onset_s', 'root', 'side', 'rootlet', 'grade', 'pattern', 'responding', 'suggest']);
    await expect(runReplay(dbPath, { case: caseId, speed: '3' }, () => undefined)).rejects.toThrow("--speed must be max, 1, 2, 5 or 10, got '3'");
    await expect(runReplay(dbPath, { case: caseId, session: '99' }, () => undefined)).rejects.toThrow(/has no session 99/);
  }, 60_000);

  it('through the app at 10x with a pause and jumps: the grades emitted match the stored ones', async () => {
    const app = await createSdrApp({ dbPath, createDevice: () => new SynthDevice(1) });
    try {
      const grades: EventOf<'grade'>[] = [];
      const statuses: EventOf<'replay'>[] = [];
      app.subscribe('grade', (g) => grades.push(g));
      app.subscribe('replay', (s) => statuses.push(s));
      const sessions = value(await app.listSessions({ caseId }));
      expect(sessions.sessions).toEqual([expect.objectContaining({ sessionId, source: 'live', trains: TARGETS.length, stimulations: TARGETS.length + 2 })]);
      const started = value(await app.startReplay({ sessionId, speed: 10 }));
      expect(started.stimulations.map((s) => s.stimulationId)).toHaveLength(TARGETS.length + 2);
      const waitFor = async (cond: () => boolean, what: string, ms = 30_000) => {
        const end = Date.now() + ms;
        while (!cond()) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      await waitFor(() => grades.length >= 1, 'the first grade');
      // pause: the position stops
      const paused = value(await app.controlReplay({ action: 'pause' }));
      expect(paused.state).toBe('paused');
      await new Promise((r) => setTimeout(r, 300));
      const still = value(await app.getReplayStatus({}));
      expect(still.positionSample).toBe(paused.positionSample);
      // jump forward to the 4th train (skipping the 2nd and 3rd), resume there
      const fourth = stored[3]!.stim.id;
      const gen = still.generation;
      const jumped = value(await app.controlReplay({ action: 'seek', stimulationId: fourth }));
      await waitFor(() => statuses.some((s) => s.generation > gen), 'the jump');
      const afterJump = value(await app.getReplayStatus({}));
      expect(afterJump.positionSample).toBeLessThan(stored[3]!.stim.onsetSample);
      expect(jumped.state).toBe('paused');
      value(await app.controlReplay({ action: 'resume' }));
      await waitFor(() => value2(statusesLast(statuses)) === 'finished', 'the end of the session');
      const firstPass = grades.map((g) => g.stimulationId);
      expect(firstPass).toEqual([stored[0]!.stim.id, ...stored.slice(3).map((s) => s.stim.id)]);
      // jump back to the 2nd train and play the rest at max speed
      value(await app.controlReplay({ action: 'seek', stimulationId: stored[1]!.stim.id }));
      value(await app.controlReplay({ action: 'speed', speed: 'max' }));
      await waitFor(() => grades.length >= firstPass.length + stored.length - 1, 'the second pass');
      const byId = new Map(stored.map((s) => [s.stim.id, s]));
      for (const g of grades) {
        const s = byId.get(g.stimulationId)!;
        expect(essentials(g.grade)).toEqual(essentials(s.grade));
        expect(g).toMatchObject({ caseId, sessionId, latencyMs: null });
      }
      expect(new Set(grades.map((g) => g.stimulationId))).toEqual(new Set(byId.keys()));
      value(await app.stopReplay({}));
      expect(value(await app.getReplayStatus({})).state).toBe('idle');
    } finally {
      await app.close();
    }
  }, 60_000);
});

function statusesLast(s: readonly EventOf<'replay'>[]): EventOf<'replay'> | undefined {
  return s[s.length - 1];
}
function value2(s: EventOf<'replay'> | undefined): string {
  return s?.state ?? 'none';
}

describe('training mode over the recorded session', () => {
  it('hides recorded grades and decisions, scores the answers, reveals expert and automatic grades', async () => {
    const app = await createSdrApp({ dbPath, createDevice: () => new SynthDevice(1), clock: { now: () => new Date('2025-05-01T09:00:00Z'), monotonicMs: () => performance.now() } });
    try {
      const gradeEvents: EventOf<'grade'>[] = [];
      app.subscribe('grade', (g) => gradeEvents.push(g));
      const runView = value(await app.startTraining({ sessionId, trainee: 'Dr Trainee', speed: 'max' }));
      expect(runView.items.map((i) => i.stimulationId)).toEqual(stored.map((s) => s.stim.id));
      expect(runView.items[0]).toEqual({ stimulationId: stored[0]!.stim.id, onsetS: stored[0]!.stim.onsetSample / 10_000, level: 'L4', side: 'L', rootlet: 1, intensityMa: 1.5 });
      // the recorded grades and decisions are not available while the run is active
      for (const r of [
        await app.getRootletResults({ caseId, level: 'L4', side: 'R', rootlet: 1 }),
        await app.listDecisions({ caseId }),
        await app.getRootletMap({ caseId }),
        await app.getAuditLog({ caseId }),
        await app.recordDecision({ caseId, level: 'L4', side: 'R', rootlet: 1, kind: 'spare', decidedBy: 'Dr Trainee' }),
        await app.startReplay({ sessionId }),
      ]) {
        expect(r.ok ? 'ok' : r.error.code).toBe('training-active');
      }
      // traces of a train stay available (the trainee grades from them)
      expect(value(await app.getEpochTraces({ caseId, stimulationId: stored[0]!.stim.id, maxPoints: 100 })).channels).toHaveLength(16);
      const refused = await app.finishTraining({});
      expect(refused.ok ? null : refused.error.code).toBe('no-answers');

      // answers: the recorded grade for every train but the first (one grade off), decisions chosen per rootlet
      const decisionFor: Record<string, DecisionKind> = { 'L4R#1': 'spare', 'L5L#1': 'spare-sphincter', 'L5R#2': 'cut' };
      for (const [i, s] of stored.entries()) {
        const t = s.stim.stimulation.target!;
        const grade = (i === 0 ? (s.grade.grade + 1) % 5 : s.grade.grade) as SpreadGrade;
        value(await app.submitTrainingAnswer({ stimulationId: s.stim.id, grade, pattern: s.grade.pattern, decision: decisionFor[`${t.level}${t.side}#${t.rootlet}`] ?? 'spare' }));
      }
      const badPartial = await app.submitTrainingAnswer({ stimulationId: stored[0]!.stim.id, grade: 1, pattern: 'none', decision: 'partial' });
      expect(badPartial.ok ? null : badPartial.error.code).toBe('invalid-decision');
      await new Promise((r) => setTimeout(r, 200));
      expect(gradeEvents).toEqual([]); // the blind replay sent no grade

      const done = value(await app.finishTraining({}));
      const n = stored.length;
      const reference = stored.map((s) => s.grade.grade);
      const trainee = reference.map((g, i) => (i === 0 ? (g + 1) % 5 : g));
      expect(done.attempt).toMatchObject({ trainee: 'Dr Trainee', caseId, sessionId, finishedAt: '2025-05-01T09:00:00.000Z' });
      expect(done.attempt.scores).toEqual({
        trainsTotal: n, trainsAnswered: n, rootlets: n, gradesCompared: n, gradeExact: (n - 1) / n,
        gradeKappa: quadraticWeightedKappa(trainee, reference, 5),
        // expert: L4R#1 cut (trainee spare: disagree), L5L#1 spare (spare-sphincter: agree), L5R#2 partial (cut: agree)
        decisionsCompared: 3, cutSpareAgreement: 2 / 3,
      });
      expect(done.attempt.scores.gradeKappa!).toBeGreaterThan(0.5);
      expect(done.attempt.scores.gradeKappa!).toBeLessThan(1);
      // reveal: the expert's recorded grade, the automatic (replayed) grade and the decisions side by side
      for (const [i, row] of done.reveal.entries()) {
        const s = stored[i]!;
        expect(row.stimulationId).toBe(s.stim.id);
        expect(row.expert.grade).toBe(s.grade.grade);
        expect(row.automatic).toEqual({ grade: s.grade.grade, pattern: s.grade.pattern, suggestion: s.grade.suggestion, responding: s.grade.responding });
        expect(row.trainee?.grade).toBe(trainee[i]);
      }
      expect(done.reveal.find((r) => r.level === 'L5' && r.side === 'R' && r.rootlet === 2)!.expert).toMatchObject({ decision: 'partial', cutFraction: 0.5, decidedBy: 'Dr Expert' });
      // hidden methods are back, and the scores are listed per trainee
      expect((await app.listDecisions({ caseId })).ok).toBe(true);
      const scores = value(await app.listTrainingScores({ trainee: 'Dr Trainee' }));
      expect(scores.attempts.map((a) => a.attemptId)).toEqual([done.attempt.attemptId]);
      expect(scores.trainees).toEqual(['Dr Trainee']);
      expect(value(await app.listTrainingScores({ trainee: 'Somebody Else' })).attempts).toEqual([]);
    } finally {
      await app.close();
    }
  }, 60_000);
});
