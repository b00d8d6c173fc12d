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
 * Where an idle decimator re-reads recent samples at drain time (a `SampleRing` fits): planar uV
 * samples by running sample index, the same values that were pushed.
 */
export interface DisplaySource {
  /** Oldest sample still held, or -1 before any sample. */
  readonly oldestSample: number;
  /** One past the newest sample, or -1 before any sample. */
  readonly endSample: number;
  /** Copies `[fromSample, fromSample + frames)` into the planar `dst` (channel c at `c * dstStride + dstOffset`). */
  read(dst: Float32Array, dstStride: number, dstOffset: number, fromSample: number, frames: number): number;
}

/*
 * Order-preserving keys: a float32's int32 bits with bits 0..30 flipped when negative
 * (`b ^ ((b >> 31) & 0x7fffffff)`). The hot loops write 0x7fffffff and the start values 2^33 = 8589934592
 * as literals: V8 loads a module constant from its context (with a hole check) on every use.
 */
/** Beyond any doubled key (|2 key| <= 2^32): start values of the running min and max (scale 2). */
const KEY2_ABOVE = 2 ** 33;
const KEY2_BELOW = -(2 ** 33);
/** Samples read from the source per step when an idle decimator catches up at drain time. */
const CATCH_UP_FRAMES = 1024;
/** Gap-separated spans an idle decimator remembers; older ones are dropped (and counted). */
const MAX_IDLE_SPANS = 64;

/** Float32 bits of a doubled key (scale 2, an exact even integer) back from the order-preserving key. */
function keyToBits(key2: number): number {
  const k = (key2 * 0.5) | 0;
  return k ^ ((k >> 31) & 0x7fffffff);
}

/**
 * Lossy decimated display stream (architecture: "the live stream to the UI is lossy by design: drop
 * oldest, counted and shown"). It reads the raw uV signal (filtering is spent only on epochs, see
 * pipeline.ts) and gives, per channel and column of `samplesPerColumn` samples, the exact min and max.
 *
 * Cost (the largest per-sample cost of the pipeline; budget: 16 ch x 10 kHz at >= 1000x real time for
 * pipeline and grading, 6 ns per sample all in): about 3 ns per sample for `push` on the loaded 2-core
 * test machine (bench/pipeline.bench.ts "display push", 16 ch, 100-sample blocks of noise; the
 * compare-and-branch version took about 11 ns there), plus about 1 ns per sample for a drain every 50
 * columns; `push` allocates only an int32 view of a new input array. On noisy EMG with 10-sample
 * columns, compare-and-branch min/max mispredicts about every other sample and V8 compiles `Math.min`
 * to branches too (no cmov), so the fold has no data-dependent branch:
 * - each float32 is read as int32 bits and mapped to an order-preserving key
 *   (`b ^ ((b >> 31) & 0x7fffffff)`: flips the magnitude bits of negative values), so the key order is
 *   the float order (-0 sorts just below +0; a NaN above +Infinity, or below -Infinity with its sign
 *   bit set);
 * - keys are folded with double arithmetic, where `min(m, x) = m + (t - |t|) / 2` with `t = x - m` is
 *   exact for integers (keys are below 2^31, so every intermediate below 2^34): per pair of samples
 *   `s = a + b`, `d = |a - b|` give `2 min = s - d` and `2 max = s + d`, folded into running doubled
 *   extremes; the column's result is mapped back to float32 bits, so the column min/max are exactly
 *   the sample values (test/unit/pipeline/display.test.ts checks them against a per-sample reference);
 * - four channels run in one loop, so the eight running extremes are independent dependency chains.
 *
 * Baseline removal: per channel a one-pole tracker (time constant 0.5 s) of each column's midrange
 * (min + max) / 2, run over the delivered columns in order at `drain` (not on every sample as a mean
 * would need), so electrode offsets and slow drift do not push traces off screen: the tracker starts
 * at the first column's midrange (a +5000 uV offset is centred from the first column on), a step
 * settles with the 0.5 s time constant and a slow drift is followed with a lag of about 0.5 s.
 * Midrange rather than mean: a one-sample stimulus artifact of height h moves its column's midrange by
 * h / 2, the mean by h / 10, so a 1 s 50 Hz train of 5 mV artifacts shifts the displayed baseline by up
 * to about 100 uV during the train (display only; epochs and grading never see this tracker). The first
 * column with a finite midrange starts the tracker; a column that would make it non-finite does not
 * move it. When columns were dropped since the previous drain the tracker restarts at the first
 * delivered column (its old value is stale by then).
 *
 * Idle mode (with a `source`): once nobody has drained for `bufferSeconds` (the column buffer is full,
 * e.g. offline grading or replay at maximum speed without a view), `push` only records which sample
 * spans arrived and computes nothing; the next `drain` recomputes the newest `bufferSeconds` of
 * columns from the source (the pipeline's ring of raw samples) and counts the rest as dropped. The
 * columns are the same as those computed eagerly (the baseline restarts, as after any drop).
 */
