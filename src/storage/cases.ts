import { randomUUID } from 'node:crypto';
import { makeCaseInfo, makeMontage, type CaseInfo, type CaseRecord, type CutPlan, type Montage } from '../domain';
import type { SqliteDatabase } from './db';
import type { AuditLog } from './audit';
import { StorageError } from './errors';

interface CaseRow {
  id: string; patient_id: string; age_years: number; diagnosis: string; target_muscles_json: string;
  cut_plan_json: string; approach: string; anaesthesia_notes: string; notes: string; created_at: string;
}

function caseFromRow(r: CaseRow): CaseRecord {
  // re-validated on the way out: a hand-edited file must not feed invalid values to the app
  const info = makeCaseInfo({
    patientId: r.patient_id,
    ageYears: r.age_years,
    diagnosis: r.diagnosis,
    targetMuscles: JSON.parse(r.target_muscles_json) as string[],
    cutPlan: JSON.parse(r.cut_plan_json) as CutPlan,
    approach: r.approach,
    anaesthesiaNotes: r.anaesthesia_notes,
    notes: r.notes,
  });
  return { ...info, id: r.id, createdAt: r.created_at };
}

/** Cases: one operation on one pseudonymous patient. */
export class CaseRepository {
  private readonly insert;
  private readonly byId;
  private readonly byPrefix;
  private readonly list;
  private readonly updateStmt;

  constructor(private readonly db: SqliteDatabase, private readonly audit: AuditLog, private readonly now: () => Date) {
    this.updateStmt = db.prepare(`UPDATE cases SET diagnosis = @diagnosis, target_muscles_json = @targetMusclesJson, cut_plan_json = @cutPlanJson,
      approach = @approach, anaesthesia_notes = @anaesthesiaNotes, notes = @notes WHERE id = @id`);
    this.insert = db.prepare(`INSERT INTO cases (id, patient_id, age_years, diagnosis, target_muscles_json, cut_plan_json, approach, anaesthesia_notes, notes, created_at)
      VALUES (@id, @patientId, @ageYears, @diagnosis, @targetMusclesJson, @cutPlanJson, @approach, @anaesthesiaNotes, @notes, @createdAt)`);
    this.byId = db.prepare<[string], CaseRow>('SELECT * FROM cases WHERE id = ?');
    this.byPrefix = db.prepare<[string], CaseRow>("SELECT * FROM cases WHERE id >= ? ORDER BY id LIMIT 2");
    this.list = db.prepare<[], CaseRow>('SELECT * FROM cases ORDER BY created_at, id');
  }

  /** Creates a case from validated info; returns it with its new id (a UUID). Audited. */
  create(info: CaseInfo, actor = 'sdrlog'): CaseRecord {
    const valid = makeCaseInfo({ ...info });
    const rec: CaseRecord = { ...valid, id: randomUUID(), createdAt: this.now().toISOString() };
    this.db.transaction(() => {
      this.insert.run({
        id: rec.id, patientId: rec.patientId, ageYears: rec.ageYears, diagnosis: rec.diagnosis,
        targetMusclesJson: JSON.stringify(rec.targetMuscles), cutPlanJson: JSON.stringify(rec.cutPlan),
        approach: rec.approach, anaesthesiaNotes: rec.anaesthesiaNotes, notes: rec.notes, createdAt: rec.createdAt,
      });
      this.audit.append({ actor, action: 'case.create', entity: 'case', entityId: rec.id, caseId: rec.id, payload: rec });
    }).immediate();
    return rec;
  }

  /**
   * Updates the editable fields of a case (plan, notes, diagnosis, approach, target muscles); the
   * pseudonym, age and creation time stay. Validated like a new case; the audit entry records the
   * changed fields with their new values.
   */
  update(id: string, changes: Partial<Omit<CaseInfo, 'patientId' | 'ageYears'>>, actor = 'sdrlog'): CaseRecord {
    return this.db.transaction(() => {
      const current = this.get(id);
      if (!current) throw new StorageError('unknown-case', `no case with id '${id}'`);
      const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      const next = makeCaseInfo({ ...current, ...defined });
      this.updateStmt.run({
        id, diagnosis: next.diagnosis, targetMusclesJson: JSON.stringify(next.targetMuscles), cutPlanJson: JSON.stringify(next.cutPlan),
        approach: next.approach, anaesthesiaNotes: next.anaesthesiaNotes, notes: next.notes,
      });
      this.audit.append({ actor, action: 'case.update', entity: 'case', entityId: id, caseId: id, payload: defined });
      return { ...next, id, createdAt: current.createdAt };
    }).immediate();
  }

