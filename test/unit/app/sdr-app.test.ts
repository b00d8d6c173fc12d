import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSdrApp, type SdrApp } from '../../../src/app/sdr-app';
import { createInProcessAnalyzer } from '../../../src/app/analyzer';
import { openCaseStore } from '../../../src/storage';
import type { EventOf } from '../../../src/contracts';
import type { Result } from '../../../src/domain';
import { SynthDevice } from './synth-device';

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sdrapp-')), 'cases.db');
const apps: SdrApp[] = [];

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function makeApp(dbPath: string, device?: SynthDevice): Promise<SdrApp> {
  const app = await createSdrApp({
    dbPath,
    createDevice: () => device ?? new SynthDevice(7),
    stimulationTimeoutMs: 20_000,
  });
  apps.push(app);
  return app;
}

afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('app service: cases and montage', () => {
  it('creates, lists, updates a case and validates every payload', async () => {
    const app = await makeApp(tmp());
    const c = value(await app.createCase({ patientId: 'P001', ageYears: 6, diagnosis: 'spastic diplegia', cutPlan: { L4: { L: 40 } } }));
    expect(c).toMatchObject({ patientId: 'P001', ageYears: 6, rootletsTested: 0, rootletsCut: 0, openSessionId: null });
    expect(value(await app.listCases({})).cases.map((x) => x.id)).toEqual([c.id]);
    const bad = await app.createCase({ patientId: 'Jane Doe', ageYears: 6 });
    expect(bad).toEqual({ ok: false, error: { code: 'invalid-case', message: expect.stringMatching(/pseudonym/) } });
    const wrongType = await (app.getCase as (r: unknown) => Promise<Result<unknown>>)({ caseId: 5 });
    expect(wrongType.ok ? null : wrongType.error.code).toBe('invalid-request');
    expect(value(await app.updateCasePlan({ caseId: c.id, cutPlan: { L5: { R: 55 } } })).cutPlan).toEqual({ L5: { R: 55 } });
    expect(value(await app.updateCaseNotes({ caseId: c.id, notes: 'tight hamstrings' }))).toMatchObject({ notes: 'tight hamstrings', diagnosis: 'spastic diplegia' });
    const m = value(await app.getMontage({ caseId: c.id }));
    expect(m.channels).toHaveLength(16);
    const m2 = value(await app.updateMontage({ caseId: c.id, name: 'short', channels: [{ side: 'l', muscle: 'ta' }, { side: 'R', muscle: 'TA', roots: ['L5'] }] }));
    expect(m2.channels).toEqual([{ index: 0, side: 'L', muscle: 'TA', roots: ['L4', 'L5'] }, { index: 1, side: 'R', muscle: 'TA', roots: ['L5'] }]);
    const dup = await app.updateMontage({ caseId: c.id, name: 'dup', channels: [{ side: 'L', muscle: 'TA' }, { side: 'L', muscle: 'TA' }] });
    expect(dup.ok ? null : dup.error.code).toBe('invalid-montage');
    expect((await app.getCase({ caseId: 'nope' })).ok).toBe(false);
  });
});

