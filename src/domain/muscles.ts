import { check } from './errors';
import type { Segment } from './anatomy';

/**
 * Muscles recorded in SDR and the roots that innervate them, dominant first (shared domain notes,
 * "Muscles and their roots"). About 70 % of muscles get 2-4 roots; the montage may override a list.
 */
export const MUSCLES = {
  ILIO: { name: 'iliopsoas', roots: ['L1', 'L2'], sentinel: false },
  ADD: { name: 'adductor longus', roots: ['L2', 'L3'], sentinel: false },
  VL: { name: 'vastus lateralis', roots: ['L3', 'L4'], sentinel: false },
  TA: { name: 'tibialis anterior', roots: ['L4', 'L5'], sentinel: false },
  HAM: { name: 'medial hamstrings', roots: ['L5', 'S1'], sentinel: false },
  GAS: { name: 'medial gastrocnemius', roots: ['S1', 'S2'], sentinel: false },
  AH: { name: 'abductor hallucis', roots: ['S1', 'S2'], sentinel: false },
  EAS: { name: 'external anal sphincter', roots: ['S2', 'S3', 'S4'], sentinel: false },
  DELT: { name: 'deltoid (upper-limb sentinel)', roots: [], sentinel: true },
  APB: { name: 'abductor pollicis brevis (upper-limb sentinel)', roots: [], sentinel: true },
} as const satisfies Record<string, { name: string; roots: readonly Segment[]; sentinel: boolean }>;

export type MuscleCode = keyof typeof MUSCLES;
export const MUSCLE_CODES = Object.keys(MUSCLES) as MuscleCode[];

export function isMuscleCode(v: unknown): v is MuscleCode {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(MUSCLES, v);
}

export function parseMuscleCode(v: string): MuscleCode {
  const up = v.trim().toUpperCase();
  check(isMuscleCode(up), 'invalid-muscle', `muscle must be one of ${MUSCLE_CODES.join(', ')}, got '${v}'`);
  return up;
}

export function defaultRoots(m: MuscleCode): readonly Segment[] {
  return MUSCLES[m].roots;
}
