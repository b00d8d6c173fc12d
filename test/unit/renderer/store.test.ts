import { describe, expect, it } from 'vitest';
import { reproducibleIntensity, shownGradeId } from '../../../renderer/state/store';
import type { GradedTrain } from '../../../src/contracts';

describe('reproducibleIntensity', () => {
  const p = (intensityMa: number, responding: boolean) => ({ intensityMa, responding });

  it('is the lowest intensity where every repeat responded', () => {
    expect(reproducibleIntensity([p(0.3, false), p(0.7, true), p(0.7, false), p(1.1, true), p(1.1, true), p(1.5, true), p(1.5, true)], 2)).toBe(1.1);
  });

  it('needs the full number of repeats at that intensity', () => {
    expect(reproducibleIntensity([p(0.3, false), p(0.7, true)], 2)).toBeNull();
    expect(reproducibleIntensity([p(0.3, false), p(0.7, true)], 1)).toBe(0.7);
  });

  it('is null when nothing responded', () => {
    expect(reproducibleIntensity([p(0.3, false), p(0.7, false)], 1)).toBeNull();
    expect(reproducibleIntensity([], 2)).toBeNull();
  });
});

describe('shownGradeId (the gradeId a decision is sent with)', () => {
  const train = (rootlet: number, gradeId: number | null) => ({ stimulationId: 40, gradeId, grade: { target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet } } }) as unknown as GradedTrain;
  const cursor = { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 2 } as const;

  it("is the stored grade's id of the train shown on the rootlet under the cursor, never the stimulation id", () => {
    expect(shownGradeId(train(2, 17), cursor)).toBe(17);
  });

  it('is null for another rootlet, an unstored grade or no train', () => {
    expect(shownGradeId(train(3, 17), cursor)).toBeNull();
    expect(shownGradeId(train(2, null), cursor)).toBeNull();
    expect(shownGradeId(null, cursor)).toBeNull();
  });
});