export class DisplayDecimator {
  readonly samplesPerColumn: number;
  private readonly cap: number;
  private readonly colStart: Float64Array;
  /** Column rings, channel c's column in `slot` at `c * cap + slot`; raw min/max (baseline not yet removed). */
  private readonly minRing: Float32Array;
  private readonly maxRing: Float32Array;
  private readonly minBits: Int32Array;
  private readonly maxBits: Int32Array;
  private head = 0; // next column slot
  private count = 0; // columns held
  private dropped = 0;
  // current partial column: running min / max of the doubled keys
  private readonly curMin2: Float64Array;
  private readonly curMax2: Float64Array;
  private curN = 0;
  private curStart = -1;
  /** Baseline per channel, NaN until the first finite column after a (re)start. */
  private readonly dc: Float64Array;
  private readonly dcAlpha: number;
  // The int32 view of the last pushed array (callers reuse their block buffers).
  private lastData: Float32Array | null = null;
  private lastKeys: Int32Array = new Int32Array(0);
  // Idle mode: spans [start, end) pushed since the decimator went idle, oldest first.
  private idle = false;
  private spanStart: number[] = [];
  private spanEnd: number[] = [];
  private idleDropped = 0;
  private catchUp: Float32Array = new Float32Array(0);

  constructor(
    readonly channelCount: number,
    readonly sampleRateHz: number,
    settings: DisplaySettings,
    private readonly source: DisplaySource | null = null,
  ) {
    requireNumber(settings.columnsPerSecond, 'display columns per second', 10, 10000);
    requireNumber(settings.bufferSeconds, 'display buffer (s)', 0.1, 60);
    this.samplesPerColumn = Math.max(1, Math.round(sampleRateHz / settings.columnsPerSecond));
    const columnRate = sampleRateHz / this.samplesPerColumn;
    this.cap = Math.max(1, Math.ceil(settings.bufferSeconds * columnRate));
    this.colStart = new Float64Array(this.cap);
    this.minRing = new Float32Array(this.cap * channelCount);
    this.maxRing = new Float32Array(this.cap * channelCount);
    this.minBits = new Int32Array(this.minRing.buffer);
    this.maxBits = new Int32Array(this.maxRing.buffer);
    this.curMin2 = new Float64Array(channelCount).fill(KEY2_ABOVE);
    this.curMax2 = new Float64Array(channelCount).fill(KEY2_BELOW);
    this.dc = new Float64Array(channelCount).fill(Number.NaN);
    this.dcAlpha = 1 - Math.exp(-1 / (0.5 * columnRate));
  }

