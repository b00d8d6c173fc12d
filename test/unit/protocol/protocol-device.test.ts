import { afterEach, describe, expect, it } from 'vitest';
import { makeStimulation, type SampleBlock, type SampleGap, type StimulationEvent } from '../../../src/domain';
import { DeviceEncoder, HostCommandDecoder, MSG, type WireDeviceInfo, type WireHostCommand } from '../../../src/protocol';
import { TransportListeners, type ByteTransport, type ConnectionState } from '../../../hardware/device';
import { DeviceCommandError, ProtocolDevice } from '../../../hardware/protocol-device';

const INFO: WireDeviceInfo = { model: 'TestAmp', firmware: '0.9', channelCount: 2, sampleRateHz: 1000, gainUvPerCount: 0.5, sampleFormat: 'int16', canStimulate: true };

/**
 * An in-memory transport wired to a tiny firmware emulator: answers GET_INFO, ACKs commands, PONGs
 * pings, and lets the test push sample blocks. `vanish()` simulates an unplugged cable.
 */
class FakeLink extends TransportListeners implements ByteTransport {
  readonly device = new DeviceEncoder();
  private readonly commands = new HostCommandDecoder();
  readonly received: WireHostCommand[] = [];
  readonly stimulationAcks: number[] = [];
  isOpen = false;
  opens = 0;
  failOpens = 0;
  refuse: string | null = null;
  info: WireDeviceInfo = INFO;
  silent = false;

