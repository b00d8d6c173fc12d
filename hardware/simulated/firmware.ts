import { makeStimulation, type ChannelStatus, type Stimulation } from '../../src/domain';
import type { StimulationEvent } from '../../src/domain';
import { DEVICE_ERROR_CODES, DeviceEncoder, HostCommandDecoder, MSG, type AckResult, type HostMessage } from '../../src/protocol';
import type { Disposer } from '../device';
import { EmgSynthesizer, type EvokedResponse, type SignalConditions } from './emg';
import { createVirtualPatient, type VirtualPatient } from './patient';
import { SeededRandom } from './random';

/**
 * The simulated amplifier/stimulator "firmware": speaks the sdrlog wire protocol (hardware/PROTOCOL.md)
 * through the shared codec in src/protocol, streams EMG of a virtual patient, and delivers the
 * stimulations the host arms and triggers. Time is the device's sample clock, advanced by the caller
 * (`advanceSamples`, or `runRealtime` for wall-clock pacing), so tests can run as fast as possible.
 *
 * Faults for testing the host: bytes corrupted or dropped at a rate on the way out, output stalled for
 * a while (delivered late in a burst), the link unplugged for a while (output lost; the device keeps
 * its sample clock and waits for a new START), and electrodes coming off (large hum, STATUS flag).
 *
 * Stimulations are reliable (hardware/PROTOCOL.md, "Reliable stimulation records"): each carries a
 * number counting from 1 since power-up and is kept in a bounded queue until the host answers with
 * STIMULATION_ACK, retransmitted unchanged every `stimulationRetransmitMs` of device time while a host
 * is listening (not while unplugged, and after plugging back only once the host has spoken again), and
 * reported with an ERROR after `stimulationMaxRetransmits` retransmissions. A TRIGGER while the queue is
 * full is refused with ACK `busy` (nothing is delivered that could not be recorded).
 * A STIMULATION goes out before the SAMPLES frame holding its first pulse, as revision 1.1 requires (and
 * DEVICE_INFO announces): a TRIGGER is handled between blocks and the first pulse is `synth.nextSample`,
 * the first sample not generated yet; stalls delay frames but never reorder them.
 */

export type FaultEvent =
  | { readonly atS: number; readonly kind: 'stall'; readonly durationMs: number }
  | { readonly atS: number; readonly kind: 'unplug'; readonly durationS: number }
  | { readonly atS: number; readonly kind: 'electrode-off'; readonly channel: number; readonly durationS?: number };

export interface FaultPlan {
  /** Chance per outgoing byte that one bit is flipped. */
  readonly corruptByteRate?: number;
  /** Chance per outgoing byte that it is lost. */
  readonly dropByteRate?: number;
  /**
   * Timed faults, in seconds of device sample clock after the host first started streaming (START), so a
   * fault lands at the same place in the recording however long the host took to connect.
   */
  readonly events?: readonly FaultEvent[];
  /**
   * STIMULATION frames to corrupt on the way out, by transmission count (1 = the first STIMULATION frame
   * sent, retransmissions counted too): one payload bit flipped, so the host's CRC check drops the frame
   * and sees a sequence gap. For testing recovery of a lost stimulation report exactly where it matters.
   */
  readonly corruptStimulationFrames?: readonly number[];
}

export interface SimulatedFirmwareOptions {
  /** The patient on the table; default a virtual patient from `seed`. */
  readonly patient?: VirtualPatient;
  readonly seed?: number;
  readonly sampleRateHz?: number;
  readonly conditions?: SignalConditions;
  /** Samples per channel per SAMPLES frame; default 100 (10 ms at 10 kHz). */
  readonly blockSamples?: number;
  /** Microvolts per count; default 0.5 (int16 spans about +-16 mV). */
  readonly gainUvPerCount?: number;
  readonly faults?: FaultPlan;
  /** Device time between retransmissions of an unacknowledged stimulation; default 150 ms. */
  readonly stimulationRetransmitMs?: number;
  /** Retransmissions before an unacknowledged stimulation is given up with an ERROR; default 20. */
  readonly stimulationMaxRetransmits?: number;
  /** Unacknowledged stimulations kept at most; default 16 (a TRIGGER beyond is refused 'busy'). */
  readonly stimulationQueueSize?: number;
}

interface UnackedStimulation {
  readonly number: number;
  readonly event: StimulationEvent;
  nextAtSample: number;
  retransmits: number;
}

export type LinkEvent = { readonly kind: 'unplugged'; readonly durationS: number } | { readonly kind: 'plugged' };

