import { makeDecision, type Decision, type DecisionKind, type Level, type Side } from '../domain';
import type { SqliteDatabase } from './db';
import type { AuditLog } from './audit';
import type { RootletRepository } from './clinical';
import { StorageError } from './errors';
import { HOT_QUERIES } from './hot-queries';

export interface DecisionRecord {
  readonly id: number;
  readonly rootletId: number;
  readonly decision: Decision;
  /** The grade the clinician was looking at, if any. */
  readonly gradeId: number | null;
  /** The decision this one corrects (null for the first decision on the rootlet). */
  readonly correctsId: number | null;
  /** When the row was committed (decidedAt is when the clinician decided). */
  readonly recordedAt: string;
  /** The audit entry written in the same transaction. */
  readonly auditId: number;
}

/** A current decision with the rootlet it applies to, for rootlet maps and summaries. */
export interface CurrentDecision extends DecisionRecord {
  readonly level: Level;
  readonly side: Side;
  readonly rootletIndex: number;
}

interface DecisionRow {
  id: number; rootlet_id: number; kind: DecisionKind; cut_fraction: number; decided_by: string; decided_at: string;
  reason: string; grade_id: number | null; corrects_id: number | null; recorded_at: string;
}
interface CurrentRow extends DecisionRow { level: Level; side: Side; rootlet_index: number; audit_id: number | null }

/** What the audit entry of a decision records: the full row, so verify can compare them. */
export function decisionAuditPayload(r: DecisionRow & { case_id: string; level: string; side: string; rootlet_index: number }): Record<string, unknown> {
  return {
    caseId: r.case_id, rootletId: r.rootlet_id, level: r.level, side: r.side, rootlet: r.rootlet_index,
    kind: r.kind, cutFraction: r.cut_fraction, decidedBy: r.decided_by, decidedAt: r.decided_at, reason: r.reason,
    gradeId: r.grade_id, correctsId: r.corrects_id, recordedAt: r.recorded_at,
  };
}

function fromRow(r: DecisionRow, auditId: number): DecisionRecord {
  const decision: Decision = {
    kind: r.kind, cutFraction: r.cut_fraction, decidedBy: r.decided_by, decidedAt: r.decided_at, reason: r.reason,
  };
  return { id: r.id, rootletId: r.rootlet_id, decision, gradeId: r.grade_id, correctsId: r.corrects_id, recordedAt: r.recorded_at, auditId };
}

export interface RecordDecisionInput {
  readonly rootletId: number;
  readonly decision: Decision;
  readonly gradeId?: number | null;
  /**
   * The decision being corrected. Omitted: the rootlet's current decision (if any) is corrected.
   * Given: it must still be the current one, otherwise 'stale-decision' (someone decided meanwhile).
   */
  readonly correctsId?: number | null;
  /** Who is logged in the audit entry; defaults to decision.decidedBy. */
  readonly actor?: string;
}

/**
 * Cut/spare decisions: append-only (triggers abort UPDATE and DELETE). A correction is a new row whose
 * corrects_id names the decision it replaces; the current decision of a rootlet is its latest row, which
 * nothing supersedes because each decision can be corrected only once and only by a later row of the same
 * rootlet. Each write also appends its audit entry in the same IMMEDIATE transaction and returns after
 * COMMIT, which with synchronous=FULL means the decision is on disk.
 */
export class DecisionRepository {
  private readonly insert;
  private readonly byId;
  private readonly latestForRootlet;
  private readonly historyStmt;
  private readonly currentForCaseStmt;
  private readonly rootletInfo;
  private readonly auditIdOf;

  constructor(private readonly db: SqliteDatabase, private readonly audit: AuditLog, private readonly rootlets: RootletRepository, private readonly now: () => Date) {
    this.insert = db.prepare(`INSERT INTO decisions (rootlet_id, kind, cut_fraction, decided_by, decided_at, reason, grade_id, corrects_id, recorded_at)
      VALUES (@rootletId, @kind, @cutFraction, @decidedBy, @decidedAt, @reason, @gradeId, @correctsId, @recordedAt)`);
    this.byId = db.prepare<[number], DecisionRow>('SELECT * FROM decisions WHERE id = ?');
    this.latestForRootlet = db.prepare<[number], DecisionRow>('SELECT * FROM decisions WHERE rootlet_id = ? ORDER BY id DESC LIMIT 1');
    this.historyStmt = db.prepare<[number], DecisionRow>('SELECT * FROM decisions WHERE rootlet_id = ? ORDER BY id');
    this.currentForCaseStmt = db.prepare<[string], CurrentRow>(HOT_QUERIES.currentDecisionsOfCase);
    this.rootletInfo = db.prepare<[number], { case_id: string; level: string; side: string; rootlet_index: number }>('SELECT case_id, level, side, rootlet_index FROM rootlets WHERE id = ?');
    this.auditIdOf = db.prepare<[string], { id: number }>("SELECT id FROM audit_log WHERE entity = 'decision' AND entity_id = ?");
  }