  get(id: string): CaseRecord | null {
    const r = this.byId.get(id);
    return r ? caseFromRow(r) : null;
  }

  /**
   * Finds a case by its id or by an unambiguous prefix of it (at least 4 characters), as typed on the
   * command line. Throws 'unknown-case' or 'ambiguous-case'.
   */
  resolve(idOrPrefix: string): CaseRecord {
    const exact = this.get(idOrPrefix);
    if (exact) return exact;
    if (idOrPrefix.length >= 4) {
      const rows = this.byPrefix.all(idOrPrefix).filter((r) => r.id.startsWith(idOrPrefix));
      if (rows.length === 1) return caseFromRow(rows[0]!);
      if (rows.length > 1) throw new StorageError('ambiguous-case', `case id prefix '${idOrPrefix}' matches more than one case`);
    }
    throw new StorageError('unknown-case', `no case with id '${idOrPrefix}'`);
  }

  all(): CaseRecord[] {
    return this.list.all().map(caseFromRow);
  }
}

export interface MontageRecord {
  readonly id: number;
  readonly caseId: string;
  readonly montage: Montage;
  readonly createdAt: string;
}

interface MontageRow { id: number; case_id: string; name: string; channels_json: string; created_at: string }

function montageFromRow(r: MontageRow): MontageRecord {
  const channels = JSON.parse(r.channels_json) as unknown;
  if (!Array.isArray(channels)) throw new StorageError('corrupt-montage', `montage ${r.id}: channels are not a list`);
  return { id: r.id, caseId: r.case_id, montage: makeMontage(r.name, channels as { side: string; muscle: string; roots?: string[] }[]), createdAt: r.created_at };
}

/** Montages per case. Editing a montage adds a new version; sessions keep the one they were recorded with. */
export class MontageRepository {
  private readonly insert;
  private readonly latest;
  private readonly byId;
  private readonly forCase;

  constructor(private readonly db: SqliteDatabase, private readonly audit: AuditLog, private readonly now: () => Date) {
    this.insert = db.prepare('INSERT INTO montages (case_id, name, channels_json, created_at) VALUES (?, ?, ?, ?)');
    this.latest = db.prepare<[string], MontageRow>('SELECT * FROM montages WHERE case_id = ? ORDER BY id DESC LIMIT 1');
    this.byId = db.prepare<[number], MontageRow>('SELECT * FROM montages WHERE id = ?');
    this.forCase = db.prepare<[string], MontageRow>('SELECT * FROM montages WHERE case_id = ? ORDER BY id');
  }

  /** Stores a new montage version for the case (validated again through makeMontage). Audited. */
  set(caseId: string, montage: Montage, actor = 'sdrlog'): MontageRecord {
    const valid = makeMontage(montage.name, montage.channels.map((c) => ({ side: c.side, muscle: c.muscle, roots: c.roots })));
    const createdAt = this.now().toISOString();
    const channelsJson = JSON.stringify(valid.channels.map((c) => ({ side: c.side, muscle: c.muscle, roots: c.roots })));
    return this.db.transaction(() => {
      const id = Number(this.insert.run(caseId, valid.name, channelsJson, createdAt).lastInsertRowid);
      this.audit.append({ actor, action: 'montage.set', entity: 'montage', entityId: id, caseId, payload: { name: valid.name, channels: JSON.parse(channelsJson) as unknown } });
      return { id, caseId, montage: valid, createdAt };
    }).immediate();
  }

  current(caseId: string): MontageRecord | null {
    const r = this.latest.get(caseId);
    return r ? montageFromRow(r) : null;
  }

  get(id: number): MontageRecord | null {
    const r = this.byId.get(id);
    return r ? montageFromRow(r) : null;
  }

  history(caseId: string): MontageRecord[] {
    return this.forCase.all(caseId).map(montageFromRow);
  }
}
