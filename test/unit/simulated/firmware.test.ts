import { describe, expect, it } from 'vitest';
import { channelSamples, makeStimulation, type SampleBlock, type SampleGap, type StimulationEvent } from '../../../src/domain';
import { ProtocolDevice } from '../../../hardware/protocol-device';
import { EmgSynthesizer } from '../../../hardware/simulated/emg';
import { createVirtualPatient, patientTruth } from '../../../hardware/simulated/patient';
import { SimulatedTransport } from '../../../hardware/simulated/transport';
import type { FaultPlan } from '../../../hardware/simulated/firmware';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

async function rig(faults?: FaultPlan, reconnect = false) {
  const transport = new SimulatedTransport({ seed: 21, clock: 'manual', faults });
  const device = new ProtocolDevice(transport, { reconnect: reconnect ? { initialDelayMs: 5, maxDelayMs: 20 } : null, ackTimeoutMs: 2000 });
  const blocks: SampleBlock[] = [];
  const gaps: SampleGap[] = [];
  const stims: StimulationEvent[] = [];
  const states: string[] = [];
  device.on('block', (b) => blocks.push(b));
  device.on('gap', (g) => gaps.push(g));
  device.on('stimulation', (e) => stims.push(e));
  device.on('connection', (s) => states.push(s));
  await device.open();
  const fw = transport.firmware;
  /** Advances device time in 10 ms steps, letting the host run between them. */
  const run = async (seconds: number): Promise<void> => {
    const steps = Math.round(seconds * 100);
    for (let i = 0; i < steps; i++) {
      fw.advanceSamples(fw.sampleRateHz / 100);
      await tick();
    }
  };
  /** Sends a command while the device clock keeps running. */
  const send = async (p: Promise<void>): Promise<void> => {
    let done = false;
    let failure: unknown = null;
    p.then(() => (done = true), (e: unknown) => {
      failure = e;
      done = true;
    });
    while (!done) {
      await tick();
      if (!done) fw.advanceSamples(10);
    }
    if (failure) throw failure;
  };
  return { transport, device, fw, blocks, gaps, stims, states, run, send };
}

