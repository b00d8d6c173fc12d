/**
 * Removal of pulse-locked stimulus-artifact leftovers from a train's filtered EMG before it is judged.
 *
 * Stimulus artifacts appear on every channel at every pulse and are never responses (shared domain
 * notes, "Grading"). Blanking removes the artifact itself, but what outlasts the blanking window (an
 * exponential tail of several ms, a DC offset step while the amplifier recovers, a saturated amplifier
 * coming back to its baseline) reaches the band-pass and notch filters and leaves, after every pulse, the
 * same waveform: a decay right after the blanking, then the high-pass filter's slow response to the
 * tail's area and the notch filters' ringing at the mains harmonics, which span the whole inter-pulse
 * interval. On a quiet channel that leftover is many times the pre-stimulus baseline and, repeated at
 * every pulse, looks exactly like a sustained response.
 *
 * The leftover is the same at every pulse (the pipeline is linear and the artifact repeats), so it is
 * in the pulse-locked mean of the channel over the train's typical pulses (a discharge on a few pulses
 * never enters it). That mean also holds any genuinely pulse-locked response (an M-wave-like compound
 * response), so only its artifact-like part is removed:
 * - smooth shapes: a constant, a ramp (the high-pass filter's response to the tail's area and to DC
 *   steps) and decays starting at the end of the blanking (time constants 0.5, 1.5 and 4 ms: the tail);
 * - shapes the means of several channels share (the filters' ringing, mains locked to the pulse
 *   rate): the principal components of the channels' means, each normalised to one, that carry more
 *   than `COMMON_MIN_CHANNELS` channels' worth of it. A response, with its own latency and shape on a
 *   few muscles, is not shared like that;
 * - all of it when what is left is not a response-like wave: a physiological response (latency 5-40
 *   ms) is a compound wave of a few ms, so at least `COMPACT_MIN_FRACTION` of its locked energy lies
 *   within `COMPACT_WINDOW_MS`; locked energy spread over the interval is ringing from an artifact the
 *   shapes did not fit (an amplifier saturated past the blanking). Energy that is not pulse-locked
 *   (tonic activity, jittering motor units) is never touched.
 * The fit is subtracted from every inter-pulse interval of the train. Cost: three or four tight passes
 * over the train's samples per channel (see removeLockedArtifacts).
 */

import { GradingScratch } from './scratch';

/** Averages of the channels are "shared" along a direction carrying at least this many channels' worth (a random direction carries about 1). */
const COMMON_MIN_CHANNELS = 3;
/** At most this many shared shapes are removed (ringing at a few mains harmonics, locked mains). */
const COMMON_MAX_SHAPES = 4;
/** A locked waveform is response-like when this share of its energy lies within ... */
const COMPACT_MIN_FRACTION = 0.65;
/** ... this many ms of the inter-pulse interval (at most 35 % of it). */
const COMPACT_WINDOW_MS = 8;
/** Decay time constants of the artifact tail shapes, ms. */
const TAIL_TAU_MS = [0.5, 1.5, 4];

export interface LockedArtifactResult {
  /**
   * A copy of the filtered signal with the artifact-like pulse-locked part removed over the train (the
   * epoch's layout). Backed by the scratch pool when one was given: valid until its next use.
   */
  readonly cleaned: Float32Array;
  /** Per channel offset given: RMS of the removed waveform, uV. */
  readonly removedRmsUv: readonly number[];
  /** Shared shapes removed. */
  readonly commonShapes: number;
}

// Scratch slots (see scratch.ts).
const F64_CNT = 0;
const F64_SUM = 1;
const F64_CNT2 = 2;
const F64_FULL = 3;
const F64_ENERGY = 4;
const F64_MEDIAN = 5;
const F64_AVG = 6;
const F64_RESID = 7;
const F64_UNIT = 8;
const F64_WORK = 9;
/** The fitted waveforms (not owned). */
const F64_FITS = 13;
const I32_KEEP = 0;
const I32_RUN_FROM = 1;
const I32_RUN_TO = 2;
const I32_PULSE_RUNS = 3;
const F32_CLEANED = 0;

