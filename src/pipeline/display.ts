import { requireNumber } from './stage';

/** Decimated live trace for the UI: per channel, the min and max of each column of samples. */
export interface DisplayFrame {
  readonly channelCount: number;
  readonly columnCount: number;
  /** Samples summarised by one column. */
  readonly samplesPerColumn: number;
  readonly sampleRateHz: number;
  /** Running sample index of each column's first sample (jumps across gaps). */
  readonly columnStartSample: Float64Array;
  /** Planar: column j of channel c at `c * columnCount + j`, uV, baseline (DC) removed. */
  readonly minUv: Float32Array;
  readonly maxUv: Float32Array;
  /** Columns dropped (oldest first) because nobody drained them in time, since the previous drain. */
  readonly droppedColumns: number;
}

export interface DisplaySettings {
  /** Columns per second (about 1000 gives a 1 kHz min/max trace). */
  readonly columnsPerSecond: number;
  /** How much undrained trace is kept before the oldest is dropped, seconds. */
  readonly bufferSeconds: number;
}

export const DEFAULT_DISPLAY: DisplaySettings = { columnsPerSecond: 1000, bufferSeconds: 2 };

/**
 * Lossy decimated display stream (architecture: "the live stream to the UI is lossy by design: drop
 * oldest, counted and shown"). It reads the raw uV signal (filtering is spent only on epochs, see
 * pipeline.ts) and removes each channel's slow baseline at column rate: a one-pole tracker of column
 * means with a 0.5 s time constant, so electrode offsets do not push traces off screen. Costs two
 * comparisons and an addition per sample; no allocation until `drain`.
 */
export class DisplayDecimator {
  readonly samplesPerColumn: number;
  private readonly cap: number;
  private readonly colStart: Float64Array;
  private readonly minRing: Float32Array;
  private readonly maxRing: Float32Array;
  private head = 0; // next column slot
  private count = 0; // columns held
  private dropped = 0;
  // current partial column
  private readonly curMin: Float64Array;
  private readonly curMax: Float64Array;
  private readonly curSum: Float64Array;
  private curN = 0;
  private curStart = -1;
  private readonly dc: Float64Array;
  private dcReady = false;
  private readonly dcAlpha: number;

  constructor(
    readonly channelCount: number,
    readonly sampleRateHz: number,
    settings: DisplaySettings,
  ) {
    requireNumber(settings.columnsPerSecond, 'display columns per second', 10, 10000);
    requireNumber(settings.bufferSeconds, 'display buffer (s)', 0.1, 60);
    this.samplesPerColumn = Math.max(1, Math.round(sampleRateHz / settings.columnsPerSecond));
    const columnRate = sampleRateHz / this.samplesPerColumn;
    this.cap = Math.max(1, Math.ceil(settings.bufferSeconds * columnRate));
    this.colStart = new Float64Array(this.cap);
    this.minRing = new Float32Array(this.cap * channelCount);
    this.maxRing = new Float32Array(this.cap * channelCount);
    this.curMin = new Float64Array(channelCount).fill(Infinity);
    this.curMax = new Float64Array(channelCount).fill(-Infinity);
    this.curSum = new Float64Array(channelCount);
    this.dc = new Float64Array(channelCount);
    this.dcAlpha = 1 - Math.exp(-1 / (0.5 * columnRate));
  }

