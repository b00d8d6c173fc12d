import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DisplayDecimator, type DisplayFrame, type DisplaySource } from '../../../src/pipeline/display';
import { SampleRing } from '../../../src/pipeline/ring';
import { gaussian, rng } from './synthetic';

const bytes = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A stream of planar blocks with holes between some of them. */
interface Piece {
  readonly start: number;
  readonly frames: number;
  /** Planar, channel c at `c * frames`. */
  readonly data: Float32Array;
}

/**
 * The documented behaviour, one sample at a time: columns of `spc` samples from each run's first sample,
 * a short column before every gap, min/max in float order with -0 below +0, and the baseline a one-pole
 * tracker (time constant 0.5 s of columns) of the columns' midrange over the delivered columns, started
 * by the first finite one and never moved to a non-finite value, restarted after a drop (none here: the
 * buffer is large).
 */
function reference(ch: number, fs: number, spc: number, pieces: readonly Piece[]): { starts: number[]; min: number[][]; max: number[][] } {
  const alpha = 1 - Math.exp(-1 / (0.5 * (fs / spc)));
  const below = (a: number, b: number): boolean => a < b || (a === 0 && b === 0 && Object.is(a, -0) && !Object.is(b, -0));
  const starts: number[] = [];
  const min: number[][] = Array.from({ length: ch }, () => []);
  const max: number[][] = Array.from({ length: ch }, () => []);
  const dc: number[] = new Array<number>(ch).fill(Number.NaN);
  let cur: { start: number; n: number; mn: number[]; mx: number[] } | null = null;
  const close = (): void => {
    if (!cur) return;
    starts.push(cur.start);
    for (let c = 0; c < ch; c++) {
      const mn = cur.mn[c]!;
      const mx = cur.mx[c]!;
      const mid = (mn + mx) * 0.5;
      if (Number.isNaN(dc[c]!)) {
        if (Number.isFinite(mid)) dc[c] = mid;
      } else {
        const u = dc[c]! + alpha * (mid - dc[c]!);
        if (Number.isFinite(u)) dc[c] = u;
      }
      const off = Number.isNaN(dc[c]!) ? 0 : dc[c]!;
      min[c]!.push(Math.fround(mn - off));
      max[c]!.push(Math.fround(mx - off));
    }
    cur = null;
  };
  let next = -1;
  for (const p of pieces) {
    if (p.start !== next) close();
    for (let i = 0; i < p.frames; i++) {
      if (!cur) cur = { start: p.start + i, n: 0, mn: new Array<number>(ch).fill(Infinity), mx: new Array<number>(ch).fill(-Infinity) };
      for (let c = 0; c < ch; c++) {
        const v = p.data[c * p.frames + i]!;
        if (cur.n === 0 || below(v, cur.mn[c]!)) cur.mn[c] = v;
        if (cur.n === 0 || below(cur.mx[c]!, v)) cur.mx[c] = v;
      }
      if (++cur.n === spc) close();
    }
    next = p.start + p.frames;
  }
  return { starts, min, max };
}

/** Awkward float32 values: signed zeros, tiny and huge magnitudes, infinities, plain noise with an offset. */
function awkward(r: () => number, c: number): number {
  const u = r();
  if (u < 0.05) return 0;
  if (u < 0.1) return -0;
  if (u < 0.13) return (r() < 0.5 ? -1 : 1) * 1e-40 * (1 + r()); // denormal
  if (u < 0.16) return (r() < 0.5 ? -1 : 1) * 3e38 * r();
  if (u < 0.17) return r() < 0.5 ? -Infinity : Infinity;
  if (u < 0.25) return (r() < 0.5 ? -1 : 1) * 2 ** Math.floor(-60 + 120 * r()) * (1 + r());
  return Math.fround(100 * c - 50 + 40 * gaussian(r));
}

function makePieces(seed: number, ch: number, sizes: readonly number[], gapEvery: number, value: (r: () => number, c: number) => number): Piece[] {
  const r = rng(seed);
  const pieces: Piece[] = [];
  let start = 1000 + Math.floor(r() * 50);
  sizes.forEach((frames, k) => {
    const data = new Float32Array(ch * frames);
    for (let c = 0; c < ch; c++) for (let i = 0; i < frames; i++) data[c * frames + i] = value(r, c);
    pieces.push({ start, frames, data });
    start += frames + (gapEvery > 0 && k % gapEvery === gapEvery - 1 ? 1 + Math.floor(r() * 30) : 0);
  });
  return pieces;
}