/**
 * @param x the epoch's filtered signal (planar, channel c at `offsets[c]`)
 * @param offsets channel offsets into x to clean (other channels are copied unchanged)
 * @param pulses epoch-relative pulse sample indices (increasing)
 * @param trainEnd epoch-relative end of the train (exclusive)
 * @param mask samples to ignore (blanking, gaps)
 * @param guardMs the part after each blanking window the grader leaves out anyway (not judged for compactness)
 * @param scratch work buffers to reuse (the result's `cleaned` then lives in it); a fresh pool by default
 *
 * Cost: the kept positions of every averaged interval are listed once as runs of consecutive samples
 * (the mask is the same on every channel); per channel that is one pass for the mean, one for the
 * intervals' residual energy, a second mean only when some interval is atypical, and one pass to
 * subtract the fit, all over the train's samples in tight loops. The shape fitting works on the
 * averages (one interval per channel) only.
 */
export function removeLockedArtifacts(
  x: Float32Array,
  offsets: readonly number[],
  pulses: readonly number[],
  trainEnd: number,
  mask: Uint8Array,
  sampleRateHz: number,
  guardMs = 0,
  scratch: GradingScratch = new GradingScratch(),
): LockedArtifactResult {
  const fit = lockedArtifactFit(x, offsets, pulses, trainEnd, mask, sampleRateHz, guardMs, scratch, false);
  const cleaned = applyLockedArtifactFit(x, offsets, fit, scratch);
  if (fit === null) return { cleaned, removedRmsUv: offsets.map(() => 0), commonShapes: 0 };
  return { cleaned, removedRmsUv: fit.removedRmsUv, commonShapes: fit.commonShapes };
}

/**
 * The artifact-like pulse-locked waveform of each channel (what removeLockedArtifacts subtracts), without
 * subtracting it. It is computed from the train's samples ([pulses[0], trainEnd)) and the mask there
 * only, so it can be computed as soon as those are final (two-phase grading, see train.ts).
 */
export interface LockedArtifactFit {
  /** End (exclusive, epoch-relative) of each pulse's interval. */
  readonly ends: readonly number[];
  readonly pulses: readonly number[];
  /** First interval position fitted. */
  readonly j0: number;
  /** Longest interval. */
  readonly L: number;
  /** Channel c's (in `offsets` order) waveform at positions [c * L, (c + 1) * L), 0 where nothing was fitted. */
  readonly fits: Float64Array;
  readonly removedRmsUv: readonly number[];
  readonly commonShapes: number;
}

/**
 * removeLockedArtifacts' fit (parameters as there): null when nothing is removed (too few pulses or kept
 * positions). With `owned` the result shares nothing with `scratch`; otherwise its `fits` live in it.
 */