describe('app service: live session with the simulated patient', () => {
  it('grades a train, records decisions durably, and builds the rootlet map', async () => {
    const dbPath = tmp();
    // L4 right rootlet 1: threshold 0.6 mA, grade 3+ (distant spread), sustained
    const device = new SynthDevice(11, [{ level: 'L4', side: 'R', rootlet: 1, thresholdMa: 0.6, grade: 3, pattern: 'sustained' }]);
    const pulses: EventOf<'pulse'>[] = [];
    const app = await makeApp(dbPath, device);
    const c = value(await app.createCase({ patientId: 'P002', ageYears: 5, cutPlan: { L4: { R: 50 } } }));
    value(await app.openCase({ caseId: c.id }));
    const grades: EventOf<'grade'>[] = [];
    const stims: EventOf<'stimulation'>[] = [];
    const traces: EventOf<'trace'>[] = [];
    const offGrade = app.subscribe('grade', (g) => grades.push(g));
    app.subscribe('stimulation', (s) => stims.push(s));
    app.subscribe('trace', (t) => traces.push(t));
    const status = value(await app.connectDevice({ source: 'simulator' }));
    expect(status).toMatchObject({ source: 'simulator', connection: 'open', recording: { caseId: c.id } });
    expect((await app.runTrain({})).ok).toBe(false); // no target yet
    value(await app.setStimulation({ settings: { intensityMa: 1.2 }, target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 1 } }));
    device.refuseStimulation = true;
    const refused = await app.runTrain({});
    expect(refused).toEqual({ ok: false, error: { code: 'stimulation-refused', message: 'the device refused the stimulation: NAK: out of range' } });
    device.refuseStimulation = false;
    const train = value(await app.runTrain({}));
    expect(train.stimulation).toMatchObject({ mode: 'train', intensityMa: 1.2, rateHz: 50, durationS: 1, pulseWidthUs: 100 });
    expect(train.grade.grade).toBe(3);
    expect(train.grade.responding.length).toBeGreaterThan(0);
    expect(train.grade.channels).toHaveLength(16);
    expect(train.latencyMs).not.toBeNull();
    expect(grades.map((g) => g.stimulationId)).toEqual([train.stimulationId]);
    expect(stims.map((s) => [s.stimulationId, s.caseId])).toEqual([[train.stimulationId, c.id]]);
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.samplesPerPoint).toBe(10); // 1000 min/max points per second at 10 kHz
    expect(traces[0]!.channels).toHaveLength(16);
    offGrade();

    // threshold ramp: 0.2, 0.4 (no response), 0.6 twice (reproducible) -> threshold 0.6 mA
    app.subscribe('pulse', (p) => pulses.push(p));
    const ramp = value(await app.runThresholdRamp({ startMa: 0.2, stepMa: 0.2, maxMa: 2, rateHz: 1, repeatsPerStep: 2 }));
    expect(ramp.pulses.map((p) => [p.intensityMa, p.responding])).toEqual([[0.2, false], [0.4, false], [0.6, true], [0.6, true]]);
    expect(ramp.result.thresholdMa).toBe(0.6);
    expect(ramp.result.perChannel.some((c) => c.thresholdMa === 0.6 && c.latencyMs !== null && c.latencyMs > 3 && c.latencyMs < 40)).toBe(true);
    expect(pulses).toHaveLength(4);
    const again = value(await app.repeatLast({}));
    expect(again.mode === 'single' ? again.pulse.intensityMa : null).toBe(0.6);

    const st = value(await app.getDeviceStatus({}));
    expect(st.gradeLatency.count).toBe(1);
    expect(st.counters.framesDecoded).toBeGreaterThan(0);

    // decision, then a correction referencing it
    const first = value(await app.recordDecision({ caseId: c.id, level: 'L4', side: 'R', rootlet: 1, kind: 'cut', decidedBy: 'Dr A', reason: '3+ sustained', gradeId: undefined }));
    expect(first.saved).toBe(true);
    // durable: visible through an independent connection right away
    const other = openCaseStore(dbPath);
    expect(other.decisions.currentForCase(c.id).map((d) => d.id)).toEqual([first.record.decisionId]);
    other.close();
    const stale = await app.recordDecision({ caseId: c.id, level: 'L4', side: 'R', rootlet: 1, kind: 'spare', decidedBy: 'Dr A', correctsId: first.record.decisionId + 100 });
    expect(stale.ok ? null : stale.error.code).toBe('stale-decision');
    const corr = value(await app.recordDecision({ caseId: c.id, level: 'L4', side: 'R', rootlet: 1, kind: 'partial', fraction: 0.6, decidedBy: 'Dr B', correctsId: first.record.decisionId }));
    expect(corr.record).toMatchObject({ correctsId: first.record.decisionId, decision: { kind: 'partial', cutFraction: 0.6, decidedBy: 'Dr B' } });

    const results = value(await app.getRootletResults({ caseId: c.id, level: 'L4', side: 'R', rootlet: 1 }));
    expect(results.stimulations.map((s) => [s.stimulation.mode, s.stimulation.intensityMa, s.grade?.grade ?? null])).toEqual([
      ['train', 1.2, 3], ['single', 0.2, null], ['single', 0.4, null], ['single', 0.6, null], ['single', 0.6, null], ['single', 0.6, null],
    ]);
    expect(results.thresholds.map((t) => t.thresholdMa)).toEqual([0.6]);
    expect(results.stimulations.map((s) => s.pulse?.responding ?? null)).toEqual([null, false, false, true, true, true]);
    expect(results.decisionHistory.map((d) => d.decision.kind)).toEqual(['cut', 'partial']);
    expect(results.decision?.decisionId).toBe(corr.record.decisionId);

    const map = value(await app.getRootletMap({ caseId: c.id }));
    const l4r = map.roots.find((r) => r.level === 'L4' && r.side === 'R')!;
    expect(l4r.rootlets).toEqual([{ rootlet: 1, thresholdMa: 0.6, grade: 3, pattern: train.grade.pattern, suggestion: train.grade.suggestion, decision: 'partial', cutFraction: 0.6, decisionId: corr.record.decisionId }]);
    expect([l4r.tested, l4r.decided, l4r.cutPct, l4r.planPct]).toEqual([1, 1, 60, 50]);
    expect(map.totals.gradeHistogram).toEqual([0, 0, 0, 1, 0]);

    const audit = value(await app.getAuditLog({ caseId: c.id }));
    expect(audit.chainBreak).toBeNull();
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['case.create', 'session.start', 'decision.record', 'decision.correct']));

    const traces2 = value(await app.getEpochTraces({ caseId: c.id, stimulationId: train.stimulationId, maxPoints: 200 }));
    expect(traces2.channels).toHaveLength(16);
    expect(traces2.channels[0]!.minUv).toHaveLength(200);
    expect(traces2.startMs).toBe(-200);
    expect(traces2.stimMs).toBe(1000);

    // electrode-off is reported in status and logged
    device.reportElectrodeOff([3]);
    expect(value(await app.getDeviceStatus({})).electrodeOff).toEqual([3]);

    const closed = value(await app.closeCase({ caseId: c.id }));
    expect(closed.closedSessionId).toBe(train.sessionId);
    const store = openCaseStore(dbPath);
    expect(store.sessions.get(train.sessionId)).toMatchObject({ cleanShutdown: true });
    expect(store.events.forSession(train.sessionId).filter((e) => e.kind.startsWith('electrode')).map((e) => [e.kind, e.channel])).toEqual([['electrode-off', 3]]);
    expect(store.raw.extentOf(train.sessionId).endSample).toBeGreaterThan(20_000);
    store.close();

    // after a restart the traces are re-cut from the stored raw EMG through the same pipeline
    const reopened = await makeApp(dbPath);
    const fromRaw = value(await reopened.getEpochTraces({ caseId: c.id, stimulationId: train.stimulationId, maxPoints: 200 }));
    expect(fromRaw.startMs).toBe(-200);
    expect(fromRaw.channels.map((ch) => ch.name)).toEqual(traces2.channels.map((ch) => ch.name));
    // identical up to the int16 storage quantisation and the filter warm-up residue
    let worst = 0;
    let peak = 0;
    for (let c2 = 0; c2 < 16; c2++) {
      for (let i = 0; i < 200; i++) {
        worst = Math.max(worst, Math.abs(fromRaw.channels[c2]!.maxUv[i]! - traces2.channels[c2]!.maxUv[i]!));
        peak = Math.max(peak, Math.abs(traces2.channels[c2]!.maxUv[i]!));
      }
    }
    expect(peak).toBeGreaterThan(20);
    expect(worst).toBeLessThan(0.5); // uV, against responses of about 1 mV
    // single-pulse responses are re-measured from the stored raw EMG: same answers as live
    const again2 = value(await reopened.getRootletResults({ caseId: c.id, level: 'L4', side: 'R', rootlet: 1 }));
    expect(again2.stimulations.map((s) => s.pulse?.responding ?? null)).toEqual([null, false, false, true, true, true]);
    const live = results.stimulations[3]!.pulse!;
    const recut = again2.stimulations[3]!.pulse!;
    const strongest = live.channels.reduce((a, b) => ((b.amplitudeUv ?? 0) > (a.amplitudeUv ?? 0) ? b : a));
    expect(recut.channels[strongest.channel]!.amplitudeUv).toBeCloseTo(strongest.amplitudeUv!, 0);
    expect(recut.channels[strongest.channel]!.latencyMs).toBeCloseTo(strongest.latencyMs!, 1);
  });

  it('recovers a session that was not closed and reports what was lost', async () => {
    const dbPath = tmp();
    const device = new SynthDevice(3);
    // in-process analysis here (the other test runs the worker): both paths are exercised
    const app1 = await createSdrApp({ dbPath, createDevice: () => device, rawFlushIntervalMs: 200, createAnalyzer: createInProcessAnalyzer });
    apps.push(app1); // closed after the test; until then it stands for a process that died
    const c = value(await app1.createCase({ patientId: 'P003', ageYears: 7 }));
    value(await app1.openCase({ caseId: c.id }));
    value(await app1.connectDevice({ source: 'simulator' }));
    value(await app1.recordDecision({ caseId: c.id, level: 'L5', side: 'L', rootlet: 2, kind: 'spare-sphincter', decidedBy: 'Dr A' }));
    await new Promise((r) => setTimeout(r, 600));
    await device.send({ type: 'stop' }); // the "crash": app1 is never closed
    const app2 = await makeApp(dbPath);
    const rec = value(await app2.getRecoveryInfo({}));
    expect(rec.resumedCaseId).toBe(c.id);
    expect(rec.recovered).toHaveLength(1);
    expect(rec.recovered[0]!.decisionsIntact).toBe(1);
    expect(rec.recovered[0]!.lastFlushedSample).toBeGreaterThan(0);
    expect(rec.recovered[0]!.lostDescription).toMatch(/after sample \d+/);
    const store = openCaseStore(dbPath);
    expect(store.sessions.get(rec.recovered[0]!.sessionId)).toMatchObject({ cleanShutdown: false });
    store.close();
    // the resumed case records again as soon as a device connects
    const st = value(await app2.connectDevice({ source: 'simulator' }));
    expect(st.recording?.caseId).toBe(c.id);
  });
});
