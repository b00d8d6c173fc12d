import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SampleRing } from '../../../src/pipeline/ring';
import { rng } from './synthetic';

/** The ring's documented behaviour over a plain per-channel history (holes hold the last value). */
class Model {
  readonly hist: number[][];
  first = -1;
  /** Samples before this were overwritten at some point (a later growth does not bring them back). */
  lostBefore = -Infinity;
  constructor(readonly ch: number) {
    this.hist = Array.from({ length: ch }, () => []);
  }
  get end(): number {
    return this.first < 0 ? -1 : this.first + this.hist[0]!.length;
  }
  write(values: number[][], start: number): void {
    if (this.first < 0) this.first = start;
    this.holdTo(start);
    values.forEach((v, c) => this.hist[c]!.push(...v));
  }
  holdTo(s: number): void {
    if (this.first < 0) {
      this.first = s;
      return;
    }
    while (this.end < s) for (const h of this.hist) h.push(h.length > 0 ? h[h.length - 1]! : 0);
  }
  noteCapacity(cap: number): void {
    this.lostBefore = Math.max(this.lostBefore, this.end - cap);
  }
  /** What `read` gives for [from, from + n) with `cap` samples held. */
  read(from: number, n: number, cap: number): { values: number[][]; lead: number } {
    const end = this.end;
    const oldest = Math.max(this.first, this.lostBefore, end - cap);
    const values = this.hist.map((h) => {
      const out: number[] = [];
      for (let s = from; s < from + n; s++) {
        const k = Math.min(Math.max(s, oldest), end - 1) - this.first;
        out.push(h[k] ?? 0);
      }
      return out;
    });
    return { values, lead: Math.min(n, Math.max(0, oldest - from)) };
  }
}

describe('sample ring', () => {
  it('reads back what was written, with holes held, wrap-around, growth and scaling, whatever the block sizes and strides', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 5, max: 400 }),
        fc.array(fc.record({ frames: fc.integer({ min: 0, max: 1500 }), hole: fc.integer({ min: 0, max: 60 }), stridePad: fc.integer({ min: 0, max: 3 }), scaled: fc.boolean(), grow: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 1e9 }),
        (ch, capacity, steps, seed) => {
          const r = rng(seed);
          const ring = new SampleRing(ch, capacity);
          const model = new Model(ch);
          let pos = 100;
          for (const step of steps) {
            pos += step.hole;
            if (step.grow) ring.ensureCapacity(ring.capacity + 37);
            expect(ring.oldestSample).toBe(model.first < 0 ? -1 : Math.max(model.first, model.lostBefore, model.end - ring.capacity));
            const stride = step.frames + step.stridePad;
            const offset = step.stridePad;
            const src = new Float32Array(ch * stride + offset);
            const values: number[][] = [];
            const scale = step.scaled ? 0.5 : 1;
            for (let c = 0; c < ch; c++) {
              const v: number[] = [];
              for (let i = 0; i < step.frames; i++) {
                const x = Math.fround(1000 * r() - 500);
                src[c * stride + offset + i] = x;
                v.push(Math.fround(x * scale));
              }
              values.push(v);
            }
            ring.write(src, stride, offset, step.frames, pos, scale);
            model.write(values, pos);
            model.noteCapacity(ring.capacity);
            pos += step.frames;
            expect(ring.endSample).toBe(model.end);
            // read a few windows: inside, straddling the oldest sample, past the end
            const end = ring.endSample;
            for (const [from, n] of [
              [end - Math.min(end - model.first, ring.capacity), Math.min(end - model.first, ring.capacity)],
              [end - 50, 50],
              [end - ring.capacity - 7, 20],
              [end - 5, 12],
              [end - 1200, 1100],
            ] as const) {
              if (n <= 0) continue;
              for (const stridePad of [0, 2]) {
                const dst = new Float32Array(ch * (n + stridePad) + 1);
                const lead = ring.read(dst, n + stridePad, 1, from, n);
                const want = model.read(from, n, ring.capacity);
                expect(lead).toBe(want.lead);
                for (let c = 0; c < ch; c++) {
                  expect(Array.from(dst.subarray(c * (n + stridePad) + 1, c * (n + stridePad) + 1 + n))).toEqual(want.values[c]);
                }
              }
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
