import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_DISPLAY, DisplayDecimator, type DisplayFrame } from '../../../src/pipeline/display';
import { createPipeline } from '../../../src/pipeline/pipeline';
import { SampleRing } from '../../../src/pipeline/ring';
import { rng } from './synthetic';

const bytes = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameFrames(got: readonly (DisplayFrame | null)[], want: readonly (DisplayFrame | null)[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (w === null || g === null) {
      expect(g).toBe(w);
      return;
    }
    expect([g.columnCount, g.droppedColumns, g.samplesPerColumn]).toEqual([w.columnCount, w.droppedColumns, w.samplesPerColumn]);
    expect(bytes(g.columnStartSample).equals(bytes(w.columnStartSample))).toBe(true);
    expect(bytes(g.minUv).equals(bytes(w.minUv))).toBe(true);
    expect(bytes(g.maxUv).equals(bytes(w.maxUv))).toBe(true);
  });
}

describe('pipeline display: folded from the block the ring staged', () => {
  it('gives exactly the columns of a decimator fed the incoming blocks, whatever the block sizes, gaps, drains and unit', () => {
    const fs = 10000;
    const ch = 5;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e9 }),
        (chunks, drainEvery, counts, seed) => {
          const r = rng(seed);
          const uvPerCount = 0.37;
          const offsetCounts = 12;
          const pipeline = createPipeline({ sampleRateHz: fs, channelCount: ch, unit: counts ? { counts: { uvPerCount, offsetCounts } } : 'uV' });
          // the reference: the decimator pushed the (scaled) incoming block itself, over its own ring
          const ring = new SampleRing(ch, 10 * fs);
          const ref = new DisplayDecimator(ch, fs, DEFAULT_DISPLAY, ring);
          const got: (DisplayFrame | null)[] = [];
          const want: (DisplayFrame | null)[] = [];
          let pos = 0;
          for (let k = 0; k < 60; k++) {
            const n = chunks[k % chunks.length]!;
            if (k % 17 === 16) pos += 1 + Math.floor(r() * 300); // a hole nobody announced
            const data = new Float32Array(ch * n);
            for (let i = 0; i < data.length; i++) data[i] = 400 * r() - 200 + (i % 7) * 30;
            pipeline.pushBlock({ startSample: pos, sampleRateHz: fs, channelCount: ch, samplesPerChannel: n, data });
            const scaled = counts ? data.map((x) => (x - offsetCounts) * uvPerCount) : data;
            ring.write(scaled, n, 0, n, pos);
            ref.push(scaled, n, 0, n, pos);
            pos += n;
            const every = drainEvery[k % drainEvery.length]!;
            if (every > 0 && k % every === 0) {
              got.push(pipeline.drainDisplay());
              want.push(ref.drain());
            }
          }
          got.push(pipeline.drainDisplay());
          want.push(ref.drain());
          expectSameFrames(got, want);
        },
      ),
      { numRuns: 60 },
    );
  });
});
