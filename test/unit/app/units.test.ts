import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeSampleBlock } from '../../../src/domain';
import type { TraceFrame } from '../../../src/contracts';
import { LossyQueue } from '../../../src/app/lossy-queue';
import { GradeLatencyTracker } from '../../../src/app/latency';
import { minMaxDecimate } from '../../../src/app/decimate';
import { TraceFramer } from '../../../src/app/trace-framer';
import { buildRootletMap } from '../../../src/app/rootlet-map';

describe('LossyQueue', () => {
  it('drops the oldest and counts', () => {
    const q = new LossyQueue<number>(3);
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(q.dropped).toBe(2);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([3, 4, 5, undefined]);
    q.push(6);
    expect(q.length).toBe(1);
    expect(() => new LossyQueue(0)).toThrow(/positive integer/);
  });
});

describe('GradeLatencyTracker', () => {
  it('measures from the arrival of the block completing the last needed sample', () => {
    const t = new GradeLatencyTracker();
    t.noteArrival(100, 1000); // samples 0..99
    t.noteArrival(200, 1010); // samples 100..199
    t.noteArrival(300, 1020);
    expect(t.arrivalOf(150)).toBe(1010);
    expect(t.arrivalOf(99)).toBe(1000);
    expect(t.gradeEmitted(250, 1032)).toBe(12);
    expect(t.gradeEmitted(100, 1015)).toBe(5);
    expect(t.gradeEmitted(5000, 1100)).toBeNull();
    expect(t.stats()).toEqual({ count: 2, lastMs: 5, p50Ms: 5, p95Ms: 12, maxMs: 12 });
  });
});

describe('minMaxDecimate', () => {
  it('keeps extremes per bucket for each channel', () => {
    // channel 0: 0..9, channel 1: spike of 100 at sample 7
    const data = new Float32Array(20);
    for (let i = 0; i < 10; i++) data[i] = i;
    data[10 + 7] = 100;
    const d = minMaxDecimate(data, 2, 10, 4);
    // buckets: [0,2) [2,5) [5,7) [7,10)
    expect(d.minUv[0]).toEqual([0, 2, 5, 7]);
    expect(d.maxUv[0]).toEqual([1, 4, 6, 9]);
    expect(d.maxUv[1]).toEqual([0, 0, 0, 100]);
    expect(d.samplesPerPoint).toBe(2.5);
    expect(minMaxDecimate(data, 2, 10, 50).minUv[0]).toHaveLength(10);
  });
});

describe('TraceFramer', () => {
  const rate = 1000;
  const signal = (n: number) => {
    const d = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      d[i] = Math.sin(i / 3) * 50;
      d[n + i] = (i % 17) - 8;
    }
    return d;
  };
  function framesFor(sizes: number[], total: number): Omit<TraceFrame, 'droppedFrames'>[] {
    const all = signal(total);
    const out: Omit<TraceFrame, 'droppedFrames'>[] = [];
    const f = new TraceFramer((fr) => out.push(fr), { pointsPerSecond: 200, frameMs: 50 });
    let at = 0;
    for (const s of sizes) {
      const n = Math.min(s, total - at);
      if (n <= 0) break;
      const d = new Float32Array(2 * n);
      d.set(all.subarray(at, at + n), 0);
      d.set(all.subarray(total + at, total + at + n), n);
      f.push(makeSampleBlock(at, rate, 2, d));
      at += n;
    }
    return out;
  }

  it('emits frames of 10 points x 5 samples at 1 kHz with the exact min/max', () => {
    const frames = framesFor([1000], 1000);
    expect(frames).toHaveLength(20);
    expect(frames[0]!.samplesPerPoint).toBe(5);
    expect(frames[1]!.startSample).toBe(50);
    expect(frames[0]!.channels[1]!.minUv.slice(0, 4)).toEqual([-8, -3, 2, -8]);
    expect(frames[0]!.channels[1]!.maxUv.slice(0, 4)).toEqual([-4, 1, 6, 8]);
  });

  it('gives the same frames for any chunking (chunked == batch)', () => {
    const batch = framesFor([1000], 1000);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 60, maxLength: 200 }), (sizes) => {
      const total = sizes.reduce((a, b) => a + b, 0);
      fc.pre(total >= 1000);
      expect(framesFor(sizes, 1000)).toEqual(batch);
    }), { numRuns: 50 });
  });

  it('does not splice across a gap', () => {
    const out: Omit<TraceFrame, 'droppedFrames'>[] = [];
    const f = new TraceFramer((fr) => out.push(fr), { pointsPerSecond: 200, frameMs: 50 });
    f.push(makeSampleBlock(0, rate, 1, new Float32Array(30).fill(1)));
    f.push(makeSampleBlock(500, rate, 1, new Float32Array(50).fill(2)));
    expect(out.map((o) => [o.startSample, o.channels[0]!.maxUv.length, o.channels[0]!.maxUv[0]])).toEqual([[0, 6, 1], [500, 10, 2]]);
  });
});

describe('buildRootletMap', () => {
  it('summarises thresholds, grades, decisions and % cut against the plan', () => {
    const map = buildRootletMap({
      caseId: 'c1',
      cutPlan: { L4: { R: 50 }, S1: { L: 40 } },
      rootlets: [
        { level: 'L4', side: 'R', index: 1, stimulated: true, latestGrade: { grade: 3, pattern: 'sustained', suggestion: 'cut' } },
        { level: 'L4', side: 'R', index: 2, stimulated: true, latestGrade: { grade: 1, pattern: 'decremental', suggestion: 'spare' } },
        { level: 'L4', side: 'R', index: 3, stimulated: true, latestGrade: null },
      ],
      thresholds: [
        { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 1, thresholdMa: 0.9 },
        { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 1, thresholdMa: 0.8 },
        { level: 'L4', side: 'R', kind: 'ventral', rootlet: null, thresholdMa: 0.1 },
      ],
      decisions: [
        { id: 7, level: 'L4', side: 'R', rootletIndex: 1, kind: 'cut', cutFraction: 1 },
        { id: 8, level: 'L4', side: 'R', rootletIndex: 2, kind: 'partial', cutFraction: 0.6 },
        { id: 9, level: 'L4', side: 'R', rootletIndex: 3, kind: 'spare', cutFraction: 0 },
      ],
    });
    expect(map.roots.map((r) => `${r.level}${r.side}`)).toEqual(['L4R', 'S1L']);
    const l4r = map.roots[0]!;
    expect(l4r.ventralThresholdMa).toBe(0.1);
    expect(l4r.rootlets[0]).toEqual({ rootlet: 1, thresholdMa: 0.8, grade: 3, pattern: 'sustained', suggestion: 'cut', decision: 'cut', cutFraction: 1, decisionId: 7 });
    expect([l4r.tested, l4r.decided, l4r.cutEquivalent, l4r.cutPct, l4r.planPct]).toEqual([3, 3, 1.6, 53.3, 50]);
    expect(map.roots[1]).toMatchObject({ rootlets: [], tested: 0, cutPct: null, planPct: 40 });
    expect(map.totals).toEqual({ tested: 3, decided: 3, cutEquivalent: 1.6, cutPct: 53.3, gradeHistogram: [0, 1, 0, 1, 0] });
  });
});