  /**
   * Feeds planar uV samples (channel c at `c * stride + offset`), `startSample` being the running index
   * of the first; a start that does not continue the previous push is a gap (the partial column before
   * it is closed, never merged across it). Same columns whatever the block sizes.
   */
  push(data: Float32Array, stride: number, offset: number, frames: number, startSample: number): void {
    if (this.idle) {
      this.recordSpan(startSample, Math.max(0, frames));
      return;
    }
    if (this.source !== null && this.count === this.cap && frames > 0) {
      // Nobody drained for bufferSeconds: stop computing until someone does (see the class comment).
      this.idle = true;
      if (this.curN > 0) this.recordSpan(this.curStart, this.curN);
      this.curN = 0;
      this.resetCurrent();
      this.recordSpan(startSample, frames);
      return;
    }
    this.fold(data, stride, offset, frames, startSample);
  }

  private fold(data: Float32Array, stride: number, offset: number, frames: number, startSample: number): void {
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
    if (data !== this.lastData) {
      this.lastData = data;
      this.lastKeys = new Int32Array(data.buffer, data.byteOffset, data.length);
    }
    const keys = this.lastKeys;
    const channelCount = this.channelCount;
    let c = 0;
    for (; c + 4 <= channelCount; c += 4) this.fold4(keys, c * stride + offset, stride, c, frames, firstFill, closes);
    for (; c < channelCount; c++) this.fold1(keys, c * stride + offset, c, frames, firstFill, closes);
    if (closes > 0) {
      const cap = this.cap;
      let slot = this.head;
      for (let k = 0; k < closes; k++) {
        this.colStart[slot] = k === 0 ? this.curStart : startSample + firstFill + (k - 1) * spc;
        slot = slot + 1 === cap ? 0 : slot + 1;
        if (this.count === cap) this.dropped++;
        else this.count++;
      }
      this.head = slot;
      this.curStart = startSample + tailFrom;
    }
    this.curN = tailN;
  }

