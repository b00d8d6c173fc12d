import { designButterworth, designNotch, cascade, settlingSamples, MAX_BUTTERWORTH_ORDER, MIN_BUTTERWORTH_ORDER, type Sos } from './iir-design';
import {
  notConfigured,
  PipelineConfigError,
  requireChannelCount,
  requireInteger,
  requireNumber,
  requireSampleRateHz,
  type Stage,
  type StageShape,
} from './stage';

/** A cascade of second-order sections applied to every channel, designed elsewhere. */
export interface SosFilterSpec {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly sos: Sos;
}

/**
 * Multichannel IIR filter as a cascade of second-order sections in transposed direct form II (the
 * structure of scipy.signal.sosfilt), float64 state and arithmetic, float32 in and out. State is
 * kept per channel and section across `process` calls, so chunked and batch processing agree exactly.
 */
export class SosFilter implements Stage<SosFilterSpec> {
  readonly name: string = 'sos-filter';
  readonly delaySamples = 0;
  private shape: StageShape | null = null;
  private sos: Float64Array = new Float64Array(0);
  private sections = 0;
  /** [channel][section][z1, z2] */
  private state: Float64Array = new Float64Array(0);
  private scratch: Float64Array = new Float64Array(0);

  configure(spec: SosFilterSpec): StageShape {
    const sampleRateHz = requireSampleRateHz(spec.sampleRateHz, this.name);
    const channelCount = requireChannelCount(spec.channelCount, this.name);
    if (!(spec.sos instanceof Float64Array) || spec.sos.length % 6 !== 0) {
      throw new PipelineConfigError(`${this.name}: sos must be a Float64Array of 6 coefficients per section`);
    }
    for (let o = 0; o < spec.sos.length; o += 6) {
      if (spec.sos[o + 3] !== 1) throw new PipelineConfigError(`${this.name}: section ${o / 6} must have a0 = 1`);
      for (let i = 0; i < 6; i++) {
        if (!Number.isFinite(spec.sos[o + i])) throw new PipelineConfigError(`${this.name}: non-finite coefficient in section ${o / 6}`);
      }
    }
    this.sos = Float64Array.from(spec.sos);
    this.sections = spec.sos.length / 6;
    this.state = new Float64Array(channelCount * this.sections * 2);
    this.shape = { channelCount, sampleRateHz, unit: 'uV' };
    return this.shape;
  }

  get outputShape(): StageShape {
    return this.shape ?? notConfigured(this.name);
  }

  get coefficients(): Sos {
    return this.sos;
  }

  /** Samples for the slowest pole's transient to fall to `tolerance`. */
  settlingSamples(tolerance: number): number {
    return settlingSamples(this.sos, tolerance);
  }

  /**
   * Sets every channel's state to the steady state for a constant input equal to that channel's first
   * sample in `input` (scipy's sosfilt_zi scaled by x[0]), so a DC offset does not start a transient.
   * Channel c's first sample is at `c * inStride + inOffset` (planar: `c * frames`).
   */
  primeFrom(input: Float32Array, frames: number, inStride = frames, inOffset = 0): void {
    const shape = this.outputShape;
    for (let c = 0; c < shape.channelCount; c++) {
      let u = input[c * inStride + inOffset] ?? 0;
      for (let s = 0; s < this.sections; s++) {
        const o = 6 * s;
        const b0 = this.sos[o]!;
        const b1 = this.sos[o + 1]!;
        const b2 = this.sos[o + 2]!;
        const a1 = this.sos[o + 4]!;
        const a2 = this.sos[o + 5]!;
        const y = (u * (b0 + b1 + b2)) / (1 + a1 + a2);
        const z = (c * this.sections + s) * 2;
        this.state[z] = y - b0 * u;
        this.state[z + 1] = b2 * u - a2 * y;
        u = y;
      }
    }
  }

