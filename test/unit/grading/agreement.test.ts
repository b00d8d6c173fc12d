import { describe, expect, it } from 'vitest';
import { confusionMatrix, percentAgreement, quadraticWeightedKappa } from '../../../src/grading/agreement';

describe('quadratic-weighted kappa', () => {
  it('matches a hand-computed 3-category example', () => {
    // Items (A,B): (0,0) (0,1) (1,1) (1,1) (2,1) (2,2)
    // O = [[1,1,0],[0,2,0],[0,1,1]]; rows = [2,2,2], cols = [1,4,1], n = 6
    // weights (i-j)^2/4: w01 = 0.25, w02 = 1, w12 = 0.25
    // observed weighted = 0.25*1 (0,1) + 0.25*1 (2,1) = 0.5
    // E_ij = rows_i*cols_j/6: E = [[1/3,4/3,1/3]] for every row
    // expected weighted = per row: row0 0.25*4/3 + 1*1/3 = 2/3; row1 0.25*1/3 + 0.25*1/3 = 1/6; row2 = 2/3
    //   total = 3/2; kappa = 1 - 0.5 / 1.5 = 2/3
    const a = [0, 0, 1, 1, 2, 2];
    const b = [0, 1, 1, 1, 1, 2];
    expect(confusionMatrix(a, b, 3)).toEqual([[1, 1, 0], [0, 2, 0], [0, 1, 1]]);
    expect(quadraticWeightedKappa(a, b, 3)).toBeCloseTo(2 / 3, 12);
  });

  it('matches a hand-computed 5-grade example with a distant disagreement', () => {
    // A = [0,1,2,3,4], B = [0,1,2,3,0]: only item 5 disagrees, by 4 grades: w = 16/16 = 1.
    // rows all 1, cols = [2,1,1,1,0], n = 5. Expected = sum_ij w_ij * cols_j / 5 over i.
    // sum_i w_ij for column j over i=0..4: sum_i (i-j)^2/16
    //   j=0: (0+1+4+9+16)/16 = 30/16; j=1: (1+0+1+4+9)/16 = 15/16; j=2: (4+1+0+1+4)/16 = 10/16; j=3: 15/16
    // expected = (2*30 + 15 + 10 + 15)/16/5 = 100/80 = 1.25; kappa = 1 - 1/1.25 = 0.2
    expect(quadraticWeightedKappa([0, 1, 2, 3, 4], [0, 1, 2, 3, 0], 5)).toBeCloseTo(0.2, 12);
  });

  it('is 1 for perfect agreement and negative for systematic reversal', () => {
    expect(quadraticWeightedKappa([0, 1, 2, 3, 4, 4], [0, 1, 2, 3, 4, 4], 5)).toBe(1);
    // full reversal on a symmetric sample: observed = expected*2 -> kappa = -1
    expect(quadraticWeightedKappa([0, 4], [4, 0], 5)).toBeCloseTo(-1, 12);
    expect(quadraticWeightedKappa([2, 2, 2], [2, 2, 2], 5)).toBe(1);
  });

  it('refuses mismatched lengths and out-of-range ratings', () => {
    expect(() => quadraticWeightedKappa([0, 1], [0], 5)).toThrow(/item count/);
    expect(() => quadraticWeightedKappa([5], [0], 5)).toThrow(/outside 0..4/);
  });

  it('computes percent agreement', () => {
    expect(percentAgreement(['cut', 'spare', 'review', 'cut'], ['cut', 'spare', 'spare', 'cut'])).toBe(0.75);
  });
});
