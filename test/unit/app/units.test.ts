import { describe, expect, it } from 'vitest';
import { LossyQueue } from '../../../src/app/lossy-queue';
import { GradeLatencyTracker } from '../../../src/app/latency';
import { minMaxDecimate } from '../../../src/app/decimate';
import { displayToTraceFrames } from '../../../src/app/analyzer';
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

describe('displayToTraceFrames', () => {
  it('converts the pipeline display frame into trace frames, split where columns jump (a gap)', () => {
    // 2 channels, 5 columns of 10 samples; a gap between column 2 (start 20) and column 3 (start 100)
    const frame = {
      channelCount: 2, columnCount: 5, samplesPerColumn: 10, sampleRateHz: 10_000,
      columnStartSample: Float64Array.from([0, 10, 20, 100, 110]),
      minUv: Float32Array.from([-1, -2, -3, -4, -5, -10, -20, -30, -40, -50.123]),
      maxUv: Float32Array.from([1, 2, 3, 4, 5, 10, 20, 30, 40, 50.456]),
      droppedColumns: 0,
    };
    const out = displayToTraceFrames(frame);
    expect(out).toEqual([
      { startSample: 0, sampleRateHz: 10_000, samplesPerPoint: 10, channels: [
        { channel: 0, minUv: [-1, -2, -3], maxUv: [1, 2, 3] }, { channel: 1, minUv: [-10, -20, -30], maxUv: [10, 20, 30] }] },
      { startSample: 100, sampleRateHz: 10_000, samplesPerPoint: 10, channels: [
        { channel: 0, minUv: [-4, -5], maxUv: [4, 5] }, { channel: 1, minUv: [-40, -50.12], maxUv: [40, 50.46] }] },
    ]);
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
