import { check } from './errors';

/** Physical units accepted on the way in; everything inside the pipeline is microvolts. */
export const SIGNAL_UNITS = ['uV', 'mV', 'V'] as const;
export type SignalUnit = (typeof SIGNAL_UNITS)[number];

export function unitToMicrovolts(unit: SignalUnit): number {
  return unit === 'uV' ? 1 : unit === 'mV' ? 1e3 : 1e6;
}

/**
 * A block of EMG samples for every channel, in microvolts, channel-major (planar):
 * sample i of channel c is `data[c * samplesPerChannel + i]`.
 * `startSample` is the running sample index of the first sample (continuous across blocks,
 * jumping forward across a gap).
 */
export interface SampleBlock {
  readonly startSample: number;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly samplesPerChannel: number;
  readonly data: Float32Array;
}

export function makeSampleBlock(startSample: number, sampleRateHz: number, channelCount: number, data: Float32Array): SampleBlock {
  check(Number.isInteger(startSample) && startSample >= 0, 'invalid-block', `startSample must be a non-negative integer, got ${startSample}`);
  check(Number.isFinite(sampleRateHz) && sampleRateHz > 0, 'invalid-block', `sampleRateHz must be positive, got ${sampleRateHz}`);
  check(Number.isInteger(channelCount) && channelCount > 0, 'invalid-block', `channelCount must be a positive integer, got ${channelCount}`);
  check(data.length % channelCount === 0, 'invalid-block', `data length ${data.length} is not a multiple of ${channelCount} channels`);
  return { startSample, sampleRateHz, channelCount, samplesPerChannel: data.length / channelCount, data };
}

/** Channel view of a planar block (no copy). */
export function channelSamples(b: SampleBlock, channel: number): Float32Array {
  return b.data.subarray(channel * b.samplesPerChannel, (channel + 1) * b.samplesPerChannel);
}

/**
 * Samples known to be missing (sequence gap, port unplugged). Gaps are recorded and shown, never
 * spliced over: the next block's startSample is `startSample + lengthSamples` or later.
 */
export interface SampleGap {
  readonly startSample: number;
  readonly lengthSamples: number;
  readonly reason: 'sequence-gap' | 'disconnected' | 'overflow' | 'unknown';
}

/** Device or electrode status reported alongside the samples. */
export interface ChannelStatus {
  readonly channel: number;
  readonly electrodeOff: boolean;
  /** Electrode impedance in kilo-ohms, null when not measured. */
  readonly impedanceKohm: number | null;
}
