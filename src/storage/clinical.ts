import {
  checkRootletIndex, HIGH_INTENSITY_THRESHOLD_MULTIPLE, isPattern, isSpreadGrade, makeStimulation,
  type Level, type RootKind, type Side, type SpreadGrade, type Stimulation, type StimulationTarget,
  type Suggestion, type ThresholdResult, type TrainGrade, type WaveformPattern,
} from '../domain';
import type { SqliteDatabase } from './db';
import type { AuditLog } from './audit';
import { StorageError } from './errors';
import { HOT_QUERIES } from './hot-queries';

export const SESSION_SOURCES = ['live', 'replay', 'import'] as const;
export type SessionSource = (typeof SESSION_SOURCES)[number];

export interface SessionRecord {
  readonly id: number;
  readonly caseId: string;
  readonly montageId: number | null;
  readonly source: SessionSource;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly deviceInfo: Readonly<Record<string, unknown>>;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  /** True once the session was ended deliberately; false after a crash (crash recovery looks here). */
  readonly cleanShutdown: boolean;
}

interface SessionRow {
  id: number; case_id: string; montage_id: number | null; source: SessionSource; started_at: string; ended_at: string | null;
  device_info_json: string; sample_rate_hz: number; channel_count: number; clean_shutdown: number;
}

function sessionFromRow(r: SessionRow): SessionRecord {
  return {
    id: r.id, caseId: r.case_id, montageId: r.montage_id, source: r.source, startedAt: r.started_at, endedAt: r.ended_at,
    deviceInfo: JSON.parse(r.device_info_json) as Record<string, unknown>, sampleRateHz: r.sample_rate_hz,
    channelCount: r.channel_count, cleanShutdown: r.clean_shutdown === 1,
  };
}

/** Recording sessions of a case (live acquisition, replay or import). */
export class SessionRepository {
  private readonly insert;
  private readonly endStmt;
  private readonly byId;
  private readonly forCase;
  private readonly unclean;

  constructor(private readonly db: SqliteDatabase, private readonly audit: AuditLog, private readonly now: () => Date) {
    this.insert = db.prepare(`INSERT INTO sessions (case_id, montage_id, source, started_at, device_info_json, sample_rate_hz, channel_count)
      VALUES (@caseId, @montageId, @source, @startedAt, @deviceInfoJson, @sampleRateHz, @channelCount)`);
    this.endStmt = db.prepare('UPDATE sessions SET ended_at = ?, clean_shutdown = ? WHERE id = ? AND ended_at IS NULL');
    this.byId = db.prepare<[number], SessionRow>('SELECT * FROM sessions WHERE id = ?');
    this.forCase = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE case_id = ? ORDER BY id');
    this.unclean = db.prepare<[], SessionRow>('SELECT * FROM sessions WHERE ended_at IS NULL ORDER BY id');
  }

  start(input: {
    caseId: string; source: SessionSource; sampleRateHz: number; channelCount: number;
    montageId?: number | null; deviceInfo?: Record<string, unknown>; actor?: string;
  }): SessionRecord {
    if (!(SESSION_SOURCES as readonly string[]).includes(input.source)) throw new StorageError('invalid-session', `session source must be live, replay or import, got '${input.source}'`);
    if (!(Number.isFinite(input.sampleRateHz) && input.sampleRateHz > 0)) throw new StorageError('invalid-session', `sample rate must be positive, got ${input.sampleRateHz} Hz`);
    if (!(Number.isInteger(input.channelCount) && input.channelCount >= 1 && input.channelCount <= 64)) throw new StorageError('invalid-session', `channel count must be 1..64, got ${input.channelCount}`);
    const startedAt = this.now().toISOString();
    const id = this.db.transaction(() => {
      const newId = Number(this.insert.run({
        caseId: input.caseId, montageId: input.montageId ?? null, source: input.source, startedAt,
        deviceInfoJson: JSON.stringify(input.deviceInfo ?? {}), sampleRateHz: input.sampleRateHz, channelCount: input.channelCount,
      }).lastInsertRowid);
      this.audit.append({ actor: input.actor ?? 'sdrlog', action: 'session.start', entity: 'session', entityId: newId, caseId: input.caseId,
        payload: { source: input.source, sampleRateHz: input.sampleRateHz, channelCount: input.channelCount, montageId: input.montageId ?? null } });
      return newId;
    }).immediate();
    return this.get(id)!;
  }

