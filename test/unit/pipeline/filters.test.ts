import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { designButterworth, designNotch, sosMagnitude, settlingSamples } from '../../../src/pipeline/iir-design';
import { DEFAULT_FILTER_SETTINGS, designFilterChain, SosFilter } from '../../../src/pipeline/sos-filter';

interface CoeffCase {
  type: 'butter' | 'notch';
  kind?: 'lowpass' | 'highpass';
  order?: number;
  cutoffHz?: number;
  freqHz?: number;
  q?: number;
  sampleRateHz: number;
  sos: number[][];
}
interface OutputCase {
  name: string;
  sampleRateHz: number;
  butter: { kind: 'lowpass' | 'highpass'; order: number; cutoffHz: number }[];
  notch: { freqHz: number; q: number }[];
  output: number[];
}
const fixtureDir = new URL('../../fixtures/filters/', import.meta.url);
const coeffs = JSON.parse(readFileSync(new URL('coefficients.json', fixtureDir), 'utf8')) as { cases: CoeffCase[] };
const outputs = JSON.parse(readFileSync(new URL('outputs.json', fixtureDir), 'utf8')) as { input: number[]; cases: OutputCase[] };

function expectCoefficientsClose(actual: Float64Array, expected: number[][], label: string): void {
  expect(actual.length, label).toBe(expected.length * 6);
  expected.forEach((row, s) => {
    row.forEach((e, i) => {
      const a = actual[6 * s + i]!;
      // relative 1e-9, absolute floor for coefficients that are exactly zero
      const tol = 1e-9 * Math.max(Math.abs(e), 1e-3);
      if (Math.abs(a - e) > tol) throw new Error(`${label} section ${s} coeff ${i}: ${a} vs scipy ${e}`);
    });
  });
}

