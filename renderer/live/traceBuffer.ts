/**
 * The live view's sample store: a fixed-length ring per channel holding the last `capacitySamples`
 * samples of every channel, plus the stimulus pulses and gaps seen in that window. It lives outside React
 * state (Excalidraw style): blocks are pushed as they arrive and the canvas reads the latest contents once
 * per animation frame. Nothing here allocates per block, so 16 ch x 10 kHz does not churn the GC.
 */

export interface TraceMarker {
  /** Running sample index of the marker. */
  readonly sample: number;
  /** Length in samples (gaps; 0 for a pulse). */
  readonly lengthSamples: number;
}

export interface StimulusMarker extends TraceMarker {
  readonly label: string;
}

/** Planar block, channel-major (same layout as the domain SampleBlock). */
export interface PlanarBlock {
  readonly startSample: number;
  readonly channelCount: number;
  readonly samplesPerChannel: number;
  readonly data: Float32Array;
}

const MAX_MARKERS = 512;

export class TraceBuffer {
  readonly channelCount: number;
  readonly capacitySamples: number;
  readonly sampleRateHz: number;
  private readonly rings: Float32Array[];
  /** Running sample index one past the newest sample held. */
  private endSample = 0;
  /** Number of valid samples held (<= capacity). */
  private filled = 0;
  private stimuli: StimulusMarker[] = [];
  private gaps: TraceMarker[] = [];
  /** Bumped on every change so a frame loop can skip redrawing when nothing arrived. */
  version = 0;
  /** performance.now() when the newest block arrived; for sample-to-screen latency figures. */
  lastArrivalMs = 0;

  constructor(channelCount: number, sampleRateHz: number, windowS: number) {
    if (!Number.isInteger(channelCount) || channelCount < 1) throw new Error(`channelCount must be >= 1, got ${channelCount}`);
    if (!(sampleRateHz > 0)) throw new Error(`sampleRateHz must be positive, got ${sampleRateHz}`);
    if (!(windowS > 0)) throw new Error(`windowS must be positive, got ${windowS}`);
    this.channelCount = channelCount;
    this.sampleRateHz = sampleRateHz;
    this.capacitySamples = Math.max(1, Math.round(sampleRateHz * windowS));
    this.rings = Array.from({ length: channelCount }, () => new Float32Array(this.capacitySamples));
  }

  get newestSample(): number {
    return this.endSample;
  }

  get oldestSample(): number {
    return this.endSample - this.filled;
  }

  /**
   * Appends a planar block. A block that starts after the current end leaves a hole: the skipped span
   * is zero-filled and recorded as a gap, so the view shows the loss instead of splicing over it.
   * Blocks entirely older than the newest sample (late duplicates) are ignored.
   */
  push(block: PlanarBlock, arrivalMs = 0): void {
    const n = block.samplesPerChannel;
    if (n === 0) return;
    const channels = Math.min(this.channelCount, block.channelCount);
    if (this.filled > 0 && block.startSample < this.endSample) {
      if (block.startSample + n <= this.endSample) return;
    }
    if (this.filled > 0 && block.startSample > this.endSample) {
      const missing = block.startSample - this.endSample;
      this.addGap(this.endSample, missing);
      this.advanceZeros(missing);
    }
    if (this.filled === 0) this.endSample = block.startSample;
    // Skip the part of the block already held (overlap with the newest samples).
    const skip = Math.max(0, this.endSample - block.startSample);
    const count = n - skip;
    const cap = this.capacitySamples;
    // Only the newest `cap` samples of a very large block matter.
    const from = skip + Math.max(0, count - cap);
    const take = n - from;
    const writeStart = (block.startSample + from) % cap;
    for (let c = 0; c < channels; c++) {
      const ring = this.rings[c]!;
      const src = block.data.subarray(c * n + from, c * n + n);
      const first = Math.min(take, cap - writeStart);
      ring.set(src.subarray(0, first), writeStart);
      if (first < take) ring.set(src.subarray(first), 0);
    }
    for (let c = channels; c < this.channelCount; c++) this.zeroRange(this.rings[c]!, writeStart, take);
    this.endSample = block.startSample + n;
    this.filled = Math.min(cap, this.filled + count);
    this.lastArrivalMs = arrivalMs;
    this.pruneMarkers();
    this.version++;
  }