  /**
   * Filters `frames` samples per channel, planar: channel c at `c * frames` in both arrays, or, with
   * strides and offsets, at `c * inStride + inOffset` in `input` and `c * outStride + outOffset` in
   * `output` (so a caller can filter from a work buffer straight into an epoch's arrays, with no copy).
   * `output` may be `input` with the same layout. One section's recursion is a chain of dependent
   * multiply-adds, so several independent chains run in one loop to keep the CPU busy: the default
   * 3-section band-pass runs its three sections over two channels at a time in one pass
   * (`sections3x2`, six chains, the intermediate never leaves registers); other cascades run four
   * channels at a time through each section (about 3x faster than one channel at a time). About 7.5 ns
   * per sample for the default band-pass on a quiet 2-core test machine (bench/pipeline.bench.ts); the
   * one-pass kernel is about 15 % faster than section by section. No WebAssembly: f64x2 SIMD would
   * halve the arithmetic, but needs a wasm toolchain the project does not carry. Every sample sees
   * exactly the same float64 operations in the same order as the plain one-channel loop, so results are
   * identical to it whatever the layout.
   */
  process(input: Float32Array, output: Float32Array, frames: number, inStride = frames, inOffset = 0, outStride = frames, outOffset = 0): void {
    const channelCount = this.outputShape.channelCount;
    const sections = this.sections;
    if (sections === 0) {
      if (output === input && inStride === outStride && inOffset === outOffset) return;
      for (let c = 0; c < channelCount; c++) {
        const from = c * inStride + inOffset;
        output.set(input.subarray(from, from + frames), c * outStride + outOffset);
      }
      return;
    }
    let c = 0;
    if (sections === 3) {
      // The default band-pass (high-pass order 2 + low-pass order 4): all three sections in one pass.
      for (; c + 2 <= channelCount; c += 2) this.sections3x2(input, c * inStride + inOffset, inStride, output, c * outStride + outOffset, outStride, frames, c);
      if (c === channelCount) return;
    }
    const need = Math.min(4, channelCount) * frames;
    if (this.scratch.length < need) this.scratch = new Float64Array(Math.max(need, 2 * this.scratch.length));
    const x = this.scratch;
    const last = sections - 1;
    // The first section reads the float32 input, the last writes the float32 output; float64 between.
    for (; c + 4 <= channelCount; c += 4) {
      this.section4In(input, c * inStride + inOffset, inStride, x, frames, c, 0);
      if (sections === 1) {
        for (let k = 0; k < 4; k++) {
          const dst = (c + k) * outStride + outOffset;
          for (let i = 0; i < frames; i++) output[dst + i] = x[k * frames + i]!;
        }
        continue;
      }
      for (let s = 1; s < last; s++) this.section4(x, frames, c, s);
      this.section4Out(x, output, c * outStride + outOffset, outStride, frames, c, last);
    }
    for (; c < channelCount; c++) {
      for (let i = 0, src = c * inStride + inOffset; i < frames; i++) x[i] = input[src + i]!;
      for (let s = 0; s < sections; s++) this.section1(x, frames, c, s);
      for (let i = 0, dst = c * outStride + outOffset; i < frames; i++) output[dst + i] = x[i]!;
    }
  }

