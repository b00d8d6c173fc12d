/**
 * Agreement statistics between two raters (the grader and a reference, or a trainee and the expert).
 * Used by the grading corpus test and by training mode.
 */

/** Confusion matrix of two raters over ordinal categories 0..k-1: m[a][b] counts items rated a by rater A and b by rater B. */
export function confusionMatrix(a: readonly number[], b: readonly number[], categories: number): number[][] {
  if (a.length !== b.length) throw new RangeError(`raters disagree on item count: ${a.length} vs ${b.length}`);
  if (!Number.isInteger(categories) || categories < 2) throw new RangeError(`need at least 2 categories, got ${categories}`);
  const m = Array.from({ length: categories }, () => new Array<number>(categories).fill(0));
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isInteger(x) || x < 0 || x >= categories) throw new RangeError(`rating ${x} of item ${i} (rater A) is outside 0..${categories - 1}`);
    if (!Number.isInteger(y) || y < 0 || y >= categories) throw new RangeError(`rating ${y} of item ${i} (rater B) is outside 0..${categories - 1}`);
    m[x]![y]! += 1;
  }
  return m;
}

/**
 * Cohen's weighted kappa with quadratic weights (Cohen 1968; Fleiss & Cohen 1973):
 *   kappa = 1 - sum(w_ij * O_ij) / sum(w_ij * E_ij),  w_ij = (i - j)^2 / (k - 1)^2,
 * where O is the observed confusion matrix and E = outer(row totals, column totals) / n the matrix
 * expected by chance. Ordinal disagreements cost the square of their distance, so grading a 4+ as a
 * 3+ costs far less than grading it as 0.
 * Returns 1 when both raters agree perfectly, including the degenerate case where chance
 * disagreement is zero (every item in one category for both raters); returns NaN for no items.
 */
export function quadraticWeightedKappa(a: readonly number[], b: readonly number[], categories: number): number {
  const m = confusionMatrix(a, b, categories);
  const n = a.length;
  if (n === 0) return Number.NaN;
  const rows = m.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = m[0]!.map((_, j) => m.reduce((s, r) => s + r[j]!, 0));
  const denomK = (categories - 1) ** 2;
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < categories; i++) {
    for (let j = 0; j < categories; j++) {
      const w = (i - j) ** 2 / denomK;
      observed += w * m[i]![j]!;
      expected += (w * rows[i]! * cols[j]!) / n;
    }
  }
  if (expected === 0) return observed === 0 ? 1 : Number.NaN;
  return 1 - observed / expected;
}

/** Fraction of items on which two raters give the same label. NaN for no items. */
export function percentAgreement<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length !== b.length) throw new RangeError(`raters disagree on item count: ${a.length} vs ${b.length}`);
  if (a.length === 0) return Number.NaN;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}
