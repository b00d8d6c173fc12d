import {
  LEVELS,
  makeStimulation,
  type ChannelStatus,
  type Level,
  type SampleBlock,
  type Stimulation,
  type StimulationEvent,
  type StimulationTarget,
} from '../domain';

/** Message types (hardware/PROTOCOL.md, "Messages"). Device->host below 0x80, host->device from 0x80. */
export const MSG = {
  DEVICE_INFO: 0x01,
  SAMPLES: 0x02,
  STIMULATION: 0x03,
  STATUS: 0x04,
  ERROR: 0x05,
  ACK: 0x06,
  PONG: 0x07,
  START: 0x81,
  STOP: 0x82,
  SET_STIMULATION: 0x83,
  TRIGGER: 0x84,
  PING: 0x85,
  GET_INFO: 0x86,
  STIMULATION_ACK: 0x87,
} as const;
export type MessageTypeCode = (typeof MSG)[keyof typeof MSG];

/** Sample encodings on the wire: two's-complement little-endian counts. */
export const SAMPLE_FORMATS = { int16: 1, int24: 2 } as const;
export type SampleFormat = keyof typeof SAMPLE_FORMATS;
export function bytesPerSample(format: SampleFormat): number {
  return format === 'int16' ? 2 : 3;
}
export function countRange(format: SampleFormat): { min: number; max: number } {
  return format === 'int16' ? { min: -32768, max: 32767 } : { min: -8388608, max: 8388607 };
}

/** What a device announces about itself (a superset of hardware/device.ts DeviceInfo). */
export interface WireDeviceInfo {
  readonly model: string;
  readonly firmware: string;
  readonly channelCount: number;
  readonly sampleRateHz: number;
  /** Microvolts per ADC count at the amplifier input. */
  readonly gainUvPerCount: number;
  readonly sampleFormat: SampleFormat;
  readonly canStimulate: boolean;
  /**
   * DEVICE_INFO flag bit 1 (revision 1.1): stimulations are numbered and retransmitted until acknowledged,
   * and each STIMULATION is sent before the SAMPLES frame holding its first pulse (hardware/PROTOCOL.md,
   * "Reliable stimulation records"). Absent when the bit is clear.
   */
  readonly reliableStimulations?: boolean;
}

/** Stimulator faults, bit positions in the STATUS fault mask. */
export const STIMULATOR_FAULTS = ['open-circuit', 'over-current', 'compliance-limit', 'hardware', 'interlock'] as const;
export type StimulatorFault = (typeof STIMULATOR_FAULTS)[number];

export interface DeviceStatus {
  readonly channels: readonly ChannelStatus[];
  readonly stimulatorFaults: readonly StimulatorFault[];
}

/** Result codes carried by ACK. */
export const ACK_RESULTS = ['ok', 'unsupported', 'invalid-parameters', 'stimulator-unavailable', 'busy', 'not-running'] as const;
export type AckResult = (typeof ACK_RESULTS)[number];

export interface Ack {
  readonly ackedSeq: number;
  readonly ackedType: number;
  readonly result: AckResult;
}

/**
 * Host commands; structurally identical to hardware/device.ts HostCommand (src/protocol may not
 * import hardware, so the type is restated here; a type test keeps the two in step).
 */
export type WireHostCommand =
  | { readonly type: 'start' }
  | { readonly type: 'stop' }
  | { readonly type: 'ping' }
  | { readonly type: 'set-stimulation'; readonly stimulation: Stimulation }
  | { readonly type: 'trigger'; readonly target: StimulationTarget | null };

/** Why a payload with a valid CRC was still refused. */
export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

function need(cond: boolean, message: string): asserts cond {
  if (!cond) throw new PayloadError(message);
}

