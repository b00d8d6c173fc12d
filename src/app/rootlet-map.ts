import {
  LEVELS,
  SIDES,
  type CutPlan,
  type DecisionKind,
  type Level,
  type RootKind,
  type Side,
  type SpreadGrade,
  type Suggestion,
  type WaveformPattern,
} from '../domain';
import type { RootletMap } from '../contracts';

export interface MapRootletInput {
  readonly level: Level;
  readonly side: Side;
  readonly index: number;
  /** Latest graded train of the rootlet, or null. */
  readonly latestGrade: { grade: SpreadGrade; pattern: WaveformPattern; suggestion: Suggestion } | null;
  /** Stimulated at least once (single pulse or train). */
  readonly stimulated: boolean;
}

export interface MapThresholdInput {
  readonly level: Level;
  readonly side: Side;
  readonly kind: RootKind;
  readonly rootlet: number | null;
  readonly thresholdMa: number | null;
}

export interface MapDecisionInput {
  readonly id: number;
  readonly level: Level;
  readonly side: Side;
  readonly rootletIndex: number;
  readonly kind: DecisionKind;
  readonly cutFraction: number;
}

/**
 * The rootlet map of a case: for every level and side, each rootlet's threshold, latest grade and
 * current decision, the % cut against the pre-operative plan, and case totals (shared domain notes,
 * "What the record of a case contains": summary). A partial cut counts as its fraction; % cut is over
 * decided rootlets. Thresholds are taken latest-first (inputs oldest first). Levels with nothing
 * recorded and no plan are left out.
 */
export function buildRootletMap(input: {
  caseId: string;
  cutPlan: CutPlan;
  rootlets: readonly MapRootletInput[];
  thresholds: readonly MapThresholdInput[];
  decisions: readonly MapDecisionInput[];
}): RootletMap {
  const key = (level: Level, side: Side) => `${level}${side}`;
  const rootletThreshold = new Map<string, number | null>();
  const rootThreshold = new Map<string, number | null>();
  for (const t of input.thresholds) {
    if (t.rootlet !== null) rootletThreshold.set(`${key(t.level, t.side)}-${t.rootlet}`, t.thresholdMa);
    else rootThreshold.set(`${key(t.level, t.side)}-${t.kind}`, t.thresholdMa);
  }
  const decisions = new Map<string, MapDecisionInput>();
  for (const d of input.decisions) decisions.set(`${key(d.level, d.side)}-${d.rootletIndex}`, d);

  const histogram = [0, 0, 0, 0, 0];
  let totalTested = 0;
  let totalDecided = 0;
  let totalCut = 0;
  const roots: RootletMap['roots'] = [];
  for (const level of LEVELS) {
    for (const side of SIDES) {
      const mine = input.rootlets.filter((r) => r.level === level && r.side === side).sort((a, b) => a.index - b.index);
      const planPct = input.cutPlan[level]?.[side] ?? null;
      const dorsal = rootThreshold.get(`${key(level, side)}-dorsal`) ?? null;
      const ventral = rootThreshold.get(`${key(level, side)}-ventral`) ?? null;
      const indices = new Set(mine.map((r) => r.index));
      for (const d of input.decisions) if (d.level === level && d.side === side) indices.add(d.rootletIndex);
      if (indices.size === 0 && planPct === null && dorsal === null && ventral === null) continue;
      let tested = 0;
      let decided = 0;
      let cut = 0;
      const rootlets = [...indices].sort((a, b) => a - b).map((index) => {
        const r = mine.find((x) => x.index === index);
        const d = decisions.get(`${key(level, side)}-${index}`) ?? null;
        if (r?.stimulated) tested++;
        if (r?.latestGrade) histogram[r.latestGrade.grade]!++;
        if (d) {
          decided++;
          cut += d.cutFraction;
        }
        return {
          rootlet: index,
          thresholdMa: rootletThreshold.get(`${key(level, side)}-${index}`) ?? null,
          grade: r?.latestGrade?.grade ?? null,
          pattern: r?.latestGrade?.pattern ?? null,
          suggestion: r?.latestGrade?.suggestion ?? null,
          decision: d?.kind ?? null,
          cutFraction: d ? d.cutFraction : null,
          decisionId: d?.id ?? null,
        };
      });
      totalTested += tested;
      totalDecided += decided;
      totalCut += cut;
      roots.push({
        level, side, dorsalThresholdMa: dorsal, ventralThresholdMa: ventral, rootlets, tested, decided,
        cutEquivalent: round3(cut), cutPct: decided > 0 ? round1((100 * cut) / decided) : null, planPct,
      });
    }
  }
  return {
    caseId: input.caseId,
    roots,
    totals: {
      tested: totalTested,
      decided: totalDecided,
      cutEquivalent: round3(totalCut),
      cutPct: totalDecided > 0 ? round1((100 * totalCut) / totalDecided) : null,
      gradeHistogram: histogram,
    },
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