function buildSos(c: OutputCase): Float64Array {
  const parts = [
    ...c.butter.map((b) => designButterworth(b.kind, b.order, b.cutoffHz, c.sampleRateHz)),
    ...c.notch.map((n) => designNotch(n.freqHz, n.q, c.sampleRateHz)),
  ];
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function runFilter(sos: Float64Array, sampleRateHz: number, x: Float32Array, chunks?: number[]): Float32Array {
  const f = new SosFilter();
  f.configure({ sampleRateHz, channelCount: 1, sos });
  const y = new Float32Array(x.length);
  if (!chunks) {
    f.process(x, y, x.length);
    return y;
  }
  let pos = 0;
  let k = 0;
  const inBuf = new Float32Array(x.length);
  const outBuf = new Float32Array(x.length);
  while (pos < x.length) {
    const n = Math.min(chunks[k++ % chunks.length]!, x.length - pos);
    inBuf.set(x.subarray(pos, pos + n));
    f.process(inBuf, outBuf, n);
    y.set(outBuf.subarray(0, n), pos);
    pos += n;
  }
  return y;
}

describe('Butterworth and notch design against scipy', () => {
  it(`matches all ${coeffs.cases.length} scipy coefficient sets to 1e-9 relative`, () => {
    let checked = 0;
    for (const c of coeffs.cases) {
      const sos =
        c.type === 'butter'
          ? designButterworth(c.kind!, c.order!, c.cutoffHz!, c.sampleRateHz)
          : designNotch(c.freqHz!, c.q!, c.sampleRateHz);
      expectCoefficientsClose(sos, c.sos, `${c.type} ${c.kind ?? ''} n=${c.order ?? ''} ${c.cutoffHz ?? c.freqHz} Hz @ ${c.sampleRateHz}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(90);
  });

  it('puts the -3 dB point exactly on the cut-off (pre-warping)', () => {
    for (const fs of [5000, 10000, 20000]) {
      for (const order of [2, 3, 4, 8]) {
        const lp = designButterworth('lowpass', order, 2000, fs);
        expect(sosMagnitude(lp, 2000, fs)).toBeCloseTo(Math.SQRT1_2, 10);
        expect(sosMagnitude(lp, 0, fs)).toBeCloseTo(1, 12);
        const hp = designButterworth('highpass', order, 10, fs);
        expect(sosMagnitude(hp, 10, fs)).toBeCloseTo(Math.SQRT1_2, 10);
        expect(sosMagnitude(hp, fs / 2, fs)).toBeCloseTo(1, 10);
      }
    }
    const notch = designNotch(50, 30, 10000);
    expect(sosMagnitude(notch, 50, 10000)).toBeLessThan(1e-9);
    expect(sosMagnitude(notch, 50 + 50 / 60, 10000)).toBeCloseTo(Math.SQRT1_2, 2);
  });

  it('refuses cut-offs at or above Nyquist and orders outside 1-8', () => {
    expect(() => designButterworth('lowpass', 4, 2500, 5000)).toThrow(/Nyquist/);
    expect(() => designButterworth('lowpass', 9, 100, 5000)).toThrow(/order/);
    expect(() => designButterworth('highpass', 0, 100, 5000)).toThrow(/order/);
    expect(() => designNotch(50, 0, 5000)).toThrow(/Q/);
  });

  it('settling time follows the slowest pole', () => {
    // 2nd-order 10 Hz high-pass: pole radius exp(-zeta * wc / fs) with zeta = 0.707
    const hp = designButterworth('highpass', 2, 10, 10000);
    const expected = Math.log(1e6) / (Math.SQRT1_2 * 2 * Math.PI * 10 / 10000);
    expect(settlingSamples(hp, 1e-6)).toBeGreaterThan(expected * 0.99);
    expect(settlingSamples(hp, 1e-6)).toBeLessThan(expected * 1.01);
  });
});

describe('SosFilter output against scipy.signal.sosfilt', () => {
  const x = Float32Array.from(outputs.input);
  for (const c of outputs.cases) {
    it(c.name, () => {
      const y = runFilter(buildSos(c), c.sampleRateHz, x);
      const peak = Math.max(...c.output.map(Math.abs));
      for (let i = 0; i < x.length; i++) {
        const e = c.output[i]!;
        // 1e-6 relative, floored at 1e-6 of the signal peak for samples near zero crossings
        const tol = 1e-6 * Math.max(Math.abs(e), peak * 1e-3) + 1e-9;
        if (Math.abs(y[i]! - e) > tol) throw new Error(`sample ${i}: ${y[i]} vs scipy ${e}`);
      }
    });
  }

  it('gives exactly the batch output when streamed in random chunk sizes, 4 channels', () => {
    const sos = designFilterChain({ ...DEFAULT_FILTER_SETTINGS, notch: { mainsHz: 50, q: 30, harmonics: 2 } }, 10000).sos;
    const frames = 600;
    const channels = 4;
    const input = new Float32Array(frames * channels);
    for (let c = 0; c < channels; c++) for (let i = 0; i < frames; i++) input[c * frames + i] = outputs.input[(i * (c + 1)) % outputs.input.length]!;
    const batch = new SosFilter();
    batch.configure({ sampleRateHz: 10000, channelCount: channels, sos });
    const expected = new Float32Array(input.length);
    batch.process(input, expected, frames);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }), (chunks) => {
        const f = new SosFilter();
        f.configure({ sampleRateHz: 10000, channelCount: channels, sos });
        const got = new Float32Array(input.length);
        const inBuf = new Float32Array(97 * channels);
        const outBuf = new Float32Array(97 * channels);
        let pos = 0;
        let k = 0;
        while (pos < frames) {
          const n = Math.min(chunks[k++ % chunks.length]!, frames - pos);
          for (let c = 0; c < channels; c++) inBuf.set(input.subarray(c * frames + pos, c * frames + pos + n), c * n);
          f.process(inBuf, outBuf, n);
          for (let c = 0; c < channels; c++) got.set(outBuf.subarray(c * n, c * n + n), c * frames + pos);
          pos += n;
        }
        expect(got).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('reset() returns to the configured state', () => {
    const x = Float32Array.from(outputs.input.slice(0, 300));
    const sos = designButterworth('highpass', 2, 10, 10000);
    const f = new SosFilter();
    f.configure({ sampleRateHz: 10000, channelCount: 1, sos });
    const a = new Float32Array(300);
    const b = new Float32Array(300);
    f.process(x, a, 300);
    f.reset();
    f.process(x, b, 300);
    expect(b).toEqual(a);
  });

  it('primeFrom starts in the steady state for a DC offset', () => {
    const sos = designFilterChain(DEFAULT_FILTER_SETTINGS, 10000).sos;
    const f = new SosFilter();
    f.configure({ sampleRateHz: 10000, channelCount: 1, sos });
    const dc = new Float32Array(500).fill(1234.5);
    const y = new Float32Array(500);
    f.primeFrom(dc, 500);
    f.process(dc, y, 500);
    expect(Math.max(...Array.from(y, Math.abs))).toBeLessThan(1e-6);
  });

  it('refuses a missing sample rate and a missing channel count', () => {
    const sos = designButterworth('highpass', 2, 10, 10000);
    expect(() => new SosFilter().configure({ channelCount: 1, sos } as never)).toThrow(/sampleRateHz is required/);
    expect(() => new SosFilter().configure({ sampleRateHz: 10000, sos } as never)).toThrow(/channelCount is required/);
  });
});

describe('designFilterChain', () => {
  it('clamps the low-pass below Nyquist at low sample rates and notes it', () => {
    const r = designFilterChain(DEFAULT_FILTER_SETTINGS, 1000);
    expect(r.lowPassHz).toBe(450);
    expect(r.notes.join()).toMatch(/clamped to 450 Hz/);
    expect(designFilterChain(DEFAULT_FILTER_SETTINGS, 5000).lowPassHz).toBe(2000);
  });
  it('adds harmonics of the notch below Nyquist, off by default', () => {
    expect(designFilterChain(DEFAULT_FILTER_SETTINGS, 10000).notchHz).toEqual([]);
    const r = designFilterChain({ ...DEFAULT_FILTER_SETTINGS, notch: { mainsHz: 60, q: 30, harmonics: 2 } }, 10000);
    expect(r.notchHz).toEqual([60, 120, 180]);
    expect(r.sos.length).toBe(6 * (1 + 2 + 3));
  });
  it('refuses a low-pass at or below the high-pass', () => {
    expect(() => designFilterChain({ ...DEFAULT_FILTER_SETTINGS, highPassHz: 500, lowPassHz: 400 }, 10000)).toThrow(/must be above/);
  });
});
