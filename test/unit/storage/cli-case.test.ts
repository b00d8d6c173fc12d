// Unit tests of the pure helpers behind `sdrlog case` (the spawned-CLI tests are in test/integration).
import { describe, expect, it } from 'vitest';
import { makeDecision } from '../../../src/domain';
import { formatTable, parsePlanEntry, summarise } from '../../../src/cli/case';
import type { CurrentDecision } from '../../../src/storage';

describe('parsePlanEntry', () => {
  it('accumulates levels and sides, case-insensitively', () => {
    const p = parsePlanEntry('l5:r=50', parsePlanEntry('L4:L=40,R=42.5'));
    expect(p).toEqual({ L4: { L: 40, R: 42.5 }, L5: { R: 50 } });
    expect(parsePlanEntry('L4:R=30', p).L4).toEqual({ L: 40, R: 30 });
  });
  it('names what is wrong', () => {
    expect(() => parsePlanEntry('L4')).toThrow("--plan must look like L4:L=40,R=40, got 'L4'");
    expect(() => parsePlanEntry('T1:L=4')).toThrow(/level must be one of L1, L2/);
    expect(() => parsePlanEntry('L4:X=4')).toThrow("each side must look like L=40 or R=40, got 'X=4'");
    expect(() => parsePlanEntry('L4:L=101')).toThrow('a planned cut is 0-100 %, got 101');
  });
});

describe('summarise', () => {
  const at = '2024-03-01T09:00:00Z';
  const cur = (level: 'L4' | 'L5', side: 'L' | 'R', idx: number, kind: 'cut' | 'spare' | 'partial', fraction?: number): CurrentDecision => ({
    id: idx, rootletId: idx, decision: makeDecision({ kind, fraction, decidedBy: 'A', decidedAt: at }), gradeId: null, correctsId: null,
    recordedAt: at, auditId: idx, level, side, rootletIndex: idx,
  });
  it('counts partial cuts by their fraction and compares with the plan', () => {
    const rootlets = [{ level: 'L4', side: 'L' }, { level: 'L4', side: 'L' }, { level: 'L4', side: 'L' }, { level: 'L4', side: 'L' }] as const;
    const s = summarise(rootlets, [cur('L4', 'L', 1, 'cut'), cur('L4', 'L', 2, 'partial', 0.5), cur('L4', 'L', 3, 'spare')], { L4: { L: 40 }, L5: { R: 30 } });
    expect(s).toEqual([
      { level: 'L4', side: 'L', rootletsTested: 4, decided: 3, cutEquivalent: 1.5, percentCut: 50, plannedPercent: 40 },
      { level: 'L5', side: 'R', rootletsTested: 0, decided: 0, cutEquivalent: 0, percentCut: null, plannedPercent: 30 },
    ]);
  });
});

describe('formatTable', () => {
  it('pads columns to the widest cell and trims the last', () => {
    expect(formatTable(['A', 'BB', 'C'], [['xxx', 'y', 'z'], ['', '', '']])).toBe('A    BB  C\nxxx  y   z\n');
  });
});
