import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rootletTableCsv, type RootletTableRow } from '../../formats';
import type { CaseStore, ThresholdRecord } from '../../storage';
import { levelOrder, pickSession, requireCase, type Deidentifier } from './common';

export interface RootletTableOptions {
  readonly caseId: string;
  /** Only stimulations and grades of this session count; default every session of the case. */
  readonly sessionId?: number | null;
  readonly deidentify?: Deidentifier | null;
}

/**
 * Latency and amplitude for the table: the channel that responded at the overall threshold with the
 * shortest latency (the first response to appear is what the clinician reads off a ramp).
 */
function leadChannel(t: ThresholdRecord): { latencyMs: number | null; amplitudeUv: number | null } {
  let best: { latencyMs: number | null; amplitudeUv: number | null } | null = null;
  for (const ch of t.perChannel) {
    if (t.thresholdMa === null || ch.thresholdMa === null || ch.thresholdMa > t.thresholdMa) continue;
    if (ch.latencyMs === null) continue;
    if (!best || best.latencyMs === null || ch.latencyMs < best.latencyMs) best = { latencyMs: ch.latencyMs, amplitudeUv: ch.amplitudeUv };
  }
  return best ?? { latencyMs: null, amplitudeUv: null };
}

/**
 * One row per rootlet of the case (level, side, index order), filled from the store: latest threshold
 * with its lead channel's latency and amplitude, the latest graded train (intensity, grade, pattern,
 * sustained responders, suggestion), the current decision with who and when, and the rootlet comment.
 * Whole roots with a stored threshold (ventral roots, usually) come as rows without a rootlet index.
 * De-identified: decided_by pseudonymised, decided_at shifted, comments dropped.
 */
export function rootletTableRows(store: CaseStore, options: RootletTableOptions): RootletTableRow[] {
  const c = requireCase(store, options.caseId);
  const sessionId = options.sessionId === undefined || options.sessionId === null ? null : pickSession(store, c.id, options.sessionId).id;
  const deid = options.deidentify ?? null;
  const rows: RootletTableRow[] = [];
  for (const root of store.roots.forCaseId(c.id)) {
    if (root.thresholdMa === null) continue;
    rows.push({
      level: root.level, side: root.side, kind: root.kind, rootlet: null, thresholdMa: root.thresholdMa, latencyMs: null, amplitudeUv: null,
      trainMa: null, grade: null, pattern: null, responding: [], suggestion: null, decision: null, comment: '',
    });
  }
  for (const r of store.rootlets.forCaseId(c.id)) {
    const thresholds = store.thresholds.forRootlet(r.id).filter((t) => sessionId === null || t.sessionId === sessionId);
    const thr = thresholds[thresholds.length - 1] ?? null;
    const lead = thr ? leadChannel(thr) : { latencyMs: null, amplitudeUv: null };
    let train: { ma: number; g: ReturnType<CaseStore['grades']['latestForStimulation']> } | null = null;
    let stimulated = false;
    for (const s of store.stimulations.forRootlet(r.id)) {
      if (sessionId !== null && s.sessionId !== sessionId) continue;
      stimulated = true;
      if (s.stimulation.mode !== 'train') continue;
      const g = store.grades.latestForStimulation(s.id);
      if (g) train = { ma: s.stimulation.intensityMa, g };
    }
    const current = store.decisions.current(r.id);
    if (sessionId !== null && !stimulated && !thr) continue;
    const g = train?.g ?? null;
    rows.push({
      level: r.level, side: r.side, kind: 'dorsal', rootlet: r.index,
      thresholdMa: thr?.thresholdMa ?? null, latencyMs: lead.latencyMs, amplitudeUv: lead.amplitudeUv,
      trainMa: train?.ma ?? null, grade: g?.grade ?? null, pattern: g?.pattern ?? null, responding: g ? [...g.responding] : [],
      suggestion: g?.suggestion ?? null,
      decision: current
        ? deid
          ? { ...current.decision, decidedBy: deid.person(current.decision.decidedBy), decidedAt: deid.shiftIso(current.decision.decidedAt), reason: '' }
          : current.decision
        : null,
      comment: deid ? '' : r.comment,
    });
  }
  rows.sort((a, b) => levelOrder(a.level) - levelOrder(b.level) || a.side.localeCompare(b.side)
    || a.kind.localeCompare(b.kind) || (a.rootlet ?? 0) - (b.rootlet ?? 0));
  return rows;
}

/** Writes the rootlet table CSV (src/formats rootletTableCsv) atomically: a failed write leaves no file. */
export function exportRootletCsv(store: CaseStore, options: RootletTableOptions & { readonly out: string }): { file: string; rows: number } {
  const rows = rootletTableRows(store, options);
  const part = `${options.out}.part`;
  try {
    writeFileSync(part, rootletTableCsv(rows));
    renameSync(part, options.out);
  } catch (e) {
    rmSync(part, { force: true });
    throw e;
  }
  return { file: options.out, rows: rows.length };
}
