import { makeDecision, type DecisionKind, type SpreadGrade, type TrainGrade, type WaveformPattern } from '../domain';
import { quadraticWeightedKappa } from '../grading/agreement';
import type { CaseStore, CurrentDecision, TrainingAnswerRecord, TrainingAttemptRecord, TrainingScores } from '../storage';
import type {
  EventOf,
  MethodName,
  SdrHandlers,
  TopicName,
  TrainingAttempt,
  TrainingRevealRow,
  TrainingRun,
} from '../contracts';
import { ReplayError, ReplayRun, type PlaybackService } from './replay';
import { GRADER_VERSION } from './sdr-app';

/**
 * Training mode: a trainee watches a recorded session replayed blind (src/app/replay.ts with grades and
 * pulse responses withheld), grades each train (0-4+, pattern) and decides its rootlet (cut / spare /
 * partial / spare: sphincter). Finishing reveals, side by side, the expert's recorded grade and decision
 * and the automatic grade of the replay, and stores the attempt with its scores (exact grade
 * agreement, quadratic-weighted kappa, cut/spare agreement, rootlets) in the append-only training
 * tables, so a trainee's progress shows over time.
 *
 * While a run is active the API does not send recorded grades or decisions: the methods that carry
 * them answer 'training-active', and grade/decision/map events are not delivered to subscribers.
 */

/** Methods that would show the recorded grades or decisions (or write clinical decisions). */
export const HIDDEN_DURING_TRAINING: readonly MethodName[] = ['getRootletResults', 'listDecisions', 'getRootletMap', 'getAuditLog', 'recordDecision', 'getCaseReport'];
/** Event topics that carry grades or decisions. */
export const HIDDEN_TOPICS_DURING_TRAINING: readonly TopicName[] = ['grade', 'decision', 'map'];

type TrainingMethods = 'startTraining' | 'getTraining' | 'submitTrainingAnswer' | 'finishTraining' | 'cancelTraining' | 'listTrainingScores';

interface Answer {
  readonly grade: SpreadGrade;
  readonly pattern: WaveformPattern;
  readonly decision: DecisionKind;
  readonly cutFraction: number;
  readonly answeredAt: string;
}

interface ActiveTraining {
  readonly trainee: string;
  readonly caseId: string;
  readonly sessionId: number;
  readonly startedAt: string;
  readonly items: TrainingRun['items'];
  readonly answers: Map<number, Answer>;
  readonly run: ReplayRun;
}

export interface TrainingServiceOptions {
  readonly store: CaseStore;
  readonly playback: PlaybackService;
  readonly now: () => Date;
}

export interface TrainingService {
  readonly handlers: Pick<SdrHandlers, TrainingMethods>;
  /** True while a training run is active (recorded grades and decisions hidden). */
  active(): boolean;
  /** Replaces the hidden methods of `handlers` with ones refusing while training is active. */
  guard(handlers: SdrHandlers): void;
  /** Wraps an event listener so hidden topics are not delivered while training is active. */
  guardListener<T extends TopicName>(topic: T, listener: (event: EventOf<T>) => void): (event: EventOf<T>) => void;
}

const isCut = (k: DecisionKind): boolean => k === 'cut' || k === 'partial';

/** The scores of a set of answers against their references (pure; exported for tests). */
export function scoreAnswers(rows: readonly TrainingAnswerRecord[], trainsTotal: number): TrainingScores {
  const graded = rows.map((r) => ({ trainee: r.grade, reference: r.expertGrade ?? r.autoGrade })).filter((x): x is { trainee: SpreadGrade; reference: SpreadGrade } => x.reference !== null);
  const exact = graded.filter((x) => x.trainee === x.reference).length;
  const kappa = graded.length > 0 ? quadraticWeightedKappa(graded.map((x) => x.trainee), graded.map((x) => x.reference), 5) : Number.NaN;
  // a rootlet's decision is the answer on its last train (the decision is per rootlet, not per train)
  const byRootlet = new Map<string, TrainingAnswerRecord>();
  for (const r of [...rows].sort((a, b) => a.stimulationId - b.stimulationId)) byRootlet.set(`${r.level}${r.side}#${r.rootlet ?? '-'}`, r);
  const decided = [...byRootlet.values()].filter((r) => r.expertDecision !== null);
  const agree = decided.filter((r) => isCut(r.decision) === isCut(r.expertDecision!)).length;
  return {
    trainsTotal,
    trainsAnswered: rows.length,
    rootlets: byRootlet.size,
    gradesCompared: graded.length,
    gradeExact: graded.length > 0 ? exact / graded.length : null,
    gradeKappa: Number.isFinite(kappa) ? kappa : null,
    decisionsCompared: decided.length,
    cutSpareAgreement: decided.length > 0 ? agree / decided.length : null,
  };
}