  /**
   * All three sections of a 3-section cascade over channels c and c + 1 in one loop, from the float32
   * `src` (channel c + k at `inAt + k * inStride`) to the float32 `dst` (at `outAt + k * outStride`): the
   * float64 intermediate stays in registers instead of a scratch array between section passes (about
   * 15 % faster than section4In / section4 / section4Out, bench/pipeline.bench.ts). Each sample sees the
   * same float64 operations in the same order as the one-section-at-a-time loops, so the output is
   * identical to theirs (test/unit/pipeline/strided.test.ts). Reads sample i of both channels before
   * writing it, so `dst` may be `src` with the same layout.
   */
  private sections3x2(src: Float32Array, inAt: number, inStride: number, dst: Float32Array, outAt: number, outStride: number, frames: number, c: number): void {
    const sos = this.sos;
    const b00 = sos[0]!, b01 = sos[1]!, b02 = sos[2]!, a01 = sos[4]!, a02 = sos[5]!;
    const b10 = sos[6]!, b11 = sos[7]!, b12 = sos[8]!, a11 = sos[10]!, a12 = sos[11]!;
    const b20 = sos[12]!, b21 = sos[13]!, b22 = sos[14]!, a21 = sos[16]!, a22 = sos[17]!;
    const state = this.state;
    const z = c * 6; // [channel][section][z1, z2], 3 sections
    let p01 = state[z]!, p02 = state[z + 1]!, p11 = state[z + 2]!, p12 = state[z + 3]!, p21 = state[z + 4]!, p22 = state[z + 5]!;
    let q01 = state[z + 6]!, q02 = state[z + 7]!, q11 = state[z + 8]!, q12 = state[z + 9]!, q21 = state[z + 10]!, q22 = state[z + 11]!;
    const ip = inAt, iq = inAt + inStride;
    const op = outAt, oq = outAt + outStride;
    for (let i = 0; i < frames; i++) {
      const xp = src[ip + i]!;
      const xq = src[iq + i]!;
      const yp0 = b00 * xp + p01;
      const yq0 = b00 * xq + q01;
      p01 = b01 * xp - a01 * yp0 + p02;
      q01 = b01 * xq - a01 * yq0 + q02;
      p02 = b02 * xp - a02 * yp0;
      q02 = b02 * xq - a02 * yq0;
      const yp1 = b10 * yp0 + p11;
      const yq1 = b10 * yq0 + q11;
      p11 = b11 * yp0 - a11 * yp1 + p12;
      q11 = b11 * yq0 - a11 * yq1 + q12;
      p12 = b12 * yp0 - a12 * yp1;
      q12 = b12 * yq0 - a12 * yq1;
      const yp2 = b20 * yp1 + p21;
      const yq2 = b20 * yq1 + q21;
      p21 = b21 * yp1 - a21 * yp2 + p22;
      q21 = b21 * yq1 - a21 * yq2 + q22;
      p22 = b22 * yp1 - a22 * yp2;
      q22 = b22 * yq1 - a22 * yq2;
      dst[op + i] = yp2;
      dst[oq + i] = yq2;
    }
    state[z] = p01;
    state[z + 1] = p02;
    state[z + 2] = p11;
    state[z + 3] = p12;
    state[z + 4] = p21;
    state[z + 5] = p22;
    state[z + 6] = q01;
    state[z + 7] = q02;
    state[z + 8] = q11;
    state[z + 9] = q12;
    state[z + 10] = q21;
    state[z + 11] = q22;
  }

  /** Section `s` over channels c..c+3, held planar in `x` (channel c + k at `k * frames`), in place. */
  private section4(x: Float64Array, frames: number, c: number, s: number): void {
    const sos = this.sos;
    const o = 6 * s;
    const b0 = sos[o]!;
    const b1 = sos[o + 1]!;
    const b2 = sos[o + 2]!;
    const a1 = sos[o + 4]!;
    const a2 = sos[o + 5]!;
    const state = this.state;
    const stride = this.sections * 2;
    const z0 = c * stride + 2 * s;
    let p1 = state[z0]!, p2 = state[z0 + 1]!;
    let q1 = state[z0 + stride]!, q2 = state[z0 + stride + 1]!;
    let r1 = state[z0 + 2 * stride]!, r2 = state[z0 + 2 * stride + 1]!;
    let t1 = state[z0 + 3 * stride]!, t2 = state[z0 + 3 * stride + 1]!;
    const f1 = frames, f2 = 2 * frames, f3 = 3 * frames;
    for (let i = 0; i < frames; i++) {
      const xp = x[i]!;
      const xq = x[f1 + i]!;
      const xr = x[f2 + i]!;
      const xt = x[f3 + i]!;
      const yp = b0 * xp + p1;
      const yq = b0 * xq + q1;
      const yr = b0 * xr + r1;
      const yt = b0 * xt + t1;
      p1 = b1 * xp - a1 * yp + p2;
      q1 = b1 * xq - a1 * yq + q2;
      r1 = b1 * xr - a1 * yr + r2;
      t1 = b1 * xt - a1 * yt + t2;
      p2 = b2 * xp - a2 * yp;
      q2 = b2 * xq - a2 * yq;
      r2 = b2 * xr - a2 * yr;
      t2 = b2 * xt - a2 * yt;
      x[i] = yp;
      x[f1 + i] = yq;
      x[f2 + i] = yr;
      x[f3 + i] = yt;
    }
    state[z0] = p1;
    state[z0 + 1] = p2;
    state[z0 + stride] = q1;
    state[z0 + stride + 1] = q2;
    state[z0 + 2 * stride] = r1;
    state[z0 + 2 * stride + 1] = r2;
    state[z0 + 3 * stride] = t1;
    state[z0 + 3 * stride + 1] = t2;
  }