  /**
   * Ends a session. `clean` false is used by crash recovery: the session is closed, and stays marked as
   * not shut down cleanly so reports can say its tail may be missing.
   */
  end(id: number, clean = true, actor = 'sdrlog'): SessionRecord {
    const s = this.get(id);
    if (!s) throw new StorageError('unknown-session', `no session ${id}`);
    this.db.transaction(() => {
      if (this.endStmt.run(this.now().toISOString(), clean ? 1 : 0, id).changes === 1) {
        this.audit.append({ actor, action: clean ? 'session.end' : 'session.recover', entity: 'session', entityId: id, caseId: s.caseId, payload: { clean } });
      }
    }).immediate();
    return this.get(id)!;
  }

  get(id: number): SessionRecord | null {
    const r = this.byId.get(id);
    return r ? sessionFromRow(r) : null;
  }

  forCaseId(caseId: string): SessionRecord[] {
    return this.forCase.all(caseId).map(sessionFromRow);
  }

  /** Sessions never ended: after a crash, the app offers to recover them. */
  openSessions(): SessionRecord[] {
    return this.unclean.all().map(sessionFromRow);
  }
}

export interface RootRecord {
  readonly id: number;
  readonly caseId: string;
  readonly level: Level;
  readonly side: Side;
  readonly kind: RootKind;
  readonly thresholdMa: number | null;
  /** Anal-sphincter response on stimulating this root (S2 almost always): spare its rootlets. */
  readonly sphincterResponse: boolean | null;
  readonly notes: string;
}

interface RootRow { id: number; case_id: string; level: Level; side: Side; kind: RootKind; threshold_ma: number | null; sphincter_response: number | null; notes: string }

function rootFromRow(r: RootRow): RootRecord {
  return { id: r.id, caseId: r.case_id, level: r.level, side: r.side, kind: r.kind, thresholdMa: r.threshold_ma,
    sphincterResponse: r.sphincter_response === null ? null : r.sphincter_response === 1, notes: r.notes };
}

/** Whole roots (level, side, dorsal/ventral) with their thresholds and sphincter response. */
export class RootRepository {
  private readonly upsert;
  private readonly one;
  private readonly forCase;

  constructor(db: SqliteDatabase) {
    this.upsert = db.prepare(`INSERT INTO roots (case_id, level, side, kind, threshold_ma, sphincter_response, notes)
      VALUES (@caseId, @level, @side, @kind, @thresholdMa, @sphincter, @notes)
      ON CONFLICT (case_id, level, side, kind) DO UPDATE SET
        threshold_ma = COALESCE(excluded.threshold_ma, threshold_ma),
        sphincter_response = COALESCE(excluded.sphincter_response, sphincter_response),
        notes = CASE WHEN excluded.notes = '' THEN notes ELSE excluded.notes END`);
    this.one = db.prepare<[string, string, string, string], RootRow>('SELECT * FROM roots WHERE case_id = ? AND level = ? AND side = ? AND kind = ?');
    this.forCase = db.prepare<[string], RootRow>('SELECT * FROM roots WHERE case_id = ? ORDER BY level, side, kind');
  }

  /** Creates the root or updates the fields given (null/undefined leaves a field as it was). */
  record(caseId: string, root: { level: Level; side: Side; kind: RootKind; thresholdMa?: number | null; sphincterResponse?: boolean | null; notes?: string }): RootRecord {
    if (root.thresholdMa != null && !(Number.isFinite(root.thresholdMa) && root.thresholdMa >= 0)) throw new StorageError('invalid-root', `threshold must be a non-negative mA value, got ${root.thresholdMa}`);
    this.upsert.run({ caseId, level: root.level, side: root.side, kind: root.kind, thresholdMa: root.thresholdMa ?? null,
      sphincter: root.sphincterResponse == null ? null : root.sphincterResponse ? 1 : 0, notes: root.notes ?? '' });
    return this.get(caseId, root.level, root.side, root.kind)!;
  }

  get(caseId: string, level: Level, side: Side, kind: RootKind): RootRecord | null {
    const r = this.one.get(caseId, level, side, kind);
    return r ? rootFromRow(r) : null;
  }

  forCaseId(caseId: string): RootRecord[] {
    return this.forCase.all(caseId).map(rootFromRow);
  }
}

export interface RootletRecord {
  readonly id: number;
  readonly caseId: string;
  readonly level: Level;
  readonly side: Side;
  /** 1-based index within the dorsal root. */
  readonly index: number;
  readonly comment: string;
  readonly createdAt: string;
}