  /**
   * Folds `frames` samples of channels c..c+3 (channel c + q at `base + q * stride`) into the current
   * column and `closes` completed columns (the first after `firstFill` samples, then every
   * samplesPerColumn), leaving the tail in the current column. Branch-free: see the class comment.
   */
  private fold4(keys: Int32Array, base: number, stride: number, c: number, frames: number, firstFill: number, closes: number): void {
    const spc = this.samplesPerColumn;
    const cap = this.cap;
    const minBits = this.minBits;
    const maxBits = this.maxBits;
    const curMin2 = this.curMin2;
    const curMax2 = this.curMax2;
    const p0 = base;
    const p1 = base + stride;
    const p2 = p1 + stride;
    const p3 = p2 + stride;
    const r0 = c * cap;
    const r1 = r0 + cap;
    const r2 = r1 + cap;
    const r3 = r2 + cap;
    let m0 = curMin2[c]!, x0 = curMax2[c]!;
    let m1 = curMin2[c + 1]!, x1 = curMax2[c + 1]!;
    let m2 = curMin2[c + 2]!, x2 = curMax2[c + 2]!;
    let m3 = curMin2[c + 3]!, x3 = curMax2[c + 3]!;
    let slot = this.head;
    let i = 0;
    for (let k = 0; k <= closes; k++) {
      const end = k === closes ? frames : k === 0 ? firstFill : i + spc;
      for (; i + 1 < end; i += 2) {
        let a = keys[p0 + i]!;
        let b = keys[p0 + i + 1]!;
        a ^= (a >> 31) & 0x7fffffff;
        b ^= (b >> 31) & 0x7fffffff;
        let s = a + b;
        let d = Math.abs(a - b);
        let t = s - d - m0;
        m0 += (t - Math.abs(t)) * 0.5;
        t = s + d - x0;
        x0 += (t + Math.abs(t)) * 0.5;
        a = keys[p1 + i]!;
        b = keys[p1 + i + 1]!;
        a ^= (a >> 31) & 0x7fffffff;
        b ^= (b >> 31) & 0x7fffffff;
        s = a + b;
        d = Math.abs(a - b);
        t = s - d - m1;
        m1 += (t - Math.abs(t)) * 0.5;
        t = s + d - x1;
        x1 += (t + Math.abs(t)) * 0.5;
        a = keys[p2 + i]!;
        b = keys[p2 + i + 1]!;
        a ^= (a >> 31) & 0x7fffffff;
        b ^= (b >> 31) & 0x7fffffff;
        s = a + b;
        d = Math.abs(a - b);
        t = s - d - m2;
        m2 += (t - Math.abs(t)) * 0.5;
        t = s + d - x2;
        x2 += (t + Math.abs(t)) * 0.5;
        a = keys[p3 + i]!;
        b = keys[p3 + i + 1]!;
        a ^= (a >> 31) & 0x7fffffff;
        b ^= (b >> 31) & 0x7fffffff;
        s = a + b;
        d = Math.abs(a - b);
        t = s - d - m3;
        m3 += (t - Math.abs(t)) * 0.5;
        t = s + d - x3;
        x3 += (t + Math.abs(t)) * 0.5;
      }
      if (i < end) {
        // An odd sample: folded as a pair of itself.
        let a = keys[p0 + i]!;
        a ^= (a >> 31) & 0x7fffffff;
        let t = a + a - m0;
        m0 += (t - Math.abs(t)) * 0.5;
        t = a + a - x0;
        x0 += (t + Math.abs(t)) * 0.5;
        a = keys[p1 + i]!;
        a ^= (a >> 31) & 0x7fffffff;
        t = a + a - m1;
        m1 += (t - Math.abs(t)) * 0.5;
        t = a + a - x1;
        x1 += (t + Math.abs(t)) * 0.5;
        a = keys[p2 + i]!;
        a ^= (a >> 31) & 0x7fffffff;
        t = a + a - m2;
        m2 += (t - Math.abs(t)) * 0.5;
        t = a + a - x2;
        x2 += (t + Math.abs(t)) * 0.5;
        a = keys[p3 + i]!;
        a ^= (a >> 31) & 0x7fffffff;
        t = a + a - m3;
        m3 += (t - Math.abs(t)) * 0.5;
        t = a + a - x3;
        x3 += (t + Math.abs(t)) * 0.5;
        i++;
      }
      if (k === closes) break;
      minBits[r0 + slot] = keyToBits(m0);
      maxBits[r0 + slot] = keyToBits(x0);
      minBits[r1 + slot] = keyToBits(m1);
      maxBits[r1 + slot] = keyToBits(x1);
      minBits[r2 + slot] = keyToBits(m2);
      maxBits[r2 + slot] = keyToBits(x2);
      minBits[r3 + slot] = keyToBits(m3);
      maxBits[r3 + slot] = keyToBits(x3);
      m0 = m1 = m2 = m3 = 8589934592; // KEY2_ABOVE
      x0 = x1 = x2 = x3 = -8589934592; // KEY2_BELOW
      slot = slot + 1 === cap ? 0 : slot + 1;
    }
    curMin2[c] = m0;
    curMax2[c] = x0;
    curMin2[c + 1] = m1;
    curMax2[c + 1] = x1;
    curMin2[c + 2] = m2;
    curMax2[c + 2] = x2;
    curMin2[c + 3] = m3;
    curMax2[c + 3] = x3;
  }

