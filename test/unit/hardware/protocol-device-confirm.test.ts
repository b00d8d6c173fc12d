import { afterEach, describe, expect, it } from 'vitest';
import { makeStimulation, type SampleBlock, type StimulationEvent } from '../../../src/domain';
import { DeviceEncoder, DeviceStreamDecoder, HostCommandDecoder, type WireDeviceInfo } from '../../../src/protocol';
import { TransportListeners, type ByteTransport } from '../../../hardware/device';
import { CONFIRM_HOLD_RETRANSMISSIONS, ProtocolDevice, STIMULATION_RETRANSMIT_MS } from '../../../hardware/protocol-device';
import { SimulatedTransport } from '../../../hardware/simulated/transport';
import { createPipeline, type EpochTiming, type StimulusEpoch } from '../../../src/pipeline';

const FS = 1000;
const INFO_11: WireDeviceInfo = { model: 'TestAmp', firmware: '1.1', channelCount: 2, sampleRateHz: FS, gainUvPerCount: 0.5, sampleFormat: 'int16', canStimulate: true, reliableStimulations: true };
const INFO_10: WireDeviceInfo = { ...INFO_11, firmware: '1.0', reliableStimulations: undefined };
const SINGLE = makeStimulation({ mode: 'single', intensityMa: 1, pulseWidthUs: 200 });

/** A link whose device side the test scripts frame by frame; `lose()` encodes a frame and drops it (a sequence gap). */
class ScriptedLink extends TransportListeners implements ByteTransport {
  readonly enc = new DeviceEncoder();
  private readonly commands = new HostCommandDecoder();
  isOpen = false;
  constructor(private readonly info: WireDeviceInfo) {
    super();
  }
  async open(): Promise<void> {
    this.isOpen = true;
  }
  async write(bytes: Uint8Array): Promise<void> {
    this.commands.push(bytes, (m) => {
      if (m.kind === 'get-info') this.deliver(this.enc.info(this.info));
    });
  }
  async close(): Promise<void> {
    this.isOpen = false;
    this.emitClose('deliberate');
  }
  deliver(bytes: Uint8Array): void {
    queueMicrotask(() => {
      if (this.isOpen) this.emitData(bytes);
    });
  }
  samples(startSample: number, n: number): void {
    this.deliver(this.enc.samplesCounts({ startSample, sampleRateHz: FS, gainUvPerCount: 0.5, channelCount: 2, format: 'int16' }, new Array<number>(n * 2).fill(0)));
  }
  stimulation(sampleIndex: number, number?: number): void {
    this.deliver(this.enc.stimulation({ sampleIndex, stimulation: SINGLE }, number));
  }
  /** A frame sent and lost on the way (the host sees the sequence gap at the next frame). */
  lose(): void {
    this.enc.status({ channels: [], stimulatorFaults: [] });
  }
  /** A SAMPLES frame lost on the way. */
  loseSamples(startSample: number, n: number): void {
    this.enc.samplesCounts({ startSample, sampleRateHz: FS, gainUvPerCount: 0.5, channelCount: 2, format: 'int16' }, new Array<number>(n * 2).fill(0));
  }
  vanish(): void {
    this.isOpen = false;
    this.emitClose('disconnected', 'cable unplugged');
  }
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
const devices: ProtocolDevice[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) await d.close();
});

/** Everything the device emits, in order: 'b<end>' blocks, 's<index>' stimulations, 'c<sample>' confirmations. */
async function setup(info: WireDeviceInfo) {
  const link = new ScriptedLink(info);
  const dev = new ProtocolDevice(link, { infoTimeoutMs: 200, reconnect: { initialDelayMs: 1, maxDelayMs: 1 } });
  devices.push(dev);
  const log: string[] = [];
  dev.on('block', (b) => log.push(`b${b.startSample + b.samplesPerChannel}`));
  dev.on('stimulation', (e) => log.push(`s${e.sampleIndex}`));
  dev.on('stimulations-confirmed', (n) => log.push(`c${n}`));
  await dev.open();
  return { link, dev, log };
}