export function lockedArtifactFit(
  x: Float32Array,
  offsets: readonly number[],
  pulses: readonly number[],
  trainEnd: number,
  mask: Uint8Array,
  sampleRateHz: number,
  guardMs: number,
  scratch: GradingScratch,
  owned: boolean,
): LockedArtifactFit | null {
  const np = pulses.length;
  if (np < 3) return null;
  // Interval k runs from pulses[k] to the next pulse (the train's end for the last one).
  const ends: number[] = pulses.map((p, k) => Math.min(k + 1 < np ? pulses[k + 1]! : trainEnd, trainEnd));
  let L = 0;
  for (let k = 0; k < np; k++) L = Math.max(L, ends[k]! - pulses[k]!);
  if (L < 8) return null;
  // The filters' response builds up over the first pulses: average from the steady part of the train.
  const k0 = np >= 8 ? 3 : np >= 5 ? 1 : 0;
  const cnt = scratch.f64(F64_CNT, L).fill(0);
  for (let k = k0; k < np; k++) countKept(mask, pulses[k]!, ends[k]! - pulses[k]!, cnt);
  // Positions judged: seen in at least half the averaged intervals.
  const used = np - k0;
  const keepAll = scratch.i32(I32_KEEP, L);
  const m = keptPositions(cnt, Math.max(1, used / 2), keepAll);
  if (m < 8) return null;
  const keep = keepAll.subarray(0, m);
  const j0 = keep[0]!;

  // Kept samples of each averaged interval from j0 on, as runs [from, to) of interval positions; interval
  // k's runs are pulseRuns[k] .. pulseRuns[k + 1] - 1. Every per-sample pass below walks these runs in
  // the order the samples come (interval by interval, position by position), so each sum adds the same
  // terms in the same order as a per-sample mask test would.
  let maxRuns = 0;
  for (let k = k0; k < np; k++) maxRuns += Math.max(0, ends[k]! - pulses[k]! - j0 + 1) >> 1 || 1;
  const runs: IntervalRuns = {
    from: scratch.i32(I32_RUN_FROM, maxRuns + np),
    to: scratch.i32(I32_RUN_TO, maxRuns + np),
    perPulse: scratch.i32(I32_PULSE_RUNS, np + 1),
  };
  let nRuns = 0;
  for (let k = 0; k <= k0; k++) runs.perPulse[k] = 0;
  for (let k = k0; k < np; k++) {
    nRuns = listRuns(mask, pulses[k]!, j0, ends[k]! - pulses[k]!, runs, nRuns);
    runs.perPulse[k + 1] = nRuns;
  }

  // Pulse-locked robust means, one row per channel, over kept positions: the mean over the pulses whose
  // interval is typical (residual energy at most twice the median interval's), so a discharge on a few
  // pulses only (an onset-only response, a burst) stays out of it and the fit never imprints it onto the
  // other pulses. (A per-position median would do the same at many times the cost.)
  const C = offsets.length;
  const work: MeanWork = {
    sum: scratch.f64(F64_SUM, L),
    count: scratch.f64(F64_CNT2, L),
    full: scratch.f64(F64_FULL, L),
    energy: scratch.f64(F64_ENERGY, np).fill(0),
    sorted: scratch.f64(F64_MEDIAN, np),
  };
  const avgAll = scratch.f64(F64_AVG, C * m);
  const avg: Float64Array[] = [];
  for (let c = 0; c < C; c++) {
    const a = avgAll.subarray(c * m, (c + 1) * m);
    avg.push(a);
    robustLockedMean(x, offsets[c]!, pulses, ends, k0, j0, runs, keep, cnt, work, a);
  }

  const basis = smoothBasis(keep, L, sampleRateHz);
  // Residual of each average beyond the smooth shapes; unit-normalised copies find the shared shapes.
  const residAll = scratch.f64(F64_RESID, C * m);
  const unitAll = scratch.f64(F64_UNIT, C * m);
  const resid: Float64Array[] = [];
  const unit: Float64Array[] = [];
  for (let c = 0; c < C; c++) {
    const r = residAll.subarray(c * m, (c + 1) * m);
    r.set(avg[c]!);
    for (const b of basis) subtractScaledVec(r, dot(r, b), b);
    resid.push(r);
    const u = unitAll.subarray(c * m, (c + 1) * m);
    const nrm = Math.sqrt(dot(r, r));
    if (nrm > 0) divideInto(u, r, nrm);
    else u.set(r);
    unit.push(u);
  }
  // Symmetric: each pair once (a * b === b * a, so dot(a, b) === dot(b, a) exactly).
  const gram: number[][] = unit.map(() => new Array<number>(C).fill(0));
  for (let i = 0; i < C; i++) {
    for (let j = i; j < C; j++) {
      const d = dot(unit[i]!, unit[j]!);
      gram[i]![j] = d;
      gram[j]![i] = d;
    }
  }
  const { values, vectors } = jacobiEigen(gram);
  const order = descendingOrder(values);
  const common: Float64Array[] = [];
  for (const i of order) {
    if (common.length >= COMMON_MAX_SHAPES || values[i]! < COMMON_MIN_CHANNELS) break;
    const u = new Float64Array(m);
    for (let c = 0; c < C; c++) {
      const w = vectors[c]![i]!;
      for (let q = 0; q < m; q++) u[q]! += w * unit[c]![q]!;
    }
    const nrm = Math.sqrt(dot(u, u));
    if (nrm > 0) {
      for (let q = 0; q < m; q++) u[q]! /= nrm;
      common.push(u);
    }
  }

  const removedRmsUv: number[] = [];
  const buf = scratch.f64(F64_WORK, 2 * m + L);
  const fitWork: FitWork = { f: buf.subarray(0, m), rest: buf.subarray(m, 2 * m), energyAt: buf.subarray(2 * m, 2 * m + L) };
  const compactFrom = j0 + Math.round((guardMs * sampleRateHz) / 1000);
  const compactWindow = Math.min(Math.round((COMPACT_WINDOW_MS * sampleRateHz) / 1000), Math.floor(0.35 * L));
  const fits = owned ? new Float64Array(C * L) : scratch.f64(F64_FITS, C * L);
  for (let c = 0; c < C; c++) {
    removedRmsUv.push(removeFit(fits.subarray(c * L, (c + 1) * L), keep, avg[c]!, resid[c]!, common, compactFrom, compactWindow, fitWork));
  }
  return { ends, pulses: owned ? [...pulses] : pulses, j0, L, fits, removedRmsUv, commonShapes: common.length };
}

