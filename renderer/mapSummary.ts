import {
  LEVELS,
  SIDES,
  type CutPlan,
  type DecisionKind,
  type Level,
  type Side,
  type SpreadGrade,
  type WaveformPattern,
  type Suggestion,
} from '../src/domain';

/** What the rootlet map shows for one dorsal rootlet. */
export interface RootletCell {
  readonly level: Level;
  readonly side: Side;
  readonly rootlet: number;
  readonly thresholdMa: number | null;
  readonly grade: SpreadGrade | null;
  readonly pattern: WaveformPattern | null;
  readonly suggestion: Suggestion | null;
  readonly decision: DecisionKind | null;
  /** Fraction of the rootlet cut (1 cut, 0 spare, 0..1 partial); null while undecided. */
  readonly cutFraction: number | null;
}

export interface LevelSideSummary {
  readonly level: Level;
  readonly side: Side;
  readonly tested: number;
  readonly decided: number;
  /** Sum of cut fractions: a partial 0.5 counts as half a rootlet. */
  readonly cutRootlets: number;
  /** cutRootlets / tested * 100, null when nothing was tested. */
  readonly pctCut: number | null;
  readonly planPct: number | null;
}

export interface MapSummary {
  readonly rows: readonly LevelSideSummary[];
  readonly tested: number;
  readonly decided: number;
  readonly cutRootlets: number;
  readonly pctCut: number | null;
  /** Rootlets per grade 0..4 (graded rootlets only). */
  readonly gradeHistogram: readonly number[];
}

/**
 * Per level and side: rootlets tested and cut, % cut against the pre-operative plan (shared domain notes,
 * "What the record of a case contains": summary). Percentages count partial cuts by their fraction, the
 * way centres that cut part of a rootlet report them, and use all tested rootlets as the denominator
 * (an undecided rootlet is not cut yet).
 */
export function summarizeMap(cells: readonly RootletCell[], plan: CutPlan, levels: readonly Level[] = LEVELS): MapSummary {
  const rows: LevelSideSummary[] = [];
  const hist = [0, 0, 0, 0, 0];
  let tested = 0;
  let decided = 0;
  let cut = 0;
  for (const c of cells) if (c.grade !== null) hist[c.grade]! += 1;
  for (const level of levels) {
    for (const side of SIDES) {
      const mine = cells.filter((c) => c.level === level && c.side === side);
      const d = mine.filter((c) => c.cutFraction !== null);
      const cutHere = d.reduce((sum, c) => sum + (c.cutFraction ?? 0), 0);
      rows.push({
        level,
        side,
        tested: mine.length,
        decided: d.length,
        cutRootlets: cutHere,
        pctCut: mine.length > 0 ? (cutHere / mine.length) * 100 : null,
        planPct: plan[level]?.[side] ?? null,
      });
      tested += mine.length;
      decided += d.length;
      cut += cutHere;
    }
  }
  return { rows, tested, decided, cutRootlets: cut, pctCut: tested > 0 ? (cut / tested) * 100 : null, gradeHistogram: hist };
}

/** Grade as clinicians write it: 0, 1+, 2+, 3+, 4+. */
export function gradeLabel(g: SpreadGrade | null): string {
  if (g === null) return '\u2013';
  return g === 0 ? '0' : `${g}+`;
}

export function decisionLabel(kind: DecisionKind | null, cutFraction: number | null): string {
  switch (kind) {
    case 'cut':
      return 'CUT';
    case 'spare':
      return 'SPARE';
    case 'partial':
      return `PARTIAL ${Math.round((cutFraction ?? 0) * 100)}%`;
    case 'spare-sphincter':
      return 'SPARE (sphincter)';
    default:
      return 'undecided';
  }
}

export function formatPct(v: number | null): string {
  return v === null ? '\u2013' : `${Math.round(v)}%`;
}