const HOLD = (CONFIRM_HOLD_RETRANSMISSIONS * STIMULATION_RETRANSMIT_MS * FS) / 1000; // samples

describe('ProtocolDevice: confirmation of stimulation reports', () => {
  it('DEVICE_INFO flag bit 1 round-trips and a 1.1 device confirms each block end after the block', async () => {
    const d = new DeviceStreamDecoder();
    const got: unknown[] = [];
    d.push(new DeviceEncoder().info(INFO_11), (m) => got.push(m));
    expect(got).toEqual([{ kind: 'info', info: INFO_11 }]);
    const { link, dev, log } = await setup(INFO_11);
    expect(dev.info?.confirmsStimulations).toBe(true);
    link.samples(0, 10);
    link.stimulation(12, 1);
    link.samples(10, 10);
    link.samples(20, 10);
    await flush();
    expect(log).toEqual(['b10', 'c10', 's12', 'b20', 'c20', 'b30', 'c30']);
  });

  it('a 1.0 device (no flag) never confirms', async () => {
    const { link, dev, log } = await setup(INFO_10);
    expect(dev.info?.confirmsStimulations).toBe(false);
    link.samples(0, 10);
    link.stimulation(12);
    link.samples(10, 10);
    await flush();
    expect(log).toEqual(['b10', 's12', 'b20']);
  });

  it('freezes at a lost frame until the stream is two retransmission intervals past it, taking the retransmission in between', async () => {
    const { link, log } = await setup(INFO_11);
    link.samples(0, 100);
    link.lose(); // was it a STIMULATION? the host cannot know
    for (let s = 100; s < 100 + HOLD + 50; s += 50) {
      link.samples(s, 50);
      if (s === 200) link.stimulation(130, 1); // the retransmission of the lost report
    }
    await flush();
    const confirmations = log.filter((x) => x.startsWith('c')).map((x) => Number(x.slice(1)));
    expect(confirmations[0]).toBe(100);
    expect(confirmations[1]).toBe(100 + HOLD); // first block end at or past loss + hold
    expect(log.indexOf('s130')).toBeLessThan(log.indexOf(`c${100 + HOLD}`));
    expect(log.slice(-2)).toEqual([`b${100 + HOLD + 50}`, `c${100 + HOLD + 50}`]); // confirming each block again
  });

  it('one lost frame that was the SAMPLES frame (the next block jumps by its samples) holds nothing; two lost frames do', async () => {
    const { link, log } = await setup(INFO_11);
    link.samples(0, 100);
    link.loseSamples(100, 100);
    link.samples(200, 100);
    await flush();
    expect(log).toEqual(['b100', 'c100', 'b300', 'c300']);
    link.loseSamples(300, 100);
    link.lose();
    link.samples(400, 100);
    link.samples(500, HOLD);
    await flush();
    expect(log.slice(4)).toEqual(['b500', `b${500 + HOLD}`, `c${500 + HOLD}`]);
  });

  it('holds while a stimulation number is missing and resumes as soon as the retransmission fills the gap', async () => {
    const { link, log } = await setup(INFO_11);
    link.samples(0, 100);
    link.stimulation(105, 1);
    link.samples(100, 10); // no frame lost in this script: only the number gap holds
    link.stimulation(400, 3); // #2 missing: #3 is held, and with it the confirmation
    link.samples(110, 400);
    link.samples(510, 100);
    await flush();
    expect(log).toEqual(['b100', 'c100', 's105', 'b110', 'c110', 'b510', 'b610']);
    link.stimulation(300, 2);
    await flush();
    expect(log.slice(7)).toEqual(['s300', 's400', 'c610']);
  });

  it('holds after a lost link from the first block after reconnection', async () => {
    const { link, dev, log } = await setup(INFO_11);
    link.samples(0, 100);
    await flush();
    link.vanish();
    await new Promise((r) => setTimeout(r, 20));
    expect(dev.state).toBe('open');
    link.samples(1000, 100);
    link.samples(1100, HOLD);
    await flush();
    expect(log.filter((x) => x.startsWith('c'))).toEqual(['c100', `c${1100 + HOLD}`]);
  });
});

