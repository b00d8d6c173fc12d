import type { SampleBlock, SampleGap, StimulationEvent } from '../domain';
import { encodeFrame, FrameDecoder, MAX_PAYLOAD_BYTES, type FrameCounters, type FrameDecoderOptions, type RawFrame } from './frame';
import {
  countRange,
  encodeAckPayload,
  encodeDeviceInfoPayload,
  encodeErrorPayload,
  encodeSamplesPayload,
  encodeStatusPayload,
  encodeStimulationAckPayload,
  encodeStimulationEventPayload,
  encodeStimulationSettingsPayload,
  encodeTargetPayload,
  encodeTokenPayload,
  expectEmpty,
  maxSamplesPerFrame,
  MSG,
  parseAckPayload,
  parseDeviceInfoPayload,
  parseErrorPayload,
  parseSamplesPayload,
  parseStatusPayload,
  parseNumberedStimulationEventPayload,
  parseStimulationAckPayload,
  parseStimulationSettingsPayload,
  parseTargetPayload,
  parseTokenPayload,
  PayloadError,
  type Ack,
  type AckResult,
  type DeviceErrorReport,
  type DeviceStatus,
  type SampleFormat,
  type WireDeviceInfo,
  type WireHostCommand,
} from './messages';

/** Counters of the whole link (hardware/device.ts LinkCounters is this type). */
export interface ProtocolCounters {
  readonly bytesReceived: number;
  readonly framesDecoded: number;
  readonly bytesDropped: number;
  readonly crcFailures: number;
  readonly sequenceGaps: number;
  readonly samplesLost: number;
}

/** Keeps a per-direction uint16 sequence counter and frames payloads. */
class Sequencer {
  private seq = 0;
  next(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    return s;
  }
  /** Sequence number the next frame will carry. */
  peek(): number {
    return this.seq;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// =============================================================================================
// device side: encoder (used by the simulator and by firmware test rigs)

/** Encodes device->host messages with a running sequence number. Throws RangeError on caller bugs. */
export class DeviceEncoder {
  private readonly seq = new Sequencer();

  constructor(private readonly maxPayloadBytes = MAX_PAYLOAD_BYTES) {}

  info(info: WireDeviceInfo): Uint8Array {
    return encodeFrame(MSG.DEVICE_INFO, this.seq.next(), encodeDeviceInfoPayload(info));
  }

  /**
   * Encodes a planar block in microvolts as counts (uV / gain, rounded, clamped to the format), split
   * into as many SAMPLES frames as needed.
   */
  samples(block: SampleBlock, gainUvPerCount: number, format: SampleFormat): Uint8Array {
    if (!(gainUvPerCount > 0)) throw new RangeError(`gainUvPerCount must be positive, got ${gainUvPerCount}`);
    const { channelCount: nc, samplesPerChannel: ns } = block;
    const perFrame = maxSamplesPerFrame(nc, format, this.maxPayloadBytes);
    if (perFrame < 1) throw new RangeError(`${nc} channels do not fit one frame`);
    const frames: Uint8Array[] = [];
    const { min, max } = countRange(format);
    for (let first = 0; first < ns; first += perFrame) {
      const n = Math.min(perFrame, ns - first);
      const counts = new Int32Array(n * nc);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < nc; c++) {
          const v = Math.round(block.data[c * ns + first + i]! / gainUvPerCount);
          counts[i * nc + c] = v < min ? min : v > max ? max : v;
        }
      }
      frames.push(this.samplesCounts({ startSample: block.startSample + first, sampleRateHz: block.sampleRateHz, gainUvPerCount, channelCount: nc, format }, counts));
    }
    return concat(frames);
  }

  /** One SAMPLES frame from interleaved counts (sample-major), as an ADC produces them. */
  samplesCounts(spec: Parameters<typeof encodeSamplesPayload>[0], countsInterleaved: ArrayLike<number>): Uint8Array {
    return encodeFrame(MSG.SAMPLES, this.seq.next(), encodeSamplesPayload(spec, countsInterleaved));
  }

  /** A STIMULATION frame; with `number` the numbered form (protocol 1.1) the host acknowledges. */
  stimulation(event: StimulationEvent, number?: number): Uint8Array {
    return encodeFrame(MSG.STIMULATION, this.seq.next(), encodeStimulationEventPayload(event, number));
  }

  status(status: DeviceStatus): Uint8Array {
    return encodeFrame(MSG.STATUS, this.seq.next(), encodeStatusPayload(status));
  }

  error(error: DeviceErrorReport): Uint8Array {
    return encodeFrame(MSG.ERROR, this.seq.next(), encodeErrorPayload(error));
  }

  ack(ack: Ack): Uint8Array {
    return encodeFrame(MSG.ACK, this.seq.next(), encodeAckPayload(ack));
  }

  pong(token: number): Uint8Array {
    return encodeFrame(MSG.PONG, this.seq.next(), encodeTokenPayload(token));
  }
}

// =============================================================================================
// host side: encoder

/** Encodes host->device commands; returns the bytes and the sequence number the ACK will quote. */
export class HostEncoder {
  private readonly seq = new Sequencer();

