import type { StimulusEpoch } from '../pipeline/epoch';
import { epochLength } from '../pipeline/epoch';
import type { ChannelState, SampleGap, WaveformPattern } from '../domain';
import type { TrainGradingOptions } from './options';
import { GradingScratch } from './scratch';

// Scratch slots (see scratch.ts).
const F64_TAIL_SUM = 10;
const F64_TAIL_COUNT = 11;

/**
 * Per-channel measurements of one stimulus epoch. The grader judges a train on the rectified,
 * smoothed envelope over the whole train, not pulse by pulse (shared domain notes, "Recording": at
 * 50 Hz reflexes overlap the next stimulus). Our envelope is the mean rectified filtered EMG in bins of
 * one inter-pulse interval, aligned on the pulses, with artifact-blanked samples left out: pulse-locked
 * modulation then cancels and the envelope can be compared bin by bin with the pre-stimulus baseline.
 */

/** Samples to leave out of every measurement: blanked artifact windows, a guard after each, gaps, and the epoch's own non-finite samples. */
export function exclusionMask(epoch: StimulusEpoch, guardMs: number): Uint8Array {
  const n = epochLength(epoch);
  const m = new ExclusionMaskBuilder(new Uint8Array(n), guardSamples(guardMs, epoch.sampleRateHz));
  m.extend(epoch.blanked, n);
  m.addGaps(epoch.gaps, epoch.startSample, 0, n);
  return m.mask;
}

/** The guard of exclusionMask in samples. */
export function guardSamples(guardMs: number, sampleRateHz: number): number {
  return Math.max(0, Math.round((guardMs * sampleRateHz) / 1000));
}

/**
 * exclusionMask built piece by piece as an epoch's blanking becomes final (incremental two-phase grading):
 * sample i's blanking and guard depend on the blanking of samples [0, i] only, so extending over
 * [0, a) then [a, b) gives exactly one pass over [0, b); gaps are marked over the range given (a gap only
 * adds excluded samples, in any order).
 */
export class ExclusionMaskBuilder {
  /** Samples [0, pos) of `mask` hold the blanking and guard. */
  pos = 0;
  private inRun = false;
  private extendUntil = -1;

  constructor(readonly mask: Uint8Array, private readonly guard: number) {}

  /** Blanking and guard of samples [pos, to) from `blanked` (final there); every sample written. */
  extend(blanked: Uint8Array, to: number): void {
    const mask = this.mask;
    let inRun = this.inRun;
    let extendUntil = this.extendUntil;
    for (let i = this.pos; i < to; i++) {
      if (blanked[i] === 1) {
        mask[i] = 1;
        inRun = true;
      } else {
        if (inRun) extendUntil = i + this.guard;
        inRun = false;
        mask[i] = i < extendUntil ? 1 : 0;
      }
    }
    this.inRun = inRun;
    this.extendUntil = extendUntil;
    if (to > this.pos) this.pos = to;
  }

  /** Marks the samples of [from, to) (epoch-relative) that `gaps` cover; `startSample` is the epoch's. */
  addGaps(gaps: readonly SampleGap[], startSample: number, from: number, to: number): void {
    for (const g of gaps) {
      const a = Math.max(from, g.startSample - startSample);
      const z = Math.min(to, g.startSample + g.lengthSamples - startSample);
      for (let i = a; i < z; i++) this.mask[i] = 1;
    }
  }
}

/**
 * Extra exclusion after each blanking window, ms, needed for artifact tails the blanking did not cover.
 * Stimulus artifacts appear on every channel at every pulse (shared domain notes, "Grading"), so the
 * tail shows in the median over channels of the pulse-locked mean rectified signal (each channel
 * relative to its own pre-stimulus level); responses are on a few channels only and leave the median
 * alone. The guard ends where that median stays below 1.5 x baseline for 1 ms, at most `maxMs` after
 * the blanking (reflex latencies are 10-35 ms, so an 8 ms cap never hides a response).
 */
export function artifactTailMs(epoch: StimulusEpoch, channelOffsets: readonly number[], pulses: readonly number[], maxMs = 6, scratch: GradingScratch = new GradingScratch()): number {
  const fs = epoch.sampleRateHz;
  const maxJ = Math.round((maxMs * fs) / 1000);
  const hold = Math.max(1, Math.round(fs / 1000));
  if (pulses.length < 2 || channelOffsets.length < 3) return 0;
  const x = epoch.filtered;
  const blanked = epoch.blanked;
  const pre = epoch.preSamples;
  const trainEnd = epoch.preSamples + epoch.stimSamples;
  // first kept sample after each pulse's blanking run
  const starts: number[] = [];
  for (const p of pulses) {
    let i = p;
    while (i < blanked.length && blanked[i] === 1) i++;
    starts.push(i);
  }
  const len = maxJ + hold;
  const sums = scratch.f64(F64_TAIL_SUM, len);
  const counts = scratch.f64(F64_TAIL_COUNT, len);
  const profiles: Float64Array[] = [];
  for (const off of channelOffsets) {
    const base = preRectifiedMean(x, off, blanked, pre);
    if (!(base > 0)) continue;
    // Pulse by pulse, position by position: each position's sum takes the pulses in order.
    sums.fill(0);
    counts.fill(0);
    for (const st of starts) addRectified(x, off + st, Math.min(len, trainEnd - st), sums, counts);
    const prof = new Float64Array(len);
    for (let j = 0; j < len; j++) prof[j] = counts[j]! > 0 ? sums[j]! / counts[j]! / base : 0;
    profiles.push(prof);
  }
  if (profiles.length < 3) return 0;
  const med = new Float64Array(len);
  const col: number[] = new Array<number>(profiles.length);
  for (let j = 0; j < len; j++) {
    for (let k = 0; k < profiles.length; k++) col[k] = profiles[k]![j]!;
    med[j] = median(col);
  }
  for (let j = 0; j <= maxJ; j++) {
    let quiet = true;
    for (let h = 0; h < hold && quiet; h++) if (med[j + h]! >= 1.5) quiet = false;
    if (quiet) return (j * 1000) / fs;
  }
  return maxMs;
}