interface RootletRow { id: number; case_id: string; level: Level; side: Side; rootlet_index: number; comment: string; created_at: string }

function rootletFromRow(r: RootletRow): RootletRecord {
  return { id: r.id, caseId: r.case_id, level: r.level, side: r.side, index: r.rootlet_index, comment: r.comment, createdAt: r.created_at };
}

/** Rootlets of dorsal roots; (case, level, side, index) is unique. */
export class RootletRepository {
  private readonly insert;
  private readonly one;
  private readonly byId;
  private readonly forCase;
  private readonly setComment;

  constructor(private readonly db: SqliteDatabase, private readonly now: () => Date) {
    this.insert = db.prepare('INSERT INTO rootlets (case_id, level, side, rootlet_index, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.one = db.prepare<[string, string, string, number], RootletRow>('SELECT * FROM rootlets WHERE case_id = ? AND level = ? AND side = ? AND rootlet_index = ?');
    this.byId = db.prepare<[number], RootletRow>('SELECT * FROM rootlets WHERE id = ?');
    this.forCase = db.prepare<[string], RootletRow>(HOT_QUERIES.rootletsOfCase);
    this.setComment = db.prepare('UPDATE rootlets SET comment = ? WHERE id = ?');
  }

  /** Returns the rootlet, creating it on first use. */
  ensure(caseId: string, level: Level, side: Side, index: number): RootletRecord {
    checkRootletIndex(index);
    const existing = this.one.get(caseId, level, side, index);
    if (existing) return rootletFromRow(existing);
    this.insert.run(caseId, level, side, index, this.now().toISOString());
    return rootletFromRow(this.one.get(caseId, level, side, index)!);
  }

  find(caseId: string, level: Level, side: Side, index: number): RootletRecord | null {
    const r = this.one.get(caseId, level, side, index);
    return r ? rootletFromRow(r) : null;
  }

  get(id: number): RootletRecord | null {
    const r = this.byId.get(id);
    return r ? rootletFromRow(r) : null;
  }

  forCaseId(caseId: string): RootletRecord[] {
    return this.forCase.all(caseId).map(rootletFromRow);
  }

  comment(id: number, text: string): void {
    this.setComment.run(text.trim().slice(0, 2000), id);
  }
}

export interface StimulationRecord {
  readonly id: number;
  readonly sessionId: number;
  readonly rootletId: number | null;
  readonly onsetSample: number;
  readonly stimulation: Stimulation;
  /** Intensity at or above 20x the known threshold: may be a direct motor (M) response. */
  readonly highIntensity: boolean;
  readonly createdAt: string;
}

interface StimRow {
  id: number; session_id: number; rootlet_id: number | null; target_level: Level | null; target_side: Side | null;
  target_kind: RootKind | null; target_rootlet: number | null; onset_sample: number; mode: 'single' | 'train';
  intensity_ma: number; pulse_width_us: number; rate_hz: number | null; duration_s: number; high_intensity: number; created_at: string;
}

function stimFromRow(r: StimRow): StimulationRecord {
  const target: StimulationTarget | null = r.target_level && r.target_side && r.target_kind
    ? { level: r.target_level, side: r.target_side, kind: r.target_kind, rootlet: r.target_rootlet }
    : null;
  return {
    id: r.id, sessionId: r.session_id, rootletId: r.rootlet_id, onsetSample: r.onset_sample,
    stimulation: makeStimulation({ mode: r.mode, intensityMa: r.intensity_ma, pulseWidthUs: r.pulse_width_us, rateHz: r.rate_hz, durationS: r.duration_s, target }),
    highIntensity: r.high_intensity === 1, createdAt: r.created_at,
  };
}

/** Every stimulation delivered, with all its settings (shared domain notes: "logged with every event"). */
export class StimulationRepository {
  private readonly insert;
  private readonly byId;
  private readonly forRootletStmt;
  private readonly forSessionStmt;
  private readonly sessionCase;
  private readonly lastRootletThreshold;
  private readonly rootThreshold;

