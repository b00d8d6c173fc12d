import { describe, expect, it } from 'vitest';
import { jacobiEigen, removeLockedArtifacts } from '../../../src/grading/artifact';
import { checkRawRange, median } from '../../../src/grading/features';
import { GradingScratch } from '../../../src/grading/scratch';
import { rng } from '../../corpus/synth';

/*
 * The grader's hot paths (run lists instead of per-sample mask tests, fused passes, reused buffers) are
 * pinned against straightforward implementations of the same definitions, written as the grader had
 * them before: results must be equal to the last bit, since grades must not move.
 */

// ---- straightforward references ----

function naiveJacobi(a0: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
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
          const akp = a[k]![p]!, akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!, aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!, vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((r, i) => r[i]!), vectors: v };
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Pulse-locked artifact removal, per-sample mask tests and a fresh array for everything. */
function naiveRemoveLocked(x: Float32Array, offsets: readonly number[], pulses: readonly number[], trainEnd: number, mask: Uint8Array, fs: number, guardMs: number) {
  const cleaned = x.slice();
  const np = pulses.length;
  const ends = pulses.map((p, k) => Math.min(k + 1 < np ? pulses[k + 1]! : trainEnd, trainEnd));
  let L = 0;
  for (let k = 0; k < np; k++) L = Math.max(L, ends[k]! - pulses[k]!);
  const k0 = np >= 8 ? 3 : np >= 5 ? 1 : 0;
  const cnt = new Float64Array(L);
  for (let k = k0; k < np; k++) for (let j = 0; j < ends[k]! - pulses[k]!; j++) if (mask[pulses[k]! + j] !== 1) cnt[j]! += 1;
  const keep: number[] = [];
  for (let j = 0; j < L; j++) if (cnt[j]! >= Math.max(1, (np - k0) / 2)) keep.push(j);
  const m = keep.length;
  const j0 = keep[0]!;
  const meanOver = (off: number, use: (k: number) => boolean): Float64Array => {
    const sum = new Float64Array(L);
    const c = new Float64Array(L);
    for (let k = k0; k < np; k++) {
      if (!use(k)) continue;
      for (let j = j0; j < ends[k]! - pulses[k]!; j++) {
        if (mask[pulses[k]! + j] === 1) continue;
        sum[j]! += x[off + pulses[k]! + j]!;
        c[j]! += 1;
      }
    }
    return Float64Array.from(keep, (j) => (c[j]! > 0 ? sum[j]! / c[j]! : 0));
  };
  const avg = offsets.map((off) => {
    const first = meanOver(off, () => true);
    const full = new Float64Array(L);
    keep.forEach((j, q) => (full[j] = first[q]!));
    const energy = new Float64Array(np);
    for (let k = k0; k < np; k++) {
      let e = 0;
      for (let j = j0; j < ends[k]! - pulses[k]!; j++) {
        if (mask[pulses[k]! + j] === 1) continue;
        const d = x[off + pulses[k]! + j]! - full[j]!;
        e += d * d;
      }
      energy[k] = e / Math.max(1, ends[k]! - pulses[k]! - j0);
    }
    const sorted = Float64Array.from(energy.subarray(k0)).sort();
    const h = sorted.length >> 1;
    const typical = 2 * (sorted.length % 2 ? sorted[h]! : 0.5 * (sorted[h - 1]! + sorted[h]!));
    return meanOver(off, (k) => energy[k]! <= typical);
  });
  const raw = [new Float64Array(m).fill(1), Float64Array.from(keep, (j) => (j - j0) / L)];
  for (const tau of [0.5, 1.5, 4]) raw.push(Float64Array.from(keep, (j) => Math.exp(-(j - j0) / ((tau * fs) / 1000))));
  const basis: Float64Array[] = [];
  for (const v of raw) {
    const u = Float64Array.from(v);
    for (const b of basis) {
      const d = dot(u, b);
      for (let q = 0; q < m; q++) u[q]! -= d * b[q]!;
    }
    const nrm = Math.sqrt(dot(u, u));
    if (nrm > 1e-9 * Math.sqrt(m)) basis.push(u.map((w) => w / nrm));
  }
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
    return nrm > 0 ? r.map((v) => v / nrm) : r;
  });
  const { values, vectors } = naiveJacobi(unit.map((a) => unit.map((b) => dot(a, b))));
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const common: Float64Array[] = [];
  for (const i of order) {
    if (common.length >= 4 || values[i]! < 3) break;
    const u = new Float64Array(m);
    unit.forEach((un, c) => {
      for (let q = 0; q < m; q++) u[q]! += vectors[c]![i]! * un[q]!;
    });
    const nrm = Math.sqrt(dot(u, u));
    if (nrm > 0) common.push(u.map((w) => w / nrm));
  }
  const removedRmsUv = offsets.map((off, c) => {
    const a = avg[c]!;
    const r = resid[c]!;
    let f = a.map((v, q) => v - r[q]!);
    const rest = Float64Array.from(r);
    for (const u of common) {
      const d = dot(r, u);
      for (let q = 0; q < m; q++) {
        f[q]! += d * u[q]!;
        rest[q]! -= d * u[q]!;
      }
    }
    // compactness: largest share of the rest's energy within w circular positions
    const from = j0 + Math.round((guardMs * fs) / 1000);
    const w = Math.min(Math.round((8 * fs) / 1000), Math.floor(0.35 * L));
    const e = new Float64Array(L);
    let total = 0;
    keep.forEach((j, q) => {
      if (j < from) return;
      e[j] = rest[q]! * rest[q]!;
      total += rest[q]! * rest[q]!;
    });
    let compact = 1;
    if (total > 0 && w < L) {
      let win = 0;
      for (let j = 0; j < w; j++) win += e[j]!;
      let best = win;
      for (let j = 0; j < L; j++) {
        win += e[(j + w) % L]! - e[j]!;
        if (win > best) best = win;
      }
      compact = best / total;
    }
    if (compact < 0.65) f = Float64Array.from(a);
    const fit = new Float64Array(L);
    let ss = 0;
    keep.forEach((j, q) => {
      fit[j] = f[q]!;
      ss += f[q]! * f[q]!;
    });
    for (let k = 0; k < np; k++) for (let j = j0; j < ends[k]! - pulses[k]!; j++) cleaned[off + pulses[k]! + j]! -= fit[j]!;
    return Math.sqrt(ss / m);
  });
  return { cleaned, removedRmsUv, commonShapes: common.length };
}