// ---------------------------------------------------------------------------------------------
// little helpers over Uint8Array (no DataView allocation per call)

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
function u64(b: Uint8Array, o: number): number {
  const hi = u32(b, o + 4);
  need(hi < 0x200000, 'sample index exceeds 2^53');
  return hi * 0x100000000 + u32(b, o);
}
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
function put64(b: Uint8Array, o: number, v: number): void {
  put32(b, o, v >>> 0);
  put32(b, o + 4, Math.floor(v / 0x100000000));
}
const F32 = new Float32Array(1);
const F32_BYTES = new Uint8Array(F32.buffer);
function f32(b: Uint8Array, o: number): number {
  // typed arrays use platform order; every platform we run on is little-endian, checked below
  F32_BYTES[0] = b[o]!;
  F32_BYTES[1] = b[o + 1]!;
  F32_BYTES[2] = b[o + 2]!;
  F32_BYTES[3] = b[o + 3]!;
  return F32[0]!;
}
function putF32(b: Uint8Array, o: number, v: number): void {
  F32[0] = v;
  b.set(F32_BYTES, o);
}
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('sdrlog protocol requires a little-endian platform');

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function encodeShortString(s: string, max: number, what: string): Uint8Array {
  const bytes = utf8Encoder.encode(s);
  if (bytes.length > max) throw new RangeError(`${what} is ${bytes.length} bytes of UTF-8, at most ${max}`);
  return bytes;
}
function readShortString(b: Uint8Array, o: number, what: string): { value: string; next: number } {
  need(o < b.length, `${what}: payload truncated`);
  const n = b[o]!;
  need(o + 1 + n <= b.length, `${what}: payload truncated`);
  let value: string;
  try {
    value = utf8Decoder.decode(b.subarray(o + 1, o + 1 + n));
  } catch {
    throw new PayloadError(`${what}: not valid UTF-8`);
  }
  return { value, next: o + 1 + n };
}