  async open(): Promise<void> {
    if (this.failOpens > 0) {
      this.failOpens--;
      throw new Error('ENOENT: no such port');
    }
    this.opens++;
    this.isOpen = true;
  }
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) throw new Error('port not open');
    this.commands.push(bytes, (m) => {
      if (this.silent) return;
      if (m.kind === 'get-info') return this.deliver(this.device.info(this.info));
      if (m.kind === 'invalid') return this.deliver(this.device.ack({ ackedSeq: m.seq, ackedType: m.messageType, result: m.result }));
      if (m.kind === 'stimulation-ack') return void this.stimulationAcks.push(m.number);
      this.received.push(m.command);
      if (m.command.type === 'ping') return this.deliver(this.device.pong(m.pingToken ?? 0));
      const type = { start: MSG.START, stop: MSG.STOP, 'set-stimulation': MSG.SET_STIMULATION, trigger: MSG.TRIGGER }[m.command.type];
      this.deliver(this.device.ack({ ackedSeq: m.seq, ackedType: type, result: this.refuse === m.command.type ? 'stimulator-unavailable' : 'ok' }));
    });
  }
  async close(): Promise<void> {
    this.isOpen = false;
    this.emitClose('deliberate');
  }
  deliver(bytes: Uint8Array): void {
    // answer asynchronously, as a real port would
    queueMicrotask(() => {
      if (this.isOpen) this.emitData(bytes);
    });
  }
  samples(startSample: number, n: number): void {
    const counts = Array.from({ length: n * 2 }, (_, k) => k);
    this.deliver(this.device.samplesCounts({ startSample, sampleRateHz: 1000, gainUvPerCount: 0.5, channelCount: 2, format: 'int16' }, counts));
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

function setup(options: ConstructorParameters<typeof ProtocolDevice>[1] = {}): { link: FakeLink; dev: ProtocolDevice; blocks: SampleBlock[]; gaps: SampleGap[]; errors: string[]; states: ConnectionState[]; stims: StimulationEvent[] } {
  const link = new FakeLink();
  const dev = new ProtocolDevice(link, { ackTimeoutMs: 200, infoTimeoutMs: 200, ...options });
  devices.push(dev);
  const blocks: SampleBlock[] = [];
  const gaps: SampleGap[] = [];
  const errors: string[] = [];
  const states: ConnectionState[] = [];
  const stims: StimulationEvent[] = [];
  dev.on('block', (b) => blocks.push(b));
  dev.on('gap', (g) => gaps.push(g));
  dev.on('error', (e) => errors.push(e));
  dev.on('connection', (s) => states.push(s));
  dev.on('stimulation', (s) => stims.push(s));
  return { link, dev, blocks, gaps, errors, states, stims };
}

describe('ProtocolDevice', () => {
  it('opens, learns the device info, and streams blocks and stimulation events', async () => {
    const { link, dev, blocks, stims, states } = setup();
    await dev.open();
    expect(dev.info).toEqual({ model: 'TestAmp', firmware: '0.9', channelCount: 2, sampleRateHz: 1000, canStimulate: true, confirmsStimulations: false, gainUvPerCount: 0.5, sampleFormat: 'int16' });
    expect(states).toEqual(['opening', 'open']);
    await dev.send({ type: 'start' });
    link.samples(0, 3);
    const stim = makeStimulation({ mode: 'train', intensityMa: 2, pulseWidthUs: 100, rateHz: 50, durationS: 1, target: null });
    link.deliver(link.device.stimulation({ sampleIndex: 2, stimulation: stim }));
    await flush();
    expect(blocks).toHaveLength(1);
    expect(Array.from(blocks[0]!.data)).toEqual([0, 1, 2, 0.5, 1.5, 2.5]);
    expect(stims).toEqual([{ sampleIndex: 2, stimulation: stim }]);
    expect(link.received).toEqual([{ type: 'start' }]);
    expect(dev.counters()).toMatchObject({ framesDecoded: 4, crcFailures: 0, bytesDropped: 0 });
  });

  it('numbered stimulations: acknowledged each time, emitted once in number order, a gap that never fills is reported', async () => {
    const { link, dev, stims, errors } = setup({ stimulationGapTimeoutMs: 60 });
    await dev.open();
    const stim = (n: number): StimulationEvent => ({ sampleIndex: 100 * n, stimulation: makeStimulation({ mode: 'single', intensityMa: n / 10, pulseWidthUs: 200, target: null }) });
    const send = async (n: number, e = stim(n)): Promise<void> => {
      link.deliver(link.device.stimulation(e, n));
      await flush();
    };
    await send(1);
    await send(3); // #2 lost: #3 is held
    expect(stims).toEqual([stim(1)]);
    await send(1); // a retransmission of #1 (its ACK was lost)
    await send(3);
    await send(2);
    expect(stims).toEqual([stim(1), stim(2), stim(3)]);
    expect(link.stimulationAcks).toEqual([1, 3, 1, 3, 2]);
    // #4 never comes: after the timeout it is reported by number and #5 is emitted
    await send(5);
    expect(stims).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 100));
    expect(errors.filter((e) => e.includes('stimulation #4 never arrived'))).toHaveLength(1);
    expect(stims).toEqual([stim(1), stim(2), stim(3), stim(5)]);
    // if it does arrive after all, it is recorded (once), not dropped
    await send(4);
    await send(4);
    expect(stims).toEqual([stim(1), stim(2), stim(3), stim(5), stim(4)]);
    // the device powered up again: numbering restarts at 1 with another sample index
    const restarted: StimulationEvent = { sampleIndex: 7, stimulation: stim(1).stimulation };
    await send(1, restarted);
    await send(2, { sampleIndex: 9, stimulation: stim(2).stimulation });
    expect(stims.slice(5)).toEqual([restarted, { sampleIndex: 9, stimulation: stim(2).stimulation }]);
    // a 1.0 device's unnumbered STIMULATION is emitted as it comes, unacknowledged
    const acks = link.stimulationAcks.length;
    link.deliver(link.device.stimulation(stim(9)));
    await flush();
    expect(stims[stims.length - 1]).toEqual(stim(9));
    expect(link.stimulationAcks).toHaveLength(acks);
  });

  it('does not count a held stimulation gap while the link is down', async () => {
    const { link, dev, stims, errors } = setup({ stimulationGapTimeoutMs: 60, reconnect: { initialDelayMs: 100, maxDelayMs: 100 } });
    await dev.open();
    const e = (n: number): StimulationEvent => ({ sampleIndex: 10 * n, stimulation: makeStimulation({ mode: 'single', intensityMa: 1, pulseWidthUs: 200, target: null }) });
    link.deliver(link.device.stimulation(e(1), 1));
    link.deliver(link.device.stimulation(e(3), 3));
    await flush();
    link.vanish();
    await new Promise((r) => setTimeout(r, 90));
    expect(errors.some((x) => x.includes('never arrived'))).toBe(false);
    await new Promise((r) => setTimeout(r, 40)); // reconnected by now
    expect(dev.state).toBe('open');
    link.deliver(link.device.stimulation(e(2), 2)); // the device's retransmission after the reconnection
    await flush();
    expect(stims).toEqual([e(1), e(2), e(3)]);
    expect(errors.some((x) => x.includes('never arrived'))).toBe(false);
  });

  it('resolves commands on ACK ok, rejects on refusal and on timeout', async () => {
    const { link, dev } = setup();
    await dev.open();
    await expect(dev.send({ type: 'ping' })).resolves.toBeUndefined();
    link.refuse = 'trigger';
    await expect(dev.send({ type: 'trigger', target: null })).rejects.toMatchObject({ result: 'stimulator-unavailable' });
    link.silent = true;
    await expect(dev.send({ type: 'stop' })).rejects.toBeInstanceOf(DeviceCommandError);
  });

  it('refuses stimulation commands to a device that cannot stimulate', async () => {
    const { link, dev } = setup();
    link.info = { ...INFO, canStimulate: false };
    await dev.open();
    await expect(dev.send({ type: 'trigger', target: null })).rejects.toThrow(/cannot stimulate/);
    expect(link.received).toEqual([]);
  });

  it('fails open() when no DEVICE_INFO arrives, and ends closed', async () => {
    const { link, dev } = setup();
    link.silent = true;
    await expect(dev.open()).rejects.toThrow(/no DEVICE_INFO/);
    expect(dev.state).toBe('closed');
  });

  it('reports a sample-index jump as a sequence-gap', async () => {
    const { link, dev, gaps, blocks } = setup();
    await dev.open();
    link.samples(0, 10);
    link.samples(25, 5);
    await flush();
    expect(gaps).toEqual([{ startSample: 10, lengthSamples: 15, reason: 'sequence-gap' }]);
    expect(blocks.map((b) => b.startSample)).toEqual([0, 25]);
    expect(dev.counters().samplesLost).toBe(15);
  });

  it('after a lost link, reconnects with exponential backoff and records the lost interval', async () => {
    let now = 0;
    const { link, dev, gaps, blocks, states } = setup({ reconnect: { initialDelayMs: 5, maxDelayMs: 40 }, nowMs: () => now });
    await dev.open();
    await dev.send({ type: 'start' });
    link.samples(0, 100);
    await flush();
    link.failOpens = 2;
    now = 1000;
    link.vanish();
    expect(dev.state).toBe('reconnecting');
    const t0 = Date.now();
    while (dev.state !== 'open') await new Promise((r) => setTimeout(r, 2));
    // 5 + 10 + 20 ms of backoff before the third attempt succeeds
    expect(Date.now() - t0).toBeGreaterThanOrEqual(30);
    await flush();
    expect(link.received.filter((c) => c.type === 'start')).toHaveLength(2); // streaming resumed
    // the device kept counting while unplugged: 100..349 lost
    link.samples(350, 10);
    await flush();
    expect(gaps).toEqual([{ startSample: 100, lengthSamples: 250, reason: 'disconnected' }]);
    expect(blocks.map((b) => b.startSample)).toEqual([0, 350]);
    expect(states).toEqual(['opening', 'open', 'disconnected', 'reconnecting', 'reconnecting', 'reconnecting', 'open']);
    expect(dev.counters().samplesLost).toBe(250);
  });

  it('when the device restarted its counter during the outage, estimates the gap from the wall clock', async () => {
    let now = 0;
    const { link, dev, gaps, blocks } = setup({ reconnect: { initialDelayMs: 1, maxDelayMs: 1 }, nowMs: () => now });
    await dev.open();
    link.samples(5000, 100); // host stream starts at 5000
    await flush();
    link.vanish();
    while (dev.state !== 'open') await new Promise((r) => setTimeout(r, 1));
    now = 2000; // 2 s after the last block at 1000 Hz
    link.samples(0, 10);
    link.samples(10, 10);
    await flush();
    expect(gaps).toEqual([{ startSample: 5100, lengthSamples: 2000, reason: 'disconnected' }]);
    expect(blocks.map((b) => b.startSample)).toEqual([5000, 7100, 7110]);
  });

  it('a deliberate close never triggers reconnection', async () => {
    const { link, dev, states } = setup({ reconnect: { initialDelayMs: 1, maxDelayMs: 1 } });
    await dev.open();
    await dev.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(states).toEqual(['opening', 'open', 'closed']);
    expect(link.opens).toBe(1);
  });

  it('without a reconnect policy a lost link stays disconnected and pending commands fail', async () => {
    const { link, dev } = setup();
    await dev.open();
    link.silent = true;
    const sent = dev.send({ type: 'stop' });
    link.vanish();
    await expect(sent).rejects.toMatchObject({ result: 'link-lost' });
    expect(dev.state).toBe('disconnected');
    await expect(dev.send({ type: 'ping' })).rejects.toMatchObject({ result: 'not-open' });
  });

  it('surfaces device errors, stimulator faults and lost frames as error events', async () => {
    const { link, dev, errors } = setup();
    await dev.open();
    link.deliver(link.device.error({ code: 3, message: 'over temperature' }));
    link.deliver(link.device.status({ channels: [{ channel: 0, electrodeOff: true, impedanceKohm: null }], stimulatorFaults: ['open-circuit'] }));
    link.device.pong(9); // never delivered: a lost frame
    link.deliver(link.device.pong(10));
    await flush();
    expect(errors).toEqual([
      'device error 3: over temperature',
      'stimulator fault: open-circuit',
      '1 frame(s) lost on the link: a stimulation or status message may be missing',
    ]);
  });
});
