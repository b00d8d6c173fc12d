import { check, checkFinite, DomainError } from './errors';
import { isLevel, LEVELS, type Level, type Side } from './anatomy';

/** Planned % of rootlets to cut per level and side, from the pre-operative team. */
export type CutPlan = Partial<Record<Level, Partial<Record<Side, number>>>>;

/**
 * A case: one operation on one pseudonymous patient (shared domain notes, "What the record of a case
 * contains"). No names: `patientId` is a pseudonym assigned by the centre.
 */
export interface CaseInfo {
  readonly patientId: string;
  readonly ageYears: number;
  readonly diagnosis: string;
  readonly targetMuscles: readonly string[];
  readonly cutPlan: CutPlan;
  readonly approach: string;
  readonly anaesthesiaNotes: string;
  readonly notes: string;
}

export interface CaseRecord extends CaseInfo {
  readonly id: string;
  readonly createdAt: string;
}

const PSEUDONYM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function makeCaseInfo(input: {
  patientId: string;
  ageYears: number;
  diagnosis?: string;
  targetMuscles?: readonly string[];
  cutPlan?: CutPlan;
  approach?: string;
  anaesthesiaNotes?: string;
  notes?: string;
}): CaseInfo {
  check(typeof input.patientId === 'string' && PSEUDONYM.test(input.patientId), 'invalid-case',
    `patient id must be a pseudonym of 1-64 letters, digits, '.', '_' or '-', got '${String(input.patientId)}'`);
  checkFinite(input.ageYears, 'age (years)', 0, 120);
  const plan: CutPlan = {};
  for (const [level, sides] of Object.entries(input.cutPlan ?? {})) {
    if (!isLevel(level)) throw new DomainError('invalid-case', `cut plan: unknown level '${level}' (expected ${LEVELS.join(', ')})`);
    const entry: Partial<Record<Side, number>> = {};
    for (const [side, pct] of Object.entries(sides ?? {})) {
      if (side !== 'L' && side !== 'R') throw new DomainError('invalid-case', `cut plan ${level}: unknown side '${side}'`);
      entry[side] = checkFinite(pct as number, `cut plan ${level} ${side} %`, 0, 100);
    }
    plan[level] = entry;
  }
  const text = (v: string | undefined, name: string, max = 2000): string => {
    const s = (v ?? '').trim();
    check(s.length <= max, 'invalid-case', `${name} is longer than ${max} characters`);
    return s;
  };
  return {
    patientId: input.patientId,
    ageYears: input.ageYears,
    diagnosis: text(input.diagnosis, 'diagnosis', 200),
    targetMuscles: (input.targetMuscles ?? []).map((m) => text(m, 'target muscle', 50)),
    cutPlan: plan,
    approach: text(input.approach, 'approach', 200),
    anaesthesiaNotes: text(input.anaesthesiaNotes, 'anaesthesia notes'),
    notes: text(input.notes, 'notes'),
  };
}
