import { describe, expect, it } from 'vitest';
import { reproducibleIntensity } from '../../../renderer/state/store';

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