/** Pushes the pieces (each at an offset inside a larger array, stride > frames) and drains after some of them. */
function runDecimator(d: DisplayDecimator, ch: number, pieces: readonly Piece[], drainEvery: number): DisplayFrame[] {
  const frames: DisplayFrame[] = [];
  pieces.forEach((p, k) => {
    const stride = p.frames + 3;
    const buf = new Float32Array(ch * stride + 2);
    for (let c = 0; c < ch; c++) buf.set(p.data.subarray(c * p.frames, (c + 1) * p.frames), c * stride + 2);
    d.push(buf, stride, 2, p.frames, p.start);
    if (drainEvery > 0 && k % drainEvery === drainEvery - 1) {
      const f = d.drain();
      if (f) frames.push(f);
    }
  });
  const f = d.drain();
  if (f) frames.push(f);
  return frames;
}

/** Concatenates frames (per channel) for comparison with the reference. */
function joined(frames: readonly DisplayFrame[], ch: number): { starts: number[]; min: Float32Array[]; max: Float32Array[] } {
  const starts = frames.flatMap((f) => Array.from(f.columnStartSample));
  const min = Array.from({ length: ch }, (_, c) => Float32Array.from(frames.flatMap((f) => Array.from(f.minUv.subarray(c * f.columnCount, (c + 1) * f.columnCount)))));
  const max = Array.from({ length: ch }, (_, c) => Float32Array.from(frames.flatMap((f) => Array.from(f.maxUv.subarray(c * f.columnCount, (c + 1) * f.columnCount)))));
  return { starts, min, max };
}

function expectSameAsReference(got: ReturnType<typeof joined>, want: ReturnType<typeof reference>, label: string): void {
  expect(got.starts, label).toEqual(want.starts);
  want.min.forEach((col, c) => {
    const w = Float32Array.from(col);
    if (!bytes(got.min[c]!).equals(bytes(w))) {
      const j = got.min[c]!.findIndex((v, i) => !Object.is(v, w[i]));
      throw new Error(`${label}: channel ${c} min column ${j}: ${got.min[c]![j]} vs reference ${w[j]}`);
    }
    const wm = Float32Array.from(want.max[c]!);
    if (!bytes(got.max[c]!).equals(bytes(wm))) {
      const j = got.max[c]!.findIndex((v, i) => !Object.is(v, wm[i]));
      throw new Error(`${label}: channel ${c} max column ${j}: ${got.max[c]![j]} vs reference ${wm[j]}`);
    }
  });
}