/** Counters of what the firmware did, for tests and the `simulate --pty` log. */
export interface FirmwareCounters {
  readonly samplesGenerated: number;
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly bytesCorrupted: number;
  readonly bytesDropped: number;
  /** Bytes produced while unplugged (lost). */
  readonly bytesLostUnplugged: number;
  readonly commandsReceived: number;
  readonly stimulationsDelivered: number;
  /** STIMULATION frames sent again because no STIMULATION_ACK had come. */
  readonly stimulationsRetransmitted: number;
  readonly stimulationsAcknowledged: number;
  /** Stimulations given up after the maximum number of retransmissions (each reported by ERROR). */
  readonly stimulationsUnacknowledged: number;
}

export const SIMULATOR_MODEL = 'sdrlog simulated amplifier/stimulator';
export const SIMULATOR_FIRMWARE = '1.0.0-sim';
/** STATUS is sent once a second of device time. */
const STATUS_INTERVAL_S = 1;

export class SimulatedFirmware {
  readonly synth: EmgSynthesizer;
  readonly patient: VirtualPatient;
  readonly blockSamples: number;
  readonly gainUvPerCount: number;
  /** Every stimulation delivered, with what it evoked (the truth for tests and training mode). */
  readonly delivered: EvokedResponse[] = [];
  private readonly encoder = new DeviceEncoder();
  private readonly decoder = new HostCommandDecoder();
  private readonly outputListeners = new Set<(bytes: Uint8Array) => void>();
  private readonly linkListeners = new Set<(e: LinkEvent) => void>();
  private readonly faultRng: SeededRandom;
  private readonly corruptRate: number;
  private readonly dropRate: number;
  private readonly timedFaults: FaultEvent[];
  private readonly corruptStimulationFrames: ReadonlySet<number>;
  private stimulationFramesSent = 0;
  private streaming = false;
  private armed: Stimulation | null = null;
  private busyUntilSample = 0;
  private plugged = true;
  private plugBackAtSample = 0;
  private stallUntilSample = 0;
  private stalled: Uint8Array[] = [];
  private nextStatusSample = 0;
  /** Sample index at the first START; timed faults count from here. */
  private faultOriginSample: number | null = null;
  private readonly electrodeOffUntil = new Map<number, number>();
  private counts = {
    samplesGenerated: 0, framesSent: 0, bytesSent: 0, bytesCorrupted: 0, bytesDropped: 0, bytesLostUnplugged: 0, commandsReceived: 0, stimulationsDelivered: 0,
    stimulationsRetransmitted: 0, stimulationsAcknowledged: 0, stimulationsUnacknowledged: 0,
  };
  private readonly retransmitSamples: number;
  private readonly maxRetransmits: number;
  private readonly queueSize: number;
  /** Number of the next stimulation (1 after power-up). */
  private nextStimulationNumber = 1;
  /** Delivered stimulations not yet acknowledged, in number order. */
  private unacked: UnackedStimulation[] = [];
  /** A host has spoken since power-up or the last unplug: retransmissions can be heard. */
  private hostListening = false;
  private skipCorrupt = 0;
  private skipDrop = 0;