/** The raw check as four plain passes: level, mains-delay differences, rail extremes, rail count. */
function naiveRawCheck(raw: Float32Array, offset: number, from: number, to: number, mask: Uint8Array, fs: number, pre: number) {
  let sum = 0, ss0 = 0, count = 0;
  for (let i = from; i < to; i++) {
    if (mask[i] === 1 || !Number.isFinite(raw[offset + i]!)) continue;
    sum += raw[offset + i]!;
    ss0 += raw[offset + i]! ** 2;
    count++;
  }
  const dc = count > 0 ? sum / count : 0;
  const totalRmsUv = count > 0 ? Math.sqrt(Math.max(0, ss0 / count - dc * dc)) : 0;
  const residual = (hz: number): number => {
    const a = Math.floor(fs / hz), f = fs / hz - a;
    let d2 = 0, nd = 0;
    for (let i = from + Math.floor(fs / 50) + 1; i < to; i++) {
      if (mask[i] === 1 || mask[i - a] === 1 || mask[i - a - 1] === 1) continue;
      const d = raw[offset + i]! - ((1 - f) * raw[offset + i - a]! + f * raw[offset + i - a - 1]!);
      if (Number.isFinite(d)) { d2 += d * d; nd++; }
    }
    return nd > 0 ? Math.sqrt(d2 / nd / 2) : 0;
  };
  const r50 = residual(50), r60 = residual(60);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < pre; i++) {
    lo = raw[offset + i]! < lo ? raw[offset + i]! : lo;
    hi = raw[offset + i]! > hi ? raw[offset + i]! : hi;
  }
  let atRail = 0;
  if (hi > lo) for (let i = 0; i < pre; i++) if (raw[offset + i] === lo || raw[offset + i] === hi) atRail++;
  const res = Math.min(r50 <= r60 ? r50 : r60, totalRmsUv);
  return { totalRmsUv, residualRmsUv: res, mainsRmsUv: Math.sqrt(Math.max(0, totalRmsUv ** 2 - res ** 2)), mainsHz: r50 <= r60 ? 50 : 60, railFraction: pre > 0 ? atRail / pre : 0 };
}

