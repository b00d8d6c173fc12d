import { describe, expect, it } from 'vitest';
import * as DOMAIN from '../../../src/domain';
import { DEFAULT_MONTAGE, LEVELS, SEGMENTS, type Level, type Montage, type Side } from '../../../src/domain';
import { createVirtualPatient, patientTruth, type RootletTruth } from '../../../hardware/simulated/patient';

/**
 * Independent statement of the Phillips & Park rule (shared domain notes, "Grading"), written without
 * the simulator's helpers: the grade is the worst relation of any sustained responder, a muscle counting
 * with its root nearest the stimulated level.
 */
function gradeByRule(montage: Montage, level: Level, side: Side, channels: readonly number[]): number {
  let worst = 0;
  for (const i of channels) {
    const ch = montage.channels[i]!;
    let g: number;
    if (ch.roots.length === 0 || ch.side !== side) g = 4;
    else {
      const stim = SEGMENTS.indexOf(level);
      const d = Math.min(...ch.roots.map((r) => Math.abs(SEGMENTS.indexOf(r) - stim)));
      g = d === 0 ? 1 : d === 1 ? 2 : 3;
    }
    worst = Math.max(worst, g);
  }
  return worst;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const SEEDS = Array.from({ length: 20 }, (_, i) => 1000 + i * 7);
const all = SEEDS.map((seed) => patientTruth(createVirtualPatient({ seed })).rootlets());
const flat: RootletTruth[] = all.flat();

describe('virtual patient', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createVirtualPatient({ seed: 42 });
    const b = createVirtualPatient({ seed: 42 });
    expect(patientTruth(a).rootlets()).toEqual(patientTruth(b).rootlets());
    expect(patientTruth(a).ventralRoots()).toEqual(patientTruth(b).ventralRoots());
    expect(a.roots).toEqual(b.roots);
    const c = createVirtualPatient({ seed: 43 });
    expect(patientTruth(c).rootlets().map((r) => r.thresholdMa)).not.toEqual(patientTruth(a).rootlets().map((r) => r.thresholdMa));
  });

  it('has 3-8 rootlets per root on every level and side, and a ventral root each', () => {
    for (const seed of SEEDS.slice(0, 5)) {
      const p = createVirtualPatient({ seed });
      expect(p.roots).toHaveLength(LEVELS.length * 2);
      for (const root of p.roots) {
        expect(root.rootletCount).toBeGreaterThanOrEqual(3);
        expect(root.rootletCount).toBeLessThanOrEqual(8);
        expect(patientTruth(p).ventral(root.level, root.side).target).toEqual({ level: root.level, side: root.side, kind: 'ventral', rootlet: null });
      }
      const total = p.roots.reduce((s, r) => s + r.rootletCount, 0);
      expect(patientTruth(p).rootlets()).toHaveLength(total);
    }
  });

  it('draws dorsal thresholds with median about 1 mA within 0.2-5 mA, spread out', () => {
    const th = flat.map((r) => r.thresholdMa);
    expect(median(th)).toBeGreaterThan(0.8);
    expect(median(th)).toBeLessThan(1.5);
    expect(Math.min(...th)).toBeGreaterThanOrEqual(0.2);
    expect(Math.max(...th)).toBeLessThanOrEqual(5);
    const sorted = [...th].sort((a, b) => a - b);
    expect(sorted[Math.floor(0.05 * sorted.length)]!).toBeLessThan(0.6);
    expect(sorted[Math.floor(0.95 * sorted.length)]!).toBeGreaterThan(1.8);
  });

  it('has thresholds falling caudally and a little lower on the right', () => {
    const at = (levels: Level[]): number[] => flat.filter((r) => levels.includes(r.target.level)).map((r) => r.thresholdMa);
    expect(median(at(['L1', 'L2'])) / median(at(['L5', 'S1']))).toBeGreaterThan(1.3);
    const bySide = (side: Side): number => median(flat.filter((r) => r.target.side === side).map((r) => r.thresholdMa));
    expect(bySide('R')).toBeLessThan(bySide('L'));
  });

  it('has ventral roots about 10x lower than the dorsal rootlets of the same root', () => {
    const ratios: number[] = [];
    for (const seed of SEEDS) {
      const t = patientTruth(createVirtualPatient({ seed }));
      for (const v of t.ventralRoots()) {
        const dorsal = t.rootlets().filter((r) => r.target.level === v.target.level && r.target.side === v.target.side).map((r) => r.thresholdMa);
        ratios.push(median(dorsal) / v.thresholdMa);
        expect(v.thresholdMa).toBeLessThan(0.6);
      }
    }
    expect(median(ratios)).toBeGreaterThan(7);
    expect(median(ratios)).toBeLessThan(14);
  });

  it('would cut 25-40 % of rootlets under "grade >= 3 suggests cut" for every seed', () => {
    for (const rootlets of all) {
      const frac = rootlets.filter((r) => r.grade >= 3).length / rootlets.length;
      expect(frac).toBeGreaterThanOrEqual(0.25);
      expect(frac).toBeLessThanOrEqual(0.4);
    }
  });

  it('grades worst at L5 and S1 and slightly worse on the right', () => {
    const cutFrac = (f: (r: RootletTruth) => boolean): number => {
      const sel = flat.filter(f);
      return sel.filter((r) => r.grade >= 3).length / sel.length;
    };
    const caudal = cutFrac((r) => r.target.level === 'L5' || r.target.level === 'S1');
    for (const level of ['L1', 'L2', 'L3', 'L4', 'S2'] as Level[]) expect(caudal).toBeGreaterThan(cutFrac((r) => r.target.level === level));
    expect(cutFrac((r) => r.target.side === 'R')).toBeGreaterThan(cutFrac((r) => r.target.side === 'L'));
    const meanGrade = (levels: Level[]): number => {
      const sel = flat.filter((r) => levels.includes(r.target.level));
      return sel.reduce((s, r) => s + r.grade, 0) / sel.length;
    };
    expect(meanGrade(['L5', 'S1'])).toBeGreaterThan(meanGrade(['L1', 'L2']) + 0.5);
  });

  it('gives every rootlet a sustained set S whose domain-rule grade is its grade', () => {
    const seen = new Set<number>();
    for (const r of flat) {
      const s = r.sustained.map((x) => x.channel);
      expect(gradeByRule(DEFAULT_MONTAGE, r.target.level, r.target.side, s)).toBe(r.grade);
      seen.add(r.grade);
      expect(new Set(s).size).toBe(s.length);
      // Onset-only muscles are never in S; a grade-0 rootlet has no pattern.
      for (const o of r.onsetOnly) expect(s).not.toContain(o.channel);
      if (r.grade === 0) expect(r.pattern).toBe('none');
      else expect(r.pattern).not.toBe('none');
      // Every reflex has a child's latency and a visible amplitude.
      for (const x of r.sustained) {
        expect(x.latencyMs).toBeGreaterThanOrEqual(10);
        expect(x.latencyMs).toBeLessThanOrEqual(35);
        expect(x.amplitudeUv).toBeGreaterThanOrEqual(150);
        expect(x.amplitudeUv).toBeLessThanOrEqual(1200);
      }
      // Single pulses above threshold answer in the segmental muscles.
      for (const x of r.singlePulse) expect(DEFAULT_MONTAGE.channels[x.channel]!.roots).toContain(r.target.level);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('builds grade-3 spread from ipsilateral muscles two or more levels away', () => {
    const p = createVirtualPatient({ seed: 5, overrides: [{ level: 'L4', side: 'L', rootlet: 1, grade: 3, pattern: 'clonic', thresholdMa: 0.9 }] });
    const r = patientTruth(p).rootlet('L4', 'L', 1);
    expect(r.grade).toBe(3);
    expect(r.pattern).toBe('clonic');
    expect(r.thresholdMa).toBe(0.9);
    expect(r.clonicHz).toBeGreaterThanOrEqual(3);
    expect(r.clonicHz).toBeLessThanOrEqual(8);
    const names = r.sustained.map((x) => `${DEFAULT_MONTAGE.channels[x.channel]!.side} ${DEFAULT_MONTAGE.channels[x.channel]!.muscle}`);
    expect(names.every((n) => n.startsWith('L '))).toBe(true);
    expect(names.some((n) => n === 'L TA' || n === 'L VL')).toBe(true);
    expect(r.sustained.some((x) => x.relation === 'distant')).toBe(true);
  });

  it('falls back to an achievable grade on a montage that lacks the muscles', () => {
    const { makeMontage } = DOMAIN;
    const m = makeMontage('left only', [{ side: 'L', muscle: 'VL' }, { side: 'L', muscle: 'TA' }]);
    const p = createVirtualPatient({ seed: 9, montage: m, levels: ['L4'], sides: ['L'], overrides: [{ level: 'L4', side: 'L', rootlet: 1, grade: 4 }] });
    const r = patientTruth(p).rootlet('L4', 'L', 1);
    // Only segmental muscles exist (VL: L3 L4, TA: L4 L5), so grade 1 is the most this montage can show.
    expect(r.grade).toBe(1);
    expect(gradeByRule(m, 'L4', 'L', r.sustained.map((x) => x.channel))).toBe(1);
  });
});