  constructor(options: SimulatedFirmwareOptions = {}) {
    this.patient = options.patient ?? createVirtualPatient({ seed: options.seed ?? 1 });
    this.synth = new EmgSynthesizer({ patient: this.patient, sampleRateHz: options.sampleRateHz, conditions: options.conditions });
    this.blockSamples = options.blockSamples ?? 100;
    if (!(Number.isInteger(this.blockSamples) && this.blockSamples >= 1 && this.blockSamples <= 511)) throw new Error(`blockSamples must be 1..511, got ${this.blockSamples}`);
    this.gainUvPerCount = options.gainUvPerCount ?? 0.5;
    const f = options.faults ?? {};
    this.corruptRate = f.corruptByteRate ?? 0;
    this.dropRate = f.dropByteRate ?? 0;
    for (const [name, r] of [['corruptByteRate', this.corruptRate], ['dropByteRate', this.dropRate]] as const) {
      if (!(Number.isFinite(r) && r >= 0 && r < 0.5)) throw new Error(`${name} must be in [0, 0.5), got ${r}`);
    }
    const retransmitMs = options.stimulationRetransmitMs ?? 150;
    if (!(retransmitMs > 0)) throw new Error(`stimulationRetransmitMs must be positive, got ${retransmitMs}`);
    this.retransmitSamples = Math.max(1, Math.round((retransmitMs / 1000) * this.synth.sampleRateHz));
    this.maxRetransmits = options.stimulationMaxRetransmits ?? 20;
    this.queueSize = options.stimulationQueueSize ?? 16;
    if (!(Number.isInteger(this.maxRetransmits) && this.maxRetransmits >= 0)) throw new Error(`stimulationMaxRetransmits must be an integer >= 0, got ${this.maxRetransmits}`);
    if (!(Number.isInteger(this.queueSize) && this.queueSize >= 1)) throw new Error(`stimulationQueueSize must be an integer >= 1, got ${this.queueSize}`);
    this.timedFaults = [...(f.events ?? [])].sort((a, b) => a.atS - b.atS);
    this.corruptStimulationFrames = new Set(f.corruptStimulationFrames ?? []);
    for (const n of this.corruptStimulationFrames) if (!(Number.isInteger(n) && n >= 1)) throw new Error(`corruptStimulationFrames: transmission counts are integers >= 1, got ${n}`);
    for (const e of this.timedFaults) {
      if (!(Number.isFinite(e.atS) && e.atS >= 0)) throw new Error(`fault at ${e.atS} s: time must be >= 0`);
      if (e.kind === 'electrode-off' && !(Number.isInteger(e.channel) && e.channel >= 0 && e.channel < this.synth.channelCount)) throw new Error(`electrode-off: no channel ${e.channel}`);
    }
    this.faultRng = new SeededRandom(this.patient.seed, 'firmware/faults');
    this.skipCorrupt = this.nextSkip(this.corruptRate);
    this.skipDrop = this.nextSkip(this.dropRate);
  }

  get sampleRateHz(): number {
    return this.synth.sampleRateHz;
  }

  get nextSample(): number {
    return this.synth.nextSample;
  }

  get isStreaming(): boolean {
    return this.streaming;
  }

  get isPlugged(): boolean {
    return this.plugged;
  }

  counters(): FirmwareCounters {
    return { ...this.counts };
  }

  /** Numbers of the delivered stimulations still waiting for STIMULATION_ACK. */
  get unacknowledgedStimulations(): readonly number[] {
    return this.unacked.map((u) => u.number);
  }

  /** Bytes the device sends to the host (after byte faults). */
  onOutput(listener: (bytes: Uint8Array) => void): Disposer {
    this.outputListeners.add(listener);
    return () => {
      this.outputListeners.delete(listener);
    };
  }

  /** Unplug / plug-back events, for the transport hosting the firmware. */
  onLink(listener: (e: LinkEvent) => void): Disposer {
    this.linkListeners.add(listener);
    return () => {
      this.linkListeners.delete(listener);
    };
  }

  /** Power-up announcement (DEVICE_INFO, unsolicited). */
  powerUp(): void {
    this.sendInfo();
  }

  /** Bytes from the host. */
  receive(bytes: Uint8Array): void {
    if (!this.plugged) return;
    this.decoder.push(bytes, (m) => this.handle(m));
  }

  /** Lets `samples` samples of device time pass: generates them and streams them if started. */
  advanceSamples(samples: number): void {
    let left = samples;
    while (left > 0) {
      this.applyTimedFaults();
      const untilFault = this.samplesUntilNextFaultChange();
      const n = Math.min(left, this.blockSamples - (this.synth.nextSample % this.blockSamples), untilFault);
      const block = this.synth.generate(n);
      this.counts.samplesGenerated += n;
      left -= n;
      if (this.streaming) this.emit(this.encoder.samples(block, this.gainUvPerCount, 'int16'));
      if (this.synth.nextSample >= this.nextStatusSample) {
        this.nextStatusSample = this.synth.nextSample + Math.round(STATUS_INTERVAL_S * this.sampleRateHz);
        if (this.streaming) this.sendStatus();
      }
      this.retransmitDue();
      if (this.stalled.length && this.synth.nextSample >= this.stallUntilSample) this.flushStall();
    }
  }

  /** Sends again every unacknowledged stimulation whose retransmission time has come (while a host listens). */
  private retransmitDue(): void {
    if (!this.plugged || !this.hostListening || this.unacked.length === 0) return;
    const now = this.synth.nextSample;
    for (const u of [...this.unacked]) {
      if (now < u.nextAtSample) continue;
      if (u.retransmits >= this.maxRetransmits) {
        this.unacked = this.unacked.filter((x) => x !== u);
        this.counts.stimulationsUnacknowledged++;
        this.emit(this.encoder.error({
          code: DEVICE_ERROR_CODES.STIMULATION_UNACKNOWLEDGED,
          message: `stimulation #${u.number} (first pulse at sample ${u.event.sampleIndex}) not acknowledged after ${u.retransmits} retransmissions`,
        }));
        continue;
      }
      u.retransmits++;
      u.nextAtSample = now + this.retransmitSamples;
      this.counts.stimulationsRetransmitted++;
      this.emit(this.encoder.stimulation(u.event, u.number));
    }
  }

