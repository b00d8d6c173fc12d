import type { Segment, Side, StimulationTarget } from './anatomy';
import type { MuscleCode } from './muscles';

/** Phillips & Park spread grade, 0 to 4+ (shared domain notes, "Grading"). */
export const SPREAD_GRADES = [0, 1, 2, 3, 4] as const;
export type SpreadGrade = (typeof SPREAD_GRADES)[number];

export function isSpreadGrade(v: unknown): v is SpreadGrade {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4;
}

/** Waveform pattern classes (Fasano lineage), from less to more abnormal, plus `none`. */
export const PATTERNS = [
  'none',
  'decremental',
  'squared',
  'squared-decremental',
  'incremental',
  'sustained',
  'clonic',
  'multiphasic',
  'irregular',
] as const;
export type WaveformPattern = (typeof PATTERNS)[number];

export function isPattern(v: unknown): v is WaveformPattern {
  return typeof v === 'string' && (PATTERNS as readonly string[]).includes(v);
}

/** Patterns the domain notes list as more abnormal. */
export const ABNORMAL_PATTERNS: readonly WaveformPattern[] = ['incremental', 'sustained', 'clonic', 'multiphasic', 'irregular'];

/**
 * How a responding muscle relates to the stimulated root: segmental (its roots include the stimulated
 * root), adjacent (+-1), distant (2+ away), contralateral, or suprasegmental (upper-limb sentinel).
 */
export const SPREAD_RELATIONS = ['segmental', 'adjacent', 'distant', 'contralateral', 'suprasegmental'] as const;
export type SpreadRelation = (typeof SPREAD_RELATIONS)[number];

/** The grade each relation implies on its own; the train's grade is the worst over sustained responders. */
export const RELATION_GRADE: Record<SpreadRelation, SpreadGrade> = {
  segmental: 1,
  adjacent: 2,
  distant: 3,
  contralateral: 4,
  suprasegmental: 4,
};

export const SUGGESTIONS = ['cut', 'spare', 'review'] as const;
export type Suggestion = (typeof SUGGESTIONS)[number];

export const CHANNEL_STATES = ['ok', 'dead', 'mains-only', 'electrode-off', 'saturated'] as const;
export type ChannelState = (typeof CHANNEL_STATES)[number];

/** Evidence for one channel of one train: what the grader measured and concluded. */
export interface ChannelEvidence {
  readonly channel: number;
  readonly side: Side;
  readonly muscle: MuscleCode;
  readonly state: ChannelState;
  /** Pre-stimulus baseline of the envelope, uV. */
  readonly baselineUv: number;
  /** Median envelope over the train window, uV. */
  readonly trainMedianUv: number;
  readonly peakUv: number;
  /** Fraction (0..1) of the train (after its onset period) with envelope clearly above baseline. */
  readonly fractionAbove: number;
  /** Late-train / early-train envelope ratio. */
  readonly lateEarlyRatio: number;
  /** Envelope above baseline after the train ended (after-discharge). */
  readonly afterDischarge: boolean;
  readonly responding: boolean;
  readonly sustained: boolean;
  readonly pattern: WaveformPattern;
  /** Relation to the stimulated root, for responding channels. */
  readonly relation: SpreadRelation | null;
  /** The root of this muscle nearest the stimulated root. */
  readonly nearestRoot: Segment | null;
  /** Human-readable reasons: which rule fired, or why the channel was excluded. */
  readonly notes: readonly string[];
}

/** The graded response to one train, with the evidence that produced it. */
export interface TrainGrade {
  readonly target: StimulationTarget;
  readonly onsetSample: number;
  readonly onsetS: number;
  readonly intensityMa: number;
  readonly grade: SpreadGrade;
  readonly pattern: WaveformPattern;
  /** Names ("R TA") of sustained responders, ordered by response strength, strongest first. */
  readonly responding: readonly string[];
  readonly suggestion: Suggestion;
  /** The rule that produced the suggestion, in words. */
  readonly suggestionReason: string;
  readonly channels: readonly ChannelEvidence[];
  readonly warnings: readonly string[];
}

/** Threshold result from a single-pulse ramp on one root or rootlet. */
export interface ThresholdResult {
  readonly target: StimulationTarget;
  /** Lowest intensity with a reproducible response in any muscle, or null if none responded. */
  readonly thresholdMa: number | null;
  readonly perChannel: readonly {
    readonly channel: number;
    readonly thresholdMa: number | null;
    readonly latencyMs: number | null;
    readonly amplitudeUv: number | null;
  }[];
}