/**
 * A copy of `x` with each channel's fitted waveform subtracted from every interval of the train (the
 * epoch's layout; `offsets` as given to the fit): removeLockedArtifacts' `cleaned`, in the scratch pool.
 */
export function applyLockedArtifactFit(x: Float32Array, offsets: readonly number[], fit: LockedArtifactFit | null, scratch: GradingScratch): Float32Array {
  const cleaned = cleanedCopy(x, scratch);
  if (fit === null) return cleaned;
  const { pulses, ends, j0, L, fits } = fit;
  for (let c = 0; c < offsets.length; c++) {
    const w = fits.subarray(c * L, (c + 1) * L);
    for (let k = 0; k < pulses.length; k++) subtractFit(cleaned, offsets[c]! + pulses[k]!, j0, ends[k]! - pulses[k]!, w);
  }
  return cleaned;
}


/** A copy of `x` where removeLockedArtifacts and applyLockedArtifactFit keep `cleaned` (the scratch pool). */
export function cleanedCopy(x: Float32Array, scratch: GradingScratch): Float32Array {
  const cleaned = scratch.f32(F32_CLEANED, x.length);
  cleaned.set(x);
  return cleaned;
}

interface FitWork {
  readonly f: Float64Array;
  readonly rest: Float64Array;
  readonly energyAt: Float64Array;
}

/**
 * One channel's artifact-like part of its locked mean `a` (residual `r` beyond the smooth shapes):
 * the smooth part plus its shared shapes, or all of `a` when what is left is not response-like.
 * Writes it into `fit` (L long, 0 at positions not kept); returns its RMS.
 */
function removeFit(
  fit: Float64Array, keep: Int32Array,
  a: Float64Array, r: Float64Array, common: readonly Float64Array[], compactFrom: number, compactWindow: number, w: FitWork,
): number {
  const { f, rest, energyAt } = w;
  const L = fit.length;
  const m = keep.length;
  for (let q = 0; q < m; q++) f[q] = a[q]! - r[q]!; // the smooth part
  rest.set(r);
  for (const u of common) {
    const d = dot(r, u);
    for (let q = 0; q < m; q++) {
      f[q]! += d * u[q]!;
      rest[q]! -= d * u[q]!;
    }
  }
  // What is still pulse-locked counts as a response only if it is a wave at a physiological latency
  // (a compound response lasts a few ms); locked energy spread over the whole interval is filter
  // ringing from an artifact the shapes above did not fit (an amplifier saturated past the blanking),
  // and is removed too.
  if (compactness(rest, keep, compactFrom, L, compactWindow, energyAt) < COMPACT_MIN_FRACTION) {
    for (let q = 0; q < m; q++) f[q] = a[q]!;
  }
  fit.fill(0);
  let ss = 0;
  for (let q = 0; q < m; q++) {
    fit[keep[q]!] = f[q]!;
    ss += f[q]! * f[q]!;
  }
  return Math.sqrt(ss / m);
}

interface IntervalRuns {
  readonly from: Int32Array;
  readonly to: Int32Array;
  /** Runs of interval k: perPulse[k] .. perPulse[k + 1] - 1. */
  readonly perPulse: Int32Array;
}

interface MeanWork {
  readonly sum: Float64Array;
  readonly count: Float64Array;
  readonly full: Float64Array;
  readonly energy: Float64Array;
  readonly sorted: Float64Array;
}

/** cnt[j] += 1 where sample p + j of the interval (length len) is kept. */
function countKept(mask: Uint8Array, p: number, len: number, cnt: Float64Array): void {
  for (let j = 0; j < len; j++) if (mask[p + j] !== 1) cnt[j]! += 1;
}

/** Positions j with cnt[j] >= min into keep; returns how many. */
function keptPositions(cnt: Float64Array, min: number, keep: Int32Array): number {
  let m = 0;
  for (let j = 0; j < cnt.length; j++) if (cnt[j]! >= min) keep[m++] = j;
  return m;
}

/** Appends the runs of kept positions [j0, len) of the interval at p, from run index r; returns the next run index. */
function listRuns(mask: Uint8Array, p: number, j0: number, len: number, runs: IntervalRuns, r: number): number {
  let j = j0;
  while (j < len) {
    while (j < len && mask[p + j] === 1) j++;
    if (j >= len) break;
    const from = j;
    while (j < len && mask[p + j] !== 1) j++;
    runs.from[r] = from;
    runs.to[r] = j;
    r++;
  }
  return r;
}