  command(command: WireHostCommand): { bytes: Uint8Array; seq: number; type: number } {
    const seq = this.seq.next();
    switch (command.type) {
      case 'start':
        return { bytes: encodeFrame(MSG.START, seq, new Uint8Array(0)), seq, type: MSG.START };
      case 'stop':
        return { bytes: encodeFrame(MSG.STOP, seq, new Uint8Array(0)), seq, type: MSG.STOP };
      case 'ping':
        // the token is the frame's own sequence number, echoed by PONG
        return { bytes: encodeFrame(MSG.PING, seq, encodeTokenPayload(seq)), seq, type: MSG.PING };
      case 'set-stimulation':
        return { bytes: encodeFrame(MSG.SET_STIMULATION, seq, encodeStimulationSettingsPayload(command.stimulation)), seq, type: MSG.SET_STIMULATION };
      case 'trigger':
        return { bytes: encodeFrame(MSG.TRIGGER, seq, encodeTargetPayload(command.target)), seq, type: MSG.TRIGGER };
    }
  }

  /** Acknowledges the numbered stimulation `number` (STIMULATION_ACK; the device sends no reply). */
  stimulationAck(number: number): { bytes: Uint8Array; seq: number; type: number } {
    const seq = this.seq.next();
    return { bytes: encodeFrame(MSG.STIMULATION_ACK, seq, encodeStimulationAckPayload(number)), seq, type: MSG.STIMULATION_ACK };
  }

  /** Asks the device to announce itself (DEVICE_INFO). Not a HostCommand: the protocol device sends it on open. */
  getInfo(): { bytes: Uint8Array; seq: number; type: number } {
    const seq = this.seq.next();
    return { bytes: encodeFrame(MSG.GET_INFO, seq, new Uint8Array(0)), seq, type: MSG.GET_INFO };
  }
}

// =============================================================================================
// host side: decoder of the device stream

/** What the host learns from the device stream, in arrival order. */
export type DeviceMessage =
  | { readonly kind: 'info'; readonly info: WireDeviceInfo }
  | { readonly kind: 'block'; readonly block: SampleBlock }
  /** `number`: the device's stimulation number (protocol 1.1), null from a 1.0 device. */
  | { readonly kind: 'stimulation'; readonly event: StimulationEvent; readonly number: number | null }
  | { readonly kind: 'status'; readonly status: DeviceStatus }
  | { readonly kind: 'device-error'; readonly error: DeviceErrorReport }
  | { readonly kind: 'ack'; readonly ack: Ack }
  | { readonly kind: 'pong'; readonly token: number }
  /** Samples missing between two blocks (always emitted before the block that follows the gap). */
  | { readonly kind: 'gap'; readonly gap: SampleGap }
  /** Frames lost according to sequence numbers: a stimulation or status message may be among them. */
  | { readonly kind: 'frames-lost'; readonly count: number }
  /** The device's sample index went backwards (device restarted): tracking restarts at `startSample`. */
  | { readonly kind: 'index-restart'; readonly expectedSample: number; readonly startSample: number }
  /** An intact frame whose content is invalid or unknown; it is dropped, the stream goes on. */
  | { readonly kind: 'protocol-error'; readonly messageType: number; readonly message: string };

/**
 * Decodes the device->host byte stream into messages. Never throws on any input. A jump forward in
 * the sample index becomes a `gap` (reason 'sequence-gap') before the block, so samples are never
 * spliced across missing data (hardware/PROTOCOL.md, "Gaps").
 */
export class DeviceStreamDecoder {
  private readonly frames: FrameDecoder;
  private nextSample: number | null = null;
  private samplesLost = 0;
  private lastFramesLost = 0;
  private sink: (m: DeviceMessage) => void = () => {};
  private readonly onFrame = (f: RawFrame): void => this.handle(f);

  constructor(options: FrameDecoderOptions = {}) {
    this.frames = new FrameDecoder(options);
  }

  push(bytes: Uint8Array, onMessage: (m: DeviceMessage) => void): void {
    this.sink = onMessage;
    this.frames.push(bytes, this.onFrame);
  }

  counters(): ProtocolCounters {
    const f = this.frames.counters();
    return {
      bytesReceived: f.bytesReceived,
      framesDecoded: f.framesDecoded,
      bytesDropped: f.bytesDropped,
      crcFailures: f.crcFailures,
      sequenceGaps: f.sequenceGaps,
      samplesLost: this.samplesLost,
    };
  }

  frameCounters(): FrameCounters {
    return this.frames.counters();
  }

  /** Sample index the next block is expected to start at (null before the first block). */
  get expectedSample(): number | null {
    return this.nextSample;
  }

  /** Forgets partial frames and the sequence (after a reconnection); sample tracking is kept. */
  resetLink(): void {
    this.frames.reset();
    this.lastFramesLost = this.frames.framesLostCount;
  }

  /**
   * Forgets the expected sample index, so the next block raises neither `gap` nor `index-restart`:
   * for a caller that accounts for the interval itself (a reconnection records it as 'disconnected').
   * Samples it forgave are not counted in `samplesLost`; the caller adds them with `addSamplesLost`.
   */
  forgetSampleTracking(): void {
    this.nextSample = null;
  }

