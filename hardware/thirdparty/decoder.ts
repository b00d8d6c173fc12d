import type { SampleBlock, SampleGap } from '../../src/domain';
import type { LinkCounters } from '../device';

/** What a third-party stream yields, in arrival order. */
export type StreamEvent =
  | { readonly kind: 'block'; readonly block: SampleBlock }
  | { readonly kind: 'gap'; readonly gap: SampleGap }
  /** An event marker from the device (e.g. SpikerBox `EVNT:2;`), placed at a sample index. */
  | { readonly kind: 'marker'; readonly sampleIndex: number; readonly text: string }
  /** Any other text message from the device (firmware version, board type...). */
  | { readonly kind: 'message'; readonly text: string };

/**
 * The common interface of third-party stream decoders: bytes in, SampleBlocks (microvolts, planar)
 * and events out, link counters kept. Implementations never throw on any input and allocate only
 * per emitted block, not per byte.
 */
export interface StreamingDecoder {
  readonly name: string;
  readonly channelCount: number;
  readonly sampleRateHz: number;
  push(bytes: Uint8Array, onEvent: (e: StreamEvent) => void): void;
  /** Emits the samples held for the current, partly filled block. */
  flush(onEvent: (e: StreamEvent) => void): void;
  counters(): LinkCounters;
}

/** Mutable counters shared by the decoders. */
export class CounterSet {
  bytesReceived = 0;
  framesDecoded = 0;
  bytesDropped = 0;
  crcFailures = 0;
  sequenceGaps = 0;
  samplesLost = 0;
  snapshot(): LinkCounters {
    return { bytesReceived: this.bytesReceived, framesDecoded: this.framesDecoded, bytesDropped: this.bytesDropped, crcFailures: this.crcFailures, sequenceGaps: this.sequenceGaps, samplesLost: this.samplesLost };
  }
}

/**
 * Collects one sample per channel at a time into a preallocated planar buffer and emits a
 * SampleBlock every `samplesPerBlock` samples. A gap flushes the partial block first, so blocks
 * never straddle missing samples.
 */
export class BlockAccumulator {
  private readonly buf: Float32Array;
  private filled = 0;
  private blockStart = 0;
  /** Sample index the next added sample gets. */
  nextSample = 0;

  constructor(
    readonly channelCount: number,
    readonly sampleRateHz: number,
    readonly samplesPerBlock: number,
  ) {
    if (!Number.isInteger(samplesPerBlock) || samplesPerBlock < 1) throw new RangeError(`samplesPerBlock must be a positive integer, got ${samplesPerBlock}`);
    this.buf = new Float32Array(channelCount * samplesPerBlock);
  }

  /** Sets the value of one channel for the sample being built; call `commit` after all channels. */
  set(channel: number, valueUv: number): void {
    this.buf[channel * this.samplesPerBlock + this.filled] = valueUv;
  }

  commit(onEvent: (e: StreamEvent) => void): void {
    if (this.filled === 0) this.blockStart = this.nextSample;
    this.filled++;
    this.nextSample++;
    if (this.filled === this.samplesPerBlock) this.flush(onEvent);
  }

  /** Records `length` missing samples (after flushing the partial block). */
  gap(length: number, onEvent: (e: StreamEvent) => void): void {
    if (length <= 0) return;
    this.flush(onEvent);
    onEvent({ kind: 'gap', gap: { startSample: this.nextSample, lengthSamples: length, reason: 'sequence-gap' } });
    this.nextSample += length;
  }

  flush(onEvent: (e: StreamEvent) => void): void {
    const n = this.filled;
    if (n === 0) return;
    const data = new Float32Array(this.channelCount * n);
    for (let c = 0; c < this.channelCount; c++) data.set(this.buf.subarray(c * this.samplesPerBlock, c * this.samplesPerBlock + n), c * n);
    this.filled = 0;
    onEvent({ kind: 'block', block: { startSample: this.blockStart, sampleRateHz: this.sampleRateHz, channelCount: this.channelCount, samplesPerChannel: n, data } });
  }
}
