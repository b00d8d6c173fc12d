import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSdrApp, type SdrApp } from '../../../src/app/sdr-app';
import { defaultDeviceFactory } from '../../../src/app/devices';
import { openCaseStore } from '../../../src/storage';
import { ThresholdTracker } from '../../../src/grading/threshold';
import { createVirtualPatient, patientTruth } from '../../../hardware/simulated';
import type { EventOf, PulseResponse } from '../../../src/contracts';
import type { Level, Result, Side } from '../../../src/domain';

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sdrapp-live-')), 'cases.db');
const apps: SdrApp[] = [];
const SEED = 7;
/** Simulated device time per wall second: fast, yet within what one process decodes, records and grades. */
const SPEED = 5;

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function liveApp(dbPath: string): Promise<{ app: SdrApp; caseId: string }> {
  const app = await createSdrApp({ dbPath, createDevice: defaultDeviceFactory({ simulatorSpeed: SPEED, defaultSeed: SEED }), stimulationTimeoutMs: 30_000 });
  apps.push(app);
  const c = value(await app.createCase({ patientId: 'LIVE-1', ageYears: 6 }));
  value(await app.openCase({ caseId: c.id }));
  value(await app.connectDevice({ source: 'simulator', seed: SEED }));
  return { app, caseId: c.id };
}

afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

/** The grader's threshold from a target's pulses, recomputed from the responses alone (no timing involved). */
function graderThreshold(pulses: readonly PulseResponse[]): number | null {
  const tracker = new ThresholdTracker();
  let t: number | null = null;
  for (const p of pulses) {
    t = tracker.add({
      target: p.target, onsetSample: p.onsetSample, intensityMa: p.intensityMa, responded: p.responding,
      channels: p.channels.map((c) => ({ channel: c.channel, amplitudeUv: c.amplitudeUv ?? 0, baselineAmplitudeUv: 0, latencyMs: c.latencyMs, responded: c.responding })),
    })?.thresholdMa ?? null;
  }
  return t;
}

