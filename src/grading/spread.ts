import {
  isSentinel,
  RELATION_GRADE,
  segmentDistance,
  type Level,
  type MontageChannel,
  type Segment,
  type Side,
  type SpreadGrade,
  type SpreadRelation,
} from '../domain';

export interface RelationResult {
  readonly relation: SpreadRelation;
  /** The muscle's root nearest the stimulated root (null for sentinels and contralateral muscles without roots). */
  readonly nearestRoot: Segment | null;
}

/**
 * How a muscle relates to the stimulated root (shared domain notes, "Grading", Phillips & Park):
 * an upper-limb sentinel is suprasegmental; a muscle of the other leg is contralateral; otherwise the
 * muscle counts with its root nearest the stimulated one ("a muscle that responds to more than one
 * root counts with its nearest root"): same segment = segmental, +-1 = adjacent, 2+ = distant.
 * A leg muscle whose root list was emptied in the montage has no segment to relate to and is treated as
 * distant (the conservative reading: its spread cannot be shown to be local).
 */
export function spreadRelation(channel: Pick<MontageChannel, 'side' | 'muscle' | 'roots'>, level: Level, side: Side): RelationResult {
  const nearest = nearestRoot(channel.roots, level);
  if (isSentinel(channel as MontageChannel)) return { relation: 'suprasegmental', nearestRoot: null };
  if (channel.side !== side) return { relation: 'contralateral', nearestRoot: nearest };
  if (nearest === null) return { relation: 'distant', nearestRoot: null };
  const d = segmentDistance(nearest, level);
  return { relation: d === 0 ? 'segmental' : d === 1 ? 'adjacent' : 'distant', nearestRoot: nearest };
}

function nearestRoot(roots: readonly Segment[], level: Level): Segment | null {
  let best: Segment | null = null;
  let bestD = Infinity;
  for (const r of roots) {
    const d = segmentDistance(r, level);
    if (d < bestD) {
      bestD = d;
      best = r;
    }
  }
  return best;
}

/** Spread grade: the worst relation over the sustained responders, 0 when there are none. */
export function spreadGrade(relations: readonly SpreadRelation[]): SpreadGrade {
  let g: SpreadGrade = 0;
  for (const r of relations) if (RELATION_GRADE[r] > g) g = RELATION_GRADE[r];
  return g;
}
