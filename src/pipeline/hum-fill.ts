import { markPulses, type BlankWindowSamples } from './blanking';
import { extendBlankingOverSaturation } from './saturation';
import type { SampleRing } from './ring';
import type { StimulationEvent } from '../domain';

/** The fit takes about this many samples per second (ample for harmonics up to 300 Hz, and a quarter of the work at 10 kHz). */
const FIT_RATE_HZ = 2500;

/**
 * Blanking fill that keeps the mains hum (used while the notch is on).
 *
 * The straight line across a blanking window cuts a piece out of whatever else is on the channel. Of
 * the EMG that piece is noise-like and small; of a strong mains hum it is not: a line across 2.2 ms of
 * a 150 Hz harmonic of 180 uV misses it by up to about 100 uV. The notch then removes the hum but not
 * the hole cut into it, which is broadband, recurs at every pulse, and differs from pulse to pulse
 * with the hum's phase: after the band-pass it is a few uV of envelope during the whole train, on
 * exactly the channels with the most hum, and it is neither the pulse-locked mean the grader removes
 * nor anything the baseline holds. On a quiet recording with strong hum it reads as a sustained
 * response on muscles that are silent.
 *
 * So the window is filled with the hum as it was just before it: a least-squares fit of the mains
 * fundamental and its harmonics (the notched ones) plus a constant and a slope to the raw samples of
 * the `periods` mains periods before the window (other blanking windows in there left out, with their
 * extension over a saturated amplifier as the pipeline makes it; every few samples, see FIT_RATE_HZ), evaluated
 * across the window, plus the straight line that joins it to the samples either side (so the filters
 * still see no step). Only past samples are used (from the ring, by sample index), so the fill does not
 * depend on how the stream was chunked. A window too close to the stream's start (or whose fit samples
 * the ring no longer holds, or that are too few) keeps the plain line.
 */
export class HumFill {
  private readonly lookback: number;
  private readonly params: number;
  /** Basis values per offset from the window start: row r for offset r - lookback (-lookback .. maxLen), P values each. */
  private basis: Float64Array;
  private basisRows = 0;
  private readonly omega: number[];
  private fitRaw: Float32Array = new Float32Array(0);
  private fitMask: Uint8Array = new Uint8Array(0);
  private readonly gram: Float64Array;
  private readonly rhs: Float64Array;
  private readonly coef: Float64Array;
  /** Every stride-th sample of the lookback enters the fit. */
  private readonly stride: number;
  /** Windows filled with the hum / left with the plain line. */
  filled = 0;
  plain = 0;

  constructor(
    private readonly sampleRateHz: number,
    private readonly channelCount: number,
    mainsHz: number,
    harmonics: number,
    /** The pipeline's blanking extension over a saturated amplifier (saturation.ts), applied to the fit samples too. */
    private readonly saturationMaxSamples: number,
    private readonly saturationMinUv: number,
    periods = 2,
  ) {
    this.lookback = Math.max(8, Math.round((periods * sampleRateHz) / mainsHz));
    this.stride = Math.max(1, Math.floor(sampleRateHz / FIT_RATE_HZ));
    const omega: number[] = [];
    for (let h = 1; h <= harmonics + 1; h++) {
      const f = mainsHz * h;
      if (f >= 0.45 * sampleRateHz) break;
      omega.push((2 * Math.PI * f) / sampleRateHz);
    }
    this.omega = omega;
    this.params = 2 + 2 * omega.length;
    this.gram = new Float64Array(this.params * this.params);
    this.rhs = new Float64Array(this.params);
    this.coef = new Float64Array(this.params);
    this.basis = new Float64Array(0);
    this.ensureBasis(64);
  }

  /** Basis rows for offsets -lookback .. maxLen (inclusive) from a window's first sample. */
  private ensureBasis(maxLen: number): void {
    const rows = this.lookback + maxLen + 1;
    if (rows <= this.basisRows) return;
    const P = this.params;
    const b = new Float64Array(rows * P);
    for (let r = 0; r < rows; r++) {
      const t = r - this.lookback;
      const o = r * P;
      b[o] = 1;
      b[o + 1] = t / this.lookback;
      for (let k = 0; k < this.omega.length; k++) {
        b[o + 2 + 2 * k] = Math.sin(this.omega[k]! * t);
        b[o + 3 + 2 * k] = Math.cos(this.omega[k]! * t);
      }
    }
    this.basis = b;
    this.basisRows = rows;
  }

