/**
 * The live view's store: a fixed-length ring per channel of min/max points (each point folds
 * `samplesPerPoint` source samples, as the host's trace frames deliver them), plus the stimulus pulses
 * and gaps seen in that window. It lives outside React state (Excalidraw style): frames are pushed as
 * they arrive and the canvas reads the latest contents once per animation frame. Nothing here allocates
 * per frame, so 16 ch x 10 kHz does not churn the garbage collector.
 */

export interface TraceMarker {
  /** Running sample index of the marker. */
  readonly sample: number;
  /** Length in samples (gaps, trains; 0 for a single pulse). */
  readonly lengthSamples: number;
}

export interface StimulusMarker extends TraceMarker {
  readonly label: string;
}

/** One frame of min/max points per channel (the shape of the contract's trace frame). */
export interface MinMaxFrame {
  readonly startSample: number;
  readonly samplesPerPoint: number;
  /** When present and different from the buffer's rate, the buffer restarts at the new rate. */
  readonly sampleRateHz?: number;
  readonly channels: readonly { readonly channel: number; readonly minUv: ArrayLike<number>; readonly maxUv: ArrayLike<number> }[];
}

const MAX_MARKERS = 512;

export class TraceBuffer {
  readonly channelCount: number;
  /** Points held per channel: the window at the current resolution, capped by `maxPoints`. */
  capacityPoints: number;
  private readonly maxPoints: number;
  windowSamples: number;
  sampleRateHz: number;
  private readonly windowS: number;
  /** Source samples per stored point; fixed by the first frame (a change restarts the buffer). */
  samplesPerPoint = 0;
  private mins: Float32Array[];
  private maxs: Float32Array[];
  /** Point index one past the newest point held. */
  private endPoint = 0;
  private filled = 0;
  private readonly seen: Uint8Array;
  private stimuli: StimulusMarker[] = [];
  private gaps: TraceMarker[] = [];
  /** Bumped on every change so a frame loop can skip redrawing when nothing arrived. */
  version = 0;
  /** performance.now() when the newest frame arrived; for sample-to-screen latency figures. */
  lastArrivalMs = 0;

  constructor(channelCount: number, sampleRateHz: number, windowS: number, maxPoints = 200_000) {
    if (!Number.isInteger(channelCount) || channelCount < 1) throw new Error(`channelCount must be >= 1, got ${channelCount}`);
    if (!(sampleRateHz > 0)) throw new Error(`sampleRateHz must be positive, got ${sampleRateHz}`);
    if (!(windowS > 0)) throw new Error(`windowS must be positive, got ${windowS}`);
    this.channelCount = channelCount;
    this.sampleRateHz = sampleRateHz;
    this.windowS = windowS;
    this.windowSamples = Math.max(1, Math.round(sampleRateHz * windowS));
    this.maxPoints = Math.max(1, maxPoints);
    this.capacityPoints = Math.min(this.maxPoints, this.windowSamples);
    this.mins = Array.from({ length: channelCount }, () => new Float32Array(this.capacityPoints));
    this.maxs = Array.from({ length: channelCount }, () => new Float32Array(this.capacityPoints));
    this.seen = new Uint8Array(channelCount);
  }

  /** Running sample index one past the newest sample held. */
  get newestSample(): number {
    return this.endPoint * this.samplesPerPoint;
  }

  get oldestSample(): number {
    return (this.endPoint - this.filled) * this.samplesPerPoint;
  }

  /**
   * Appends a frame. A frame that starts after the current end leaves a hole: the skipped span is
   * recorded as a gap and drawn as one, never spliced over. Frames older than the newest point
   * (late duplicates) are ignored; overlapping ones are trimmed.
   */
  push(frame: MinMaxFrame, arrivalMs = 0): void {
    const spp = frame.samplesPerPoint;
    const n = frame.channels[0]?.minUv.length ?? 0;
    if (n === 0 || !(spp >= 1)) return;
    if (frame.sampleRateHz !== undefined && frame.sampleRateHz !== this.sampleRateHz && frame.sampleRateHz > 0) {
      this.sampleRateHz = frame.sampleRateHz;
      this.windowSamples = Math.max(1, Math.round(frame.sampleRateHz * this.windowS));
      this.samplesPerPoint = 0;
    }
    if (spp !== this.samplesPerPoint) this.restart(spp);
    const startPoint = Math.floor(frame.startSample / spp);
    if (this.filled > 0 && startPoint + n <= this.endPoint) return;
    if (this.filled > 0 && startPoint > this.endPoint) {
      this.addGap(this.endPoint * spp, (startPoint - this.endPoint) * spp);
      this.advanceEmpty(startPoint - this.endPoint);
    }
    if (this.filled === 0) this.endPoint = startPoint;
    const skip = Math.max(0, this.endPoint - startPoint);
    const cap = this.capacityPoints;
    const from = skip + Math.max(0, n - skip - cap);
    const take = n - from;
    const write = (startPoint + from) % cap;
    const seen = this.seen;
    seen.fill(0);
    for (const ch of frame.channels) {
      if (ch.channel < 0 || ch.channel >= this.channelCount) continue;
      seen[ch.channel] = 1;
      const mn = this.mins[ch.channel]!;
      const mx = this.maxs[ch.channel]!;
      let w = write;
      for (let i = from; i < n; i++) {
        mn[w] = ch.minUv[i]!;
        mx[w] = ch.maxUv[i]!;
        if (++w === cap) w = 0;
      }
    }
    for (let c = 0; c < this.channelCount; c++) {
      if (seen[c]) continue;
      // A channel missing from the frame has no data: NaN draws as empty, never as a flat line.
      let w = write;
      for (let i = 0; i < take; i++) {
        this.mins[c]![w] = NaN;
        this.maxs[c]![w] = NaN;
        if (++w === cap) w = 0;
      }
    }
    this.endPoint = startPoint + n;
    this.filled = Math.min(cap, this.filled + (n - skip));
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
    // The device may report a gap that the frame stream also revealed: record each span once.
    if (last && sample >= last.sample && sample < last.sample + last.lengthSamples) return;
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
    this.endPoint = 0;
    this.stimuli = [];
    this.gaps = [];
    this.version++;
  }