// ---- a small synthetic train ----

/**
 * 5 channels at 5 kHz, 20 pulses at 50 Hz (100 samples apart) after 300 pre-stimulus samples, 1 ms
 * blanking after each pulse and a 7-sample gap; every channel carries the same exponential artifact tail
 * and 60 Hz-like ringing, channel 1 a response 15 ms after each pulse, channel 2 a burst on pulses 9 and
 * 10 only (atypical intervals, kept out of the robust mean), plus noise.
 */
function syntheticTrain(seed = 3) {
  const fs = 5000, pre = 300, period = 100, np = 20, post = 400;
  const n = pre + np * period + post;
  const C = 5;
  const pulses = Array.from({ length: np }, (_, k) => pre + k * period);
  const trainEnd = pre + np * period;
  const mask = new Uint8Array(n);
  for (const p of pulses) for (let j = 0; j < 5; j++) mask[p + j] = 1;
  for (let i = 1234; i < 1241; i++) mask[i] = 1;
  const r = rng(seed);
  const x = new Float32Array(C * n);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < n; i++) x[c * n + i] = (r() - 0.5) * 6;
    pulses.forEach((p, k) => {
      for (let j = 5; j < period; j++) {
        let v = 300 * Math.exp(-j / 4) + 20 * Math.sin((2 * Math.PI * 60 * j) / fs + c);
        if (c === 1 && j >= 75 && j < 90) v += 40 * Math.sin((2 * Math.PI * (j - 75)) / 15);
        if (c === 2 && (k === 9 || k === 10) && j >= 30 && j < 70) v += 250 * Math.sin((2 * Math.PI * j) / 10);
        x[c * n + p + j]! += v;
      }
    });
    for (let i = 0; i < n; i++) if (mask[i] === 1) x[c * n + i] = 0;
  }
  return { fs, n, C, x, pulses, trainEnd, mask, offsets: Array.from({ length: C }, (_, c) => c * n) };
}

describe('removeLockedArtifacts', () => {
  it('equals the per-sample reference to the last bit, with and without a reused scratch pool', () => {
    const t = syntheticTrain();
    const ref = naiveRemoveLocked(t.x, t.offsets, t.pulses, t.trainEnd, t.mask, t.fs, 1);
    const fresh = removeLockedArtifacts(t.x, t.offsets, t.pulses, t.trainEnd, t.mask, t.fs, 1);
    expect(Array.from(fresh.cleaned)).toEqual(Array.from(ref.cleaned));
    expect(fresh.removedRmsUv).toEqual(ref.removedRmsUv);
    expect(fresh.commonShapes).toBe(ref.commonShapes);
    // A pool used by an earlier, larger call gives the same result (stale contents never leak in).
    const pool = new GradingScratch();
    const big = syntheticTrain(9);
    removeLockedArtifacts(new Float32Array(big.x.length * 2).fill(1e6), [...big.offsets, big.x.length], big.pulses, big.trainEnd, big.mask, big.fs, 1, pool);
    const pooled = removeLockedArtifacts(t.x, t.offsets, t.pulses, t.trainEnd, t.mask, t.fs, 1, pool);
    expect(pooled.cleaned.length).toBe(t.x.length);
    expect(Array.from(pooled.cleaned)).toEqual(Array.from(ref.cleaned));
    expect(pooled.removedRmsUv).toEqual(ref.removedRmsUv);
  });

  it('removes the shared artifact tail, keeps the locked response and the two-pulse burst', () => {
    const t = syntheticTrain();
    const out = removeLockedArtifacts(t.x, t.offsets, t.pulses, t.trainEnd, t.mask, t.fs, 1);
    const rmsOver = (a: Float32Array, c: number, from: number, to: number): number => {
      let s = 0, k = 0;
      for (const p of t.pulses.slice(3)) for (let j = from; j < to; j++) { s += a[c * t.n + p + j]! ** 2; k++; }
      return Math.sqrt(s / k);
    };
    // Tail (300 uV at the end of blanking, 37 uV RMS over 5 ms) and ringing (20 uV) gone on an artifact-only channel: noise is about 1.7 uV RMS.
    expect(rmsOver(t.x, 0, 5, 30)).toBeGreaterThan(30);
    expect(rmsOver(out.cleaned, 0, 5, 30)).toBeLessThan(3);
    // Most of the compound response of channel 1 (40 uV, 28 uV RMS) stays: it is response-like.
    expect(rmsOver(out.cleaned, 1, 75, 90)).toBeGreaterThan(20);
    // The burst on pulses 9-10 of channel 2 is not averaged into its fit, so it survives.
    let burst = 0;
    for (let j = 30; j < 70; j++) burst = Math.max(burst, Math.abs(out.cleaned[2 * t.n + t.pulses[9]! + j]!));
    expect(burst).toBeGreaterThan(200);
    // Outside the train nothing changes.
    expect(Array.from(out.cleaned.subarray(0, t.pulses[0]!))).toEqual(Array.from(t.x.subarray(0, t.pulses[0]!)));
    expect(out.removedRmsUv[0]).toBeGreaterThan(20);
    // The ringing, shared by every channel, is found as one common shape.
    expect(out.commonShapes).toBe(1);
  });
});

