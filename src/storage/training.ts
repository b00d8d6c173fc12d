import { isDecisionKind, isPattern, isSpreadGrade, type DecisionKind, type Level, type Side, type SpreadGrade, type Suggestion, type WaveformPattern } from '../domain';
import type { SqliteDatabase } from './db';
import { StorageError } from './errors';

export interface TraineeRecord {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
}

/** One train answered in a training attempt, with the references it was scored against. */
export interface TrainingAnswerRecord {
  readonly stimulationId: number;
  readonly level: Level;
  readonly side: Side;
  readonly rootlet: number | null;
  readonly grade: SpreadGrade;
  readonly pattern: WaveformPattern;
  readonly decision: DecisionKind;
  readonly cutFraction: number;
  readonly answeredAt: string;
  /** The grade recorded for this train in the case (what the team saw), or null if it was never graded. */
  readonly expertGrade: SpreadGrade | null;
  readonly expertPattern: WaveformPattern | null;
  /** The rootlet's recorded decision (end of its correction chain), or null if none was recorded. */
  readonly expertDecision: DecisionKind | null;
  readonly expertCutFraction: number | null;
  readonly expertDecisionId: number | null;
  /** The grade the replay's grader gave (same code path as live). */
  readonly autoGrade: SpreadGrade | null;
  readonly autoPattern: WaveformPattern | null;
  readonly autoSuggestion: Suggestion | null;
}

export interface TrainingScores {
  readonly trainsTotal: number;
  readonly trainsAnswered: number;
  /** Distinct rootlets answered. */
  readonly rootlets: number;
  /** Answers with a reference grade (recorded, else automatic). */
  readonly gradesCompared: number;
  /** Fraction of compared grades equal to the reference; null when none compared. */
  readonly gradeExact: number | null;
  /** Quadratic-weighted kappa of trainee vs reference grades; null when none compared or undefined. */
  readonly gradeKappa: number | null;
  /** Rootlets with a recorded decision to compare with. */
  readonly decisionsCompared: number;
  /** Fraction of those where cut (cut/partial) vs spare (spare/spare-sphincter) agrees; null when none. */
  readonly cutSpareAgreement: number | null;
}

export interface TrainingAttemptRecord {
  readonly id: number;
  readonly trainee: string;
  readonly traineeId: number;
  readonly caseId: string;
  readonly sessionId: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly scores: TrainingScores;
  readonly graderVersion: string;
}

export interface RecordAttemptInput {
  readonly trainee: string;
  readonly caseId: string;
  readonly sessionId: number;
  readonly startedAt: string;
  readonly scores: TrainingScores;
  readonly graderVersion: string;
  readonly answers: readonly TrainingAnswerRecord[];
}

interface AttemptRow {
  id: number; trainee_id: number; name: string; case_id: string; session_id: number; started_at: string; finished_at: string;
  trains_total: number; trains_answered: number; rootlets: number; grades_compared: number; grade_exact: number | null;
  grade_kappa: number | null; decisions_compared: number; cut_spare_agreement: number | null; grader_version: string;
}

interface AnswerRow {
  stimulation_id: number; level: Level; side: Side; rootlet_index: number | null; grade: number; pattern: string; decision: string;
  cut_fraction: number; answered_at: string; expert_grade: number | null; expert_pattern: string | null; expert_decision: string | null;
  expert_cut_fraction: number | null; expert_decision_id: number | null; auto_grade: number | null; auto_pattern: string | null;
  auto_suggestion: Suggestion | null;
}

/** Trainee names as written by the user, trimmed; one row per distinct name. */
export function normaliseTraineeName(name: string): string {
  const n = name.trim().replace(/\s+/g, ' ');
  if (n.length < 1 || n.length > 100) throw new StorageError('invalid-trainee', `trainee name must be 1-100 characters, got ${JSON.stringify(name)}`);
  return n;
}

const gradeOrNull = (v: number | null): SpreadGrade | null => (v !== null && isSpreadGrade(v) ? v : null);
const patternOrNull = (v: string | null): WaveformPattern | null => (v !== null && isPattern(v) ? v : null);
const kindOrNull = (v: string | null): DecisionKind | null => (v !== null && isDecisionKind(v) ? v : null);

function attemptFromRow(r: AttemptRow): TrainingAttemptRecord {
  return {
    id: r.id, trainee: r.name, traineeId: r.trainee_id, caseId: r.case_id, sessionId: r.session_id, startedAt: r.started_at,
    finishedAt: r.finished_at, graderVersion: r.grader_version,
    scores: {
      trainsTotal: r.trains_total, trainsAnswered: r.trains_answered, rootlets: r.rootlets, gradesCompared: r.grades_compared,
      gradeExact: r.grade_exact, gradeKappa: r.grade_kappa, decisionsCompared: r.decisions_compared, cutSpareAgreement: r.cut_spare_agreement,
    },
  };
}

function answerFromRow(r: AnswerRow): TrainingAnswerRecord {
  const grade = gradeOrNull(r.grade);
  const pattern = patternOrNull(r.pattern);
  const decision = kindOrNull(r.decision);
  if (grade === null || pattern === null || decision === null) throw new StorageError('corrupt-training', `training answer for stimulation ${r.stimulation_id} is invalid`);
  return {
    stimulationId: r.stimulation_id, level: r.level, side: r.side, rootlet: r.rootlet_index, grade, pattern, decision,
    cutFraction: r.cut_fraction, answeredAt: r.answered_at, expertGrade: gradeOrNull(r.expert_grade), expertPattern: patternOrNull(r.expert_pattern),
    expertDecision: kindOrNull(r.expert_decision), expertCutFraction: r.expert_cut_fraction, expertDecisionId: r.expert_decision_id,
    autoGrade: gradeOrNull(r.auto_grade), autoPattern: patternOrNull(r.auto_pattern), autoSuggestion: r.auto_suggestion,
  };
}

