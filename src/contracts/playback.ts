import { z } from 'zod';
import {
  caseIdSchema,
  decisionKindSchema,
  levelSchema,
  patternSchema,
  rootletIndexSchema,
  sideSchema,
  spreadGradeSchema,
  stimulationSchema,
  suggestionSchema,
} from './values';

/**
 * Contract schemas of offline replay and training mode (src/app/replay.ts, src/app/training.ts). Only
 * value schemas are imported here; the methods are appended to API_METHODS in api.ts.
 */

/** Replay speed: signal seconds per wall second, or 'max' (as fast as the machine grades). */
export const replaySpeedSchema = z.union([z.literal(1), z.literal(2), z.literal(5), z.literal(10), z.literal('max')]);
export type ReplaySpeed = z.infer<typeof replaySpeedSchema>;
export const REPLAY_SPEEDS: readonly ReplaySpeed[] = [1, 2, 5, 10, 'max'];

export const sessionSourceSchema = z.enum(['live', 'replay', 'import']);

/** A recorded session as the replay picker lists it (no grades or decisions: safe during training). */
export const sessionSummarySchema = z.strictObject({
  sessionId: z.int(),
  caseId: caseIdSchema,
  source: sessionSourceSchema,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  cleanShutdown: z.boolean(),
  sampleRateHz: z.number().positive(),
  channelCount: z.int().min(1),
  /** Seconds of stored signal (first to last stored sample, gaps included). */
  durationS: z.number().min(0),
  stimulations: z.int().min(0),
  trains: z.int().min(0),
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

/** A stimulation of the replayed session, to jump to. */
export const replayStimulationSchema = z.strictObject({
  stimulationId: z.int(),
  onsetSample: z.int().min(0),
  /** Session time of the first pulse (sample index / sample rate), s. */
  onsetS: z.number().min(0),
  stimulation: stimulationSchema,
});
export type ReplayStimulation = z.infer<typeof replayStimulationSchema>;

export const replayStateSchema = z.enum(['idle', 'playing', 'paused', 'finished']);

export const replayStatusSchema = z.strictObject({
  state: replayStateSchema,
  sessionId: z.int().nullable(),
  caseId: caseIdSchema.nullable(),
  /** True while the replay is a training run (grades and decisions are hidden). */
  training: z.boolean(),
  speed: replaySpeedSchema,
  sampleRateHz: z.number().positive().nullable(),
  /** Session sample index replayed so far (exclusive), and the stored range. */
  positionSample: z.int().min(0),
  startSample: z.int().min(0),
  endSample: z.int().min(0),
  /** Increases at every start and jump: the live trace restarts from a new position. */
  generation: z.int().min(0),
  stimulationsPassed: z.int().min(0),
  stimulationsTotal: z.int().min(0),
  /** Trains graded by the replay since its start (grades emitted unless training). */
  trainsGraded: z.int().min(0),
  lastError: z.string().nullable(),
});
export type ReplayStatus = z.infer<typeof replayStatusSchema>;

export const startReplayRequestSchema = z.strictObject({
  sessionId: z.int().min(1),
  speed: replaySpeedSchema.default(1),
  /** Start at this stimulation instead of the beginning. */
  fromStimulationId: z.int().optional(),
});

export const startReplayResponseSchema = z.strictObject({
  status: replayStatusSchema,
  stimulations: z.array(replayStimulationSchema),
});

export const controlReplayRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('pause') }),
  z.strictObject({ action: z.literal('resume') }),
  z.strictObject({ action: z.literal('speed'), speed: replaySpeedSchema }),
  /** Jump to a stimulation: the pipeline restarts a little before it so the filters settle. */
  z.strictObject({ action: z.literal('seek'), stimulationId: z.int() }),
]);
export type ControlReplayRequest = z.infer<typeof controlReplayRequestSchema>;

// ---------- training ----------

const traineeNameSchema = z.string().trim().min(1).max(100);