  /** section4 reading channels c..c+3 from the float32 `src` (channel c + k at `at + k * ioStride`) into `x`. */
  private section4In(src: Float32Array, at: number, ioStride: number, x: Float64Array, frames: number, c: number, s: number): void {
    const sos = this.sos;
    const o = 6 * s;
    const b0 = sos[o]!;
    const b1 = sos[o + 1]!;
    const b2 = sos[o + 2]!;
    const a1 = sos[o + 4]!;
    const a2 = sos[o + 5]!;
    const state = this.state;
    const stride = this.sections * 2;
    const z0 = c * stride + 2 * s;
    let p1 = state[z0]!, p2 = state[z0 + 1]!;
    let q1 = state[z0 + stride]!, q2 = state[z0 + stride + 1]!;
    let r1 = state[z0 + 2 * stride]!, r2 = state[z0 + 2 * stride + 1]!;
    let t1 = state[z0 + 3 * stride]!, t2 = state[z0 + 3 * stride + 1]!;
    const f1 = frames, f2 = 2 * frames, f3 = 3 * frames;
    const g1 = ioStride, g2 = 2 * ioStride, g3 = 3 * ioStride;
    for (let i = 0; i < frames; i++) {
      const xp = src[at + i]!;
      const xq = src[at + g1 + i]!;
      const xr = src[at + g2 + i]!;
      const xt = src[at + g3 + i]!;
      const yp = b0 * xp + p1;
      const yq = b0 * xq + q1;
      const yr = b0 * xr + r1;
      const yt = b0 * xt + t1;
      p1 = b1 * xp - a1 * yp + p2;
      q1 = b1 * xq - a1 * yq + q2;
      r1 = b1 * xr - a1 * yr + r2;
      t1 = b1 * xt - a1 * yt + t2;
      p2 = b2 * xp - a2 * yp;
      q2 = b2 * xq - a2 * yq;
      r2 = b2 * xr - a2 * yr;
      t2 = b2 * xt - a2 * yt;
      x[i] = yp;
      x[f1 + i] = yq;
      x[f2 + i] = yr;
      x[f3 + i] = yt;
    }
    state[z0] = p1;
    state[z0 + 1] = p2;
    state[z0 + stride] = q1;
    state[z0 + stride + 1] = q2;
    state[z0 + 2 * stride] = r1;
    state[z0 + 2 * stride + 1] = r2;
    state[z0 + 3 * stride] = t1;
    state[z0 + 3 * stride + 1] = t2;
  }