function checkPositiveInt(v: number, name: string, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer 1..${max}, got ${v}`);
}

// ---------------------------------------------------------------------------------------------
// DEVICE_INFO

export function encodeDeviceInfoPayload(info: WireDeviceInfo): Uint8Array {
  checkPositiveInt(info.channelCount, 'channelCount', 255);
  checkPositiveInt(info.sampleRateHz, 'sampleRateHz', 0xffffffff);
  if (!(info.gainUvPerCount > 0) || !Number.isFinite(info.gainUvPerCount)) throw new RangeError(`gainUvPerCount must be positive, got ${info.gainUvPerCount}`);
  const model = encodeShortString(info.model, 64, 'model');
  const firmware = encodeShortString(info.firmware, 64, 'firmware');
  const p = new Uint8Array(11 + 1 + model.length + 1 + firmware.length);
  p[0] = info.channelCount;
  put32(p, 1, info.sampleRateHz);
  putF32(p, 5, info.gainUvPerCount);
  p[9] = SAMPLE_FORMATS[info.sampleFormat];
  p[10] = (info.canStimulate ? 1 : 0) | (info.reliableStimulations ? 2 : 0);
  p[11] = model.length;
  p.set(model, 12);
  p[12 + model.length] = firmware.length;
  p.set(firmware, 13 + model.length);
  return p;
}

function sampleFormatOf(code: number): SampleFormat {
  need(code === 1 || code === 2, `unknown sample format ${code}`);
  return code === 1 ? 'int16' : 'int24';
}

export function parseDeviceInfoPayload(p: Uint8Array): WireDeviceInfo {
  need(p.length >= 13, 'device info: payload truncated');
  const channelCount = p[0]!;
  need(channelCount >= 1, 'device info: zero channels');
  const sampleRateHz = u32(p, 1);
  need(sampleRateHz >= 1, 'device info: zero sample rate');
  const gainUvPerCount = f32(p, 5);
  need(Number.isFinite(gainUvPerCount) && gainUvPerCount > 0, 'device info: gain must be positive');
  const sampleFormat = sampleFormatOf(p[9]!);
  const canStimulate = (p[10]! & 1) === 1;
  const reliable = (p[10]! & 2) === 2;
  const model = readShortString(p, 11, 'device info model');
  const firmware = readShortString(p, model.next, 'device info firmware');
  return { model: model.value, firmware: firmware.value, channelCount, sampleRateHz, gainUvPerCount, sampleFormat, canStimulate, ...(reliable ? { reliableStimulations: true } : {}) };
}

// ---------------------------------------------------------------------------------------------
// SAMPLES

export const SAMPLES_HEADER_BYTES = 20;

/** Most samples per channel one SAMPLES frame can carry. */
export function maxSamplesPerFrame(channelCount: number, format: SampleFormat, maxPayloadBytes = 16384): number {
  return Math.min(0xffff, Math.floor((maxPayloadBytes - SAMPLES_HEADER_BYTES) / (channelCount * bytesPerSample(format))));
}

export interface SampleFrameSpec {
  readonly startSample: number;
  readonly sampleRateHz: number;
  readonly gainUvPerCount: number;
  readonly channelCount: number;
  readonly format: SampleFormat;
}

/**
 * Encodes counts given interleaved (sample-major: s0c0 s0c1 ... s1c0 ...), as the ADC produces them.
 * Counts outside the format's range are clamped (the amplifier saturates the same way).
 */
export function encodeSamplesPayload(spec: SampleFrameSpec, countsInterleaved: ArrayLike<number>): Uint8Array {
  const { channelCount, format } = spec;
  checkPositiveInt(channelCount, 'channelCount', 255);
  checkPositiveInt(spec.sampleRateHz, 'sampleRateHz', 0xffffffff);
  if (!Number.isSafeInteger(spec.startSample) || spec.startSample < 0) throw new RangeError(`startSample must be a non-negative integer, got ${spec.startSample}`);
  if (countsInterleaved.length % channelCount !== 0) throw new RangeError(`${countsInterleaved.length} counts is not a multiple of ${channelCount} channels`);
  const n = countsInterleaved.length / channelCount;
  const bps = bytesPerSample(format);
  const p = new Uint8Array(SAMPLES_HEADER_BYTES + countsInterleaved.length * bps);
  put64(p, 0, spec.startSample);
  put32(p, 8, spec.sampleRateHz);
  putF32(p, 12, spec.gainUvPerCount);
  p[16] = channelCount;
  p[17] = SAMPLE_FORMATS[format];
  put16(p, 18, n);
  const { min, max } = countRange(format);
  let o = SAMPLES_HEADER_BYTES;
  for (let i = 0; i < countsInterleaved.length; i++) {
    let v = Math.round(countsInterleaved[i]!);
    if (!(v >= min)) v = min; // NaN also lands here
    else if (v > max) v = max;
    p[o] = v & 0xff;
    p[o + 1] = (v >> 8) & 0xff;
    if (bps === 3) p[o + 2] = (v >> 16) & 0xff;
    o += bps;
  }
  return p;
}

/** Header of a SAMPLES payload, without converting the samples. */
export function parseSamplesHeader(p: Uint8Array): SampleFrameSpec & { samplesPerChannel: number } {
  need(p.length >= SAMPLES_HEADER_BYTES, 'samples: payload truncated');
  const startSample = u64(p, 0);
  const sampleRateHz = u32(p, 8);
  need(sampleRateHz >= 1, 'samples: zero sample rate');
  const gainUvPerCount = f32(p, 12);
  need(Number.isFinite(gainUvPerCount) && gainUvPerCount > 0, 'samples: gain must be positive');
  const channelCount = p[16]!;
  need(channelCount >= 1, 'samples: zero channels');
  const format = sampleFormatOf(p[17]!);
  const samplesPerChannel = u16(p, 18);
  need(samplesPerChannel >= 1, 'samples: empty block');
  need(p.length === SAMPLES_HEADER_BYTES + samplesPerChannel * channelCount * bytesPerSample(format), 'samples: length does not match the header');
  return { startSample, sampleRateHz, gainUvPerCount, channelCount, format, samplesPerChannel };
}

/** Decodes a SAMPLES payload into a planar SampleBlock in microvolts. */
export function parseSamplesPayload(p: Uint8Array): SampleBlock {
  const h = parseSamplesHeader(p);
  const { channelCount: nc, samplesPerChannel: ns, gainUvPerCount: g } = h;
  const data = new Float32Array(nc * ns);
  // channel by channel, so writes are sequential; reads stride over the interleaved counts
  if (h.format === 'int16') {
    const stride = 2 * nc;
    for (let c = 0; c < nc; c++) {
      let o = SAMPLES_HEADER_BYTES + 2 * c;
      const base = c * ns;
      for (let i = 0; i < ns; i++, o += stride) data[base + i] = (((p[o]! | (p[o + 1]! << 8)) << 16) >> 16) * g;
    }
  } else {
    const stride = 3 * nc;
    for (let c = 0; c < nc; c++) {
      let o = SAMPLES_HEADER_BYTES + 3 * c;
      const base = c * ns;
      for (let i = 0; i < ns; i++, o += stride) data[base + i] = (((p[o]! | (p[o + 1]! << 8) | (p[o + 2]! << 16)) << 8) >> 8) * g;
    }
  }
  return { startSample: h.startSample, sampleRateHz: h.sampleRateHz, channelCount: nc, samplesPerChannel: ns, data };
}

// ---------------------------------------------------------------------------------------------
// stimulation settings and targets (shared by STIMULATION, SET_STIMULATION and TRIGGER)

export const TARGET_BYTES = 5;
export const STIM_SETTINGS_BYTES = 15 + TARGET_BYTES;

function writeTarget(p: Uint8Array, o: number, t: StimulationTarget | null): void {
  if (!t) {
    p.fill(0, o, o + TARGET_BYTES);
    return;
  }
  p[o] = 1;
  p[o + 1] = LEVELS.indexOf(t.level);
  p[o + 2] = t.side === 'L' ? 0 : 1;
  p[o + 3] = t.kind === 'dorsal' ? 0 : 1;
  p[o + 4] = t.rootlet ?? 0;
}

function readTarget(p: Uint8Array, o: number): StimulationTarget | null {
  const flags = p[o]!;
  need((flags & 0xfe) === 0, 'target: unknown flag bits');
  if (flags === 0) return null;
  const level: Level | undefined = LEVELS[p[o + 1]!];
  need(level !== undefined, `target: unknown level code ${p[o + 1]!}`);
  need(p[o + 2]! <= 1, `target: unknown side code ${p[o + 2]!}`);
  need(p[o + 3]! <= 1, `target: unknown root kind code ${p[o + 3]!}`);
  const rootlet = p[o + 4]!;
  return { level, side: p[o + 2] === 0 ? 'L' : 'R', kind: p[o + 3] === 0 ? 'dorsal' : 'ventral', rootlet: rootlet === 0 ? null : rootlet };
}

function writeStimulation(p: Uint8Array, o: number, s: Stimulation): void {
  p[o] = s.mode === 'single' ? 0 : 1;
  put32(p, o + 1, Math.round(s.intensityMa * 1000));
  put16(p, o + 5, Math.round(s.pulseWidthUs));
  put32(p, o + 7, s.rateHz === null ? 0 : Math.round(s.rateHz * 1000));
  put32(p, o + 11, Math.round(s.durationS * 1000));
  writeTarget(p, o + 15, s.target);
}

function readStimulation(p: Uint8Array, o: number): Stimulation {
  const modeCode = p[o]!;
  need(modeCode <= 1, `stimulation: unknown mode code ${modeCode}`);
  const mode = modeCode === 0 ? 'single' : 'train';
  const intensityUa = u32(p, o + 1);
  const pulseWidthUs = u16(p, o + 5);
  const rateMilliHz = u32(p, o + 7);
  const durationMs = u32(p, o + 11);
  const target = readTarget(p, o + 15);
  try {
    return makeStimulation({
      mode,
      intensityMa: intensityUa / 1000,
      pulseWidthUs,
      rateHz: mode === 'single' ? (rateMilliHz === 0 ? null : rateMilliHz / 1000) : rateMilliHz / 1000,
      durationS: durationMs / 1000,
      target,
    });
  } catch (e) {
    throw new PayloadError(`stimulation: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function encodeStimulationSettingsPayload(s: Stimulation): Uint8Array {
  const p = new Uint8Array(STIM_SETTINGS_BYTES);
  writeStimulation(p, 0, s);
  return p;
}
export function parseStimulationSettingsPayload(p: Uint8Array): Stimulation {
  need(p.length === STIM_SETTINGS_BYTES, `set stimulation: payload must be ${STIM_SETTINGS_BYTES} bytes, got ${p.length}`);
  return readStimulation(p, 0);
}

/** STIMULATION payload without (protocol 1.0) and with (1.1) the device's stimulation number. */
export const STIM_EVENT_BYTES = 8 + STIM_SETTINGS_BYTES;
export const NUMBERED_STIM_EVENT_BYTES = STIM_EVENT_BYTES + 4;

/**
 * A STIMULATION payload. With `number` (1..2^32-1, the device's running stimulation number since
 * power-up) the payload is the 32-byte numbered form the host acknowledges with STIMULATION_ACK;
 * without it, the 28-byte form of protocol 1.0.
 */
export function encodeStimulationEventPayload(e: StimulationEvent, number?: number): Uint8Array {
  if (!Number.isSafeInteger(e.sampleIndex) || e.sampleIndex < 0) throw new RangeError(`sampleIndex must be a non-negative integer, got ${e.sampleIndex}`);
  if (number !== undefined) checkPositiveInt(number, 'stimulation number', 0xffffffff);
  const p = new Uint8Array(number === undefined ? STIM_EVENT_BYTES : NUMBERED_STIM_EVENT_BYTES);
  put64(p, 0, e.sampleIndex);
  writeStimulation(p, 8, e.stimulation);
  if (number !== undefined) put32(p, STIM_EVENT_BYTES, number);
  return p;
}
export function parseStimulationEventPayload(p: Uint8Array): StimulationEvent {
  return parseNumberedStimulationEventPayload(p).event;
}
/** Either form of STIMULATION; `number` is null for the unnumbered 1.0 form. */
export function parseNumberedStimulationEventPayload(p: Uint8Array): { event: StimulationEvent; number: number | null } {
  need(p.length === STIM_EVENT_BYTES || p.length === NUMBERED_STIM_EVENT_BYTES, `stimulation: payload must be ${STIM_EVENT_BYTES} or ${NUMBERED_STIM_EVENT_BYTES} bytes, got ${p.length}`);
  const event = { sampleIndex: u64(p, 0), stimulation: readStimulation(p, 8) };
  if (p.length === STIM_EVENT_BYTES) return { event, number: null };
  const number = u32(p, STIM_EVENT_BYTES);
  need(number >= 1, 'stimulation: number 0 is reserved');
  return { event, number };
}

/** STIMULATION_ACK: the host has the stimulation with this number (uint32). */
export function encodeStimulationAckPayload(number: number): Uint8Array {
  checkPositiveInt(number, 'stimulation number', 0xffffffff);
  const p = new Uint8Array(4);
  put32(p, 0, number);
  return p;
}
export function parseStimulationAckPayload(p: Uint8Array): number {
  need(p.length === 4, 'stimulation ack: payload must be 4 bytes');
  const n = u32(p, 0);
  need(n >= 1, 'stimulation ack: number 0 is reserved');
  return n;
}

export function encodeTargetPayload(t: StimulationTarget | null): Uint8Array {
  const p = new Uint8Array(TARGET_BYTES);
  writeTarget(p, 0, t);
  return p;
}
export function parseTargetPayload(p: Uint8Array): StimulationTarget | null {
  need(p.length === TARGET_BYTES, `trigger: payload must be ${TARGET_BYTES} bytes, got ${p.length}`);
  const t = readTarget(p, 0);
  if (t && t.rootlet !== null) need(t.rootlet <= 20, `target: rootlet ${t.rootlet} out of range`);
  return t;
}

// ---------------------------------------------------------------------------------------------
// STATUS

export function encodeStatusPayload(s: DeviceStatus): Uint8Array {
  if (s.channels.length > 255) throw new RangeError('at most 255 channels');
  const p = new Uint8Array(3 + 4 * s.channels.length);
  p[0] = s.channels.length;
  let mask = 0;
  for (const f of s.stimulatorFaults) mask |= 1 << STIMULATOR_FAULTS.indexOf(f);
  put16(p, 1, mask);
  s.channels.forEach((c, i) => {
    const o = 3 + 4 * i;
    p[o] = c.channel;
    p[o + 1] = (c.electrodeOff ? 1 : 0) | (c.impedanceKohm !== null ? 2 : 0);
    put16(p, o + 2, c.impedanceKohm === null ? 0 : Math.min(0xffff, Math.max(0, Math.round(c.impedanceKohm * 10))));
  });
  return p;
}

export function parseStatusPayload(p: Uint8Array): DeviceStatus {
  need(p.length >= 3, 'status: payload truncated');
  const n = p[0]!;
  need(p.length === 3 + 4 * n, 'status: length does not match channel count');
  const mask = u16(p, 1);
  need(mask >> STIMULATOR_FAULTS.length === 0, 'status: unknown stimulator fault bits');
  const stimulatorFaults = STIMULATOR_FAULTS.filter((_, i) => (mask & (1 << i)) !== 0);
  const channels: ChannelStatus[] = [];
  for (let i = 0; i < n; i++) {
    const o = 3 + 4 * i;
    const flags = p[o + 1]!;
    need((flags & 0xfc) === 0, 'status: unknown channel flag bits');
    channels.push({ channel: p[o]!, electrodeOff: (flags & 1) === 1, impedanceKohm: flags & 2 ? u16(p, o + 2) / 10 : null });
  }
  return { channels, stimulatorFaults };
}

// ---------------------------------------------------------------------------------------------
// ERROR, ACK, PONG / PING

/** ERROR codes with a defined meaning (others are device-specific). */
export const DEVICE_ERROR_CODES = {
  /** A numbered STIMULATION was retransmitted the maximum number of times without a STIMULATION_ACK. */
  STIMULATION_UNACKNOWLEDGED: 0x0010,
} as const;

export interface DeviceErrorReport {
  readonly code: number;
  readonly message: string;
}

export function encodeErrorPayload(e: DeviceErrorReport): Uint8Array {
  const text = encodeShortString(e.message, 255, 'error message');
  const p = new Uint8Array(3 + text.length);
  put16(p, 0, e.code);
  p[2] = text.length;
  p.set(text, 3);
  return p;
}
export function parseErrorPayload(p: Uint8Array): DeviceErrorReport {
  need(p.length >= 3, 'error: payload truncated');
  const s = readShortString(p, 2, 'error message');
  need(s.next === p.length, 'error: trailing bytes');
  return { code: u16(p, 0), message: s.value };
}

export function encodeAckPayload(a: Ack): Uint8Array {
  const p = new Uint8Array(4);
  put16(p, 0, a.ackedSeq);
  p[2] = a.ackedType;
  p[3] = ACK_RESULTS.indexOf(a.result);
  return p;
}
export function parseAckPayload(p: Uint8Array): Ack {
  need(p.length === 4, 'ack: payload must be 4 bytes');
  const result = ACK_RESULTS[p[3]!];
  need(result !== undefined, `ack: unknown result code ${p[3]!}`);
  return { ackedSeq: u16(p, 0), ackedType: p[2]!, result };
}

export function encodeTokenPayload(token: number): Uint8Array {
  const p = new Uint8Array(4);
  put32(p, 0, token >>> 0);
  return p;
}
export function parseTokenPayload(p: Uint8Array): number {
  need(p.length === 4, 'ping/pong: payload must be 4 bytes');
  return u32(p, 0);
}

export function expectEmpty(p: Uint8Array, what: string): void {
  need(p.length === 0, `${what}: payload must be empty`);
}