  addSamplesLost(n: number): void {
    this.samplesLost += n;
  }

  private handle(f: RawFrame): void {
    const lost = this.frames.framesLostCount;
    if (lost !== this.lastFramesLost) {
      this.sink({ kind: 'frames-lost', count: lost - this.lastFramesLost });
      this.lastFramesLost = lost;
    }
    let m: DeviceMessage;
    try {
      m = this.parse(f);
    } catch (e) {
      m = { kind: 'protocol-error', messageType: f.type, message: e instanceof Error ? e.message : String(e) };
    }
    if (m.kind === 'block') {
      const b = m.block;
      if (this.nextSample !== null && b.startSample > this.nextSample) {
        const gap: SampleGap = { startSample: this.nextSample, lengthSamples: b.startSample - this.nextSample, reason: 'sequence-gap' };
        this.samplesLost += gap.lengthSamples;
        this.sink({ kind: 'gap', gap });
      } else if (this.nextSample !== null && b.startSample < this.nextSample) {
        this.sink({ kind: 'index-restart', expectedSample: this.nextSample, startSample: b.startSample });
      }
      this.nextSample = b.startSample + b.samplesPerChannel;
    }
    this.sink(m);
  }

  private parse(f: RawFrame): DeviceMessage {
    switch (f.type) {
      case MSG.DEVICE_INFO:
        return { kind: 'info', info: parseDeviceInfoPayload(f.payload) };
      case MSG.SAMPLES:
        return { kind: 'block', block: parseSamplesPayload(f.payload) };
      case MSG.STIMULATION: {
        const { event, number } = parseNumberedStimulationEventPayload(f.payload);
        return { kind: 'stimulation', event, number };
      }
      case MSG.STATUS:
        return { kind: 'status', status: parseStatusPayload(f.payload) };
      case MSG.ERROR:
        return { kind: 'device-error', error: parseErrorPayload(f.payload) };
      case MSG.ACK:
        return { kind: 'ack', ack: parseAckPayload(f.payload) };
      case MSG.PONG:
        return { kind: 'pong', token: parseTokenPayload(f.payload) };
      default:
        throw new PayloadError(`unknown device message type 0x${f.type.toString(16).padStart(2, '0')}`);
    }
  }
}

// =============================================================================================
// device side: decoder of host commands

export type HostMessage =
  | { readonly kind: 'command'; readonly seq: number; readonly command: WireHostCommand; readonly pingToken?: number }
  | { readonly kind: 'get-info'; readonly seq: number }
  /** STIMULATION_ACK: the host has stimulation `number`; the device sends no reply. */
  | { readonly kind: 'stimulation-ack'; readonly seq: number; readonly number: number }
  /** An intact frame the device must refuse: reply with ACK result 'invalid-parameters' or 'unsupported'. */
  | { readonly kind: 'invalid'; readonly seq: number; readonly messageType: number; readonly result: AckResult; readonly message: string };

/** Decodes the host->device byte stream (used by the simulator and firmware test rigs). Never throws. */
export class HostCommandDecoder {
  private readonly frames: FrameDecoder;
  private sink: (m: HostMessage) => void = () => {};
  private readonly onFrame = (f: RawFrame): void => this.sink(this.parse(f));

  constructor(options: FrameDecoderOptions = {}) {
    this.frames = new FrameDecoder(options);
  }

  push(bytes: Uint8Array, onMessage: (m: HostMessage) => void): void {
    this.sink = onMessage;
    this.frames.push(bytes, this.onFrame);
  }

  counters(): FrameCounters {
    return this.frames.counters();
  }

  private parse(f: RawFrame): HostMessage {
    const seq = f.seq;
    try {
      switch (f.type) {
        case MSG.START:
          expectEmpty(f.payload, 'start');
          return { kind: 'command', seq, command: { type: 'start' } };
        case MSG.STOP:
          expectEmpty(f.payload, 'stop');
          return { kind: 'command', seq, command: { type: 'stop' } };
        case MSG.PING:
          return { kind: 'command', seq, command: { type: 'ping' }, pingToken: parseTokenPayload(f.payload) };
        case MSG.SET_STIMULATION:
          return { kind: 'command', seq, command: { type: 'set-stimulation', stimulation: parseStimulationSettingsPayload(f.payload) } };
        case MSG.TRIGGER:
          return { kind: 'command', seq, command: { type: 'trigger', target: parseTargetPayload(f.payload) } };
        case MSG.GET_INFO:
          expectEmpty(f.payload, 'get info');
          return { kind: 'get-info', seq };
        case MSG.STIMULATION_ACK:
          return { kind: 'stimulation-ack', seq, number: parseStimulationAckPayload(f.payload) };
        default:
          return { kind: 'invalid', seq, messageType: f.type, result: 'unsupported', message: `unknown host message type 0x${f.type.toString(16).padStart(2, '0')}` };
      }
    } catch (e) {
      return { kind: 'invalid', seq, messageType: f.type, result: 'invalid-parameters', message: e instanceof Error ? e.message : String(e) };
    }
  }
}