  /** fold4 for one channel (the channels left over after groups of four). */
  private fold1(keys: Int32Array, base: number, c: number, frames: number, firstFill: number, closes: number): void {
    const spc = this.samplesPerColumn;
    const r0 = c * this.cap;
    let m0 = this.curMin2[c]!;
    let x0 = this.curMax2[c]!;
    let slot = this.head;
    let i = 0;
    for (let k = 0; k <= closes; k++) {
      const end = k === closes ? frames : k === 0 ? firstFill : i + spc;
      for (; i + 1 < end; i += 2) {
        let a = keys[base + i]!;
        let b = keys[base + i + 1]!;
        a ^= (a >> 31) & 0x7fffffff;
        b ^= (b >> 31) & 0x7fffffff;
        const s = a + b;
        const d = Math.abs(a - b);
        let t = s - d - m0;
        m0 += (t - Math.abs(t)) * 0.5;
        t = s + d - x0;
        x0 += (t + Math.abs(t)) * 0.5;
      }
      if (i < end) {
        let a = keys[base + i]!;
        a ^= (a >> 31) & 0x7fffffff;
        let t = a + a - m0;
        m0 += (t - Math.abs(t)) * 0.5;
        t = a + a - x0;
        x0 += (t + Math.abs(t)) * 0.5;
        i++;
      }
      if (k === closes) break;
      this.minBits[r0 + slot] = keyToBits(m0);
      this.maxBits[r0 + slot] = keyToBits(x0);
      m0 = 8589934592; // KEY2_ABOVE
      x0 = -8589934592; // KEY2_BELOW
      slot = slot + 1 === this.cap ? 0 : slot + 1;
    }
    this.curMin2[c] = m0;
    this.curMax2[c] = x0;
  }

  private resetCurrent(): void {
    this.curMin2.fill(KEY2_ABOVE);
    this.curMax2.fill(KEY2_BELOW);
  }

  /** Closes the partial column (a gap follows it): a short column. */
  private closeColumn(): void {
    if (this.curN === 0) return;
    const slot = this.head;
    const cap = this.cap;
    this.colStart[slot] = this.curStart;
    for (let c = 0; c < this.channelCount; c++) {
      this.minBits[c * cap + slot] = keyToBits(this.curMin2[c]!);
      this.maxBits[c * cap + slot] = keyToBits(this.curMax2[c]!);
    }
    this.resetCurrent();
    this.curN = 0;
    this.head = (slot + 1) % cap;
    if (this.count === cap) this.dropped++;
    else this.count++;
  }

  /** Idle mode: remembers that samples [start, start + frames) arrived (a zero-length span marks a gap). */
  private recordSpan(start: number, frames: number): void {
    const n = this.spanEnd.length;
    if (n > 0 && this.spanEnd[n - 1] === start) {
      this.spanEnd[n - 1] = start + frames;
      return;
    }
    if (n > 0 && frames === 0 && this.spanStart[n - 1] === this.spanEnd[n - 1]) {
      this.spanStart[n - 1] = start; // two gap marks in a row: the later one
      this.spanEnd[n - 1] = start;
      return;
    }
    this.spanStart.push(start);
    this.spanEnd.push(start + frames);
    if (this.spanStart.length > MAX_IDLE_SPANS) {
      const len = this.spanEnd[0]! - this.spanStart[0]!;
      this.idleDropped += Math.ceil(len / this.samplesPerColumn);
      this.spanStart.shift();
      this.spanEnd.shift();
    }
  }

  /**
   * Leaves idle mode: recomputes the newest columns (at most the buffer's worth, only what the source
   * still holds) from the source; every other column of the idle spans is counted as dropped.
   */
  private catchUpFromSource(): void {
    const source = this.source!;
    const spc = this.samplesPerColumn;
    const starts = this.spanStart;
    const ends = this.spanEnd;
    const spans = starts.length;
    this.idle = false;
    this.spanStart = [];
    this.spanEnd = [];
    // Columns per span: every span but the last is closed by the gap after it (its last column short).
    const columnsOf = (k: number): number => (k < spans - 1 ? Math.ceil : Math.floor)((ends[k]! - starts[k]!) / spc);
    let total = 0;
    for (let k = 0; k < spans; k++) total += columnsOf(k);
    let skip = Math.max(0, total - this.cap);
    // The columns held from before going idle: the newest cap - total of them survive, as in eager mode.
    const superseded = Math.min(this.count, total);
    this.count -= superseded;
    this.dropped += superseded;
    const before = this.count + this.dropped;
    const oldest = source.oldestSample;
    for (let k = 0; k < spans; k++) {
      const closed = k < spans - 1;
      const cols = columnsOf(k);
      const end = ends[k]!;
      let from = starts[k]!;
      if (skip >= cols) {
        skip -= cols;
        if (closed) continue;
        from += cols * spc; // the last span's partial tail stays pending
      } else {
        from += skip * spc;
        skip = 0;
      }
      while (from < oldest && from < end) from = Math.min(end, from + spc); // no longer held: dropped
      this.feedFromSource(source, from, end);
      if (closed) this.fold(this.catchUp, 0, 0, 0, end + 1); // the gap after the span closes its last column
    }
    // Completed columns are either held or counted as dropped (buffer overflow); the rest were never computed.
    const completed = this.count + this.dropped - before;
    this.dropped += this.idleDropped + Math.max(0, total - completed);
    this.idleDropped = 0;
  }