/**
 * The channel's pulse-locked mean over kept positions into `a`: over every averaged interval, then, when
 * some interval's residual energy is above twice the median interval's, over the typical ones only.
 */
function robustLockedMean(
  x: Float32Array, off: number, pulses: readonly number[], ends: readonly number[], k0: number, j0: number,
  runs: IntervalRuns, keep: Int32Array, cnt: Float64Array, w: MeanWork, a: Float64Array,
): void {
  const np = pulses.length;
  const { sum, count, full, energy, sorted } = w;
  // Mean over every averaged interval: its counts are `cnt` (positions from j0 on).
  sum.fill(0);
  for (let k = k0; k < np; k++) addRuns(x, off + pulses[k]!, runs.from, runs.to, runs.perPulse[k]!, runs.perPulse[k + 1]!, sum);
  ratioAtKept(sum, cnt, keep, a);
  full.fill(0);
  scatterAtKept(full, keep, a);
  for (let k = k0; k < np; k++) {
    const len = ends[k]! - pulses[k]!;
    energy[k] = residualEnergy(x, off + pulses[k]!, runs.from, runs.to, runs.perPulse[k]!, runs.perPulse[k + 1]!, full) / Math.max(1, len - j0);
  }
  for (let k = k0; k < np; k++) sorted[k - k0] = energy[k]!;
  const typical = 2 * medianOf(sorted, np - k0);
  let allTypical = true;
  for (let k = k0; k < np; k++) if (!(energy[k]! <= typical)) allTypical = false;
  // With every interval typical the robust mean is the mean above, term for term.
  if (allTypical) return;
  sum.fill(0);
  count.fill(0);
  for (let k = k0; k < np; k++) {
    if (!(energy[k]! <= typical)) continue;
    addRunsCounting(x, off + pulses[k]!, runs.from, runs.to, runs.perPulse[k]!, runs.perPulse[k + 1]!, sum, count);
  }
  ratioAtKept(sum, count, keep, a);
}

/** a[q] = sum[j] / count[j] (0 where nothing was counted) at the kept positions j = keep[q]. */
function ratioAtKept(sum: Float64Array, count: Float64Array, keep: Int32Array, a: Float64Array): void {
  for (let q = 0; q < keep.length; q++) {
    const j = keep[q]!;
    a[q] = count[j]! > 0 ? sum[j]! / count[j]! : 0;
  }
}

/** full[keep[q]] = a[q]. */
function scatterAtKept(full: Float64Array, keep: Int32Array, a: Float64Array): void {
  for (let q = 0; q < keep.length; q++) full[keep[q]!] = a[q]!;
}

/** r -= d * b. */
function subtractScaledVec(r: Float64Array, d: number, b: Float64Array): void {
  for (let q = 0; q < r.length; q++) r[q]! -= d * b[q]!;
}

/** u = r / nrm. */
function divideInto(u: Float64Array, r: Float64Array, nrm: number): void {
  for (let q = 0; q < r.length; q++) u[q] = r[q]! / nrm;
}

/** sum[j] += x[base + j] over the runs [from, to) of positions. */
function addRuns(x: Float32Array, base: number, runFrom: Int32Array, runTo: Int32Array, r0: number, r1: number, sum: Float64Array): void {
  for (let r = r0; r < r1; r++) {
    const to = runTo[r]!;
    for (let j = runFrom[r]!; j < to; j++) sum[j]! += x[base + j]!;
  }
}

/** addRuns, also counting the terms per position. */
function addRunsCounting(x: Float32Array, base: number, runFrom: Int32Array, runTo: Int32Array, r0: number, r1: number, sum: Float64Array, count: Float64Array): void {
  for (let r = r0; r < r1; r++) {
    const to = runTo[r]!;
    for (let j = runFrom[r]!; j < to; j++) {
      sum[j]! += x[base + j]!;
      count[j]! += 1;
    }
  }
}

/** Sum of (x[base + j] - mean[j])^2 over the runs. */
function residualEnergy(x: Float32Array, base: number, runFrom: Int32Array, runTo: Int32Array, r0: number, r1: number, mean: Float64Array): number {
  let e = 0;
  for (let r = r0; r < r1; r++) {
    const to = runTo[r]!;
    for (let j = runFrom[r]!; j < to; j++) {
      const d = x[base + j]! - mean[j]!;
      e += d * d;
    }
  }
  return e;
}

