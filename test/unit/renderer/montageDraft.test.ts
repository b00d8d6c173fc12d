import { describe, expect, it } from 'vitest';
import { DEFAULT_MONTAGE } from '../../../src/domain';
import { draftFromMontage, parseRoots, validateMontageDraft } from '../../../renderer/montageDraft';

describe('montage draft', () => {
  it('round-trips the default 16-channel montage without errors', () => {
    const rows = draftFromMontage(DEFAULT_MONTAGE);
    expect(rows).toHaveLength(16);
    expect(rows[3]).toEqual({ side: 'L', muscle: 'TA', rootsText: 'L4 L5' });
    expect(validateMontageDraft(rows)).toEqual([]);
  });

  it('parses roots separated by spaces, commas or semicolons', () => {
    expect(parseRoots(' l4, L5;s1 ')).toEqual(['L4', 'L5', 'S1']);
    expect(parseRoots('')).toEqual([]);
  });

  it('lists every problem at once', () => {
    const rows = draftFromMontage(DEFAULT_MONTAGE);
    rows[1] = { side: 'L', muscle: 'TA', rootsText: 'L4 L9' }; // duplicate of channel 3 and a bad root
    rows[2] = { side: 'X', muscle: 'VL', rootsText: '' };
    rows[5] = { side: 'L', muscle: 'FOO', rootsText: 'L4' };
    expect(validateMontageDraft(rows)).toEqual([
      "channel 1 (L TA): unknown root 'L9' (use L1..S4)",
      'channel 2: side must be L or R',
      'channel 2 (X VL): a leg muscle needs at least one root',
      'channel 3: L TA is already on channel 1',
      "channel 5: unknown muscle 'FOO'",
    ]);
  });

  it('accepts an upper-limb sentinel without roots', () => {
    expect(validateMontageDraft([{ side: 'R', muscle: 'delt', rootsText: '' }])).toEqual([]);
  });
});