/** One train the trainee is asked about (the rootlet it stimulated), without any grade. */
export const trainingItemSchema = z.strictObject({
  stimulationId: z.int(),
  onsetS: z.number().min(0),
  level: levelSchema,
  side: sideSchema,
  rootlet: rootletIndexSchema.nullable(),
  intensityMa: z.number(),
});

export const startTrainingRequestSchema = z.strictObject({
  sessionId: z.int().min(1),
  trainee: traineeNameSchema,
  speed: replaySpeedSchema.default(1),
});

export const trainingRunSchema = z.strictObject({
  trainee: z.string(),
  caseId: caseIdSchema,
  sessionId: z.int(),
  startedAt: z.string(),
  items: z.array(trainingItemSchema),
  /** Stimulation ids answered so far. */
  answered: z.array(z.int()),
  status: replayStatusSchema,
});
export type TrainingRun = z.infer<typeof trainingRunSchema>;

export const trainingAnswerRequestSchema = z.strictObject({
  stimulationId: z.int(),
  grade: spreadGradeSchema,
  pattern: patternSchema,
  decision: decisionKindSchema,
  /** Fraction cut, only for 'partial' (0 < f < 1). */
  fraction: z.number().finite().gt(0).lt(1).optional(),
});

export const trainingScoresSchema = z.strictObject({
  trainsTotal: z.int().min(0),
  trainsAnswered: z.int().min(0),
  rootlets: z.int().min(0),
  gradesCompared: z.int().min(0),
  /** Fraction of answered trains whose grade equals the reference grade; null when none compared. */
  gradeExact: z.number().min(0).max(1).nullable(),
  /** Quadratic-weighted kappa (0..4 grades) vs the reference; null when undefined. */
  gradeKappa: z.number().nullable(),
  decisionsCompared: z.int().min(0),
  /** Cut (cut/partial) vs spare (spare/spare-sphincter) agreement with the recorded decisions. */
  cutSpareAgreement: z.number().min(0).max(1).nullable(),
});
export type TrainingScoresView = z.infer<typeof trainingScoresSchema>;

/** Trainee's answer beside the expert's recorded grade/decision and the automatic grade. */
export const trainingRevealRowSchema = z.strictObject({
  stimulationId: z.int(),
  onsetS: z.number().min(0),
  level: levelSchema,
  side: sideSchema,
  rootlet: rootletIndexSchema.nullable(),
  intensityMa: z.number(),
  trainee: z.strictObject({ grade: spreadGradeSchema, pattern: patternSchema, decision: decisionKindSchema, cutFraction: z.number() }).nullable(),
  expert: z.strictObject({
    grade: spreadGradeSchema.nullable(),
    pattern: patternSchema.nullable(),
    decision: decisionKindSchema.nullable(),
    cutFraction: z.number().nullable(),
    decidedBy: z.string().nullable(),
  }),
  automatic: z.strictObject({ grade: spreadGradeSchema, pattern: patternSchema, suggestion: suggestionSchema, responding: z.array(z.string()) }).nullable(),
});
export type TrainingRevealRow = z.infer<typeof trainingRevealRowSchema>;

export const trainingAttemptSchema = z.strictObject({
  attemptId: z.int(),
  trainee: z.string(),
  caseId: caseIdSchema,
  sessionId: z.int(),
  startedAt: z.string(),
  finishedAt: z.string(),
  scores: trainingScoresSchema,
});
export type TrainingAttempt = z.infer<typeof trainingAttemptSchema>;

export const finishTrainingResponseSchema = z.strictObject({
  attempt: trainingAttemptSchema,
  reveal: z.array(trainingRevealRowSchema),
});

export const listTrainingScoresRequestSchema = z.strictObject({ trainee: traineeNameSchema.optional() });
export const listTrainingScoresResponseSchema = z.strictObject({
  attempts: z.array(trainingAttemptSchema),
  trainees: z.array(z.string()),
});