describe('app service, live with the simulator (wire protocol, pipeline worker)', () => {
  it('links a decision to the stored grade of the train it was made on (response, event, results, audit)', async () => {
    const dbPath = tmp();
    const { app, caseId } = await liveApp(dbPath);
    const truth = patientTruth(createVirtualPatient({ seed: SEED }));
    const grades: EventOf<'grade'>[] = [];
    app.subscribe('grade', (g) => grades.push(g));
    const intensityMa = Math.round(truth.rootlet('L5', 'L', 1).thresholdMa * 1.5 * 100) / 100;
    value(await app.setStimulation({ settings: { intensityMa, pulseWidthUs: 200 }, target: { level: 'L5', side: 'L', kind: 'dorsal', rootlet: 1 } }));
    const train = value(await app.runTrain({}));

    const store = openCaseStore(dbPath);
    let storedGradeId: number | undefined;
    try {
      storedGradeId = store.grades.latestForStimulation(train.stimulationId)?.id;
    } finally {
      store.close();
    }
    expect(storedGradeId).toBeDefined();
    expect(train.gradeId).toBe(storedGradeId);
    for (let i = 0; i < 50 && grades.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(grades.map((g) => [g.stimulationId, g.gradeId])).toEqual([[train.stimulationId, storedGradeId]]);
    const results = value(await app.getRootletResults({ caseId, level: 'L5', side: 'L', rootlet: 1 }));
    expect(results.stimulations.filter((s) => s.stimulationId === train.stimulationId).map((s) => s.gradeId)).toEqual([storedGradeId]);
    expect(results.stimulations.filter((s) => s.grade === null).every((s) => s.gradeId === null)).toBe(true);

    // what the renderer sends: the grade shown, by its stored id
    const saved = value(await app.recordDecision({ caseId, level: 'L5', side: 'L', rootlet: 1, kind: 'cut', decidedBy: 'Dr A', gradeId: train.gradeId! }));
    expect(saved.record.gradeId).toBe(storedGradeId);
    const audit = value(await app.getAuditLog({ caseId }));
    const entry = audit.entries.find((e) => e.action === 'decision.record' && e.entityId === String(saved.record.decisionId))!;
    expect(JSON.parse(entry.payloadJson)).toMatchObject({ gradeId: storedGradeId, rootlet: 1, kind: 'cut' });
    expect(audit.chainBreak).toBeNull();
    const check = openCaseStore(dbPath);
    try {
      const d = check.decisions.currentForCase(caseId)[0]!;
      expect(d.gradeId).toBe(storedGradeId);
      expect(check.grades.get(d.gradeId!)?.stimulationId).toBe(train.stimulationId);
    } finally {
      check.close();
    }
  });

  it("returns the grader's threshold from every ramp, within one step of the patient's true threshold", async () => {
    const { app, caseId } = await liveApp(tmp());
    const truth = patientTruth(createVirtualPatient({ seed: SEED }));
    const step = 0.25;
    const rootlets: [Level, Side, number, number][] = [['L4', 'L', 1, 2], ['L4', 'R', 2, 2], ['L5', 'L', 1, 1], ['L5', 'R', 2, 2], ['S1', 'L', 1, 1]];
    for (const [level, side, rootlet, repeatsPerStep] of rootlets) {
      value(await app.setStimulation({ settings: { pulseWidthUs: 200 }, target: { level, side, kind: 'dorsal', rootlet } }));
      const trueMa = truth.rootlet(level, side, rootlet).thresholdMa;
      const ramp = value(await app.runThresholdRamp({ startMa: step, stepMa: step, maxMa: 6, rateHz: 4, repeatsPerStep }));
      const label = `${level}${side}${rootlet}: ${ramp.pulses.map((p) => `${p.intensityMa}${p.responding ? '+' : '-'}`).join(' ')}`;
      // the ramp ended on responses, and its answer is the grader's over exactly these pulses
      expect(ramp.pulses.at(-1)!.responding, label).toBe(true);
      expect(ramp.result.thresholdMa, label).not.toBeNull();
      expect(ramp.result.thresholdMa, label).toBe(graderThreshold(ramp.pulses));
      expect(ramp.result.target, label).toEqual({ level, side, kind: 'dorsal', rootlet });
      // ... which is the threshold stored for the target
      const stored = value(await app.getRootletResults({ caseId, level, side, rootlet })).thresholds;
      expect(stored.at(-1)?.thresholdMa, label).toBe(ramp.result.thresholdMa);
      // the first step at or above the true threshold (the simulated response begins at it)
      expect(ramp.result.thresholdMa!, label).toBeGreaterThanOrEqual(trueMa - 1e-9);
      expect(ramp.result.thresholdMa!, label).toBeLessThan(trueMa + step + 1e-9);
    }
  });
});

describe('app service: resource ownership', () => {
  /** Live resources keeping the loop alive, by type, and open file descriptors (Linux). */
  const snapshot = () => {
    const types: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) types[r] = (types[r] ?? 0) + 1;
    const fds = fs.existsSync('/proc/self/fd') ? fs.readdirSync('/proc/self/fd').length : null;
    return { types, fds };
  };

  it('close() leaves no worker thread, timer (ref or unref), open device or database handle', async () => {
    // every timer the app (or its device) starts, with whether it is still pending
    const live = new Map<unknown, string>();
    const real = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval, clearTimeout: globalThis.clearTimeout, clearInterval: globalThis.clearInterval };
    const fromProduct = () => /[/\\](src|hardware)[/\\]/.test(new Error().stack ?? '');
    globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const t = real.setTimeout((...a: unknown[]) => { live.delete(t); fn(...a); }, ms, ...args);
      if (fromProduct()) live.set(t, `timeout ${ms ?? 0} ms`);
      return t;
    }) as typeof setTimeout;
    globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const t = real.setInterval(fn, ms, ...args);
      if (fromProduct()) live.set(t, `interval ${ms ?? 0} ms`);
      return t;
    }) as typeof setInterval;
    globalThis.clearTimeout = ((t: Parameters<typeof clearTimeout>[0]) => { live.delete(t); real.clearTimeout(t); }) as typeof clearTimeout;
    globalThis.clearInterval = ((t: Parameters<typeof clearInterval>[0]) => { live.delete(t); real.clearInterval(t); }) as typeof clearInterval;
    try {
      const dbPath = tmp();
      const before = snapshot();
      const app = await createSdrApp({ dbPath, createDevice: defaultDeviceFactory({ simulatorSpeed: SPEED, defaultSeed: SEED }), stimulationTimeoutMs: 30_000 });
      const c = value(await app.createCase({ patientId: 'RES-1', ageYears: 6 }));
      value(await app.openCase({ caseId: c.id }));
      value(await app.connectDevice({ source: 'simulator', seed: SEED }));
      value(await app.setStimulation({ settings: { intensityMa: 3, pulseWidthUs: 200 }, target: { level: 'L4', side: 'L', kind: 'dorsal', rootlet: 1 } }));
      value(await app.triggerPulse({}));
      value(await app.runTrain({}));
      // a train still being graded when the app closes: its waiter (and timeout) go with it
      const delivered = new Promise<void>((r) => { const off = app.subscribe('stimulation', () => { off(); r(); }); });
      const pending = app.runTrain({});
      await delivered;
      const during = snapshot();
      expect(during.types['MessagePort'] ?? 0).toBeGreaterThan(before.types['MessagePort'] ?? 0); // the pipeline worker
      expect([...live.values()].some((v) => v.startsWith('interval'))).toBe(true);
      await app.close();
      expect(await pending).toMatchObject({ ok: false, error: { code: 'session-ended' } });
      const after = snapshot();
      // nothing of the app's is left (the runner's own handles may come and go, so: no type grew)
      for (const [type, n] of Object.entries(after.types)) expect(n, type).toBeLessThanOrEqual(before.types[type] ?? 0);
      if (before.fds !== null) expect(after.fds).toBe(before.fds); // device, database (and its WAL) closed
      expect([...live.values()]).toEqual([]);
      // closing again is harmless, and the database is free for another connection
      await app.close();
      const store = openCaseStore(dbPath);
      expect(store.sessions.forCaseId(c.id).map((x) => x.cleanShutdown)).toEqual([true]);
      store.close();
    } finally {
      Object.assign(globalThis, real);
    }
  });
});