describe('simulated firmware over the wire protocol', () => {
  it('announces itself and streams the virtual patient EMG exactly (to int16 resolution)', async () => {
    const r = await rig();
    expect(r.device.info).toMatchObject({ channelCount: 16, sampleRateHz: 10_000, canStimulate: true, gainUvPerCount: 0.5, sampleFormat: 'int16' });
    const startAt = r.fw.nextSample;
    await r.send(r.device.send({ type: 'start' }));
    await r.run(0.5);
    expect(r.blocks.length).toBeGreaterThan(40);
    // A reference synthesizer for the same patient gives the same samples.
    const ref = new EmgSynthesizer({ patient: createVirtualPatient({ seed: 21 }) });
    const all = ref.generate(r.fw.nextSample);
    let checked = 0;
    for (const b of r.blocks) {
      const deviceStart = b.startSample - r.blocks[0]!.startSample + r.blocks[0]!.startSample;
      for (let c = 0; c < 16; c++) {
        const got = channelSamples(b, c);
        const want = channelSamples(all, c);
        for (let i = 0; i < got.length; i += 13) {
          expect(Math.abs(got[i]! - want[deviceStart + i]!)).toBeLessThanOrEqual(0.2500001);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(r.blocks[0]!.startSample).toBeGreaterThanOrEqual(startAt);
    for (let i = 1; i < r.blocks.length; i++) expect(r.blocks[i]!.startSample).toBe(r.blocks[i - 1]!.startSample + r.blocks[i - 1]!.samplesPerChannel);
    await r.device.close();
    r.transport.dispose();
  });

  it('delivers armed stimulations on trigger and reports them on the sample stream', async () => {
    const r = await rig();
    await r.send(r.device.send({ type: 'start' }));
    const t = patientTruth(r.fw.patient).rootlet('L5', 'R', 1);
    const stim = makeStimulation({ mode: 'train', intensityMa: t.thresholdMa, pulseWidthUs: 200, rateHz: 50, durationS: 1, target: null });
    await r.send(r.device.send({ type: 'set-stimulation', stimulation: stim }));
    await r.send(r.device.send({ type: 'trigger', target: t.target }));
    await r.run(0.1);
    // A second trigger during the train is refused as busy.
    await expect(r.send(r.device.send({ type: 'trigger', target: t.target }))).rejects.toThrow(/busy/);
    await r.run(1.2);
    expect(r.stims).toHaveLength(1);
    expect(r.stims[0]!.stimulation).toEqual({ ...stim, target: t.target });
    expect(r.fw.delivered).toHaveLength(1);
    expect(r.fw.delivered[0]!.grade).toBe(t.grade);
    expect(r.fw.delivered[0]!.event.sampleIndex).toBe(r.stims[0]!.sampleIndex);
    // The train's artifacts are on the stream at the reported pulse times.
    const b = r.blocks.find((x) => x.startSample <= r.stims[0]!.sampleIndex && r.stims[0]!.sampleIndex < x.startSample + x.samplesPerChannel)!;
    for (let c = 0; c < 16; c++) expect(Math.abs(channelSamples(b, c)[r.stims[0]!.sampleIndex - b.startSample]!)).toBeGreaterThan(100);
    await r.device.close();
    r.transport.dispose();
  });

  it('refuses a trigger before start and with nothing armed', async () => {
    const r = await rig();
    await expect(r.send(r.device.send({ type: 'trigger', target: null }))).rejects.toThrow(/not-running/);
    await r.send(r.device.send({ type: 'start' }));
    await expect(r.send(r.device.send({ type: 'trigger', target: null }))).rejects.toThrow(/stimulator-unavailable/);
    await r.send(r.device.send({ type: 'ping' }));
    await r.device.close();
    r.transport.dispose();
  });

  it('corrupts and drops bytes at the configured rates: the host resynchronises and marks gaps', async () => {
    const r = await rig({ corruptByteRate: 2e-5, dropByteRate: 1e-5 });
    await r.send(r.device.send({ type: 'start' }));
    await r.run(3);
    const fc = r.fw.counters();
    expect(fc.bytesCorrupted).toBeGreaterThan(5);
    expect(fc.bytesDropped).toBeGreaterThan(2);
    const hc = r.device.counters();
    expect(hc.crcFailures + hc.bytesDropped).toBeGreaterThan(0);
    expect(hc.sequenceGaps).toBeGreaterThan(0);
    expect(r.gaps.length).toBeGreaterThan(0);
    // Blocks and gaps tile the stream: nothing spliced, nothing overlapping.
    const pieces = [...r.blocks.map((b) => ({ start: b.startSample, len: b.samplesPerChannel })), ...r.gaps.map((g) => ({ start: g.startSample, len: g.lengthSamples }))].sort((a, b) => a.start - b.start);
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.start).toBe(pieces[i - 1]!.start + pieces[i - 1]!.len);
    await r.device.close();
    r.transport.dispose();
  });

  it('unplugs for a while: the host sees a disconnection, reconnects, and records the gap exactly', async () => {
    const r = await rig({ events: [{ atS: 1, kind: 'unplug', durationS: 0.5 }, { atS: 2.2, kind: 'electrode-off', channel: 4, durationS: 0.3 }] }, true);
    const statuses: boolean[] = [];
    r.device.on('status', (s) => statuses.push(s[4]!.electrodeOff));
    await r.send(r.device.send({ type: 'start' }));
    await r.run(3);
    expect(r.states).toContain('disconnected');
    expect(r.states[r.states.length - 1]).toBe('open');
    const disc = r.gaps.filter((g) => g.reason === 'disconnected');
    expect(disc).toHaveLength(1);
    // The device kept counting while unplugged: the gap is the unplugged time (plus the reconnection).
    expect(disc[0]!.lengthSamples).toBeGreaterThanOrEqual(5000);
    expect(disc[0]!.lengthSamples).toBeLessThan(7000);
    expect(disc[0]!.startSample).toBe(10_000);
    expect(statuses).toContain(true);
    expect(statuses[statuses.length - 1]).toBe(false);
    await r.device.close();
    r.transport.dispose();
  });

  it('stalls output and then delivers it late, without loss', async () => {
    const r = await rig({ events: [{ atS: 0.5, kind: 'stall', durationMs: 300 }] });
    await r.send(r.device.send({ type: 'start' }));
    await r.run(0.7);
    const before = r.blocks.reduce((s, b) => s + b.samplesPerChannel, 0);
    await r.run(0.5);
    const total = r.blocks.reduce((s, b) => s + b.samplesPerChannel, 0);
    expect(before).toBeLessThan(0.6 * 10_000);
    expect(r.gaps).toHaveLength(0);
    expect(total).toBe(r.fw.nextSample - r.blocks[0]!.startSample);
    await r.device.close();
    r.transport.dispose();
  });
});

describe('reliable stimulation records over a faulty link', () => {
  /** Fires `count` single pulses 50 ms apart without waiting for ACKs (some ACKs are destroyed too). */
  async function stimulateThroughFaults(seed: number, faults: FaultPlan, count: number) {
    const transport = new SimulatedTransport({ seed, clock: 'manual', faults, blockSamples: 20 });
    const device = new ProtocolDevice(transport, { ackTimeoutMs: 300, infoTimeoutMs: 2000, stimulationGapTimeoutMs: 60_000 });
    const stims: StimulationEvent[] = [];
    const errors: string[] = [];
    device.on('stimulation', (e) => stims.push(e));
    device.on('error', (e) => errors.push(e));
    const fw = transport.firmware;
    const run = async (seconds: number): Promise<void> => {
      for (let i = 0; i < Math.round(seconds * 100); i++) {
        fw.advanceSamples(fw.sampleRateHz / 100);
        await tick();
      }
    };
    const opened = device.open();
    while (device.info === null) {
      await tick();
      fw.advanceSamples(10);
    }
    await opened;
    // commands may lose their ACK: repeat until the device has them
    while (!fw.isStreaming) {
      device.send({ type: 'start' }).catch(() => {});
      await run(0.05);
    }
    let armed = false;
    device.send({ type: 'set-stimulation', stimulation: makeStimulation({ mode: 'single', intensityMa: 1, pulseWidthUs: 200, target: null }) }).then(() => (armed = true), () => {});
    await run(0.05);
    if (!armed) throw new Error('arming failed; pick another seed');
    for (let i = 0; i < count; i++) {
      device.send({ type: 'trigger', target: null }).catch(() => {});
      await run(0.05);
    }
    await run(1.5);
    await device.close();
    transport.dispose();
    return { fw, stims, errors };
  }

  it.each([1, 2, 3, 4])('seed %i: every delivered stimulation is emitted exactly once with its sample index, though several frames carrying it were destroyed', async (seed) => {
    const { fw, stims, errors } = await stimulateThroughFaults(seed, { corruptByteRate: 3e-3, dropByteRate: 1e-3 }, 40);
    const c = fw.counters();
    expect(fw.delivered.length).toBeGreaterThanOrEqual(35);
    // the host did not get these transmissions (the link back is clean, so an ACK is never lost)
    expect(c.stimulationsRetransmitted).toBeGreaterThanOrEqual(3);
    expect(c.stimulationsUnacknowledged).toBe(0);
    expect(fw.unacknowledgedStimulations).toEqual([]);
    expect(stims.map((e) => e.sampleIndex)).toEqual(fw.delivered.map((d) => d.event.sampleIndex));
    expect(stims.map((e) => e.stimulation)).toEqual(fw.delivered.map((d) => d.event.stimulation));
    expect(errors.filter((e) => /never arrived|arrived late/.test(e))).toEqual([]);
    expect(errors.some((e) => e.includes('frame(s) lost'))).toBe(true);
  }, 30_000);

  it('keeps retransmitting across an unplug until the host acknowledges, and the host records the stimulation once', async () => {
    const r = await rig({ events: [{ atS: 1, kind: 'unplug', durationS: 0.5 }] }, true);
    const errors: string[] = [];
    r.device.on('error', (e) => errors.push(e));
    // the host's STIMULATION_ACKs are lost until the link comes back
    let dropAcks = true;
    const write = r.transport.write.bind(r.transport);
    r.transport.write = async (bytes: Uint8Array): Promise<void> => {
      if (dropAcks && bytes[3] === 0x87) return;
      return write(bytes);
    };
    r.device.on('connection', (s, reason) => {
      if (s === 'open' && reason === 'reconnected') dropAcks = false;
    });
    await r.send(r.device.send({ type: 'start' }));
    await r.run(0.6);
    await r.send(r.device.send({ type: 'set-stimulation', stimulation: makeStimulation({ mode: 'single', intensityMa: 2, pulseWidthUs: 200, target: null }) }));
    await r.send(r.device.send({ type: 'trigger', target: null }));
    await r.run(0.35); // before the unplug at 1 s
    const before = r.fw.counters().stimulationsRetransmitted;
    expect(before).toBeGreaterThanOrEqual(1);
    expect(r.fw.unacknowledgedStimulations).toEqual([1]);
    await r.run(1.2);
    expect(r.states).toContain('disconnected');
    expect(r.states[r.states.length - 1]).toBe('open');
    expect(r.fw.counters().stimulationsRetransmitted).toBeGreaterThan(before);
    expect(r.fw.unacknowledgedStimulations).toEqual([]);
    expect(r.stims).toEqual([{ sampleIndex: r.fw.delivered[0]!.event.sampleIndex, stimulation: r.fw.delivered[0]!.event.stimulation }]);
    expect(r.fw.delivered).toHaveLength(1);
    expect(errors.filter((e) => e.includes('stimulation'))).toEqual([]);
    await r.device.close();
    r.transport.dispose();
  });
});
