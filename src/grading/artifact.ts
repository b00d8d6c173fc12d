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
 * The fit is subtracted from every inter-pulse interval of the train. Cost: a few passes over the
 * train's samples per channel.
 */

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
  /** A copy of the filtered signal with the artifact-like pulse-locked part removed over the train (the epoch's layout). */
  readonly cleaned: Float32Array;
  /** Per channel offset given: RMS of the removed waveform, uV. */
  readonly removedRmsUv: readonly number[];
  /** Shared shapes removed. */
  readonly commonShapes: number;
}

/**
 * @param x the epoch's filtered signal (planar, channel c at `offsets[c]`)
 * @param offsets channel offsets into x to clean (other channels are copied unchanged)
 * @param pulses epoch-relative pulse sample indices (increasing)
 * @param trainEnd epoch-relative end of the train (exclusive)
 * @param mask samples to ignore (blanking, gaps)
 * @param guardMs the part after each blanking window the grader leaves out anyway (not judged for compactness)
 */
export function removeLockedArtifacts(
  x: Float32Array,
  offsets: readonly number[],
  pulses: readonly number[],
  trainEnd: number,
  mask: Uint8Array,
  sampleRateHz: number,
  guardMs = 0,
): LockedArtifactResult {
  const cleaned = x.slice();
  const none: LockedArtifactResult = { cleaned, removedRmsUv: offsets.map(() => 0), commonShapes: 0 };
  const np = pulses.length;
  if (np < 3) return none;
  const ends: number[] = pulses.map((p, k) => Math.min(k + 1 < np ? pulses[k + 1]! : trainEnd, trainEnd));
  let L = 0;
  for (let k = 0; k < np; k++) L = Math.max(L, ends[k]! - pulses[k]!);
  if (L < 8) return none;
  // The filters' response builds up over the first pulses: average from the steady part of the train.
  const k0 = np >= 8 ? 3 : np >= 5 ? 1 : 0;
  const cnt = new Float64Array(L);
  for (let k = k0; k < np; k++) for (let j = 0; j < ends[k]! - pulses[k]!; j++) if (mask[pulses[k]! + j] !== 1) cnt[j]! += 1;
  // Positions judged: seen in at least half the averaged intervals.
  const used = np - k0;
  const keep: number[] = [];
  for (let j = 0; j < L; j++) if (cnt[j]! >= Math.max(1, used / 2)) keep.push(j);
  const m = keep.length;
  if (m < 8) return none;
  const j0 = keep[0]!;

  // Pulse-locked robust means, one row per channel, over kept positions: the mean over the pulses whose
  // interval is typical (residual energy at most twice the median interval's), so a discharge on a few
  // pulses only (an onset-only response, a burst) stays out of it and the fit never imprints it onto the
  // other pulses. (A per-position median would do the same at many times the cost.)
  const C = offsets.length;
  const sum = new Float64Array(L);
  const energy = new Float64Array(np);
  const avg: Float64Array[] = offsets.map((off) => {
    const meanOver = (use: (k: number) => boolean): Float64Array => {
      sum.fill(0);
      const c = new Float64Array(L);
      for (let k = k0; k < np; k++) {
        if (!use(k)) continue;
        const p = pulses[k]!;
        const len = ends[k]! - p;
        for (let j = j0; j < len; j++) {
          if (mask[p + j] === 1) continue;
          sum[j]! += x[off + p + j]!;
          c[j]! += 1;
        }
      }
      const a = new Float64Array(m);
      for (let q = 0; q < m; q++) {
        const j = keep[q]!;
        a[q] = c[j]! > 0 ? sum[j]! / c[j]! : 0;
      }
      return a;
    };
    const first = meanOver(() => true);
    const full = new Float64Array(L);
    for (let q = 0; q < m; q++) full[keep[q]!] = first[q]!;
    for (let k = k0; k < np; k++) {
      const p = pulses[k]!;
      const len = ends[k]! - p;
      let e = 0;
      for (let j = j0; j < len; j++) {
        if (mask[p + j] === 1) continue;
        const d = x[off + p + j]! - full[j]!;
        e += d * d;
      }
      energy[k] = e / Math.max(1, len - j0);
    }
    const typical = 2 * medianOf(Float64Array.from(energy.subarray(k0)), np - k0);
    return meanOver((k) => energy[k]! <= typical);
  });

  // Orthonormal smooth basis over kept positions: constant, ramp, tail decays from the end of blanking.
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
  // Residual of each average beyond the smooth shapes; unit-normalised copies find the shared shapes.
  const resid = avg.map((a) => {
    const r = Float64Array.from(a);
    for (const b of basis) {
      const d = dot(r, b);
      for (let q = 0; q < m; q++) r[q]! -= d * b[q]!;
    }
    return r;
  });
  const unit = resid.map((r) => {
    const nrm = Math.sqrt(dot(r, r));
    return nrm > 0 ? Float64Array.from(r, (v) => v / nrm) : r;
  });
  const gram: number[][] = unit.map((a) => unit.map((b) => dot(a, b)));
  const { values, vectors } = jacobiEigen(gram);
  const order = values.map((v, i) => i).sort((a, b) => values[b]! - values[a]!);
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
  const fit = new Float64Array(L);
  for (let c = 0; c < C; c++) {
    const a = avg[c]!;
    const r = resid[c]!;
    const f = new Float64Array(m);
    for (let q = 0; q < m; q++) f[q] = a[q]! - r[q]!; // the smooth part
    const rest = Float64Array.from(r);
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
    if (compactness(rest, keep, j0 + Math.round((guardMs * sampleRateHz) / 1000), L, Math.min(Math.round((COMPACT_WINDOW_MS * sampleRateHz) / 1000), Math.floor(0.35 * L))) < COMPACT_MIN_FRACTION) {
      for (let q = 0; q < m; q++) f[q] = a[q]!;
    }
    fit.fill(0);
    let ss = 0;
    for (let q = 0; q < m; q++) {
      fit[keep[q]!] = f[q]!;
      ss += f[q]! * f[q]!;
    }
    removedRmsUv.push(Math.sqrt(ss / m));
    const off = offsets[c]!;
    for (let k = 0; k < np; k++) {
      const p = pulses[k]!;
      const len = ends[k]! - p;
      for (let j = j0; j < len; j++) cleaned[off + p + j]! -= fit[j]!;
    }
  }
  return { cleaned, removedRmsUv, commonShapes: common.length };
}

/** Largest fraction of the waveform's energy within `w` consecutive positions of the interval (circular: a late response wraps into the next interval). */
function compactness(r: Float64Array, keep: readonly number[], from: number, L: number, w: number): number {
  const e = new Float64Array(L);
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

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi); vectors[i][k] is component i of eigenvector k. */
export function jacobiEigen(a0: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const n = a0.length;
  const a = a0.map((r) => [...r]);
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i]![j]! ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((r, i) => r[i]!), vectors: v };
}