  /** Records a decision (and its audit entry) durably; returns after commit. */
  record(input: RecordDecisionInput): DecisionRecord {
    const d = makeDecision({ kind: input.decision.kind, fraction: input.decision.kind === 'partial' ? input.decision.cutFraction : undefined,
      decidedBy: input.decision.decidedBy, decidedAt: input.decision.decidedAt, reason: input.decision.reason });
    const write = this.db.transaction((): DecisionRecord => {
      const rootlet = this.rootletInfo.get(input.rootletId);
      if (!rootlet) throw new StorageError('unknown-rootlet', `no rootlet ${input.rootletId}`);
      const current = this.latestForRootlet.get(input.rootletId);
      let correctsId = current?.id ?? null;
      if (input.correctsId !== undefined && input.correctsId !== correctsId) {
        throw new StorageError('stale-decision', input.correctsId === null
          ? `rootlet ${rootlet.level}${rootlet.side}-${rootlet.rootlet_index} already has decision ${correctsId}: a new decision must correct it`
          : `decision ${input.correctsId} is not the current decision of rootlet ${rootlet.level}${rootlet.side}-${rootlet.rootlet_index} (current: ${correctsId ?? 'none'})`);
      }
      correctsId = input.correctsId ?? correctsId;
      const id = Number(this.insert.run({
        rootletId: input.rootletId, kind: d.kind, cutFraction: d.cutFraction, decidedBy: d.decidedBy, decidedAt: d.decidedAt,
        reason: d.reason, gradeId: input.gradeId ?? null, correctsId, recordedAt: this.now().toISOString(),
      }).lastInsertRowid);
      const row = this.byId.get(id)!;
      const entry = this.audit.append({
        actor: input.actor ?? d.decidedBy, action: correctsId === null ? 'decision.record' : 'decision.correct',
        entity: 'decision', entityId: id, caseId: rootlet.case_id, payload: decisionAuditPayload({ ...row, ...rootlet }),
      });
      return fromRow(row, entry.id);
    });
    return write.immediate();
  }

  /** Convenience for hosts: decides on a rootlet given by level/side/index, creating the rootlet row if new. */
  recordFor(caseId: string, rootlet: { level: Level; side: Side; index: number }, input: Omit<RecordDecisionInput, 'rootletId'>): DecisionRecord {
    return this.db.transaction(() => {
      const r = this.rootlets.ensure(caseId, rootlet.level, rootlet.side, rootlet.index);
      return this.record({ ...input, rootletId: r.id });
    }).immediate();
  }

  get(id: number): DecisionRecord | null {
    const r = this.byId.get(id);
    return r ? fromRow(r, this.auditIdOf.get(String(r.id))?.id ?? 0) : null;
  }

  /** The rootlet's current decision: its latest row (never superseded), or null if undecided. */
  current(rootletId: number): DecisionRecord | null {
    const r = this.latestForRootlet.get(rootletId);
    return r ? fromRow(r, this.auditIdOf.get(String(r.id))?.id ?? 0) : null;
  }

  /** Every decision on the rootlet, oldest first (the correction history). */
  history(rootletId: number): DecisionRecord[] {
    return this.historyStmt.all(rootletId).map((r) => fromRow(r, this.auditIdOf.get(String(r.id))?.id ?? 0));
  }

  /** Current decisions of every decided rootlet of the case, ordered by level, side, index. */
  currentForCase(caseId: string): CurrentDecision[] {
    return this.currentForCaseStmt.all(caseId).map((r) => ({ ...fromRow(r, r.audit_id ?? 0), level: r.level, side: r.side, rootletIndex: r.rootlet_index }));
  }
}
