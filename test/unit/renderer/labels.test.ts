import { describe, expect, it } from 'vitest';
import { decisionLabel, formatMa, formatPct, gradeLabel, targetLabel } from '../../../renderer/labels';

describe('labels', () => {
  it('writes grades and decisions in the clinic\'s words', () => {
    expect(gradeLabel(0)).toBe('0');
    expect(gradeLabel(3)).toBe('3+');
    expect(gradeLabel(null)).toBe('\u2013');
    expect(decisionLabel('partial', 0.6)).toBe('PARTIAL 60%');
    expect(decisionLabel('spare-sphincter', 0)).toBe('SPARE sphincter');
    expect(decisionLabel('cut', 1)).toBe('CUT');
    expect(decisionLabel(null, null)).toBe('undecided');
  });

  it('formats intensities, percentages and targets', () => {
    expect(formatMa(0.256)).toBe('0.26 mA');
    expect(formatMa(2.25)).toBe('2.3 mA');
    expect(formatPct(37.5)).toBe('38%');
    expect(formatPct(null)).toBe('\u2013');
    expect(targetLabel({ level: 'L5', side: 'R', kind: 'dorsal', rootlet: 3 })).toBe('L5 R rootlet 3');
    expect(targetLabel({ level: 'S1', side: 'L', kind: 'ventral', rootlet: null })).toBe('S1 L ventral root');
  });
});