  /** [min, max] of the point covering a running sample index, or null when not held. */
  pointAt(channel: number, sample: number): [number, number] | null {
    if (this.filled === 0 || sample < this.oldestSample || sample >= this.newestSample) return null;
    const p = Math.floor(sample / this.samplesPerPoint) % this.capacityPoints;
    return [this.mins[channel]![p]!, this.maxs[channel]![p]!];
  }

  /**
   * Min/max per pixel column over [startSample, startSample + spanSamples): column k folds the points
   * whose samples fall in its share of the span. Columns with nothing held get NaN (drawn empty). Writes
   * into `outMin`/`outMax` (length >= columns) to avoid allocation. Drawing each column's min-max bar
   * keeps every spike visible at any zoom, which plain subsampling would drop.
   */
  decimate(channel: number, startSample: number, spanSamples: number, columns: number, outMin: Float32Array, outMax: Float32Array): void {
    const spp = this.samplesPerPoint;
    if (this.filled === 0 || spp === 0) {
      outMin.fill(NaN, 0, columns);
      outMax.fill(NaN, 0, columns);
      return;
    }
    const mnRing = this.mins[channel]!;
    const mxRing = this.maxs[channel]!;
    const cap = this.capacityPoints;
    const lo = this.endPoint - this.filled;
    const hi = this.endPoint;
    for (let k = 0; k < columns; k++) {
      const sa = startSample + Math.floor((k * spanSamples) / columns);
      const sb = startSample + Math.floor(((k + 1) * spanSamples) / columns);
      let a = Math.floor(sa / spp);
      let b = Math.max(a + 1, Math.ceil(sb / spp));
      if (a < lo) a = lo;
      if (b > hi) b = hi;
      let mn = Infinity;
      let mx = -Infinity;
      let i = ((a % cap) + cap) % cap;
      for (let p = a; p < b; p++) {
        const lowV = mnRing[i]!;
        const highV = mxRing[i]!;
        if (lowV < mn) mn = lowV;
        if (highV > mx) mx = highV;
        if (++i === cap) i = 0;
      }
      outMin[k] = mn === Infinity ? NaN : mn;
      outMax[k] = mx === -Infinity ? NaN : mx;
    }
  }

  private restart(spp: number): void {
    this.samplesPerPoint = spp;
    const cap = Math.max(1, Math.min(this.maxPoints, Math.ceil(this.windowSamples / spp)));
    if (cap !== this.capacityPoints) {
      this.capacityPoints = cap;
      this.mins = Array.from({ length: this.channelCount }, () => new Float32Array(cap));
      this.maxs = Array.from({ length: this.channelCount }, () => new Float32Array(cap));
    }
    this.filled = 0;
    this.endPoint = 0;
  }

  private advanceEmpty(points: number): void {
    const cap = this.capacityPoints;
    const take = Math.min(points, cap);
    let w = (this.endPoint + points - take) % cap;
    for (let i = 0; i < take; i++) {
      for (let c = 0; c < this.channelCount; c++) {
        this.mins[c]![w] = NaN;
        this.maxs[c]![w] = NaN;
      }
      if (++w === cap) w = 0;
    }
    this.endPoint += points;
    this.filled = Math.min(cap, this.filled + points);
  }

  private pruneMarkers(): void {
    const lo = this.newestSample - this.windowSamples;
    if (this.stimuli.length > 0 && this.stimuli[0]!.sample + this.stimuli[0]!.lengthSamples < lo) {
      this.stimuli = this.stimuli.filter((m) => m.sample + m.lengthSamples >= lo);
    }
    if (this.gaps.length > 0 && this.gaps[0]!.sample + this.gaps[0]!.lengthSamples < lo) {
      this.gaps = this.gaps.filter((m) => m.sample + m.lengthSamples >= lo);
    }
  }
}