  private samplesUntilNextFaultChange(): number {
    const now = this.synth.nextSample;
    let next = Infinity;
    const f = this.timedFaults[0];
    if (f && this.faultOriginSample !== null) next = Math.min(next, Math.max(1, this.faultOriginSample + Math.round(f.atS * this.sampleRateHz) - now));
    if (!this.plugged) next = Math.min(next, Math.max(1, this.plugBackAtSample - now));
    for (const until of this.electrodeOffUntil.values()) next = Math.min(next, Math.max(1, until - now));
    return next;
  }

  private applyTimedFaults(): void {
    const now = this.synth.nextSample;
    const fs = this.sampleRateHz;
    const origin = this.faultOriginSample;
    while (origin !== null && this.timedFaults.length && origin + Math.round(this.timedFaults[0]!.atS * fs) <= now) {
      const f = this.timedFaults.shift()!;
      if (f.kind === 'stall') this.stallUntilSample = Math.max(this.stallUntilSample, now + Math.round((f.durationMs / 1000) * fs));
      else if (f.kind === 'unplug') {
        this.plugged = false;
        this.streaming = false;
        this.hostListening = false;
        this.stalled = [];
        this.plugBackAtSample = now + Math.round(f.durationS * fs);
        for (const l of this.linkListeners) l({ kind: 'unplugged', durationS: f.durationS });
      } else {
        this.synth.setChannelCondition(f.channel, 'electrode-off');
        this.electrodeOffUntil.set(f.channel, f.durationS === undefined ? Infinity : now + Math.round(f.durationS * fs));
        if (this.streaming) this.sendStatus();
      }
    }
    for (const [ch, until] of this.electrodeOffUntil) {
      if (until <= now) {
        this.electrodeOffUntil.delete(ch);
        this.synth.setChannelCondition(ch, 'ok');
        if (this.streaming) this.sendStatus();
      }
    }
    if (!this.plugged && now >= this.plugBackAtSample) {
      this.plugged = true;
      for (const l of this.linkListeners) l({ kind: 'plugged' });
      this.sendInfo();
    }
  }

  private handle(m: HostMessage): void {
    this.counts.commandsReceived++;
    if (!this.hostListening) {
      // a host is (back) on the link: what it has not acknowledged goes out again at once
      this.hostListening = true;
      for (const u of this.unacked) u.nextAtSample = this.synth.nextSample;
    }
    if (m.kind === 'stimulation-ack') {
      const before = this.unacked.length;
      this.unacked = this.unacked.filter((u) => u.number !== m.number);
      if (this.unacked.length < before) this.counts.stimulationsAcknowledged++;
      return;
    }
    if (m.kind === 'get-info') {
      this.sendInfo();
      return;
    }
    if (m.kind === 'invalid') {
      this.ack(m.seq, m.messageType, m.result);
      return;
    }
    const c = m.command;
    switch (c.type) {
      case 'ping':
        this.emit(this.encoder.pong(m.pingToken ?? m.seq));
        return;
      case 'start':
        this.streaming = true;
        if (this.faultOriginSample === null) this.faultOriginSample = this.synth.nextSample;
        this.ack(m.seq, MSG.START, 'ok');
        this.sendStatus();
        return;
      case 'stop':
        this.streaming = false;
        this.ack(m.seq, MSG.STOP, 'ok');
        return;
      case 'set-stimulation':
        this.armed = c.stimulation;
        this.ack(m.seq, MSG.SET_STIMULATION, 'ok');
        return;
      case 'trigger': {
        if (!this.streaming) return this.ack(m.seq, MSG.TRIGGER, 'not-running');
        if (!this.armed) return this.ack(m.seq, MSG.TRIGGER, 'stimulator-unavailable');
        if (this.synth.nextSample < this.busyUntilSample) return this.ack(m.seq, MSG.TRIGGER, 'busy');
        if (this.unacked.length >= this.queueSize) return this.ack(m.seq, MSG.TRIGGER, 'busy');
        const a = this.armed;
        const stimulation = makeStimulation({ mode: a.mode, intensityMa: a.intensityMa, pulseWidthUs: a.pulseWidthUs, rateHz: a.rateHz, durationS: a.durationS, target: c.target ?? a.target });
        const event = { sampleIndex: this.synth.nextSample, stimulation };
        this.delivered.push(this.synth.stimulate(event));
        this.counts.stimulationsDelivered++;
        this.busyUntilSample = event.sampleIndex + Math.round(stimulation.durationS * this.sampleRateHz) + 1;
        const number = this.nextStimulationNumber++;
        this.unacked.push({ number, event, nextAtSample: event.sampleIndex + this.retransmitSamples, retransmits: 0 });
        this.ack(m.seq, MSG.TRIGGER, 'ok');
        this.emit(this.encoder.stimulation(event, number));
        return;
      }
    }
  }

