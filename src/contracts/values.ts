import { z } from 'zod';
import {
  CHANNEL_STATES,
  DECISION_KINDS,
  LEVELS,
  MAX_INTENSITY_MA,
  MAX_ROOTLETS_PER_ROOT,
  MUSCLE_CODES,
  PATTERNS,
  ROOT_KINDS,
  SEGMENTS,
  SIDES,
  SPREAD_RELATIONS,
  SUGGESTIONS,
  type ChannelEvidence,
  type MuscleCode,
  type StimulationTarget,
  type ThresholdResult,
} from '../domain';

/**
 * Zod schemas for the domain values that cross the UI <-> app boundary. They mirror src/domain; the
 * domain constructors (makeMontage, makeCaseInfo, makeDecision, makeStimulation) still run in the app,
 * these only make sure the shape is right before anything is used.
 */

export const levelSchema = z.enum(LEVELS);
export const sideSchema = z.enum(SIDES);
export const rootKindSchema = z.enum(ROOT_KINDS);
export const segmentSchema = z.enum(SEGMENTS);
export const muscleCodeSchema = z.enum(MUSCLE_CODES as [MuscleCode, ...MuscleCode[]]);
export const patternSchema = z.enum(PATTERNS);
export const suggestionSchema = z.enum(SUGGESTIONS);
export const spreadRelationSchema = z.enum(SPREAD_RELATIONS);
export const channelStateSchema = z.enum(CHANNEL_STATES);
export const decisionKindSchema = z.enum(DECISION_KINDS);
export const spreadGradeSchema = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);

export const caseIdSchema = z.string().min(1).max(100);
export const rootletIndexSchema = z.int().min(1).max(MAX_ROOTLETS_PER_ROOT);
export const intensityMaSchema = z.number().finite().min(0).max(MAX_INTENSITY_MA);
/** Plain text fields from forms; lengths match makeCaseInfo's limits. */
const text = (max: number) => z.string().max(max);

export const stimulationTargetSchema = z.strictObject({
  level: levelSchema,
  side: sideSchema,
  kind: rootKindSchema,
  /** null = the whole root (e.g. a ventral root check). */
  rootlet: rootletIndexSchema.nullable(),
});

/** Planned % cut per level and side (0..100). */
export const cutPlanSchema = z.partialRecord(levelSchema, z.partialRecord(sideSchema, z.number().finite().min(0).max(100)));

export const caseInfoSchema = z.strictObject({
  patientId: z.string().min(1).max(64),
  ageYears: z.number().finite().min(0).max(120),
  diagnosis: text(200),
  targetMuscles: z.array(text(50)).max(64),
  cutPlan: cutPlanSchema,
  approach: text(200),
  anaesthesiaNotes: text(2000),
  notes: text(2000),
});

export const caseRecordSchema = caseInfoSchema.extend({
  id: caseIdSchema,
  createdAt: z.string(),
});

export const montageChannelSchema = z.strictObject({
  index: z.int().min(0).max(63),
  side: sideSchema,
  muscle: muscleCodeSchema,
  roots: z.array(segmentSchema),
});

export const montageSchema = z.strictObject({
  name: z.string().min(1).max(200),
  channels: z.array(montageChannelSchema).min(1).max(64),
});

export const stimulationSchema = z.strictObject({
  mode: z.enum(['single', 'train']),
  intensityMa: intensityMaSchema,
  pulseWidthUs: z.int().min(10).max(2000),
  rateHz: z.number().finite().nullable(),
  durationS: z.number().finite().min(0),
  target: stimulationTargetSchema.nullable(),
});

export const channelEvidenceSchema = z.strictObject({
  channel: z.int().min(0),
  side: sideSchema,
  muscle: muscleCodeSchema,
  state: channelStateSchema,
  baselineUv: z.number(),
  trainMedianUv: z.number(),
  peakUv: z.number(),
  fractionAbove: z.number(),
  lateEarlyRatio: z.number(),
  afterDischarge: z.boolean(),
  responding: z.boolean(),
  sustained: z.boolean(),
  pattern: patternSchema,
  relation: spreadRelationSchema.nullable(),
  nearestRoot: segmentSchema.nullable(),
  notes: z.array(z.string()),
});

export const trainGradeSchema = z.strictObject({
  target: stimulationTargetSchema,
  onsetSample: z.int().min(0),
  onsetS: z.number(),
  intensityMa: z.number(),
  grade: spreadGradeSchema,
  pattern: patternSchema,
  responding: z.array(z.string()),
  suggestion: suggestionSchema,
  suggestionReason: z.string(),
  channels: z.array(channelEvidenceSchema),
  warnings: z.array(z.string()),
});

export const thresholdResultSchema = z.strictObject({
  target: stimulationTargetSchema,
  thresholdMa: z.number().nullable(),
  perChannel: z.array(z.strictObject({
    channel: z.int().min(0),
    thresholdMa: z.number().nullable(),
    latencyMs: z.number().nullable(),
    amplitudeUv: z.number().nullable(),
  })),
});

export const decisionSchema = z.strictObject({
  kind: decisionKindSchema,
  cutFraction: z.number().min(0).max(1),
  decidedBy: z.string(),
  decidedAt: z.string(),
  reason: z.string(),
});

// Compile-time proof that the wire shapes are the domain shapes (a domain change breaks the build here).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Mutable<T> = T extends readonly (infer U)[] ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;
const _targetSame: Same<z.infer<typeof stimulationTargetSchema>, Mutable<StimulationTarget>> = true;
const _evidenceSame: Same<z.infer<typeof channelEvidenceSchema>, Mutable<ChannelEvidence>> = true;
const _thresholdSame: Same<z.infer<typeof thresholdResultSchema>, Mutable<ThresholdResult>> = true;
void _targetSame; void _evidenceSame; void _thresholdSame;