/** Mean |x| over the channel's unblanked pre-stimulus samples. */
function preRectifiedMean(x: Float32Array, off: number, blanked: Uint8Array, pre: number): number {
  let bs = 0;
  let bn = 0;
  for (let i = 0; i < pre; i++) {
    if (blanked[i] === 1) continue;
    bs += Math.abs(x[off + i]!);
    bn++;
  }
  return bn > 0 ? bs / bn : 0;
}

/** sums[j] += |x[base + j]|, counts[j] += 1 for j in [0, n). */
function addRectified(x: Float32Array, base: number, n: number, sums: Float64Array, counts: Float64Array): void {
  for (let j = 0; j < n; j++) {
    sums[j]! += Math.abs(x[base + j]!);
    counts[j]! += 1;
  }
}

/** Epoch-relative sample indices of the pulses: rising edges of the blanking mask, else derived from the stimulation settings. */
export function pulseOffsets(epoch: StimulusEpoch): number[] {
  const out: number[] = [];
  const onset = epoch.preSamples;
  const end = epoch.preSamples + epoch.stimSamples;
  for (let i = onset; i < end; i++) {
    if (epoch.blanked[i] === 1 && (i === 0 || epoch.blanked[i - 1] !== 1)) out.push(i);
  }
  if (out.length > 0) return out;
  const s = epoch.event.stimulation;
  if (s.mode === 'single' || s.rateHz === null) return [onset];
  const period = epoch.sampleRateHz / s.rateHz;
  for (let k = 0; onset + k * period < end; k++) out.push(Math.round(onset + k * period));
  return out;
}

/** The envelope bins of an epoch: sample ranges and which part of the epoch each belongs to. */
export interface BinLayout {
  readonly binMs: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Index of the first train bin (bins before it are pre-stimulus). */
  readonly trainFirst: number;
  /** Index of the first post-train bin. */
  readonly postFirst: number;
  /** Onset time of bin 0 relative to the first pulse, ms (negative). */
  readonly firstBinOffsetMs: number;
}

export function binLayout(epoch: StimulusEpoch, opts: TrainGradingOptions): BinLayout {
  const fs = epoch.sampleRateHz;
  const s = epoch.event.stimulation;
  let binMs = 20;
  if (opts.binMs !== 'pulse') binMs = opts.binMs;
  else if (s.mode === 'train' && s.rateHz !== null && 1000 / s.rateHz >= 10 && 1000 / s.rateHz <= 50) binMs = 1000 / s.rateHz;
  const w = (binMs * fs) / 1000;
  const starts: number[] = [];
  const ends: number[] = [];
  const onset = epoch.preSamples;
  const trainEnd = onset + epoch.stimSamples;
  const n = epochLength(epoch);
  const nPre = Math.floor(epoch.preSamples / w);
  for (let k = -nPre; k < 0; k++) {
    starts.push(Math.round(onset + k * w));
    ends.push(Math.round(onset + (k + 1) * w));
  }
  const trainFirst = starts.length;
  for (let k = 0; onset + k * w < trainEnd - 0.5; k++) {
    starts.push(Math.round(onset + k * w));
    ends.push(Math.min(trainEnd, Math.round(onset + (k + 1) * w)));
  }
  const postFirst = starts.length;
  // Post-train bins only as far as the after-discharge test looks: the rest of the epoch is not judged.
  const postLimit = Math.min(n, trainEnd + Math.ceil(((opts.afterDischargeDelayMs + opts.afterDischargeWindowMs) * fs) / 1000 + w));
  for (let k = 0; trainEnd + (k + 1) * w <= postLimit + 0.5; k++) {
    starts.push(Math.round(trainEnd + k * w));
    ends.push(Math.min(postLimit, Math.round(trainEnd + (k + 1) * w)));
  }
  return { binMs, starts: Int32Array.from(starts), ends: Int32Array.from(ends), trainFirst, postFirst, firstBinOffsetMs: -nPre * binMs };
}

/** Mean rectified value per bin over kept samples; NaN where fewer than 30 % of a bin's samples are kept. */
export function envelopeBins(x: ArrayLike<number>, offset: number, layout: BinLayout, mask: Uint8Array): Float64Array {
  return envelopeBinsFrom(x, offset, layout, mask, new Float64Array(layout.starts.length), 0);
}

/**
 * envelopeBins of bins [fromBin, toBin) into `out` (other bins are left as they are; toBin defaults to
 * out.length). Each bin is computed from its own samples only, so bins computed separately equal those of
 * one call.
 */
export function envelopeBinsFrom(x: ArrayLike<number>, offset: number, layout: BinLayout, mask: Uint8Array, out: Float64Array, fromBin: number, toBin = out.length): Float64Array {
  // The filtered signal (Float32Array) is the hot case: its own copy of the loop stays monomorphic.
  if (x instanceof Float32Array) envelopeBinsF32(x, offset, layout, mask, out, fromBin, toBin);
  else envelopeBinsAny(x, offset, layout, mask, out, fromBin, toBin);
  return out;
}

function envelopeBinsF32(x: Float32Array, offset: number, layout: BinLayout, mask: Uint8Array, out: Float64Array, fromBin: number, toBin: number): void {
  for (let b = fromBin; b < toBin; b++) {
    const a = layout.starts[b]!;
    const z = layout.ends[b]!;
    let sum = 0;
    let count = 0;
    for (let i = a; i < z; i++) {
      if (mask[i] === 1) continue;
      const v = x[offset + i]!;
      if (!Number.isFinite(v)) continue;
      sum += Math.abs(v);
      count++;
    }
    out[b] = count >= 0.3 * (z - a) && count > 0 ? sum / count : Number.NaN;
  }
}