const finiteOrNull = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

/**
 * Trainees and their finished training attempts (schema v3). Append-only: an attempt and its answers
 * are written in one transaction when the trainee finishes, and never changed.
 */
export class TrainingRepository {
  private readonly insertTrainee;
  private readonly traineeByName;
  private readonly insertAttempt;
  private readonly insertAnswer;
  private readonly attemptById;
  private readonly allAttempts;
  private readonly attemptsOfTrainee;
  private readonly answersOf;
  private readonly allTrainees;

  constructor(private readonly db: SqliteDatabase, private readonly now: () => Date) {
    this.insertTrainee = db.prepare('INSERT INTO trainees (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
    this.traineeByName = db.prepare<[string], { id: number; name: string; created_at: string }>('SELECT * FROM trainees WHERE name = ?');
    this.allTrainees = db.prepare<[], { id: number; name: string; created_at: string }>('SELECT * FROM trainees ORDER BY name');
    this.insertAttempt = db.prepare(`INSERT INTO training_attempts (trainee_id, case_id, session_id, started_at, finished_at, trains_total,
      trains_answered, rootlets, grades_compared, grade_exact, grade_kappa, decisions_compared, cut_spare_agreement, grader_version)
      VALUES (@traineeId, @caseId, @sessionId, @startedAt, @finishedAt, @trainsTotal, @trainsAnswered, @rootlets, @gradesCompared,
      @gradeExact, @gradeKappa, @decisionsCompared, @cutSpareAgreement, @graderVersion)`);
    this.insertAnswer = db.prepare(`INSERT INTO training_answers (attempt_id, stimulation_id, level, side, rootlet_index, grade, pattern,
      decision, cut_fraction, answered_at, expert_grade, expert_pattern, expert_decision, expert_cut_fraction, expert_decision_id,
      auto_grade, auto_pattern, auto_suggestion)
      VALUES (@attemptId, @stimulationId, @level, @side, @rootlet, @grade, @pattern, @decision, @cutFraction, @answeredAt, @expertGrade,
      @expertPattern, @expertDecision, @expertCutFraction, @expertDecisionId, @autoGrade, @autoPattern, @autoSuggestion)`);
    const select = 'SELECT a.*, t.name FROM training_attempts a JOIN trainees t ON t.id = a.trainee_id';
    this.attemptById = db.prepare<[number], AttemptRow>(`${select} WHERE a.id = ?`);
    this.allAttempts = db.prepare<[], AttemptRow>(`${select} ORDER BY a.id`);
    this.attemptsOfTrainee = db.prepare<[number], AttemptRow>(`${select} WHERE a.trainee_id = ? ORDER BY a.id`);
    this.answersOf = db.prepare<[number], AnswerRow>('SELECT * FROM training_answers WHERE attempt_id = ? ORDER BY stimulation_id');
  }

  /** The trainee of that name, created on first use. */
  ensureTrainee(name: string): TraineeRecord {
    const n = normaliseTraineeName(name);
    this.insertTrainee.run(n, this.now().toISOString());
    const r = this.traineeByName.get(n)!;
    return { id: r.id, name: r.name, createdAt: r.created_at };
  }

  trainees(): TraineeRecord[] {
    return this.allTrainees.all().map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  /** Writes a finished attempt with all its answers in one IMMEDIATE transaction. */
  recordAttempt(input: RecordAttemptInput): TrainingAttemptRecord {
    const s = input.scores;
    return this.db.transaction(() => {
      const trainee = this.ensureTrainee(input.trainee);
      const id = Number(this.insertAttempt.run({
        traineeId: trainee.id, caseId: input.caseId, sessionId: input.sessionId, startedAt: input.startedAt, finishedAt: this.now().toISOString(),
        trainsTotal: s.trainsTotal, trainsAnswered: s.trainsAnswered, rootlets: s.rootlets, gradesCompared: s.gradesCompared,
        gradeExact: finiteOrNull(s.gradeExact), gradeKappa: finiteOrNull(s.gradeKappa), decisionsCompared: s.decisionsCompared,
        cutSpareAgreement: finiteOrNull(s.cutSpareAgreement), graderVersion: input.graderVersion,
      }).lastInsertRowid);
      for (const a of input.answers) {
        this.insertAnswer.run({
          attemptId: id, stimulationId: a.stimulationId, level: a.level, side: a.side, rootlet: a.rootlet, grade: a.grade, pattern: a.pattern,
          decision: a.decision, cutFraction: a.cutFraction, answeredAt: a.answeredAt, expertGrade: a.expertGrade, expertPattern: a.expertPattern,
          expertDecision: a.expertDecision, expertCutFraction: a.expertCutFraction, expertDecisionId: a.expertDecisionId,
          autoGrade: a.autoGrade, autoPattern: a.autoPattern, autoSuggestion: a.autoSuggestion,
        });
      }
      return attemptFromRow(this.attemptById.get(id)!);
    }).immediate();
  }

  /** Finished attempts, oldest first; of one trainee when named. */
  attempts(filter: { trainee?: string } = {}): TrainingAttemptRecord[] {
    if (filter.trainee === undefined) return this.allAttempts.all().map(attemptFromRow);
    const t = this.traineeByName.get(normaliseTraineeName(filter.trainee));
    return t ? this.attemptsOfTrainee.all(t.id).map(attemptFromRow) : [];
  }

  answers(attemptId: number): TrainingAnswerRecord[] {
    return this.answersOf.all(attemptId).map(answerFromRow);
  }
}