  /** section4 from `x` into channels c..c+3 of the float32 `dst` (channel c + k at `at + k * ioStride`). */
  private section4Out(x: Float64Array, dst: Float32Array, at: number, ioStride: number, frames: number, c: number, s: number): void {
    const sos = this.sos;
    const o = 6 * s;
    const b0 = sos[o]!;
    const b1 = sos[o + 1]!;
    const b2 = sos[o + 2]!;
    const a1 = sos[o + 4]!;
    const a2 = sos[o + 5]!;
    const state = this.state;
    const stride = this.sections * 2;
    const z0 = c * stride + 2 * s;
    let p1 = state[z0]!, p2 = state[z0 + 1]!;
    let q1 = state[z0 + stride]!, q2 = state[z0 + stride + 1]!;
    let r1 = state[z0 + 2 * stride]!, r2 = state[z0 + 2 * stride + 1]!;
    let t1 = state[z0 + 3 * stride]!, t2 = state[z0 + 3 * stride + 1]!;
    const f1 = frames, f2 = 2 * frames, f3 = 3 * frames;
    const g1 = ioStride, g2 = 2 * ioStride, g3 = 3 * ioStride;
    for (let i = 0; i < frames; i++) {
      const xp = x[i]!;
      const xq = x[f1 + i]!;
      const xr = x[f2 + i]!;
      const xt = x[f3 + i]!;
      const yp = b0 * xp + p1;
      const yq = b0 * xq + q1;
      const yr = b0 * xr + r1;
      const yt = b0 * xt + t1;
      p1 = b1 * xp - a1 * yp + p2;
      q1 = b1 * xq - a1 * yq + q2;
      r1 = b1 * xr - a1 * yr + r2;
      t1 = b1 * xt - a1 * yt + t2;
      p2 = b2 * xp - a2 * yp;
      q2 = b2 * xq - a2 * yq;
      r2 = b2 * xr - a2 * yr;
      t2 = b2 * xt - a2 * yt;
      dst[at + i] = yp;
      dst[at + g1 + i] = yq;
      dst[at + g2 + i] = yr;
      dst[at + g3 + i] = yt;
    }
    state[z0] = p1;
    state[z0 + 1] = p2;
    state[z0 + stride] = q1;
    state[z0 + stride + 1] = q2;
    state[z0 + 2 * stride] = r1;
    state[z0 + 2 * stride + 1] = r2;
    state[z0 + 3 * stride] = t1;
    state[z0 + 3 * stride + 1] = t2;
  }

  /** Section `s` of channel c, held in `x[0..frames)`, in place. */
  private section1(x: Float64Array, frames: number, c: number, s: number): void {
    const sos = this.sos;
    const o = 6 * s;
    const b0 = sos[o]!;
    const b1 = sos[o + 1]!;
    const b2 = sos[o + 2]!;
    const a1 = sos[o + 4]!;
    const a2 = sos[o + 5]!;
    const zi = (c * this.sections + s) * 2;
    let z1 = this.state[zi]!;
    let z2 = this.state[zi + 1]!;
    for (let i = 0; i < frames; i++) {
      const xi = x[i]!;
      const y = b0 * xi + z1;
      z1 = b1 * xi - a1 * y + z2;
      z2 = b2 * xi - a2 * y;
      x[i] = y;
    }
    this.state[zi] = z1;
    this.state[zi + 1] = z2;
  }

  /** Copies the filter state (every channel and section) into `dst`, reallocated when too short; returns it. */
  saveState(dst: Float64Array = new Float64Array(0)): Float64Array {
    const out = dst.length >= this.state.length ? dst : new Float64Array(this.state.length);
    out.set(this.state);
    return out;
  }

  /** Restores a state saved by `saveState` (same configuration). */
  loadState(src: Float64Array): void {
    this.state.set(src.subarray(0, this.state.length));
  }

  reset(): void {
    this.state.fill(0);
  }

  dispose(): void {
    this.shape = null;
    this.state = new Float64Array(0);
    this.scratch = new Float64Array(0);
  }
}

/** Band-pass and notch settings. Defaults are applied by `resolveFilterSettings`, visibly, not here. */
export interface FilterSettings {
  /** High-pass (low cut) Butterworth cut-off in Hz; null switches the high-pass off. */
  readonly highPassHz: number | null;
  readonly highPassOrder: number;
  /** Low-pass (high cut) cut-off in Hz; clamped to `maxLowPassFraction * sampleRateHz` at low rates. */
  readonly lowPassHz: number | null;
  readonly lowPassOrder: number;
  /** Mains notch; null = off (the default). */
  readonly notch: NotchSettings | null;
}