/** y[base + j] -= fit[j] for j in [from, to). */
function subtractFit(y: Float32Array, base: number, from: number, to: number, fit: Float64Array): void {
  for (let j = from; j < to; j++) y[base + j]! -= fit[j]!;
}

/**
 * Orthonormal smooth basis over the kept positions: constant, ramp, tail decays from the end of blanking
 * (Gram-Schmidt in that order). It depends on the positions only, which repeat from train to train, so
 * the last one is kept and reused (read only).
 */
function smoothBasis(keep: Int32Array, L: number, sampleRateHz: number): readonly Float64Array[] {
  const hit = lastBasis;
  if (hit !== null && hit.L === L && hit.sampleRateHz === sampleRateHz && sameInts(hit.keep, keep)) return hit.basis;
  const m = keep.length;
  const j0 = keep[0]!;
  const raw: Float64Array[] = [];
  raw.push(new Float64Array(m).fill(1));
  raw.push(Float64Array.from(keep, (j) => (j - j0) / L));
  for (const tau of TAIL_TAU_MS) {
    const t = (tau * sampleRateHz) / 1000;
    raw.push(Float64Array.from(keep, (j) => Math.exp(-(j - j0) / t)));
  }
  const basis: Float64Array[] = [];
  for (const v of raw) {
    const u = Float64Array.from(v);
    for (const b of basis) {
      const d = dot(u, b);
      for (let q = 0; q < m; q++) u[q]! -= d * b[q]!;
    }
    const nrm = Math.sqrt(dot(u, u));
    if (nrm > 1e-9 * Math.sqrt(m)) {
      for (let q = 0; q < m; q++) u[q]! /= nrm;
      basis.push(u);
    }
  }
  lastBasis = { L, sampleRateHz, keep: Int32Array.from(keep), basis };
  return basis;
}

let lastBasis: { readonly L: number; readonly sampleRateHz: number; readonly keep: Int32Array; readonly basis: readonly Float64Array[] } | null = null;

function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Largest fraction of the waveform's energy within `w` consecutive positions of the interval (circular: a late response wraps into the next interval). */
function compactness(r: Float64Array, keep: Int32Array, from: number, L: number, w: number, e: Float64Array): number {
  e.fill(0);
  let total = 0;
  for (let q = 0; q < r.length; q++) {
    if (keep[q]! < from) continue;
    e[keep[q]!] = r[q]! * r[q]!;
    total += r[q]! * r[q]!;
  }
  if (!(total > 0) || w >= L) return 1;
  let win = 0;
  for (let j = 0; j < w; j++) win += e[j]!;
  let best = win;
  for (let j = 0; j < L; j++) {
    win += e[(j + w) % L]! - e[j]!;
    if (win > best) best = win;
  }
  return best / total;
}

function medianOf(v: Float64Array, n: number): number {
  if (n === 0) return 0;
  const s = v.subarray(0, n).sort();
  const h = n >> 1;
  return n % 2 ? s[h]! : 0.5 * (s[h - 1]! + s[h]!);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Indices of `values`, largest value first, ties in index order: what a stable sort with the comparator
 * (a, b) => values[b] - values[a] gives (a linear insertion sort is exactly that when no value is NaN;
 * with a NaN the comparator is inconsistent and the built-in sort decides, as before).
 */
function descendingOrder(values: readonly number[]): number[] {
  const n = values.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return values.map((_, k) => k).sort((a, b) => values[b]! - values[a]!);
    let j = i;
    while (j > 0 && values[order[j - 1]!]! < v) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  return order;
}

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi); vectors[i][k] is component i of eigenvector k. */
export function jacobiEigen(a0: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const n = a0.length;
  // Row-major flat copies (a[i][j] at i * n + j): the same rotations in the same order as on nested arrays.
  const a = new Float64Array(n * n);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = a0[i]![j]!;
    v[i * n + i] = 1;
  }
  jacobiSweeps(a, v, n);
  const values: number[] = [];
  const vectors: number[][] = [];
  for (let i = 0; i < n; i++) {
    values.push(a[i * n + i]!);
    const row: number[] = [];
    for (let j = 0; j < n; j++) row.push(v[i * n + j]!);
    vectors.push(row);
  }
  return { values, vectors };
}

function jacobiSweeps(a: Float64Array, v: Float64Array, n: number): void {
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
}
