import type { Level, MuscleCode, RootKind, SpreadGrade, SpreadRelation, Suggestion, WaveformPattern } from '../domain';

/**
 * The configurable rule that turns a grade and pattern into a cut / spare / review suggestion
 * (shared domain notes, "Grading": centres differ, so the rule is a setting; "Sacral roots and
 * continence": S2 and sphincter-related rootlets are spared whatever their grade). The suggestion
 * never replaces the clinician's decision.
 *
 * Evaluation order: review conditions first (continence protection overrides any cut marker), then cut
 * markers, else spare.
 */
export interface SuggestionRules {
  readonly name: string;
  /** Cut when the spread grade is at least this (null: grade alone never suggests a cut). */
  readonly cutMinGrade: SpreadGrade | null;
  /** Cut when any sustained responder shows one of these relations. */
  readonly cutRelations: readonly SpreadRelation[];
  /** Cut when the train's pattern is one of these. */
  readonly cutPatterns: readonly WaveformPattern[];
  /** Review (never suggest a cut) when the stimulated level is one of these. */
  readonly reviewLevels: readonly Level[];
  /** Review when one of these muscles is among the sustained responders (sphincter involvement). */
  readonly reviewMuscles: readonly MuscleCode[];
  /** Root kinds that are never cut (ventral roots are mapped, not cut): always spare. */
  readonly neverCutKinds: readonly RootKind[];
}

/** Phillips & Park: 3+ and 4+ are cut candidates; S2 and sphincter involvement go to review. */
export const PHILLIPS_PARK_RULES: SuggestionRules = {
  name: 'phillips-park',
  cutMinGrade: 3,
  cutRelations: [],
  cutPatterns: [],
  reviewLevels: ['S2'],
  reviewMuscles: ['EAS'],
  neverCutKinds: ['ventral'],
};

/**
 * For centres that accept only contralateral spread, suprasegmental spread and an incremental pattern
 * as abnormality markers (sustained responses and ipsilateral spread also occur in non-spastic children).
 */
export const STRICT_MARKER_RULES: SuggestionRules = {
  name: 'contralateral-suprasegmental-incremental',
  cutMinGrade: null,
  cutRelations: ['contralateral', 'suprasegmental'],
  cutPatterns: ['incremental'],
  reviewLevels: ['S2'],
  reviewMuscles: ['EAS'],
  neverCutKinds: ['ventral'],
};

export const SUGGESTION_PRESETS: Readonly<Record<string, SuggestionRules>> = {
  [PHILLIPS_PARK_RULES.name]: PHILLIPS_PARK_RULES,
  [STRICT_MARKER_RULES.name]: STRICT_MARKER_RULES,
};

export interface SuggestionInput {
  readonly level: Level;
  readonly kind: RootKind;
  readonly grade: SpreadGrade;
  readonly pattern: WaveformPattern;
  /** Sustained responders. */
  readonly responders: readonly { readonly muscle: MuscleCode; readonly relation: SpreadRelation }[];
}

export interface SuggestionResult {
  readonly suggestion: Suggestion;
  /** Which rule fired, in words, for the explanation shown to the clinician. */
  readonly reason: string;
}

export function suggest(rules: SuggestionRules, x: SuggestionInput): SuggestionResult {
  const tag = `[${rules.name}]`;
  if (rules.neverCutKinds.includes(x.kind)) return { suggestion: 'spare', reason: `${tag} ${x.kind} root: mapped, never cut` };
  if (rules.reviewLevels.includes(x.level)) return { suggestion: 'review', reason: `${tag} ${x.level} stimulation: continence protection, clinician review` };
  const sphincter = x.responders.find((r) => rules.reviewMuscles.includes(r.muscle));
  if (sphincter) return { suggestion: 'review', reason: `${tag} ${sphincter.muscle} involvement: continence protection, clinician review` };
  if (rules.cutMinGrade !== null && x.grade >= rules.cutMinGrade) {
    return { suggestion: 'cut', reason: `${tag} grade ${x.grade}+ >= ${rules.cutMinGrade}+` };
  }
  const rel = x.responders.find((r) => rules.cutRelations.includes(r.relation));
  if (rel) return { suggestion: 'cut', reason: `${tag} ${rel.relation} spread (${rel.muscle})` };
  if (rules.cutPatterns.includes(x.pattern)) return { suggestion: 'cut', reason: `${tag} ${x.pattern} pattern` };
  return { suggestion: 'spare', reason: `${tag} no cut marker (grade ${x.grade}, pattern ${x.pattern})` };
}
