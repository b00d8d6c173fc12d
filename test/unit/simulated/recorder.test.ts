import { describe, expect, it } from 'vitest';
import { makeCaseInfo, makeStimulation } from '../../../src/domain';
import { openCaseStore } from '../../../src/storage';
import { ProtocolDevice } from '../../../hardware/protocol-device';
import { SimulatedTransport } from '../../../hardware/simulated/transport';
import type { FaultPlan } from '../../../hardware/simulated/firmware';
import { patientTruth } from '../../../hardware/simulated/patient';
import { runRampsAndTrains, SessionRecorder } from '../../../src/app/recorder';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** The recorder over the in-process simulated device (manual clock: as fast as possible). */
async function rig(faults?: FaultPlan) {
  const store = openCaseStore(':memory:');
  const caseId = store.cases.create(makeCaseInfo({ patientId: 'REC1', ageYears: 5 })).id;
  const transport = new SimulatedTransport({ seed: 31, clock: 'manual', faults });
  const device = new ProtocolDevice(transport, { reconnect: { initialDelayMs: 5, maxDelayMs: 20 }, ackTimeoutMs: 5000 });
  const fw = transport.firmware;
  let running = true;
  // Device time advances 10 ms per host turn while the test runs.
  const clock = (async () => {
    while (running) {
      fw.advanceSamples(100);
      await tick();
    }
  })();
  const opening = device.open();
  await opening;
  const recorder = new SessionRecorder({ store, caseId, device, rawFlushMs: 200 });
  await device.send({ type: 'start' });
  /** Lets `seconds` of device time pass. */
  const run = async (seconds: number): Promise<void> => {
    const until = fw.nextSample + seconds * fw.sampleRateHz;
    while (fw.nextSample < until) await tick();
  };
  const finish = async () => {
    const result = recorder.stop();
    running = false;
    await clock;
    await device.close();
    transport.dispose();
    return result;
  };
  return { store, caseId, device, fw, recorder, run, finish };
}

describe('session recorder', () => {
  it('stores blocks, stimulations and link counters of a live session', async () => {
    const r = await rig();
    const t = patientTruth(r.fw.patient).rootlet('L4', 'R', 2);
    await r.device.send({ type: 'set-stimulation', stimulation: makeStimulation({ mode: 'train', intensityMa: t.thresholdMa, pulseWidthUs: 200, rateHz: 50, durationS: 1, target: t.target }) });
    await r.device.send({ type: 'trigger', target: null });
    await r.run(1.5);
    const { stats, counters } = await r.finish();
    const session = r.store.sessions.forCaseId(r.caseId)[0]!;
    expect(session.cleanShutdown).toBe(true);
    const stims = r.store.stimulations.forSession(session.id);
    expect(stims).toHaveLength(1);
    expect(stims[0]!.stimulation).toEqual(r.fw.delivered[0]!.event.stimulation);
    expect(stims[0]!.onsetSample).toBe(r.fw.delivered[0]!.event.sampleIndex);
    const extent = r.store.raw.extentOf(session.id);
    expect(extent.storedSamples).toBe(stats.samples);
    expect(stats.samples).toBeGreaterThanOrEqual(15_000);
    expect(stats.gaps).toBe(0);
    // The stored raw EMG is the streamed EMG (int16 scaled storage: within a few tenths of a uV here).
    const raw = r.store.raw.read(session.id, stims[0]!.onsetSample, stims[0]!.onsetSample + 1);
    for (let c = 0; c < 16; c++) expect(Math.abs(raw.data[c]!)).toBeGreaterThan(100);
    const end = r.store.events.forSession(session.id).find((e) => e.message.startsWith('session ended'))!;
    expect(end.data.counters).toEqual(counters);
    expect(counters.framesDecoded).toBeGreaterThan(150);
    r.store.close();
  });

  it('records electrode-off and back-on from the device status', async () => {
    const r = await rig({ events: [{ atS: 0.3, kind: 'electrode-off', channel: 6, durationS: 0.5 }] });
    await r.run(1.5);
    await r.finish();
    const session = r.store.sessions.forCaseId(r.caseId)[0]!;
    const kinds = r.store.events.forSession(session.id).filter((e) => e.channel === 6).map((e) => e.kind);
    expect(kinds).toEqual(['electrode-off', 'electrode-on']);
    r.store.close();
  });

  it('drives threshold ramps that stop at the first response, then a train at that intensity', async () => {
    const r = await rig();
    const abort = new AbortController();
    // Script time in device time: each sleep lets that much device time pass.
    const sleep = (ms: number): Promise<void> => r.run(ms / 1000);
    const delivered = await runRampsAndTrains(r.device, r.recorder, { levels: ['L5'], sides: ['L'], rootletsPerRoot: 2, signal: abort.signal, sleep });
    await r.finish();
    const session = r.store.sessions.forCaseId(r.caseId)[0]!;
    const stims = r.store.stimulations.forSession(session.id);
    expect(stims).toHaveLength(delivered);
    for (const n of [1, 2]) {
      const truth = patientTruth(r.fw.patient).rootlet('L5', 'L', n);
      const mine = stims.filter((s) => s.stimulation.target?.rootlet === n);
      const singles = mine.filter((s) => s.stimulation.mode === 'single').map((s) => s.stimulation.intensityMa);
      const train = mine.filter((s) => s.stimulation.mode === 'train');
      // All ramp steps but the last are below the hidden threshold; the last is at or above it.
      for (const ma of singles.slice(0, -1)) expect(ma).toBeLessThan(truth.thresholdMa);
      expect(singles[singles.length - 1]!).toBeGreaterThanOrEqual(truth.thresholdMa);
      expect(train).toHaveLength(1);
      expect(train[0]!.stimulation).toMatchObject({ intensityMa: singles[singles.length - 1], rateHz: 50, durationS: 1 });
    }
    r.store.close();
  });
});