describe('simulated 1.1 firmware: order of reports and samples', () => {
  for (const corruptByteRate of [0, 2e-5]) it(`sends every STIMULATION before the samples of its first pulse, so no confirmation ever passes a report still to come (byte corruption rate ${corruptByteRate})`, async () => {
    // with faults: random byte corruption (lost sample frames, ACKs, ...) and some STIMULATION frames lost for sure
    const faults = corruptByteRate > 0 ? { corruptByteRate, corruptStimulationFrames: [2, 5, 6, 9] } : {};
    const transport = new SimulatedTransport({ seed: 9, clock: 'manual', sampleRateHz: 10_000, faults });
    const dev = new ProtocolDevice(transport, { ackTimeoutMs: 2000 });
    devices.push(dev);
    const fw = transport.firmware;
    let dataEnd = 0;
    const confirmations: number[] = [];
    const stims: { sampleIndex: number; dataEnd: number; confirmedBefore: number }[] = [];
    dev.on('block', (b) => (dataEnd = b.startSample + b.samplesPerChannel));
    dev.on('stimulation', (e) => stims.push({ sampleIndex: e.sampleIndex, dataEnd, confirmedBefore: confirmations.at(-1) ?? 0 }));
    dev.on('stimulations-confirmed', (n) => confirmations.push(n));
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
    const send = async (p: Promise<void>): Promise<void> => {
      let done = false;
      p.then(() => (done = true), () => (done = true));
      for (let k = 0; !done; k++) {
        await tick();
        if (!done) fw.advanceSamples(7 + (k % 5) * 13); // odd steps: frames end anywhere
      }
      await p;
    };
    await dev.open();
    await send(dev.send({ type: 'start' }));
    await send(dev.send({ type: 'set-stimulation', stimulation: makeStimulation({ mode: 'single', intensityMa: 1, pulseWidthUs: 200 }) }));
    for (let i = 0; i < 12; i++) {
      for (let k = 0; k < 20; k++) {
        fw.advanceSamples(37 + ((i * 7 + k) % 9) * 11);
        await tick();
      }
      await send(dev.send({ type: 'trigger', target: null }));
    }
    for (let k = 0; k < 100; k++) {
      fw.advanceSamples(100);
      await tick();
    }
    expect(stims).toHaveLength(12);
    for (const s of stims) {
      // reported before any of its samples (unless its report was lost and came again)
      if (corruptByteRate === 0) expect(s.sampleIndex).toBeGreaterThanOrEqual(s.dataEnd);
      expect(s.sampleIndex).toBeGreaterThanOrEqual(s.confirmedBefore); // never behind a confirmation
    }
    if (corruptByteRate > 0) expect(stims.some((s) => s.sampleIndex < s.dataEnd)).toBe(true); // some came by retransmission
    expect(confirmations.at(-1)).toBe(dataEnd);
    transport.dispose();
  });
});

