import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EnvelopeStage } from '../../../src/pipeline/envelope';
import { DEFAULT_FILTER_SETTINGS, designFilterChain, SosFilter, type FilterSettings } from '../../../src/pipeline/sos-filter';
import { gaussian, rng } from './synthetic';

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const CHAINS: Record<string, FilterSettings | null> = {
  none: null,
  'high-pass only': { highPassHz: 10, highPassOrder: 2, lowPassHz: null, lowPassOrder: 4, notch: null },
  default: DEFAULT_FILTER_SETTINGS,
  'with notch': { ...DEFAULT_FILTER_SETTINGS, notch: { mainsHz: 50, q: 30, harmonics: 2 } },
};

function planarNoise(seed: number, ch: number, frames: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(ch * frames);
  for (let c = 0; c < ch; c++) for (let i = 0; i < frames; i++) x[c * frames + i] = 300 * c - 400 + 50 * gaussian(r);
  return x;
}

/** Copies planar `x` (stride frames) into a larger array at `offset` with `stride`. */
function spread(x: Float32Array, ch: number, frames: number, stride: number, offset: number): Float32Array {
  const out = new Float32Array(ch * stride + offset + 5).fill(Number.NaN);
  for (let c = 0; c < ch; c++) out.set(x.subarray(c * frames, (c + 1) * frames), c * stride + offset);
  return out;
}

function gather(y: Float32Array, ch: number, frames: number, stride: number, offset: number): Float32Array {
  const out = new Float32Array(ch * frames);
  for (let c = 0; c < ch; c++) out.set(y.subarray(c * stride + offset, c * stride + offset + frames), c * frames);
  return out;
}

describe('filters and envelope with strided input and output', () => {
  it('give bit-identical results to planar blocks, chunk by chunk, for every chain and channel count', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(CHAINS)),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 1e9 }),
        (chain, ch, chunks, pad, offset, seed) => {
          const fs = 10000;
          const settings = CHAINS[chain]!;
          const sos = settings === null ? new Float64Array(0) : designFilterChain(settings, fs).sos;
          const mk = (): [SosFilter, EnvelopeStage] => {
            const f = new SosFilter();
            f.configure({ sampleRateHz: fs, channelCount: ch, sos });
            const e = new EnvelopeStage();
            e.configure({ sampleRateHz: fs, channelCount: ch, timeConstantMs: 10 });
            return [f, e];
          };
          const [f1, e1] = mk();
          const [f2, e2] = mk();
          let first = true;
          for (const [k, n] of chunks.entries()) {
            const x = planarNoise(seed + k, ch, n);
            // planar reference
            const y = new Float32Array(ch * n);
            if (first) f1.primeFrom(x, n);
            f1.process(x, y, n);
            const env = new Float32Array(ch * n);
            e1.process(y, env, n);
            // strided: input at (n + pad, offset), filtered into (n + 2 pad, offset + 1), envelope in place
            const inStride = n + pad;
            const outStride = n + 2 * pad;
            const xs = spread(x, ch, n, inStride, offset);
            if (first) f2.primeFrom(xs, n, inStride, offset);
            const ys = new Float32Array(ch * outStride + offset + 1);
            f2.process(xs, ys, n, inStride, offset, outStride, offset + 1);
            expect(bytes(gather(ys, ch, n, outStride, offset + 1)).equals(bytes(y))).toBe(true);
            e2.process(ys, ys, n, outStride, offset + 1, outStride, offset + 1);
            expect(bytes(gather(ys, ch, n, outStride, offset + 1)).equals(bytes(env))).toBe(true);
            expect(xs[xs.length - 1]).toBeNaN(); // nothing written past the last channel
            first = false;
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
