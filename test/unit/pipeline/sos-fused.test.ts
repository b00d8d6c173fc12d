import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_FILTER_SETTINGS, designFilterChain, SosFilter } from '../../../src/pipeline/sos-filter';
import { gaussian, rng } from './synthetic';

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * The plain reference: one channel, one section after the other over the whole chunk, float64 between
 * sections (transposed direct form II, as scipy.signal.sosfilt), state carried across chunks.
 */
function referenceChunk(sos: Float64Array, state: Float64Array[], x: Float32Array, ch: number, frames: number): Float32Array {
  const out = new Float32Array(ch * frames);
  const sections = sos.length / 6;
  for (let c = 0; c < ch; c++) {
    const v = Float64Array.from(x.subarray(c * frames, (c + 1) * frames));
    for (let s = 0; s < sections; s++) {
      const [b0, b1, b2, , a1, a2] = sos.subarray(6 * s, 6 * s + 6) as unknown as number[];
      const z = state[c]!;
      let z1 = z[2 * s]!;
      let z2 = z[2 * s + 1]!;
      for (let i = 0; i < frames; i++) {
        const xi = v[i]!;
        const y = b0! * xi + z1;
        z1 = b1! * xi - a1! * y + z2;
        z2 = b2! * xi - a2! * y;
        v[i] = y;
      }
      z[2 * s] = z1;
      z[2 * s + 1] = z2;
    }
    out.set(v, c * frames);
  }
  return out;
}

describe('SOS filter: the one-pass kernel of the default 3-section band-pass', () => {
  it('gives bit-identical output to one section at a time, one channel at a time, on random input and chunks', () => {
    const sos = designFilterChain(DEFAULT_FILTER_SETTINGS, 10000).sos;
    expect(sos.length / 6).toBe(3); // the chain the one-pass kernel serves
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 1e9 }),
        fc.double({ min: 1, max: 5000, noNaN: true }),
        (ch, chunks, seed, amplitude) => {
          const r = rng(seed);
          const f = new SosFilter();
          f.configure({ sampleRateHz: 10000, channelCount: ch, sos });
          const state = Array.from({ length: ch }, () => new Float64Array(6));
          for (const n of chunks) {
            const x = new Float32Array(ch * n);
            for (let i = 0; i < x.length; i++) x[i] = amplitude * gaussian(r) + (r() < 0.01 ? 1e4 : 0);
            const y = new Float32Array(ch * n);
            f.process(x, y, n);
            expect(bytes(y).equals(bytes(referenceChunk(sos, state, x, ch, n)))).toBe(true);
            // the float64 state too (a float32 output rarely shows a reordered float64 sum)
            const saved = f.saveState();
            state.forEach((z, c) => expect(Array.from(saved.subarray(6 * c, 6 * c + 6))).toEqual(Array.from(z)));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('filters in place with the same result', () => {
    const sos = designFilterChain(DEFAULT_FILTER_SETTINGS, 10000).sos;
    const r = rng(11);
    const x = new Float32Array(5 * 700).map(() => 80 * gaussian(r));
    const a = new SosFilter();
    const b = new SosFilter();
    for (const f of [a, b]) f.configure({ sampleRateHz: 10000, channelCount: 5, sos });
    const y = new Float32Array(x.length);
    a.process(x, y, 700);
    b.process(x, x, 700);
    expect(bytes(x).equals(bytes(y))).toBe(true);
  });
});