describe('simulated 1.1 firmware: a corrupted STIMULATION frame', () => {
  it('freezes the confirmation at the loss, takes the retransmission, emits the epoch with that pulse blanked, then confirms again', async () => {
    const transport = new SimulatedTransport({ seed: 5, clock: 'manual', sampleRateHz: 10_000, faults: { corruptStimulationFrames: [1] } });
    const dev = new ProtocolDevice(transport, { ackTimeoutMs: 2000 });
    devices.push(dev);
    const fw = transport.firmware;
    const epochs: { epoch: StimulusEpoch; timing: EpochTiming }[] = [];
    let arrivals = 0;
    const pipeline = createPipeline({ sampleRateHz: 10_000, channelCount: 16, unit: 'uV', stimulationReports: 'confirmed', now: () => arrivals, onEpoch: (epoch, timing) => epochs.push({ epoch, timing }) });
    const blocks: SampleBlock[] = [];
    const stims: { event: StimulationEvent; dataEnd: number }[] = [];
    const confirmations: { to: number; stimsKnown: number }[] = [];
    let dataEnd = 0;
    dev.on('block', (b) => {
      blocks.push(b);
      dataEnd = b.startSample + b.samplesPerChannel;
      pipeline.pushBlock(b, ++arrivals);
    });
    dev.on('stimulation', (e) => {
      stims.push({ event: e, dataEnd });
      pipeline.pushStimulation(e);
    });
    dev.on('stimulations-confirmed', (n) => {
      confirmations.push({ to: n, stimsKnown: stims.length });
      pipeline.confirmStimulationsTo(n, arrivals);
    });
    const errors: string[] = [];
    dev.on('error', (m) => errors.push(m));
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
    const run = async (seconds: number): Promise<void> => {
      for (let i = 0; i < Math.round(seconds * 100); i++) {
        fw.advanceSamples(100);
        await tick();
      }
    };
    const send = async (p: Promise<void>): Promise<void> => {
      let done = false;
      p.then(() => (done = true), () => (done = true));
      while (!done) {
        await tick();
        if (!done) fw.advanceSamples(10);
      }
      await p;
    };
    await dev.open();
    expect(dev.info?.confirmsStimulations).toBe(true);
    await send(dev.send({ type: 'start' }));
    await run(0.6);
    const stimulation = makeStimulation({ mode: 'single', intensityMa: 2, pulseWidthUs: 200 });
    await send(dev.send({ type: 'set-stimulation', stimulation }));
    await send(dev.send({ type: 'trigger', target: null }));
    await run(1.5);
    expect(fw.counters().stimulationsRetransmitted).toBeGreaterThanOrEqual(1);
    expect(errors.some((m) => /frame\(s\) lost/.test(m))).toBe(true);
    // the report came by retransmission, after its own samples
    expect(stims).toHaveLength(1);
    const s = stims[0]!.event.sampleIndex;
    expect(stims[0]!.dataEnd).toBeGreaterThan(s + 1000);
    // frozen: nothing past the pulse was confirmed before the report arrived
    const before = confirmations.filter((c) => c.stimsKnown === 0);
    expect(Math.max(...before.map((c) => c.to))).toBeLessThanOrEqual(s);
    // resumed: confirmations after it follow the stream again, past two retransmission intervals of the loss
    const after = confirmations.filter((c) => c.stimsKnown === 1);
    expect(after.length).toBeGreaterThan(50);
    expect(after[0]!.to).toBeGreaterThanOrEqual(s + 3000);
    expect(after.at(-1)!.to).toBe(dataEnd);
    // the epoch: emitted (at the confirmation of its end), the pulse blanked, identical to one batch run
    expect(epochs).toHaveLength(1);
    const e = epochs[0]!.epoch;
    expect(e.event.sampleIndex).toBe(s);
    expect(e.blanked[s - e.startSample]).toBe(1);
    expect(pipeline.stats().epochsUnconfirmed).toBe(0);
    // completed by the confirmation right after the block holding the window's last sample
    const end = e.startSample + e.preSamples + e.stimSamples + e.postSamples;
    expect(epochs[0]!.timing.completedAtMs).toBe(blocks.findIndex((b) => b.startSample + b.samplesPerChannel >= end) + 1);
    const ref: StimulusEpoch[] = [];
    const batch = createPipeline({ sampleRateHz: 10_000, channelCount: 16, unit: 'uV', onEpoch: (x) => ref.push(x) });
    batch.pushStimulation(stims[0]!.event);
    for (const b of blocks) batch.pushBlock(b);
    batch.flush();
    expect(ref).toHaveLength(1);
    expect(Buffer.from(e.envelope.buffer).equals(Buffer.from(ref[0]!.envelope.buffer))).toBe(true);
    expect(Buffer.from(e.blanked.buffer).equals(Buffer.from(ref[0]!.blanked.buffer))).toBe(true);
    pipeline.dispose();
    batch.dispose();
    transport.dispose();
  });
});
