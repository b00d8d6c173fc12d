import { check, checkFinite } from './errors';

/**
 * The clinician's decision on a rootlet: cut, spare, partial (fraction of fibres cut, 0 < f < 1;
 * some centres cut about 50-65 %), or spare for sphincter/pudendal protection whatever the grade
 * (shared domain notes, "Sacral roots and continence").
 */
export const DECISION_KINDS = ['cut', 'spare', 'partial', 'spare-sphincter'] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

export interface Decision {
  readonly kind: DecisionKind;
  /** Fraction of the rootlet cut: 1 for cut, 0 for spare, (0,1) for partial. */
  readonly cutFraction: number;
  /** Who decided (name or role as entered). */
  readonly decidedBy: string;
  /** ISO-8601 time of the decision. */
  readonly decidedAt: string;
  readonly reason: string;
}

export function isDecisionKind(v: unknown): v is DecisionKind {
  return typeof v === 'string' && (DECISION_KINDS as readonly string[]).includes(v);
}

export function makeDecision(input: {
  kind: DecisionKind;
  fraction?: number;
  decidedBy: string;
  decidedAt: string;
  reason?: string;
}): Decision {
  check(isDecisionKind(input.kind), 'invalid-decision', `decision must be one of ${DECISION_KINDS.join(', ')}, got '${String(input.kind)}'`);
  check(typeof input.decidedBy === 'string' && input.decidedBy.trim().length > 0, 'invalid-decision', 'a decision needs who made it');
  check(!Number.isNaN(Date.parse(input.decidedAt)), 'invalid-decision', `decidedAt must be an ISO time, got '${input.decidedAt}'`);
  let cutFraction: number;
  if (input.kind === 'partial') {
    check(input.fraction !== undefined, 'invalid-decision', 'a partial cut needs a fraction');
    cutFraction = checkFinite(input.fraction, 'fraction', 0, 1);
    check(cutFraction > 0 && cutFraction < 1, 'invalid-decision', `partial fraction must be between 0 and 1 exclusive, got ${cutFraction}`);
  } else {
    check(input.fraction === undefined, 'invalid-decision', `a '${input.kind}' decision takes no fraction`);
    cutFraction = input.kind === 'cut' ? 1 : 0;
  }
  const reason = (input.reason ?? '').trim();
  return { kind: input.kind, cutFraction, decidedBy: input.decidedBy.trim(), decidedAt: input.decidedAt, reason };
}