function envelopeBinsAny(x: ArrayLike<number>, offset: number, layout: BinLayout, mask: Uint8Array, out: Float64Array, fromBin: number, toBin: number): void {
  for (let b = fromBin; b < toBin; b++) {
    const a = layout.starts[b]!;
    const z = layout.ends[b]!;
    let sum = 0;
    let count = 0;
    for (let i = a; i < z; i++) {
      if (mask[i] === 1) continue;
      const v = x[offset + i]!;
      if (!Number.isFinite(v)) continue;
      sum += Math.abs(v);
      count++;
    }
    out[b] = count >= 0.3 * (z - a) && count > 0 ? sum / count : Number.NaN;
  }
}

function finite(a: ArrayLike<number>, from = 0, to = a.length): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (Number.isFinite(a[i]!)) out.push(a[i]!);
  return out;
}

export function median(v: readonly number[]): number {
  const n = v.length;
  if (n === 0) return Number.NaN;
  if (n <= MEDIAN_SMALL.length) {
    // A stable insertion sort orders NaN-free values exactly as the comparator sort below (equal values,
    // such as 0 and -0, keep their order), without copying and sorting an array per call.
    const s = MEDIAN_SMALL;
    let nan = false;
    for (let i = 0; i < n && !nan; i++) {
      const x = v[i]!;
      if (Number.isNaN(x)) nan = true;
      let j = i;
      while (j > 0 && s[j - 1]! > x) {
        s[j] = s[j - 1]!;
        j--;
      }
      s[j] = x;
    }
    if (!nan) {
      const m = n >> 1;
      return n % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    }
  }
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const MEDIAN_SMALL = new Float64Array(64);

function mean(v: readonly number[]): number {
  if (v.length === 0) return Number.NaN;
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** What the raw (unfiltered) signal says about the electrode: dead, mains hum only, saturated, or ok. */
export interface RawCheck {
  readonly totalRmsUv: number;
  /** RMS left once a periodic 50 or 60 Hz component (with harmonics) is cancelled. */
  readonly residualRmsUv: number;
  readonly mainsRmsUv: number;
  readonly mainsHz: 50 | 60;
  /** Fraction of pre-stimulus samples stuck at the signal's extreme values. */
  readonly railFraction: number;
}

/**
 * Mains hum is periodic, so subtracting the signal delayed by one mains period cancels it with all its
 * harmonics whatever its shape; what remains (divided by sqrt 2, as independent noise adds twice) is the
 * non-mains signal. Robust to small drifts of the mains frequency, unlike a fixed sinusoid fit.
 */
export function checkRaw(raw: Float32Array, offset: number, n: number, mask: Uint8Array, sampleRateHz: number, preSamples: number): RawCheck {
  return checkRawRange(raw, offset, 0, n, mask, sampleRateHz, preSamples);
}

/**
 * checkRaw over samples [from, to) of the channel only (the pre-stimulus window is a cheap first look).
 * Cost: one pass for the level and both mains-delay differences, one for the rails.
 */
export function checkRawRange(raw: Float32Array, offset: number, from: number, to: number, mask: Uint8Array, sampleRateHz: number, preSamples: number): RawCheck {
  return rawCheckOf(rawCheckSums(raw, offset, from, to, mask, sampleRateHz, RAW_SUMS), raw, offset, preSamples);
}

/** Mains periods in samples: whole and fractional parts at 50 and 60 Hz. */
function mainsDelays(sampleRateHz: number): { a50: number; f50: number; a60: number; f60: number } {
  const p50 = sampleRateHz / 50;
  const p60 = sampleRateHz / 60;
  const a50 = Math.floor(p50);
  const a60 = Math.floor(p60);
  return { a50, f50: p50 - a50, a60, f60: p60 - a60 };
}

/** checkRawRange's pass over [from, to): its sums into `s` (7 long, see RAW_SUMS), returned. */
export function rawCheckSums(raw: Float32Array, offset: number, from: number, to: number, mask: Uint8Array, sampleRateHz: number, s: Float64Array): Float64Array {
  // one pass for both mains frequencies
  const { a50, f50, a60, f60 } = mainsDelays(sampleRateHz);
  s.fill(0);
  const mainsFrom = from + a50 + 1;
  levelSums(raw, offset, from, Math.min(to, mainsFrom), mask, s);
  // Up to the first excluded sample no mask test can fail: that stretch (usually the whole pre-stimulus
  // window but the blanking just before the first pulse) runs without them.
  let clearTo = mainsFrom;
  while (clearTo < to && mask[clearTo] !== 1) clearTo++;
  let firstExcluded = from;
  while (firstExcluded < mainsFrom && mask[firstExcluded] !== 1) firstExcluded++;
  if (firstExcluded < mainsFrom) clearTo = mainsFrom;
  levelAndMainsSumsClear(raw, offset, mainsFrom, clearTo, a50, f50, a60, f60, s);
  levelAndMainsSums(raw, offset, Math.max(mainsFrom, clearTo), to, mask, a50, f50, a60, f60, s);
  return s;
}

/**
 * Continues rawCheckSums(from, at) over [at, to): the sums then equal rawCheckSums(from, to)'s, term for
 * term (where no mask test fails the masked loop adds what the mask-free one does). Needs at > from + one
 * 50 Hz period.
 */
export function rawCheckSumsResume(raw: Float32Array, offset: number, at: number, to: number, mask: Uint8Array, sampleRateHz: number, s: Float64Array): Float64Array {
  const { a50, f50, a60, f60 } = mainsDelays(sampleRateHz);
  levelAndMainsSums(raw, offset, at, to, mask, a50, f50, a60, f60, s);
  return s;
}

/** The RawCheck of a channel from its sums (rawCheckSums) and its pre-stimulus rails. */
export function rawCheckOf(s: Float64Array, raw: Float32Array, offset: number, preSamples: number): RawCheck {
  const sum = s[0]!, ss0 = s[1]!, count = s[2]!, d50 = s[3]!, n50 = s[4]!, d60 = s[5]!, n60 = s[6]!;
  const dc = count > 0 ? sum / count : 0;
  const totalRmsUv = count > 0 ? Math.sqrt(Math.max(0, ss0 / count - dc * dc)) : 0;
  const r50 = n50 > 0 ? Math.sqrt(d50 / n50 / 2) : 0;
  const r60 = n60 > 0 ? Math.sqrt(d60 / n60 / 2) : 0;
  const best = r50 <= r60 ? { res: r50, hz: 50 as const } : { res: r60, hz: 60 as const };
  const residualRmsUv = Math.min(best.res, totalRmsUv);
  // Resting signal pinned at the rails means a saturated amplifier or an electrode off the skin.
  const atRail = railCount(raw, offset, preSamples);
  return {
    totalRmsUv,
    residualRmsUv,
    mainsRmsUv: Math.sqrt(Math.max(0, totalRmsUv ** 2 - residualRmsUv ** 2)),
    mainsHz: best.hz,
    railFraction: preSamples > 0 ? atRail / preSamples : 0,
  };
}

/** checkRawRange's sums: level sum, sum of squares, count; 50 Hz and 60 Hz squared differences and counts. */
const RAW_SUMS = new Float64Array(7);

/** Adds kept finite samples of [from, to) to the level sums. */
function levelSums(raw: Float32Array, offset: number, from: number, to: number, mask: Uint8Array, s: Float64Array): void {
  let sum = s[0]!, ss0 = s[1]!, count = s[2]!;
  for (let i = from; i < to; i++) {
    if (mask[i] === 1) continue;
    const v = raw[offset + i]!;
    if (!Number.isFinite(v)) continue;
    sum += v;
    ss0 += v * v;
    count++;
  }
  s[0] = sum;
  s[1] = ss0;
  s[2] = count;
}

/**
 * levelSums plus, per kept sample, its difference from the signal one mains period earlier (linear
 * interpolation between the two samples around the delay) for 50 and 60 Hz. Each sum takes the samples
 * in order, as separate passes would.
 */
function levelAndMainsSums(raw: Float32Array, offset: number, from: number, to: number, mask: Uint8Array, a50: number, f50: number, a60: number, f60: number, s: Float64Array): void {
  let sum = s[0]!, ss0 = s[1]!, count = s[2]!;
  let d50 = s[3]!, n50 = s[4]!, d60 = s[5]!, n60 = s[6]!;
  for (let i = from; i < to; i++) {
    if (mask[i] === 1) continue;
    const v = raw[offset + i]!;
    if (Number.isFinite(v)) {
      sum += v;
      ss0 += v * v;
      count++;
    }
    if (mask[i - a50] !== 1 && mask[i - a50 - 1] !== 1) {
      const d = v - ((1 - f50) * raw[offset + i - a50]! + f50 * raw[offset + i - a50 - 1]!);
      if (Number.isFinite(d)) { d50 += d * d; n50++; }
    }
    if (mask[i - a60] !== 1 && mask[i - a60 - 1] !== 1) {
      const d = v - ((1 - f60) * raw[offset + i - a60]! + f60 * raw[offset + i - a60 - 1]!);
      if (Number.isFinite(d)) { d60 += d * d; n60++; }
    }
  }
  s[0] = sum;
  s[1] = ss0;
  s[2] = count;
  s[3] = d50;
  s[4] = n50;
  s[5] = d60;
  s[6] = n60;
}

/** levelAndMainsSums where no sample of [from - a50 - 1, to) is excluded. */
function levelAndMainsSumsClear(raw: Float32Array, offset: number, from: number, to: number, a50: number, f50: number, a60: number, f60: number, s: Float64Array): void {
  let sum = s[0]!, ss0 = s[1]!, count = s[2]!;
  let d50 = s[3]!, n50 = s[4]!, d60 = s[5]!, n60 = s[6]!;
  for (let i = from; i < to; i++) {
    const v = raw[offset + i]!;
    if (Number.isFinite(v)) {
      sum += v;
      ss0 += v * v;
      count++;
    }
    const e50 = v - ((1 - f50) * raw[offset + i - a50]! + f50 * raw[offset + i - a50 - 1]!);
    if (Number.isFinite(e50)) { d50 += e50 * e50; n50++; }
    const e60 = v - ((1 - f60) * raw[offset + i - a60]! + f60 * raw[offset + i - a60 - 1]!);
    if (Number.isFinite(e60)) { d60 += e60 * e60; n60++; }
  }
  s[0] = sum;
  s[1] = ss0;
  s[2] = count;
  s[3] = d50;
  s[4] = n50;
  s[5] = d60;
  s[6] = n60;
}

/**
 * Samples of [0, preSamples) at the signal's extreme values (0 when the signal is constant), in one pass:
 * each extreme's count restarts when a new extreme appears, so it ends as the count of samples equal to
 * the final minimum and maximum (NaN is never counted, and -0 counts as 0, as with ===).
 */
function railCount(raw: Float32Array, offset: number, preSamples: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  let nLo = 0;
  let nHi = 0;
  for (let i = 0; i < preSamples; i++) {
    const v = raw[offset + i]!;
    if (v < lo) {
      lo = v;
      nLo = 1;
    } else if (v === lo) nLo++;
    if (v > hi) {
      hi = v;
      nHi = 1;
    } else if (v === hi) nHi++;
  }
  return hi > lo ? nLo + nHi : 0;
}

/** Channel state from its raw check and the other channels' (relative test: a quiet channel among live ones). */
export function channelState(c: RawCheck, otherResidualsUv: readonly number[], opts: TrainGradingOptions): { state: ChannelState; note: string | null } {
  const med = median(otherResidualsUv);
  const relOk = Number.isNaN(med) || c.residualRmsUv < opts.deadRelativeToMedian * med;
  if (c.residualRmsUv < opts.deadResidualUv && relOk) {
    if (c.mainsRmsUv >= opts.mainsOnlyMinUv) {
      return { state: 'mains-only', note: `mains hum only (${c.mainsHz} Hz, ${c.mainsRmsUv.toFixed(1)} uV RMS; ${c.residualRmsUv.toFixed(2)} uV otherwise): excluded` };
    }
    return { state: 'dead', note: `flat signal (${c.residualRmsUv.toFixed(2)} uV RMS): dead or disconnected, excluded` };
  }
  if (c.railFraction > 0.05) return { state: 'saturated', note: `baseline pinned at the signal rails (${(c.railFraction * 100).toFixed(0)} % of samples): excluded` };
  return { state: 'ok', note: null };
}

/** Envelope measurements of one signal (a channel, or a channel with a crosstalk source removed). */
export interface SignalFeatures {
  readonly bins: Float64Array;
  readonly baselineUv: number;
  readonly baselineSigmaUv: number;
  readonly thresholdUv: number;
  readonly trainMedianUv: number;
  readonly peakUv: number;
  /** Mean envelope excess over baseline across the train, uV: the response strength. */
  readonly strengthUv: number;
  readonly fractionAbove: number;
  readonly spanOk: boolean;
  readonly lateEarlyRatio: number;
  readonly afterDischarge: boolean;
  readonly responding: boolean;
  readonly sustained: boolean;
  readonly pattern: WaveformPattern;
  readonly notes: readonly string[];
}

/**
 * Judges one signal's envelope against its own pre-stimulus baseline. Working definitions (shared
 * domain notes, "Grading"), every number from TrainGradingOptions:
 * - clearly above baseline: a bin above max(ratio x baseline, baseline + z x robust SD, baseline + minimum);
 * - responding: at least `respondingMinBins` train bins above baseline;
 * - sustained: responding, and either at least `sustainedFraction` of the train after its onset period
 *   (200 ms, at most 30 % of a short train) above baseline; or activity in each third of that period
 *   with at least `spanFraction` above (bursting responses such as clonus); or an after-discharge that
 *   follows activity in the last third of the train (the response continues past the train's end).
 * - pattern: see `classifyPattern`.
 * `knownBins`: the first bins, already computed (envelopeBinsFrom) from this signal and mask; copied.
 */
export function analyseSignal(
  x: ArrayLike<number>,
  offset: number,
  layout: BinLayout,
  mask: Uint8Array,
  pulses: readonly number[],
  trainMs: number,
  opts: TrainGradingOptions,
  knownBins?: Float64Array,
): SignalFeatures {
  const bins = new Float64Array(layout.starts.length);
  if (knownBins) bins.set(knownBins);
  envelopeBinsFrom(x, offset, layout, mask, bins, knownBins ? knownBins.length : 0);
  return judgeAfterTrain(bins, judgeTrain(x, offset, layout, mask, pulses, trainMs, opts, bins, true)!, layout, opts);
}

/**
 * The part of analyseSignal that depends on the pre-stimulus and train bins and the train's samples
 * only (two-phase grading: computed before the post-train window is final). `bins` must hold bins
 * [0, postFirst); with `allBins` (every bin final) the short-baseline fallback, which takes the quietest
 * bins of the whole epoch, is available, else null is returned when it would be needed.
 */
export function judgeTrain(
  x: ArrayLike<number>,
  offset: number,
  layout: BinLayout,
  mask: Uint8Array,
  pulses: readonly number[],
  trainMs: number,
  opts: TrainGradingOptions,
  bins: Float64Array,
  allBins: boolean,
): TrainJudgement | null {
  const notes: string[] = [];
  let pre = finite(bins, 0, layout.trainFirst);
  if (pre.length < 3) {
    if (!allBins) return null;
    notes.push('pre-stimulus baseline shorter than 3 bins: baseline taken from the quietest bins');
    const all = finite(bins).sort((a, b) => a - b);
    pre = all.slice(0, Math.max(1, Math.floor(all.length / 5)));
  }
  const baselineUv = median(pre);
  const sigma = 1.4826 * median(pre.map((v) => Math.abs(v - baselineUv)));
  const thresholdUv = Math.max(baselineUv * opts.aboveBaselineRatio, baselineUv + opts.aboveBaselineZ * sigma, baselineUv + opts.minExcessUv);
  const train = finite(bins, layout.trainFirst, layout.postFirst);
  const nTrain = layout.postFirst - layout.trainFirst;
  const skipMs = Math.min(opts.onsetSkipMs, opts.onsetSkipMaxFraction * trainMs);
  const skip = Math.min(nTrain - 1, Math.round(skipMs / layout.binMs));
  // The judged bins are bins[judgedFrom .. postFirst - 1]; counted in place rather than copied.
  const judgedFrom = layout.trainFirst + Math.max(0, skip);
  const nJudged = Math.max(0, layout.postFirst - judgedFrom);
  const judgedFinite = countFinite(bins, judgedFrom, layout.postFirst);
  const fractionAbove = judgedFinite > 0 ? countAbove(bins, judgedFrom, layout.postFirst, thresholdUv) / judgedFinite : 0;
  // Thirds of the judged bins: [floor(t n / 3), floor((t + 1) n / 3)) for t = 0, 1, 2.
  const thirdActive = (t: number): boolean =>
    countAbove(bins, judgedFrom + Math.floor((t * nJudged) / 3), judgedFrom + Math.floor(((t + 1) * nJudged) / 3), thresholdUv) > 0;
  const spanOk = nJudged >= 3 && thirdActive(0) && thirdActive(1) && thirdActive(2) && fractionAbove >= opts.spanFraction;
  const trainAbove = countAbove(bins, layout.trainFirst, layout.postFirst, thresholdUv);
  const responding = trainAbove >= opts.respondingMinBins;
  const lastThirdActive = thirdActive(2);

  const third = Math.max(1, Math.floor(nTrain / 3));
  const early = meanExcess(bins, layout.trainFirst, layout.trainFirst + third, baselineUv, Number.NaN);
  const late = meanExcess(bins, layout.postFirst - third, layout.postFirst, baselineUv, Number.NaN);
  const eps = Math.max(1e-6, 0.05 * thresholdUv);
  const lateEarlyRatio = (late + eps) / (early + eps);
  const pattern = responding ? patternStages({ x, offset, mask, pulses, layout, opts, bins, baselineUv, lateEarlyRatio, judgedFrom }) : null;
  return {
    notes,
    baselineUv,
    baselineSigmaUv: sigma,
    thresholdUv,
    trainMedianUv: median(train),
    peakUv: train.length ? Math.max(...train) : Number.NaN,
    strengthUv: meanExcess(bins, layout.trainFirst, layout.postFirst, baselineUv, 0),
    fractionAbove,
    spanOk,
    skipMs,
    lateEarlyRatio,
    responding,
    lastThirdActive,
    pattern,
  };
}

/** judgeTrain's result: the signal's features up to the after-discharge test. */
export interface TrainJudgement {
  /** Notes so far (the short-baseline fallback). */
  readonly notes: readonly string[];
  readonly baselineUv: number;
  readonly baselineSigmaUv: number;
  readonly thresholdUv: number;
  readonly trainMedianUv: number;
  readonly peakUv: number;
  readonly strengthUv: number;
  readonly fractionAbove: number;
  readonly spanOk: boolean;
  /** Onset period left out of the judged train, ms. */
  readonly skipMs: number;
  readonly lateEarlyRatio: number;
  readonly responding: boolean;
  readonly lastThirdActive: boolean;
  /** The pattern stages of a responding signal (null when not responding). */
  readonly pattern: PatternStages | null;
}

/**
 * The rest of analyseSignal: the after-discharge test over the post-train bins (`bins` complete), and
 * what depends on it (sustained, the pattern, the notes in their order).
 */
export function judgeAfterTrain(bins: Float64Array, t: TrainJudgement, layout: BinLayout, opts: TrainGradingOptions): SignalFeatures {
  const notes = [...t.notes];
  const { thresholdUv, responding, fractionAbove, spanOk, skipMs } = t;
  const above = (v: number): boolean => v > thresholdUv;
  // After-discharge: activity past the reflex to the last pulse.
  const adFrom = layout.postFirst + Math.ceil(opts.afterDischargeDelayMs / layout.binMs);
  const adTo = Math.min(layout.starts.length, adFrom + Math.round(opts.afterDischargeWindowMs / layout.binMs));
  let adAboveMs = 0;
  for (let b = adFrom; b < adTo; b++) if (Number.isFinite(bins[b]!) && above(bins[b]!)) adAboveMs += layout.binMs;
  const postAvailableMs = (layout.starts.length - layout.postFirst) * layout.binMs;
  if (postAvailableMs < opts.afterDischargeDelayMs + opts.afterDischargeMinMs) notes.push(`post-train window ${postAvailableMs.toFixed(0)} ms: too short to judge after-discharge`);
  const afterDischarge = responding && t.lastThirdActive && adAboveMs >= opts.afterDischargeMinMs;

  const sustained = responding && (fractionAbove >= opts.sustainedFraction || spanOk || afterDischarge);
  if (responding) {
    if (fractionAbove >= opts.sustainedFraction) notes.push(`sustained: ${(fractionAbove * 100).toFixed(0)} % of the train after ${skipMs.toFixed(0)} ms above baseline`);
    else if (spanOk) notes.push(`sustained: bursts in every third of the train (${(fractionAbove * 100).toFixed(0)} % above baseline)`);
    else if (afterDischarge) notes.push(`sustained: after-discharge for ${adAboveMs.toFixed(0)} ms past the train`);
    else notes.push(`not sustained: ${(fractionAbove * 100).toFixed(0)} % of the train after ${skipMs.toFixed(0)} ms above baseline`);
  }
  let pattern: WaveformPattern = 'none';
  if (t.pattern) {
    const call = patternOf(t.pattern, afterDischarge);
    notes.push(call.note);
    pattern = call.pattern;
  }
  return {
    bins,
    baselineUv: t.baselineUv,
    baselineSigmaUv: t.baselineSigmaUv,
    thresholdUv,
    trainMedianUv: t.trainMedianUv,
    peakUv: t.peakUv,
    strengthUv: t.strengthUv,
    fractionAbove,
    spanOk,
    lateEarlyRatio: t.lateEarlyRatio,
    afterDischarge,
    responding,
    sustained,
    pattern,
    notes,
  };
}

/** Finite values among bins[from, to). */
function countFinite(bins: Float64Array, from: number, to: number): number {
  let n = 0;
  for (let b = from; b < to; b++) if (Number.isFinite(bins[b]!)) n++;
  return n;
}

/** Finite values above `level` among bins[from, to). */
function countAbove(bins: Float64Array, from: number, to: number, level: number): number {
  let n = 0;
  for (let b = from; b < to; b++) if (Number.isFinite(bins[b]!) && bins[b]! > level) n++;
  return n;
}

/** Mean of max(0, bin - baseline) over the finite bins of [from, to), summed in order; `none` when there are none. */
function meanExcess(bins: Float64Array, from: number, to: number, baselineUv: number, none: number): number {
  let s = 0;
  let n = 0;
  for (let b = from; b < to; b++) {
    if (!Number.isFinite(bins[b]!)) continue;
    s += Math.max(0, bins[b]! - baselineUv);
    n++;
  }
  return n > 0 ? s / n : none;
}

interface PatternInput {
  readonly x: ArrayLike<number>;
  readonly offset: number;
  readonly mask: Uint8Array;
  readonly pulses: readonly number[];
  readonly layout: BinLayout;
  readonly opts: TrainGradingOptions;
  readonly bins: Float64Array;
  readonly baselineUv: number;
  readonly lateEarlyRatio: number;
  readonly judgedFrom: number;
}

/** A pattern and the note that explains it. */
interface PatternCall {
  readonly pattern: WaveformPattern;
  readonly note: string;
}

/**
 * classifyPattern's checks without the after-discharge one (two-phase grading: they read the train
 * only): `first` is the pattern checks 1-2 decide (null if neither matches), `rest` what checks 4-7 decide
 * (when `first` is null), for a signal without after-discharge.
 */
export interface PatternStages {
  readonly first: PatternCall | null;
  readonly rest: PatternCall | null;
}

function patternOf(s: PatternStages, afterDischarge: boolean): PatternCall {
  if (s.first) return s.first;
  if (afterDischarge) return { pattern: 'sustained', note: 'sustained pattern: activity continues after the train' };
  return s.rest!;
}

/**
 * Waveform pattern of a responding channel (Fasano lineage; shared domain notes, "Grading"). Checked in
 * this order, first match wins:
 * 1. clonic: the envelope excess over the judged train has at least `clonicMinPowerFraction` of its
 *    1.5-20 Hz modulation power in the clonic band (3-8 Hz), with modulation depth >= `clonicMinDepth`,
 *    and the judged train spans at least two cycles of the peak frequency;
 * 2. multiphasic: the pulse-locked average response is coherent (its RMS at least 30 % of the
 *    train's) and has >= `multiphasicMinPhases` phases (significant extrema of alternating sign);
 * 3. sustained: an after-discharge (the response continues past the train's end);
 * 4. incremental: late-train / early-train envelope ratio (last vs first third) > `incrementalRatio`;
 * 5. irregular: detrended coefficient of variation of the envelope excess > `irregularCv`;
 * 6. decremental: ratio < `decrementalRatio`; squared-decremental when the first half holds a plateau
 *    (second-quarter / first-quarter ratio >= 0.85) before the decline;
 * 7. squared: otherwise (a steady, flat-topped response).
 */
export function classifyPattern(p: PatternInput & { readonly afterDischarge: boolean; readonly notes: string[] }): WaveformPattern {
  const call = patternOf(patternStages(p), p.afterDischarge);
  p.notes.push(call.note);
  return call.pattern;
}

/** classifyPattern's checks 1-2 and 4-7 (see PatternStages). */
function patternStages(p: PatternInput): PatternStages {
  const { bins, layout, opts, baselineUv } = p;
  const e: number[] = [];
  for (let b = p.judgedFrom; b < layout.postFirst; b++) e.push(Number.isFinite(bins[b]!) ? Math.max(0, bins[b]! - baselineUv) : Number.NaN);
  const valid = e.filter((v) => Number.isFinite(v));
  const m = mean(valid);
  // Linear detrend for the spectrum and the irregularity measure.
  const n = e.length;
  let sx = 0, sy = 0, sxx = 0, sxy = 0, cnt = 0;
  for (let i = 0; i < n; i++) {
    const v = e[i]!;
    if (!Number.isFinite(v)) continue;
    sx += i; sy += v; sxx += i * i; sxy += i * v; cnt++;
  }
  const slope = cnt > 1 ? (cnt * sxy - sx * sy) / Math.max(1e-12, cnt * sxx - sx * sx) : 0;
  const icpt = cnt > 0 ? (sy - slope * sx) / cnt : 0;
  const resid = e.map((v, i) => (Number.isFinite(v) ? v - (icpt + slope * i) : 0));
  let rss = 0;
  for (const r of resid) rss += r * r;
  const residSd = Math.sqrt(rss / Math.max(1, cnt));
  let varRaw = 0;
  for (const v of valid) varRaw += (v - m) ** 2;
  const depth = m > 0 ? Math.sqrt(varRaw / Math.max(1, valid.length)) / m : 0;

  // 1. clonic
  const fsBins = 1000 / layout.binMs;
  const fMax = Math.min(20, fsBins / 2);
  let total = 0;
  let band = 0;
  let peakF = 0;
  let peakP = -1;
  const tw = twiddles(n, fsBins, fMax);
  for (let k = 0; k < tw.freqs.length; k++) {
    const f = tw.freqs[k]!;
    const cos = tw.cos[k]!;
    const sin = tw.sin[k]!;
    let re = 0, im = 0;
    for (let i = 0; i < n; i++) {
      re += resid[i]! * cos[i]!;
      im -= resid[i]! * sin[i]!;
    }
    const pw = re * re + im * im;
    total += pw;
    if (f >= opts.clonicBandHz[0] && f <= opts.clonicBandHz[1]) {
      band += pw;
      if (pw > peakP) { peakP = pw; peakF = f; }
    }
  }
  const judgedS = n / fsBins;
  const bandFraction = total > 0 ? band / total : 0;
  if (m > 0 && bandFraction >= opts.clonicMinPowerFraction && depth >= opts.clonicMinDepth && peakF * judgedS >= 2) {
    return { first: { pattern: 'clonic', note: `clonic: envelope peak at ${peakF.toFixed(2)} Hz holds ${(bandFraction * 100).toFixed(0)} % of modulation power, depth ${depth.toFixed(2)}` }, rest: null };
  }

  // 2. multiphasic: pulse-locked average over the train
  const phases = pulseLockedPhases(p);
  if (phases !== null && phases >= opts.multiphasicMinPhases) {
    return { first: { pattern: 'multiphasic', note: `multiphasic: ${phases} phases in the pulse-locked average response` }, rest: null };
  }
  // 3. after-discharge: patternOf
  return { first: null, rest: trendPattern(p, m, residSd) };
}

/** classifyPattern's checks 4-7; `m` and `residSd` the judged envelope excess's mean and detrended SD. */
function trendPattern(p: PatternInput, m: number, residSd: number): PatternCall {
  const { bins, layout, opts, baselineUv } = p;
  // 4. incremental
  if (p.lateEarlyRatio > opts.incrementalRatio) {
    return { pattern: 'incremental', note: `incremental: late/early envelope ratio ${p.lateEarlyRatio.toFixed(2)}` };
  }
  // 5. irregular
  const cv = m > 0 ? residSd / m : 0;
  if (cv > opts.irregularCv) {
    return { pattern: 'irregular', note: `irregular: detrended envelope variation ${cv.toFixed(2)}` };
  }
  // 6. decremental family
  if (p.lateEarlyRatio < opts.decrementalRatio) {
    const trainN = layout.postFirst - layout.trainFirst;
    const q = Math.max(1, Math.floor(trainN / 4));
    const ex = (a: number, z: number): number => {
      const v: number[] = [];
      for (let b = a; b < z; b++) if (Number.isFinite(bins[b]!)) v.push(Math.max(0, bins[b]! - baselineUv));
      return mean(v);
    };
    const q1 = ex(layout.trainFirst, layout.trainFirst + q);
    const q2 = ex(layout.trainFirst + q, layout.trainFirst + 2 * q);
    if (q1 > 0 && q2 / q1 >= 0.85) {
      return { pattern: 'squared-decremental', note: `squared-decremental: plateau then decline (late/early ${p.lateEarlyRatio.toFixed(2)})` };
    }
    return { pattern: 'decremental', note: `decremental: late/early envelope ratio ${p.lateEarlyRatio.toFixed(2)}` };
  }
  return { pattern: 'squared', note: `squared: steady response (late/early ${p.lateEarlyRatio.toFixed(2)})` };
}

/** cos / sin of 2 pi f i / fsBins for the clonic spectrum's frequencies (1.5 Hz to fMax in 0.25 Hz steps), cached: every channel of every train at one rate uses the same few tables. */
interface Twiddles {
  readonly freqs: readonly number[];
  readonly cos: readonly Float64Array[];
  readonly sin: readonly Float64Array[];
}
const TWIDDLES = new Map<string, Twiddles>();
const MAX_TWIDDLE_TABLES = 64;

function twiddles(n: number, fsBins: number, fMax: number): Twiddles {
  const key = `${n}|${fsBins}|${fMax}`;
  const hit = TWIDDLES.get(key);
  if (hit) return hit;
  const freqs: number[] = [];
  const cos: Float64Array[] = [];
  const sin: Float64Array[] = [];
  for (let f = 1.5; f <= fMax + 1e-9; f += 0.25) {
    const c = new Float64Array(n);
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const ph = (2 * Math.PI * f * i) / fsBins;
      c[i] = Math.cos(ph);
      s[i] = Math.sin(ph);
    }
    freqs.push(f);
    cos.push(c);
    sin.push(s);
  }
  if (TWIDDLES.size >= MAX_TWIDDLE_TABLES) TWIDDLES.delete(TWIDDLES.keys().next().value!);
  const t = { freqs, cos, sin };
  TWIDDLES.set(key, t);
  return t;
}

/** Number of phases of the pulse-locked average, or null when the response is not time-locked to the pulses. */
function pulseLockedPhases(p: PatternInput): number | null {
  const ps = p.pulses;
  if (ps.length < 4) return null;
  const period = ps[1]! - ps[0]!;
  if (period < 8) return null;
  const sum = new Float64Array(period);
  const cnt = new Uint32Array(period);
  let ss = 0;
  let sn = 0;
  for (let k = 0; k + 1 < ps.length; k++) {
    for (let j = 0; j < period; j++) {
      const i = ps[k]! + j;
      if (p.mask[i] === 1) continue;
      const v = p.x[p.offset + i]!;
      if (!Number.isFinite(v)) continue;
      sum[j]! += v;
      cnt[j]! += 1;
      ss += v * v;
      sn++;
    }
  }
  const avg = new Float64Array(period);
  let peak = 0;
  let as = 0;
  let an = 0;
  for (let j = 0; j < period; j++) {
    if (cnt[j]! === 0) continue;
    avg[j] = sum[j]! / cnt[j]!;
    peak = Math.max(peak, Math.abs(avg[j]!));
    as += avg[j]! ** 2;
    an++;
  }
  if (sn === 0 || an === 0 || Math.sqrt(as / an) < 0.3 * Math.sqrt(ss / sn)) return null;
  let phases = 0;
  let lastSign = 0;
  for (let j = 0; j < period; j++) {
    if (cnt[j]! === 0) continue;
    const v = avg[j]!;
    if (Math.abs(v) < 0.3 * peak) continue;
    const sgn = Math.sign(v);
    if (sgn !== lastSign) {
      phases++;
      lastSign = sgn;
    }
  }
  return phases;
}

/** Pearson correlation of two channels over kept samples in [from, to). */
export function correlation(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, from: number, to: number, mask: Uint8Array): number {
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, n = 0;
  for (let i = from; i < to; i++) {
    if (mask[i] === 1) continue;
    const a = x[xo + i]!;
    const b = y[yo + i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b; n++;
  }
  if (n < 3) return 0;
  const cov = sxy - (sx * sy) / n;
  const vx = sxx - (sx * sx) / n;
  const vy = syy - (sy * sy) / n;
  return vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : 0;
}

/**
 * x - k*y with k the least-squares gain over kept samples in [from, to): the channel with a zero-lag copy
 * of another removed. `out` (at least n long) receives the residual when given.
 */
export function removeCopy(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, n: number, from: number, to: number, mask: Uint8Array, out?: Float64Array): { residual: Float64Array; gain: number } {
  // Two small functions rather than one: a function whose first loop got hot and was compiled on the
  // stack (OSR) before its second loop ever ran deoptimizes on every later call.
  const gain = copyGain(x, xo, y, yo, from, to, mask);
  const residual = out ?? new Float64Array(n);
  subtractScaled(x, xo, y, yo, n, gain, residual);
  return { residual, gain };
}

function copyGain(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, from: number, to: number, mask: Uint8Array): number {
  let xy = 0, yy = 0;
  for (let i = from; i < to; i++) {
    if (mask[i] === 1) continue;
    const a = x[xo + i]!;
    const b = y[yo + i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    xy += a * b;
    yy += b * b;
  }
  return yy > 0 ? xy / yy : 0;
}

function subtractScaled(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, n: number, gain: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = x[xo + i]! - gain * y[yo + i]!;
}