  constructor(private readonly db: SqliteDatabase, private readonly rootlets: RootletRepository, private readonly now: () => Date) {
    this.insert = db.prepare(`INSERT INTO stimulations (session_id, rootlet_id, target_level, target_side, target_kind, target_rootlet,
      onset_sample, mode, intensity_ma, pulse_width_us, rate_hz, duration_s, high_intensity, created_at)
      VALUES (@sessionId, @rootletId, @level, @side, @kind, @rootlet, @onsetSample, @mode, @intensityMa, @pulseWidthUs, @rateHz, @durationS, @high, @createdAt)`);
    this.byId = db.prepare<[number], StimRow>('SELECT * FROM stimulations WHERE id = ?');
    this.forRootletStmt = db.prepare<[number], StimRow>(HOT_QUERIES.stimulationsOfRootlet);
    this.forSessionStmt = db.prepare<[number], StimRow>('SELECT * FROM stimulations WHERE session_id = ? ORDER BY onset_sample');
    this.sessionCase = db.prepare<[number], { case_id: string }>('SELECT case_id FROM sessions WHERE id = ?');
    this.lastRootletThreshold = db.prepare<[number], { threshold_ma: number }>('SELECT threshold_ma FROM thresholds WHERE rootlet_id = ? AND threshold_ma IS NOT NULL ORDER BY id DESC LIMIT 1');
    this.rootThreshold = db.prepare<[string, string, string, string], { threshold_ma: number }>('SELECT threshold_ma FROM roots WHERE case_id = ? AND level = ? AND side = ? AND kind = ? AND threshold_ma IS NOT NULL');
  }

  /**
   * Records a stimulation. A dorsal rootlet target is linked to its rootlet row (created if new).
   * `highIntensity` defaults to intensity >= 20x the latest known threshold of the rootlet, else of its
   * root (shared domain notes: far above threshold a dorsal stimulus gives a direct M response).
   */
  record(sessionId: number, event: { sampleIndex: number; stimulation: Stimulation; highIntensity?: boolean }): StimulationRecord {
    const s = makeStimulation({ ...event.stimulation });
    if (!(Number.isInteger(event.sampleIndex) && event.sampleIndex >= 0)) throw new StorageError('invalid-stimulation', `onset sample must be a non-negative integer, got ${event.sampleIndex}`);
    const session = this.sessionCase.get(sessionId);
    if (!session) throw new StorageError('unknown-session', `no session ${sessionId}`);
    const t = s.target;
    return this.db.transaction(() => {
      const rootlet = t && t.kind === 'dorsal' && t.rootlet !== null ? this.rootlets.ensure(session.case_id, t.level, t.side, t.rootlet) : null;
      let high = event.highIntensity;
      if (high === undefined) {
        const thr = (rootlet ? this.lastRootletThreshold.get(rootlet.id) : undefined)
          ?? (t ? this.rootThreshold.get(session.case_id, t.level, t.side, t.kind) : undefined);
        high = thr !== undefined && thr.threshold_ma > 0 && s.intensityMa >= HIGH_INTENSITY_THRESHOLD_MULTIPLE * thr.threshold_ma;
      }
      const id = Number(this.insert.run({
        sessionId, rootletId: rootlet?.id ?? null, level: t?.level ?? null, side: t?.side ?? null, kind: t?.kind ?? null,
        rootlet: t?.rootlet ?? null, onsetSample: event.sampleIndex, mode: s.mode, intensityMa: s.intensityMa,
        pulseWidthUs: s.pulseWidthUs, rateHz: s.rateHz, durationS: s.durationS, high: high ? 1 : 0, createdAt: this.now().toISOString(),
      }).lastInsertRowid);
      return stimFromRow(this.byId.get(id)!);
    }).immediate(); // IMMEDIATE: a deferred transaction upgrading to write can fail at once with BUSY under WAL
  }

  get(id: number): StimulationRecord | null {
    const r = this.byId.get(id);
    return r ? stimFromRow(r) : null;
  }

  forRootlet(rootletId: number): StimulationRecord[] {
    return this.forRootletStmt.all(rootletId).map(stimFromRow);
  }

  forSession(sessionId: number): StimulationRecord[] {
    return this.forSessionStmt.all(sessionId).map(stimFromRow);
  }
}

export interface GradeRecord {
  readonly id: number;
  readonly stimulationId: number;
  readonly grade: SpreadGrade;
  readonly pattern: WaveformPattern;
  readonly suggestion: Suggestion;
  readonly responding: readonly string[];
  /** The full graded result with its per-channel evidence, as the grader produced it. */
  readonly evidence: TrainGrade;
  readonly graderVersion: string;
  readonly createdAt: string;
}

interface GradeRow {
  id: number; stimulation_id: number; grade: number; pattern: string; suggestion: Suggestion; responding_json: string;
  evidence_json: string; grader_version: string; created_at: string;
}

function gradeFromRow(r: GradeRow): GradeRecord {
  if (!isSpreadGrade(r.grade) || !isPattern(r.pattern)) throw new StorageError('corrupt-grade', `grade ${r.id}: invalid grade ${r.grade} or pattern '${r.pattern}'`);
  return {
    id: r.id, stimulationId: r.stimulation_id, grade: r.grade, pattern: r.pattern, suggestion: r.suggestion,
    responding: JSON.parse(r.responding_json) as string[], evidence: JSON.parse(r.evidence_json) as TrainGrade,
    graderVersion: r.grader_version, createdAt: r.created_at,
  };
}

/** Grades of train stimulations. Re-grading with a newer grader adds a row; the latest is current. */
export class GradeRepository {
  private readonly insert;
  private readonly byId;
  private readonly forStim;
  private readonly latestForStim;