  private ack(seq: number, type: number, result: AckResult): void {
    this.emit(this.encoder.ack({ ackedSeq: seq, ackedType: type, result }));
  }

  private sendInfo(): void {
    this.emit(this.encoder.info({
      model: SIMULATOR_MODEL, firmware: SIMULATOR_FIRMWARE, channelCount: this.synth.channelCount, sampleRateHz: this.sampleRateHz,
      gainUvPerCount: this.gainUvPerCount, sampleFormat: 'int16', canStimulate: true, reliableStimulations: true,
    }));
  }

  private sendStatus(): void {
    const channels: ChannelStatus[] = [];
    for (let c = 0; c < this.synth.channelCount; c++) {
      const off = this.synth.channelCondition(c) === 'electrode-off';
      channels.push({ channel: c, electrodeOff: off, impedanceKohm: off ? null : 2 + ((c * 7) % 6) });
    }
    this.emit(this.encoder.status({ channels, stimulatorFaults: [] }));
  }

  /** Geometric skip: how many bytes pass before the next faulty one. */
  private nextSkip(rate: number): number {
    if (rate <= 0) return Infinity;
    return Math.floor(Math.log(1 - this.faultRng.next()) / Math.log(1 - rate));
  }

  private emit(frame: Uint8Array): void {
    this.counts.framesSent++;
    if (!this.plugged) {
      this.counts.bytesLostUnplugged += frame.length;
      return;
    }
    let bytes = frame;
    if (frame[3] === MSG.STIMULATION && this.corruptStimulationFrames.has(++this.stimulationFramesSent)) {
      bytes = frame.slice();
      bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0x10; // last payload byte: the frame fails its CRC-32
      this.counts.bytesCorrupted++;
    }
    if (this.corruptRate > 0 || this.dropRate > 0) bytes = this.applyByteFaults(bytes);
    if (this.synth.nextSample < this.stallUntilSample) {
      this.stalled.push(bytes);
      return;
    }
    if (this.stalled.length) this.flushStall();
    this.deliver(bytes);
  }

  private applyByteFaults(frame: Uint8Array): Uint8Array {
    const out = new Uint8Array(frame.length);
    let o = 0;
    for (let i = 0; i < frame.length; i++) {
      let b = frame[i]!;
      if (this.skipDrop-- <= 0) {
        this.skipDrop = this.nextSkip(this.dropRate);
        this.counts.bytesDropped++;
        continue;
      }
      if (this.skipCorrupt-- <= 0) {
        this.skipCorrupt = this.nextSkip(this.corruptRate);
        b ^= 1 << this.faultRng.int(0, 7);
        this.counts.bytesCorrupted++;
      }
      out[o++] = b;
    }
    return o === out.length ? out : out.subarray(0, o);
  }

  private flushStall(): void {
    const parts = this.stalled;
    this.stalled = [];
    for (const p of parts) this.deliver(p);
  }

  private deliver(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.counts.bytesSent += bytes.length;
    for (const l of this.outputListeners) l(bytes);
  }
}

export interface RealtimeOptions {
  /** Milliseconds between clock ticks; default 10. */
  readonly tickMs?: number;
  /** Device seconds per wall second; default 1 (real time). */
  readonly speed?: number;
  /** Wall clock in ms (default performance.now), injectable for tests. */
  readonly nowMs?: () => number;
}

/** Paces a firmware's sample clock to the wall clock. Returns a disposer that stops it. */
export function runRealtime(firmware: SimulatedFirmware, options: RealtimeOptions = {}): Disposer {
  const tickMs = options.tickMs ?? 10;
  const speed = options.speed ?? 1;
  const now = options.nowMs ?? (() => performance.now());
  const t0 = now();
  const s0 = firmware.nextSample;
  const timer = setInterval(() => {
    const due = s0 + Math.floor(((now() - t0) / 1000) * speed * firmware.sampleRateHz);
    if (due > firmware.nextSample) firmware.advanceSamples(due - firmware.nextSample);
  }, tickMs);
  return () => clearInterval(timer);
}