  addStimulus(sample: number, lengthSamples: number, label: string): void {
    this.stimuli.push({ sample, lengthSamples, label });
    if (this.stimuli.length > MAX_MARKERS) this.stimuli.splice(0, this.stimuli.length - MAX_MARKERS);
    this.version++;
  }

  addGap(sample: number, lengthSamples: number): void {
    const last = this.gaps[this.gaps.length - 1];
    // The device may report a gap that the block stream also revealed: record each span once.
    if (last && sample < last.sample + last.lengthSamples && sample >= last.sample) return;
    this.gaps.push({ sample, lengthSamples });
    if (this.gaps.length > MAX_MARKERS) this.gaps.splice(0, this.gaps.length - MAX_MARKERS);
    this.version++;
  }

  stimulusMarkers(): readonly StimulusMarker[] {
    return this.stimuli;
  }

  gapMarkers(): readonly TraceMarker[] {
    return this.gaps;
  }

  clear(): void {
    this.filled = 0;
    this.endSample = 0;
    this.stimuli = [];
    this.gaps = [];
    this.version++;
  }

  /** Sample value at a running index, or NaN when it is not held. */
  sampleAt(channel: number, sample: number): number {
    if (sample < this.oldestSample || sample >= this.endSample) return NaN;
    return this.rings[channel]![sample % this.capacitySamples]!;
  }

  /**
   * Min/max per pixel column over the window [startSample, startSample + spanSamples): column k covers
   * samples [start + floor(k*span/cols), start + floor((k+1)*span/cols)). Columns with no held samples
   * get NaN (drawn as empty). Writes into `outMin`/`outMax` (length >= columns) to avoid allocation.
   * Drawing the min-max bar of every column keeps every spike visible at any zoom, which plain
   * subsampling would drop.
   */
  decimate(channel: number, startSample: number, spanSamples: number, columns: number, outMin: Float32Array, outMax: Float32Array): void {
    const ring = this.rings[channel]!;
    const cap = this.capacitySamples;
    const lo = this.oldestSample;
    const hi = this.endSample;
    for (let k = 0; k < columns; k++) {
      let a = startSample + Math.floor((k * spanSamples) / columns);
      let b = startSample + Math.floor(((k + 1) * spanSamples) / columns);
      if (b <= a) b = a + 1;
      if (a < lo) a = lo;
      if (b > hi) b = hi;
      if (b <= a) {
        outMin[k] = NaN;
        outMax[k] = NaN;
        continue;
      }
      let mn = Infinity;
      let mx = -Infinity;
      let i = a % cap;
      for (let s = a; s < b; s++) {
        const v = ring[i]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        if (++i === cap) i = 0;
      }
      outMin[k] = mn;
      outMax[k] = mx;
    }
  }

  private advanceZeros(count: number): void {
    const cap = this.capacitySamples;
    const take = Math.min(count, cap);
    const writeStart = (this.endSample + count - take) % cap;
    for (const ring of this.rings) this.zeroRange(ring, writeStart, take);
    this.endSample += count;
    this.filled = Math.min(cap, this.filled + count);
  }

  private zeroRange(ring: Float32Array, start: number, count: number): void {
    const cap = this.capacitySamples;
    const first = Math.min(count, cap - start);
    ring.fill(0, start, start + first);
    if (first < count) ring.fill(0, 0, count - first);
  }

  private pruneMarkers(): void {
    const lo = this.oldestSample;
    if (this.stimuli.length > 0 && this.stimuli[0]!.sample + this.stimuli[0]!.lengthSamples < lo) {
      this.stimuli = this.stimuli.filter((m) => m.sample + m.lengthSamples >= lo);
    }
    if (this.gaps.length > 0 && this.gaps[0]!.sample + this.gaps[0]!.lengthSamples < lo) {
      this.gaps = this.gaps.filter((m) => m.sample + m.lengthSamples >= lo);
    }
  }
}