  /**
   * Feeds planar uV samples (channel c at `c * stride + offset`). Works channel by channel over whole
   * columns (no per-sample branch on column boundaries): each completed column's min, max and mean are
   * folded into the ring directly, the partial column at the end is kept for the next call. Same result
   * as folding the samples one at a time: min/max are order-free, the sum runs in sample order.
   */
  push(data: Float32Array, stride: number, offset: number, frames: number, startSample: number): void {
    if (this.curN > 0 && startSample !== this.curStart + this.curN) this.closeColumn(); // a gap: never merge across it
    if (frames <= 0) return;
    const spc = this.samplesPerColumn;
    const curN = this.curN;
    if (curN === 0) this.curStart = startSample;
    // Columns this call completes, and where the trailing partial column starts (relative to `offset`).
    const firstFill = Math.min(frames, spc - curN);
    const closes = curN + frames >= spc ? 1 + Math.floor((frames - firstFill) / spc) : 0;
    const tailFrom = closes === 0 ? 0 : firstFill + (closes - 1) * spc;
    const tailN = closes === 0 ? curN + frames : frames - tailFrom;
    const cap = this.cap;
    const head = this.head;
    const alpha = this.dcAlpha;
    const minRing = this.minRing;
    const maxRing = this.maxRing;
    const curMin = this.curMin;
    const curMax = this.curMax;
    const curSum = this.curSum;
    const dcArr = this.dc;
    const freshDc = !this.dcReady;
    for (let c = 0; c < this.channelCount; c++) {
      const base = c * stride + offset;
      const ringBase = c * cap;
      let mn = curMin[c]!;
      let mx = curMax[c]!;
      let sum = curSum[c]!;
      let dc = dcArr[c]!;
      let i = 0;
      let n = curN;
      let slot = head;
      for (let k = 0; k < closes; k++) {
        const end = k === 0 ? firstFill : i + spc;
        // Two samples at a time: one comparison orders them, then one against each extreme.
        for (; i + 1 < end; i += 2) {
          const u = data[base + i]!;
          const v = data[base + i + 1]!;
          sum += u;
          sum += v;
          if (u < v) {
            if (u < mn) mn = u;
            if (v > mx) mx = v;
          } else {
            if (v < mn) mn = v;
            if (u > mx) mx = u;
          }
        }
        if (i < end) {
          const v = data[base + i++]!;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
          sum += v;
        }
        const mean = sum / (n + (k === 0 ? firstFill : spc));
        if (k === 0 && freshDc) dc = mean;
        else dc = dc + alpha * (mean - dc);
        minRing[ringBase + slot] = mn - dc;
        maxRing[ringBase + slot] = mx - dc;
        mn = Infinity;
        mx = -Infinity;
        sum = 0;
        n = 0;
        slot = slot + 1 === cap ? 0 : slot + 1;
      }
      for (; i < frames; i++) {
        const v = data[base + i]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        sum += v;
      }
      curMin[c] = mn;
      curMax[c] = mx;
      curSum[c] = sum;
      dcArr[c] = dc;
    }
    if (closes > 0) {
      let slot = head;
      for (let k = 0; k < closes; k++) {
        this.colStart[slot] = k === 0 ? this.curStart : startSample + firstFill + (k - 1) * spc;
        slot = slot + 1 === cap ? 0 : slot + 1;
        if (this.count === cap) this.dropped++;
        else this.count++;
      }
      this.head = slot;
      this.dcReady = true;
      this.curStart = startSample + tailFrom;
    }
    this.curN = tailN;
  }

  private closeColumn(): void {
    if (this.curN === 0) return;
    const slot = this.head;
    const cap = this.cap;
    this.colStart[slot] = this.curStart;
    for (let c = 0; c < this.channelCount; c++) {
      const mean = this.curSum[c]! / this.curN;
      if (!this.dcReady) this.dc[c] = mean;
      else this.dc[c] = this.dc[c]! + this.dcAlpha * (mean - this.dc[c]!);
      this.minRing[c * cap + slot] = this.curMin[c]! - this.dc[c]!;
      this.maxRing[c * cap + slot] = this.curMax[c]! - this.dc[c]!;
    }
    this.dcReady = true;
    this.curMin.fill(Infinity);
    this.curMax.fill(-Infinity);
    this.curSum.fill(0);
    this.curN = 0;
    this.head = (slot + 1) % cap;
    if (this.count === cap) this.dropped++;
    else this.count++;
  }

  /** Columns waiting to be drained. */
  get pendingColumns(): number {
    return this.count;
  }

  /** Takes every completed column since the last drain (oldest first), or null if there is none. */
  drain(): DisplayFrame | null {
    if (this.count === 0) return null;
    const n = this.count;
    const cap = this.cap;
    const first = (this.head - n + cap) % cap;
    const columnStartSample = new Float64Array(n);
    const minUv = new Float32Array(n * this.channelCount);
    const maxUv = new Float32Array(n * this.channelCount);
    for (let j = 0; j < n; j++) {
      const slot = (first + j) % cap;
      columnStartSample[j] = this.colStart[slot]!;
      for (let c = 0; c < this.channelCount; c++) {
        minUv[c * n + j] = this.minRing[c * cap + slot]!;
        maxUv[c * n + j] = this.maxRing[c * cap + slot]!;
      }
    }
    const frame: DisplayFrame = {
      channelCount: this.channelCount,
      columnCount: n,
      samplesPerColumn: this.samplesPerColumn,
      sampleRateHz: this.sampleRateHz,
      columnStartSample,
      minUv,
      maxUv,
      droppedColumns: this.dropped,
    };
    this.count = 0;
    this.dropped = 0;
    return frame;
  }

  reset(): void {
    this.count = 0;
    this.dropped = 0;
    this.curN = 0;
    this.curMin.fill(Infinity);
    this.curMax.fill(-Infinity);
    this.curSum.fill(0);
    this.dcReady = false;
  }
}
