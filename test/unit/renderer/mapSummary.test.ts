import { describe, expect, it } from 'vitest';
import { decisionLabel, gradeLabel, summarizeMap, type RootletCell } from '../../../renderer/mapSummary';

function cell(level: RootletCell['level'], side: RootletCell['side'], rootlet: number, grade: RootletCell['grade'], cutFraction: number | null): RootletCell {
  const decision = cutFraction === null ? null : cutFraction === 1 ? 'cut' : cutFraction === 0 ? 'spare' : 'partial';
  return { level, side, rootlet, thresholdMa: 1, grade, pattern: null, suggestion: null, decision, cutFraction };
}

describe('summarizeMap', () => {
  const cells = [
    cell('L4', 'L', 1, 3, 1),
    cell('L4', 'L', 2, 1, 0),
    cell('L4', 'L', 3, 4, 0.5),
    cell('L4', 'L', 4, 2, null),
    cell('S1', 'R', 1, 4, 1),
  ];
  const s = summarizeMap(cells, { L4: { L: 40 }, S1: { R: 50, L: 30 } });

  it('counts partial cuts by their fraction against all tested rootlets', () => {
    const l4l = s.rows.find((r) => r.level === 'L4' && r.side === 'L')!;
    expect(l4l.tested).toBe(4);
    expect(l4l.decided).toBe(3);
    expect(l4l.cutRootlets).toBe(1.5);
    expect(l4l.pctCut).toBe(37.5);
    expect(l4l.planPct).toBe(40);
  });

  it('reports untested levels as null, with the plan still shown', () => {
    const s1l = s.rows.find((r) => r.level === 'S1' && r.side === 'L')!;
    expect(s1l.tested).toBe(0);
    expect(s1l.pctCut).toBeNull();
    expect(s1l.planPct).toBe(30);
    expect(s.rows).toHaveLength(14);
  });

  it('totals the whole case and builds the grade histogram', () => {
    expect(s.tested).toBe(5);
    expect(s.decided).toBe(4);
    expect(s.cutRootlets).toBe(2.5);
    expect(s.pctCut).toBe(50);
    expect(s.gradeHistogram).toEqual([0, 1, 1, 1, 2]);
  });

  it('labels grades and decisions in the clinic\'s words', () => {
    expect(gradeLabel(0)).toBe('0');
    expect(gradeLabel(3)).toBe('3+');
    expect(decisionLabel('partial', 0.6)).toBe('PARTIAL 60%');
    expect(decisionLabel('spare-sphincter', 0)).toBe('SPARE (sphincter)');
    expect(decisionLabel(null, null)).toBe('undecided');
  });
});