export interface NotchSettings {
  readonly mainsHz: 50 | 60;
  /** Quality factor: -3 dB bandwidth = frequency / q. */
  readonly q: number;
  /** Number of harmonics notched besides the fundamental (each with the same Q), 0 = fundamental only. */
  readonly harmonics: number;
}

/**
 * Defaults from the domain notes ("Recording": band-pass about 10-30 Hz to 1.5-3 kHz, optional notch):
 * 10 Hz high-pass (order 2), 2 kHz low-pass (order 4), notch off.
 */
export const DEFAULT_FILTER_SETTINGS: FilterSettings = {
  highPassHz: 10,
  highPassOrder: 2,
  lowPassHz: 2000,
  lowPassOrder: 4,
  notch: null,
};

/** The low-pass is kept below 0.45 x the sample rate (90 % of Nyquist) so it stays realisable. */
export const MAX_LOW_PASS_FRACTION = 0.45;

export interface ResolvedFilter {
  readonly sos: Sos;
  /** Low-pass actually used after clamping (null = off). */
  readonly lowPassHz: number | null;
  readonly highPassHz: number | null;
  readonly notchHz: readonly number[];
  readonly notes: readonly string[];
}

/** Validates filter settings against a sample rate and designs the cascade (high-pass, low-pass, notches). */
export function designFilterChain(settings: FilterSettings, sampleRateHz: number): ResolvedFilter {
  requireSampleRateHz(sampleRateHz, 'filter');
  const notes: string[] = [];
  const parts: Sos[] = [];
  const nyquist = sampleRateHz / 2;
  let lowPassHz = settings.lowPassHz;
  const highPassHz = settings.highPassHz;
  if (highPassHz !== null) {
    requireNumber(highPassHz, 'high-pass cut-off (Hz)', 0.01, nyquist * 0.9);
    requireInteger(settings.highPassOrder, 'high-pass order', MIN_BUTTERWORTH_ORDER, MAX_BUTTERWORTH_ORDER);
    parts.push(designButterworth('highpass', settings.highPassOrder, highPassHz, sampleRateHz));
  }
  if (lowPassHz !== null) {
    requireNumber(lowPassHz, 'low-pass cut-off (Hz)', 1, 1e6);
    requireInteger(settings.lowPassOrder, 'low-pass order', MIN_BUTTERWORTH_ORDER, MAX_BUTTERWORTH_ORDER);
    const max = MAX_LOW_PASS_FRACTION * sampleRateHz;
    if (lowPassHz > max) {
      notes.push(`low-pass ${lowPassHz} Hz clamped to ${max} Hz (0.45 x ${sampleRateHz} Hz sample rate)`);
      lowPassHz = max;
    }
    if (highPassHz !== null && lowPassHz <= highPassHz) {
      throw new PipelineConfigError(`low-pass ${lowPassHz} Hz must be above the high-pass ${highPassHz} Hz`);
    }
    parts.push(designButterworth('lowpass', settings.lowPassOrder, lowPassHz, sampleRateHz));
  }
  const notchHz: number[] = [];
  if (settings.notch !== null) {
    const n = settings.notch;
    if (n.mainsHz !== 50 && n.mainsHz !== 60) throw new PipelineConfigError(`notch mains frequency must be 50 or 60 Hz, got ${String(n.mainsHz)}`);
    requireNumber(n.q, 'notch Q', 1, 1000);
    requireInteger(n.harmonics, 'notch harmonics', 0, 20);
    for (let h = 1; h <= n.harmonics + 1; h++) {
      const f = n.mainsHz * h;
      if (f >= MAX_LOW_PASS_FRACTION * sampleRateHz) {
        notes.push(`notch harmonic ${f} Hz skipped (too close to Nyquist)`);
        break;
      }
      notchHz.push(f);
      parts.push(designNotch(f, n.q, sampleRateHz));
    }
  }
  return { sos: cascade(...parts), lowPassHz, highPassHz, notchHz, notes };
}