describe('display decimator: exact min/max', () => {
  it('equals a per-sample reference for random blocks, gaps, drains, channel counts and column widths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(1, 2, 3, 7, 10, 13, 20),
        fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 1e9 }),
        (ch, spc, sizes, gapEvery, drainEvery, seed) => {
          const fs = 10000;
          const pieces = makePieces(seed, ch, sizes, gapEvery, awkward);
          const d = new DisplayDecimator(ch, fs, { columnsPerSecond: fs / spc, bufferSeconds: 60 });
          expect(d.samplesPerColumn).toBe(spc);
          const got = joined(runDecimator(d, ch, pieces, drainEvery), ch);
          expectSameAsReference(got, reference(ch, fs, spc, pieces), `ch ${ch} spc ${spc}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('orders -0 below +0 and keeps exact extreme magnitudes', () => {
    const d = new DisplayDecimator(1, 1000, { columnsPerSecond: 250, bufferSeconds: 1 });
    // one column of 4 samples, then one with a denormal and the largest float32
    d.push(Float32Array.of(0, -0, 0, -0, 1e-45, -3.4028234663852886e38, 2, -1e-45), 8, 0, 8, 0);
    const f = d.drain()!;
    expect(f.columnCount).toBe(2);
    // first column: min -0, max +0, midrange 0, baseline 0
    expect(Object.is(f.minUv[0], -0)).toBe(true);
    expect(Object.is(f.maxUv[0], 0)).toBe(true);
    // second column's midrange moves the baseline by alpha; the raw extremes are exact
    const alpha = 1 - Math.exp(-1 / (0.5 * 250));
    const dc = alpha * ((-3.4028234663852886e38 + 2) * 0.5);
    expect(f.minUv[1]).toBe(Math.fround(-3.4028234663852886e38 - dc));
    expect(f.maxUv[1]).toBe(Math.fround(2 - dc));
  });

  it('closes a short column at a gap and never merges across it, also with an empty push', () => {
    const d = new DisplayDecimator(1, 1000, { columnsPerSecond: 100, bufferSeconds: 1 });
    d.push(Float32Array.of(1, 2, 3), 3, 0, 3, 0);
    d.push(new Float32Array(0), 0, 0, 0, 50); // announces a jump
    d.push(Float32Array.of(7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17), 11, 0, 11, 50);
    const f = d.drain()!;
    expect(Array.from(f.columnStartSample)).toEqual([0, 50]);
    expect(f.maxUv[0]! - f.minUv[0]!).toBeCloseTo(2, 4);
    expect(f.maxUv[1]! - f.minUv[1]!).toBeCloseTo(9, 4);
  });
});

describe('display decimator: baseline', () => {
  const fs = 10000;
  /** Midrange of the displayed columns [from, to) of the concatenated frames (should sit near 0). */
  function centre(frames: readonly DisplayFrame[], from: number, to: number): number {
    const all = joined(frames, 1);
    let s = 0;
    for (let j = from; j < to; j++) s += (all.min[0]![j]! + all.max[0]![j]!) / 2;
    return s / (to - from);
  }
  function stream(seconds: number, value: (t: number, r: () => number) => number): DisplayFrame[] {
    const d = new DisplayDecimator(1, fs, { columnsPerSecond: 1000, bufferSeconds: 2 });
    const r = rng(9);
    const out: DisplayFrame[] = [];
    const block = new Float32Array(100);
    for (let b = 0; b < (seconds * fs) / 100; b++) {
      for (let i = 0; i < 100; i++) block[i] = value((b * 100 + i) / fs, r);
      d.push(block, 100, 0, 100, b * 100);
      if (b % 5 === 4) out.push(d.drain()!);
    }
    return out;
  }

  it('displays a +5000 uV offset plus noise centred near 0 from the start, and after a step within 2-3 s', () => {
    const frames = stream(8, (t, r) => (t < 4 ? 5000 : 7000) + 20 * gaussian(r));
    expect(Math.abs(centre(frames, 0, 100))).toBeLessThan(10); // first 0.1 s
    expect(Math.abs(centre(frames, 1000, 2000))).toBeLessThan(3); // 1-2 s
    expect(Math.abs(centre(frames, 3000, 4000))).toBeLessThan(3);
    // a 2000 uV step at 4 s: followed with the 0.5 s time constant
    expect(centre(frames, 4000, 4010)).toBeGreaterThan(1800);
    expect(Math.abs(centre(frames, 6000, 6100))).toBeLessThan(2000 * Math.exp(-3.9) + 5);
    expect(Math.abs(centre(frames, 7900, 8000))).toBeLessThan(5);
  });

  it('follows a slow drift with a constant lag of about rate x 0.5 s', () => {
    const rate = 200; // uV/s
    const frames = stream(10, (t, r) => 3000 + rate * t + 20 * gaussian(r));
    for (const at of [3000, 6000, 9000]) {
      const c = centre(frames, at, at + 500);
      expect(c).toBeGreaterThan(rate * 0.5 - 10);
      expect(c).toBeLessThan(rate * 0.5 + 10);
    }
  });

  it('ignores non-finite columns and restarts after dropped columns', () => {
    const d = new DisplayDecimator(1, 1000, { columnsPerSecond: 100, bufferSeconds: 0.1 }); // 10 columns of 10
    const x = new Float32Array(10).fill(100);
    d.push(x, 10, 0, 10, 0);
    x[3] = Infinity;
    d.push(x, 10, 0, 10, 10);
    x[3] = Number.NaN;
    d.push(x, 10, 0, 10, 20);
    const f = d.drain()!;
    expect(Array.from(f.minUv)).toEqual([0, 0, 0]);
    expect(f.maxUv[1]).toBe(Infinity);
    // 30 columns without a drain: 20 dropped, the baseline restarts at the first delivered column
    for (let k = 0; k < 30; k++) d.push(new Float32Array(10).fill(-400 + k), 10, 0, 10, 30 + 10 * k);
    const g = d.drain()!;
    expect(g.droppedColumns).toBe(20);
    expect(g.columnCount).toBe(10);
    expect(g.minUv[0]).toBe(0);
  });
});

describe('display decimator: idle mode over a source', () => {
  const ch = 3;
  const fs = 10000;
  const settings = { columnsPerSecond: 1000, bufferSeconds: 0.2 }; // 200 columns of 10

  /** A SampleRing that counts the samples read from it. */
  class CountingRing implements DisplaySource {
    framesRead = 0;
    constructor(readonly ring: SampleRing) {}
    get oldestSample(): number {
      return this.ring.oldestSample;
    }
    get endSample(): number {
      return this.ring.endSample;
    }
    read(dst: Float32Array, dstStride: number, dstOffset: number, fromSample: number, frames: number): number {
      this.framesRead += frames;
      return this.ring.read(dst, dstStride, dstOffset, fromSample, frames);
    }
  }

  function both(pieces: readonly Piece[], drainAfter: ReadonlySet<number>, ringSamples: number): { eager: DisplayFrame[]; idle: DisplayFrame[]; source: CountingRing } {
    const eager = new DisplayDecimator(ch, fs, settings);
    const source = new CountingRing(new SampleRing(ch, ringSamples));
    const lazy = new DisplayDecimator(ch, fs, settings, source);
    const out = { eager: [] as DisplayFrame[], idle: [] as DisplayFrame[], source };
    pieces.forEach((p, k) => {
      source.ring.write(p.data, p.frames, 0, p.frames, p.start);
      eager.push(p.data, p.frames, 0, p.frames, p.start);
      lazy.push(p.data, p.frames, 0, p.frames, p.start);
      if (drainAfter.has(k)) {
        const e = eager.drain();
        const l = lazy.drain();
        if (e) out.eager.push(e);
        if (l) out.idle.push(l);
      }
    });
    return out;
  }

  it('computes nothing while nobody drains, then gives the same frames as eager decimation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 5, maxLength: 60 }),
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 1e9 }),
        (sizes, gapEvery, drains, seed) => {
          const pieces = makePieces(seed, ch, sizes, gapEvery, awkward);
          const drainAfter = new Set([...drains, sizes.length - 1]);
          const { eager, idle } = both(pieces, drainAfter, 20000);
          expect(idle.length).toBe(eager.length);
          idle.forEach((f, k) => {
            const e = eager[k]!;
            expect(f.droppedColumns).toBe(e.droppedColumns);
            expect(Array.from(f.columnStartSample)).toEqual(Array.from(e.columnStartSample));
            expect(bytes(f.minUv).equals(bytes(e.minUv))).toBe(true);
            expect(bytes(f.maxUv).equals(bytes(e.maxUv))).toBe(true);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads only the buffer from the source after a long undrained stream', () => {
    const pieces = makePieces(3, ch, new Array<number>(1000).fill(100), 0, awkward); // 10 s
    const { eager, idle, source } = both(pieces, new Set([0, 999]), 30000);
    expect(idle[1]!.droppedColumns).toBe(10000 - 10 - 200);
    expect(idle[1]!.droppedColumns).toBe(eager[1]!.droppedColumns);
    expect(bytes(idle[1]!.minUv).equals(bytes(eager[1]!.minUv))).toBe(true);
    // the buffer (200 columns) plus the partial column, not the 10 s pushed
    expect(source.framesRead).toBeLessThanOrEqual(2000 + 10);
  });

  it('counts columns the source no longer holds as dropped', () => {
    const pieces = makePieces(4, ch, new Array<number>(100).fill(100), 0, awkward); // 1 s, ring of 0.1 s
    const { eager, idle } = both(pieces, new Set([0, 99]), 1000);
    expect(idle[1]!.columnCount).toBe(100);
    expect(idle[1]!.droppedColumns).toBe(eager[1]!.droppedColumns + 100);
    const e = eager[1]!;
    // the newest 100 columns agree (the baseline restarts at the first delivered column in both cases, not the same column)
    expect(Array.from(idle[1]!.columnStartSample)).toEqual(Array.from(e.columnStartSample.subarray(100)));
  });
});