  /** Folds source samples [from, end) through the eager path. */
  private feedFromSource(source: DisplaySource, from: number, end: number): void {
    const ch = this.channelCount;
    if (this.catchUp.length < CATCH_UP_FRAMES * ch) this.catchUp = new Float32Array(CATCH_UP_FRAMES * ch);
    for (let s = from; s < end; ) {
      const n = Math.min(CATCH_UP_FRAMES, end - s);
      source.read(this.catchUp, n, 0, s, n);
      this.fold(this.catchUp, n, 0, n, s);
      s += n;
    }
  }

  /** Columns waiting to be drained (an idle decimator reports its full buffer). */
  get pendingColumns(): number {
    return this.idle ? this.cap : this.count;
  }

  /** Takes every completed column since the last drain (oldest first), or null if there is none. */
  drain(): DisplayFrame | null {
    if (this.idle) this.catchUpFromSource();
    if (this.count === 0) return null;
    const n = this.count;
    const cap = this.cap;
    const channelCount = this.channelCount;
    const first = (this.head - n + cap) % cap;
    const columnStartSample = new Float64Array(n);
    const minUv = new Float32Array(n * channelCount);
    const maxUv = new Float32Array(n * channelCount);
    const dc = this.dc;
    if (this.dropped > 0) dc.fill(Number.NaN); // stale after a drop: restart at the first delivered column
    const alpha = this.dcAlpha;
    const minRing = this.minRing;
    const maxRing = this.maxRing;
    for (let j = 0, slot = first; j < n; j++, slot = slot + 1 === cap ? 0 : slot + 1) columnStartSample[j] = this.colStart[slot]!;
    for (let c = 0; c < channelCount; c++) {
      const r = c * cap;
      const o = c * n;
      let b = dc[c]!;
      let j = 0;
      let slot = first;
      if (b !== b) {
        // Not started: columns before the first finite one are shown as they are; that one starts the tracker.
        for (; j < n; j++, slot = slot + 1 === cap ? 0 : slot + 1) {
          const lo = minRing[r + slot]!;
          const hi = maxRing[r + slot]!;
          const m = (lo + hi) * 0.5;
          if (m - m === 0) {
            b = m;
            minUv[o + j] = lo - b;
            maxUv[o + j] = hi - b;
            j++;
            slot = slot + 1 === cap ? 0 : slot + 1;
            break;
          }
          minUv[o + j] = lo;
          maxUv[o + j] = hi;
        }
      }
      for (; j < n; j++, slot = slot + 1 === cap ? 0 : slot + 1) {
        const lo = minRing[r + slot]!;
        const hi = maxRing[r + slot]!;
        const u = b + alpha * ((lo + hi) * 0.5 - b);
        if (u - u === 0) b = u; // a non-finite column does not move the baseline
        minUv[o + j] = lo - b;
        maxUv[o + j] = hi - b;
      }
      dc[c] = b;
    }
    const frame: DisplayFrame = {
      channelCount,
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
    this.resetCurrent();
    this.dc.fill(Number.NaN);
    this.idle = false;
    this.spanStart = [];
    this.spanEnd = [];
    this.idleDropped = 0;
    this.lastData = null;
    this.lastKeys = new Int32Array(0);
  }
}