function attemptView(a: TrainingAttemptRecord): TrainingAttempt {
  return { attemptId: a.id, trainee: a.trainee, caseId: a.caseId, sessionId: a.sessionId, startedAt: a.startedAt, finishedAt: a.finishedAt, scores: { ...a.scores } };
}

/** The automatic grade of one train: a blind replay from just before it until it is graded. */
async function autoGradeOf(store: CaseStore, sessionId: number, stimulationId: number): Promise<TrainGrade | null> {
  const run = new ReplayRun({ store, sessionId, speed: 'max', blind: true, fromStimulationId: stimulationId });
  try {
    let settled = false;
    void run.finished.then(() => { settled = true; });
    while (!run.grades.has(stimulationId) && !settled) await new Promise<void>((r) => setImmediate(r));
    return run.grades.get(stimulationId) ?? null;
  } finally {
    await run.stop();
  }
}

export function createTrainingService(options: TrainingServiceOptions): TrainingService {
  const { store, playback } = options;
  let current: ActiveTraining | null = null;

  const requireActive = (): ActiveTraining => {
    if (!current) throw new ReplayError('no-training', 'no training run is active: start one first');
    return current;
  };

  const view = (t: ActiveTraining): TrainingRun => ({
    trainee: t.trainee, caseId: t.caseId, sessionId: t.sessionId, startedAt: t.startedAt, items: t.items.map((i) => ({ ...i })),
    answered: [...t.answers.keys()], status: playback.status(),
  });

  const end = async (): Promise<void> => {
    const t = current;
    current = null;
    if (t && playback.current() === t.run) await playback.stop();
  };

  const service: TrainingService = {
    active: () => current !== null,
    guard(handlers) {
      for (const m of HIDDEN_DURING_TRAINING) {
        const inner = handlers[m] as (req: unknown) => unknown;
        (handlers as Record<MethodName, (req: unknown) => unknown>)[m] = (req: unknown) => {
          if (current) throw new ReplayError('training-active', `${m} is not available during a training run: recorded grades and decisions stay hidden until it is finished`);
          return inner(req);
        };
      }
    },
    guardListener(topic, listener) {
      if (!HIDDEN_TOPICS_DURING_TRAINING.includes(topic)) return listener;
      return (event) => {
        if (!current) listener(event);
      };
    },
    handlers: {
      async startTraining(req) {
        if (current) throw new ReplayError('training-active', `a training run for ${current.trainee} is active: finish or cancel it first`);
        const session = store.sessions.get(req.sessionId);
        if (!session) throw new ReplayError('unknown-session', `no session ${req.sessionId}`);
        const trainee = store.training.ensureTrainee(req.trainee).name;
        const items = store.stimulations.forSession(session.id)
          .filter((s) => s.stimulation.mode === 'train' && s.stimulation.target?.kind === 'dorsal' && s.stimulation.target.rootlet !== null)
          .map((s) => ({
            stimulationId: s.id, onsetS: s.onsetSample / session.sampleRateHz, level: s.stimulation.target!.level, side: s.stimulation.target!.side,
            rootlet: s.stimulation.target!.rootlet, intensityMa: s.stimulation.intensityMa,
          }));
        if (items.length === 0) throw new ReplayError('nothing-to-train', `session ${session.id} has no train on a dorsal rootlet`);
        const run = await playback.start({ sessionId: session.id, speed: req.speed, blind: true });
        current = { trainee, caseId: session.caseId, sessionId: session.id, startedAt: options.now().toISOString(), items, answers: new Map(), run };
        return view(current);
      },
      getTraining() {
        return { run: current ? view(current) : null };
      },
      submitTrainingAnswer(req) {
        const t = requireActive();
        if (!t.items.some((i) => i.stimulationId === req.stimulationId)) throw new ReplayError('unknown-stimulation', `stimulation ${req.stimulationId} is not a train of this training run`);
        // the domain constructor checks the partial fraction exactly as for a clinical decision
        const d = makeDecision({ kind: req.decision, fraction: req.fraction, decidedBy: t.trainee, decidedAt: options.now().toISOString() });
        t.answers.set(req.stimulationId, { grade: req.grade, pattern: req.pattern, decision: d.kind, cutFraction: d.cutFraction, answeredAt: d.decidedAt });
        return view(t);
      },
      async finishTraining() {
        const t = requireActive();
        if (t.answers.size === 0) throw new ReplayError('no-answers', 'answer at least one train before finishing (or cancel the run)');
        const decisions = new Map<string, CurrentDecision>();
        for (const d of store.decisions.currentForCase(t.caseId)) decisions.set(`${d.level}${d.side}#${d.rootletIndex}`, d);
        const rows: TrainingRevealRow[] = [];
        const answers: TrainingAnswerRecord[] = [];
        for (const item of t.items) {
          const recorded = store.grades.latestForStimulation(item.stimulationId);
          const expertDecision = decisions.get(`${item.level}${item.side}#${item.rootlet ?? '-'}`) ?? null;
          const auto = t.run.grades.get(item.stimulationId) ?? await autoGradeOf(store, t.sessionId, item.stimulationId);
          const a = t.answers.get(item.stimulationId) ?? null;
          rows.push({
            ...item,
            trainee: a ? { grade: a.grade, pattern: a.pattern, decision: a.decision, cutFraction: a.cutFraction } : null,
            expert: {
              grade: recorded?.grade ?? null, pattern: recorded?.pattern ?? null, decision: expertDecision?.decision.kind ?? null,
              cutFraction: expertDecision?.decision.cutFraction ?? null, decidedBy: expertDecision?.decision.decidedBy ?? null,
            },
            automatic: auto ? { grade: auto.grade, pattern: auto.pattern, suggestion: auto.suggestion, responding: [...auto.responding] } : null,
          });
          if (a) {
            answers.push({
              stimulationId: item.stimulationId, level: item.level, side: item.side, rootlet: item.rootlet, grade: a.grade, pattern: a.pattern,
              decision: a.decision, cutFraction: a.cutFraction, answeredAt: a.answeredAt, expertGrade: recorded?.grade ?? null,
              expertPattern: recorded?.pattern ?? null, expertDecision: expertDecision?.decision.kind ?? null,
              expertCutFraction: expertDecision?.decision.cutFraction ?? null, expertDecisionId: expertDecision?.id ?? null,
              autoGrade: auto?.grade ?? null, autoPattern: auto?.pattern ?? null, autoSuggestion: auto?.suggestion ?? null,
            });
          }
        }
        const scores = scoreAnswers(answers, t.items.length);
        const attempt = store.training.recordAttempt({
          trainee: t.trainee, caseId: t.caseId, sessionId: t.sessionId, startedAt: t.startedAt, scores, graderVersion: GRADER_VERSION, answers,
        });
        await end();
        return { attempt: attemptView(attempt), reveal: rows };
      },
      async cancelTraining() {
        const had = current !== null;
        await end();
        return { cancelled: had };
      },
      listTrainingScores(req) {
        return {
          attempts: store.training.attempts(req.trainee !== undefined ? { trainee: req.trainee } : {}).map(attemptView),
          trainees: store.training.trainees().map((t) => t.name),
        };
      },
    },
  };
  return service;
}