  constructor(db: SqliteDatabase, private readonly now: () => Date) {
    this.latestForStim = db.prepare<[number], GradeRow>('SELECT * FROM grades WHERE stimulation_id = ? ORDER BY id DESC LIMIT 1');
    this.insert = db.prepare(`INSERT INTO grades (stimulation_id, grade, pattern, suggestion, responding_json, evidence_json, grader_version, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.byId = db.prepare<[number], GradeRow>('SELECT * FROM grades WHERE id = ?');
    this.forStim = db.prepare<[number], GradeRow>('SELECT * FROM grades WHERE stimulation_id = ? ORDER BY id');
  }

  record(stimulationId: number, grade: TrainGrade, graderVersion: string): GradeRecord {
    if (!isSpreadGrade(grade.grade)) throw new StorageError('invalid-grade', `grade must be 0..4, got ${String(grade.grade)}`);
    if (!isPattern(grade.pattern)) throw new StorageError('invalid-grade', `unknown pattern '${String(grade.pattern)}'`);
    const id = Number(this.insert.run(stimulationId, grade.grade, grade.pattern, grade.suggestion, JSON.stringify(grade.responding),
      JSON.stringify(grade), graderVersion, this.now().toISOString()).lastInsertRowid);
    return gradeFromRow(this.byId.get(id)!);
  }

  get(id: number): GradeRecord | null {
    const r = this.byId.get(id);
    return r ? gradeFromRow(r) : null;
  }

  forStimulation(stimulationId: number): GradeRecord[] {
    return this.forStim.all(stimulationId).map(gradeFromRow);
  }

  latestForStimulation(stimulationId: number): GradeRecord | null {
    const r = this.latestForStim.get(stimulationId);
    return r ? gradeFromRow(r) : null;
  }
}

export interface ThresholdRecord extends ThresholdResult {
  readonly id: number;
  readonly caseId: string;
  readonly sessionId: number | null;
  readonly rootletId: number | null;
  readonly createdAt: string;
}

interface ThresholdRow {
  id: number; case_id: string; session_id: number | null; rootlet_id: number | null; target_level: Level; target_side: Side;
  target_kind: RootKind; target_rootlet: number | null; threshold_ma: number | null; created_at: string;
}
interface ThresholdChannelRow { channel: number; threshold_ma: number | null; latency_ms: number | null; amplitude_uv: number | null }

/** Single-pulse threshold results (overall and per channel, with latency and amplitude). */
export class ThresholdRepository {
  private readonly insert;
  private readonly insertChannel;
  private readonly byId;
  private readonly channels;
  private readonly forRootletStmt;
  private readonly forCase;

  constructor(private readonly db: SqliteDatabase, private readonly rootlets: RootletRepository, private readonly now: () => Date) {
    this.insert = db.prepare(`INSERT INTO thresholds (case_id, session_id, rootlet_id, target_level, target_side, target_kind, target_rootlet, threshold_ma, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertChannel = db.prepare('INSERT INTO threshold_channels (threshold_id, channel, threshold_ma, latency_ms, amplitude_uv) VALUES (?, ?, ?, ?, ?)');
    this.byId = db.prepare<[number], ThresholdRow>('SELECT * FROM thresholds WHERE id = ?');
    this.channels = db.prepare<[number], ThresholdChannelRow>('SELECT channel, threshold_ma, latency_ms, amplitude_uv FROM threshold_channels WHERE threshold_id = ? ORDER BY channel');
    this.forRootletStmt = db.prepare<[number], ThresholdRow>('SELECT * FROM thresholds WHERE rootlet_id = ? ORDER BY id');
    this.forCase = db.prepare<[string], ThresholdRow>('SELECT * FROM thresholds WHERE case_id = ? ORDER BY id');
  }

  private fromRow(r: ThresholdRow): ThresholdRecord {
    return {
      id: r.id, caseId: r.case_id, sessionId: r.session_id, rootletId: r.rootlet_id, createdAt: r.created_at,
      target: { level: r.target_level, side: r.target_side, kind: r.target_kind, rootlet: r.target_rootlet },
      thresholdMa: r.threshold_ma,
      perChannel: this.channels.all(r.id).map((c) => ({ channel: c.channel, thresholdMa: c.threshold_ma, latencyMs: c.latency_ms, amplitudeUv: c.amplitude_uv })),
    };
  }

  record(caseId: string, result: ThresholdResult, sessionId: number | null = null): ThresholdRecord {
    const t = result.target;
    const nonNeg = (v: number | null, what: string): void => {
      if (v !== null && !(Number.isFinite(v) && v >= 0)) throw new StorageError('invalid-threshold', `${what} must be a non-negative number, got ${v}`);
    };
    nonNeg(result.thresholdMa, 'threshold (mA)');
    for (const c of result.perChannel) {
      nonNeg(c.thresholdMa, `channel ${c.channel} threshold (mA)`);
      nonNeg(c.latencyMs, `channel ${c.channel} latency (ms)`);
    }
    return this.db.transaction(() => {
      const rootlet = t.kind === 'dorsal' && t.rootlet !== null ? this.rootlets.ensure(caseId, t.level, t.side, t.rootlet) : null;
      const id = Number(this.insert.run(caseId, sessionId, rootlet?.id ?? null, t.level, t.side, t.kind, t.rootlet, result.thresholdMa, this.now().toISOString()).lastInsertRowid);
      for (const c of result.perChannel) this.insertChannel.run(id, c.channel, c.thresholdMa, c.latencyMs, c.amplitudeUv);
      return this.fromRow(this.byId.get(id)!);
    }).immediate();
  }

  forRootlet(rootletId: number): ThresholdRecord[] {
    return this.forRootletStmt.all(rootletId).map((r) => this.fromRow(r));
  }

  forCaseId(caseId: string): ThresholdRecord[] {
    return this.forCase.all(caseId).map((r) => this.fromRow(r));
  }
}

export const SESSION_EVENT_KINDS = ['alarm', 'note', 'electrode-off', 'electrode-on', 'device', 'recovered'] as const;
export type SessionEventKind = (typeof SESSION_EVENT_KINDS)[number];

export interface SessionEventRecord {
  readonly id: number;
  readonly sessionId: number;
  readonly at: string;
  readonly sampleIndex: number | null;
  readonly kind: SessionEventKind;
  readonly channel: number | null;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

interface EventRow { id: number; session_id: number; at: string; sample_index: number | null; kind: SessionEventKind; channel: number | null; message: string; data_json: string }

/** Alarms, notes, electrode-off and device events of a session. */
export class SessionEventRepository {
  private readonly insert;
  private readonly forSessionStmt;
  private readonly byId;

  constructor(db: SqliteDatabase, private readonly now: () => Date) {
    this.insert = db.prepare('INSERT INTO session_events (session_id, at, sample_index, kind, channel, message, data_json) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.forSessionStmt = db.prepare<[number], EventRow>('SELECT * FROM session_events WHERE session_id = ? ORDER BY id');
    this.byId = db.prepare<[number], EventRow>('SELECT * FROM session_events WHERE id = ?');
  }

  private fromRow(r: EventRow): SessionEventRecord {
    return { id: r.id, sessionId: r.session_id, at: r.at, sampleIndex: r.sample_index, kind: r.kind, channel: r.channel, message: r.message, data: JSON.parse(r.data_json) as Record<string, unknown> };
  }

  record(sessionId: number, e: { kind: SessionEventKind; message: string; sampleIndex?: number | null; channel?: number | null; data?: Record<string, unknown> }): SessionEventRecord {
    if (!(SESSION_EVENT_KINDS as readonly string[]).includes(e.kind)) throw new StorageError('invalid-event', `event kind must be one of ${SESSION_EVENT_KINDS.join(', ')}, got '${e.kind}'`);
    const id = Number(this.insert.run(sessionId, this.now().toISOString(), e.sampleIndex ?? null, e.kind, e.channel ?? null, e.message, JSON.stringify(e.data ?? {})).lastInsertRowid);
    return this.fromRow(this.byId.get(id)!);
  }

  forSession(sessionId: number): SessionEventRecord[] {
    return this.forSessionStmt.all(sessionId).map((r) => this.fromRow(r));
  }
}
