import { check } from './errors';

/**
 * Spinal segments that appear in muscle root lists, rostral to caudal. Only L1..S2 are stimulated
 * in SDR (shared domain notes, "Levels, sides, rootlets"); S3 and S4 appear as sphincter roots.
 */
export const SEGMENTS = ['L1', 'L2', 'L3', 'L4', 'L5', 'S1', 'S2', 'S3', 'S4'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** Levels whose dorsal roots are tested. Centres that start at L2 configure that per case. */
export const LEVELS = ['L1', 'L2', 'L3', 'L4', 'L5', 'S1', 'S2'] as const;
export type Level = (typeof LEVELS)[number];

export const SIDES = ['L', 'R'] as const;
export type Side = (typeof SIDES)[number];

/** Dorsal (sensory) roots are graded and cut; ventral (motor) roots are only mapped and spared. */
export const ROOT_KINDS = ['dorsal', 'ventral'] as const;
export type RootKind = (typeof ROOT_KINDS)[number];

export function isSegment(v: unknown): v is Segment {
  return typeof v === 'string' && (SEGMENTS as readonly string[]).includes(v);
}
export function isLevel(v: unknown): v is Level {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}
export function isSide(v: unknown): v is Side {
  return v === 'L' || v === 'R';
}
export function isRootKind(v: unknown): v is RootKind {
  return v === 'dorsal' || v === 'ventral';
}

export function parseLevel(v: string): Level {
  const up = v.trim().toUpperCase();
  check(isLevel(up), 'invalid-level', `level must be one of ${LEVELS.join(', ')}, got '${v}'`);
  return up;
}
export function parseSide(v: string): Side {
  const up = v.trim().toUpperCase();
  check(isSide(up), 'invalid-side', `side must be L or R, got '${v}'`);
  return up;
}

export function segmentIndex(s: Segment): number {
  return SEGMENTS.indexOf(s);
}

/** Number of segments between two roots (0 = same segment). */
export function segmentDistance(a: Segment, b: Segment): number {
  return Math.abs(segmentIndex(a) - segmentIndex(b));
}

export function otherSide(s: Side): Side {
  return s === 'L' ? 'R' : 'L';
}

/** Identifies one root: level, side and dorsal/ventral. */
export interface RootId {
  readonly level: Level;
  readonly side: Side;
  readonly kind: RootKind;
}

export function rootKey(r: RootId): string {
  return `${r.level}${r.side}-${r.kind}`;
}

/** Rootlets are numbered from 1 within a dorsal root; most centres split a root into 3-8 rootlets. */
export const MAX_ROOTLETS_PER_ROOT = 20;

export function checkRootletIndex(n: number): number {
  check(Number.isInteger(n) && n >= 1 && n <= MAX_ROOTLETS_PER_ROOT, 'invalid-rootlet', `rootlet index must be an integer 1..${MAX_ROOTLETS_PER_ROOT}, got ${n}`);
  return n;
}

/** A stimulation target: a rootlet of a dorsal root, or a whole root (rootlet null, e.g. ventral). */
export interface StimulationTarget {
  readonly level: Level;
  readonly side: Side;
  readonly kind: RootKind;
  readonly rootlet: number | null;
}
