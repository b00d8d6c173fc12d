import type { TrainGrade } from '../../domain';
import type { RootletMap } from '../../contracts';
import type { CaseStore } from '../../storage';
import { buildRootletMap, type MapDecisionInput, type MapRootletInput, type MapThresholdInput } from '../rootlet-map';

/**
 * The rootlet map of a case read from the store, computed by `buildRootletMap` (the one map and
 * % cut computation of the app). Inputs are gathered as the app service gathers them for its live map:
 * each rootlet's latest graded train, root thresholds from the roots table overridden by later ramp
 * results, and the current decision of every decided rootlet. Also returns the grader versions seen.
 */
export function rootletMapFromStore(store: CaseStore, caseId: string): { map: RootletMap; graderVersions: string[] } {
  const c = store.cases.get(caseId);
  if (!c) throw new Error(`no case with id '${caseId}'`);
  const graderVersions = new Set<string>();
  const rootlets: MapRootletInput[] = store.rootlets.forCaseId(caseId).map((r) => {
    const stims = store.stimulations.forRootlet(r.id);
    let latestGrade: { grade: TrainGrade['grade']; pattern: TrainGrade['pattern']; suggestion: TrainGrade['suggestion'] } | null = null;
    for (const s of stims) {
      const g = store.grades.latestForStimulation(s.id);
      if (g) {
        latestGrade = { grade: g.grade, pattern: g.pattern, suggestion: g.suggestion };
        graderVersions.add(g.graderVersion);
      }
    }
    return { level: r.level, side: r.side, index: r.index, stimulated: stims.length > 0, latestGrade };
  });
  const thresholds: MapThresholdInput[] = store.thresholds.forCaseId(caseId).map((t) => ({
    level: t.target.level, side: t.target.side, kind: t.target.kind, rootlet: t.target.rootlet, thresholdMa: t.thresholdMa,
  }));
  for (const root of store.roots.forCaseId(caseId)) {
    if (root.thresholdMa !== null) thresholds.unshift({ level: root.level, side: root.side, kind: root.kind, rootlet: null, thresholdMa: root.thresholdMa });
  }
  const decisions: MapDecisionInput[] = store.decisions.currentForCase(caseId).map((d) => ({
    id: d.id, level: d.level, side: d.side, rootletIndex: d.rootletIndex, kind: d.decision.kind, cutFraction: d.decision.cutFraction,
  }));
  return { map: buildRootletMap({ caseId, cutPlan: c.cutPlan, rootlets, thresholds, decisions }), graderVersions: [...graderVersions].sort() };
}