  /**
   * Refills, on every channel of the planar chunk `work` (`frames` per channel, first sample `lo`), each
   * run of masked samples that has a neighbour on both sides inside the chunk. `interpolateMasked` has
   * filled them with the line already; a run this cannot fit keeps it.
   */
  apply(work: Float32Array, frames: number, lo: number, mask: Uint8Array, ring: SampleRing, events: readonly StimulationEvent[], w: BlankWindowSamples): void {
    let i = 0;
    while (i < frames) {
      if (mask[i] === 0) {
        i++;
        continue;
      }
      const a = i;
      while (i < frames && mask[i] !== 0) i++;
      const b = i;
      if (a === 0 || b === frames) continue;
      if (this.fillRun(work, frames, a, b, lo, ring, events, w)) this.filled++;
      else this.plain++;
    }
  }

  private fillRun(work: Float32Array, frames: number, a: number, b: number, lo: number, ring: SampleRing, events: readonly StimulationEvent[], w: BlankWindowSamples): boolean {
    const L = this.lookback;
    const P = this.params;
    const sA = lo + a;
    // the fit samples [sA - L, sA), read with a lead long enough that a blanking window reaching into
    // them starts inside what is read (its extension over a saturated amplifier is measured from there)
    const E = w.before + w.after + 1;
    const N = L + E;
    const from = sA - N;
    if (from < 0 || from < ring.oldestSample) return false;
    const ch = this.channelCount;
    if (this.fitRaw.length < N * ch) this.fitRaw = new Float32Array(N * ch);
    if (this.fitMask.length < N) this.fitMask = new Uint8Array(N);
    const x = this.fitRaw;
    const m = this.fitMask;
    if (ring.read(x, N, 0, from, N) > 0) return false;
    m.fill(0, 0, N);
    if (markPulses(m, from, N, events, this.sampleRateHz, w) > 0 && this.saturationMaxSamples > 0) {
      extendBlankingOverSaturation(x, ch, N, m, this.saturationMaxSamples, this.saturationMinUv, true);
    }
    const len = b - a;
    this.ensureBasis(len);
    const B = this.basis;
    const row0 = L; // row of offset 0
    // Gram matrix over the unmasked fit samples (shared by every channel)
    const G = this.gram;
    G.fill(0);
    let used = 0;
    const k = this.stride;
    for (let t = L - 1; t >= 0; t -= k) {
      if (m[E + t] !== 0) continue;
      used++;
      const o = t * P; // row of offset t - L
      for (let p = 0; p < P; p++) {
        const bp = B[o + p]!;
        for (let q = 0; q <= p; q++) G[p * P + q]! += bp * B[o + q]!;
      }
    }
    if (used < Math.max(2 * P, L / k / 3)) return false;
    if (!cholesky(G, P)) return false;
    const c = this.coef;
    const r = this.rhs;
    for (let ci = 0; ci < ch; ci++) {
      const base = ci * N + E;
      r.fill(0);
      for (let t = L - 1; t >= 0; t -= k) {
        if (m[E + t] !== 0) continue;
        const v = x[base + t]!;
        const o = t * P;
        for (let p = 0; p < P; p++) r[p]! += B[o + p]! * v;
      }
      choleskySolve(G, P, r, c);
      const wb = ci * frames;
      const dl = work[wb + a - 1]! - modelAt(B, c, P, row0 - 1);
      const dr = work[wb + b]! - modelAt(B, c, P, row0 + len);
      const step = (dr - dl) / (len + 1);
      for (let j = 0; j < len; j++) work[wb + a + j] = modelAt(B, c, P, row0 + j) + dl + step * (j + 1);
    }
    return true;
  }
}

function modelAt(B: Float64Array, c: Float64Array, P: number, row: number): number {
  const o = row * P;
  let s = 0;
  for (let p = 0; p < P; p++) s += c[p]! * B[o + p]!;
  return s;
}

/** In-place lower Cholesky factor of the symmetric positive definite P x P matrix (lower triangle given); false if not positive definite. */
function cholesky(G: Float64Array, P: number): boolean {
  let maxDiag = 0;
  for (let i = 0; i < P; i++) maxDiag = Math.max(maxDiag, G[i * P + i]!);
  const ridge = maxDiag * 1e-10;
  for (let j = 0; j < P; j++) {
    let d = G[j * P + j]! + ridge;
    for (let k = 0; k < j; k++) d -= G[j * P + k]! * G[j * P + k]!;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    G[j * P + j] = l;
    for (let i = j + 1; i < P; i++) {
      let s = G[i * P + j]!;
      for (let k = 0; k < j; k++) s -= G[i * P + k]! * G[j * P + k]!;
      G[i * P + j] = s / l;
    }
  }
  return true;
}

function choleskySolve(L: Float64Array, P: number, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < P; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * P + k]! * out[k]!;
    out[i] = s / L[i * P + i]!;
  }
  for (let i = P - 1; i >= 0; i--) {
    let s = out[i]!;
    for (let k = i + 1; k < P; k++) s -= L[k * P + i]! * out[k]!;
    out[i] = s / L[i * P + i]!;
  }
}