describe('jacobiEigen', () => {
  it('equals the nested-array reference exactly on a random symmetric matrix', () => {
    const r = rng(11);
    const n = 9;
    const a: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i]![j] = a[j]![i] = r() - 0.5 + (i === j ? 2 : 0);
    const got = jacobiEigen(a);
    expect(got).toEqual(naiveJacobi(a));
    // A is V diag(values) V^T.
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += got.vectors[i]![k]! * got.values[k]! * got.vectors[0]![k]!;
      expect(s).toBeCloseTo(a[i]![0]!, 8);
    }
  });
});

describe('checkRawRange', () => {
  it('equals the four-pass reference, with masked samples, rails and non-finite values', () => {
    const r = rng(5);
    const fs = 5000, n = 1500, pre = 600;
    const raw = new Float32Array(2 * n);
    for (let i = 0; i < raw.length; i++) raw[i] = 30 * Math.sin((2 * Math.PI * 50.2 * i) / fs) + (r() - 0.5) * 8;
    for (let i = 100; i < 160; i++) raw[i] = 500; // pinned at a rail
    for (let i = 200; i < 230; i++) raw[i] = -500;
    raw[n + 700] = Number.NaN;
    raw[n + 900] = Number.POSITIVE_INFINITY;
    const mask = new Uint8Array(n);
    for (let i = 400; i < 420; i++) mask[i] = 1;
    mask[1111] = 1;
    for (const [off, from, to] of [[0, 0, pre], [0, 0, n], [n, 0, n], [n, 300, 1200], [0, 0, 50], [n, 0, 390], [0, 1150, n], [n, 450, 1100]] as const) {
      expect(checkRawRange(raw, off, from, to, mask, fs, pre)).toEqual(naiveRawCheck(raw, off, from, to, mask, fs, pre));
    }
    expect(checkRawRange(raw, 0, 0, pre, mask, fs, pre).railFraction).toBeCloseTo(90 / 600, 12);
  });
});

describe('median', () => {
  it('equals the sorted-copy median, including ties, signed zeros, infinities and NaN', () => {
    const sortMedian = (v: number[]): number => {
      const s = [...v].sort((a, b) => a - b);
      const m = s.length >> 1;
      return s.length ? (s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2) : Number.NaN;
    };
    const r = rng(2);
    const cases: number[][] = [[], [3], [2, 1], [-0, 0], [0, -0, 1], [Infinity, -Infinity, 1, 1], [5, Number.NaN, 1, 2]];
    for (let k = 0; k < 40; k++) cases.push(Array.from({ length: 1 + Math.floor(r() * 80) }, () => Math.round(r() * 20) / 4 - 2));
    for (const v of cases) expect(Object.is(median(v), sortMedian(v)) || (Number.isNaN(median(v)) && Number.isNaN(sortMedian(v)))).toBe(true);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
