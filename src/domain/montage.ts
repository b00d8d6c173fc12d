import { check, DomainError } from './errors';
import { isSegment, isSide, type Segment, type Side } from './anatomy';
import { defaultRoots, isMuscleCode, MUSCLES, type MuscleCode } from './muscles';

/** One recorded EMG channel: which muscle on which side, and the roots taken to innervate it. */
export interface MontageChannel {
  /** 0-based channel index on the amplifier. */
  readonly index: number;
  readonly side: Side;
  readonly muscle: MuscleCode;
  /** Innervating roots, dominant first; empty for upper-limb sentinels. Editable per case. */
  readonly roots: readonly Segment[];
}

/** Which muscle is on which channel for one case. Editable; validated at construction. */
export interface Montage {
  readonly name: string;
  readonly channels: readonly MontageChannel[];
}

/** EDF+ signal label for a channel: `EMG <side> <muscle>` (architecture.md, interchange conventions). */
export function channelLabel(c: Pick<MontageChannel, 'side' | 'muscle'>): string {
  return `EMG ${c.side} ${c.muscle}`;
}

/** Short name used in grade output: `<side> <muscle>`, e.g. "R TA". */
export function channelName(c: Pick<MontageChannel, 'side' | 'muscle'>): string {
  return `${c.side} ${c.muscle}`;
}

/** Parses `EMG <side> <muscle>` (case-insensitive, any whitespace). Returns null if not that shape. */
export function parseChannelLabel(label: string): { side: Side; muscle: MuscleCode } | null {
  const m = /^\s*EMG\s+([LR])\s+([A-Za-z]+)\s*$/i.exec(label);
  if (!m) return null;
  const side = m[1]!.toUpperCase();
  const muscle = m[2]!.toUpperCase();
  if (!isSide(side) || !isMuscleCode(muscle)) return null;
  return { side, muscle };
}

export interface MontageChannelInput {
  side: string;
  muscle: string;
  roots?: readonly string[];
}

/** Builds a validated montage; channel indices follow input order. */
export function makeMontage(name: string, channels: readonly MontageChannelInput[]): Montage {
  check(typeof name === 'string' && name.trim().length > 0, 'invalid-montage', 'montage name must not be empty');
  check(channels.length > 0 && channels.length <= 64, 'invalid-montage', `montage must have 1..64 channels, got ${channels.length}`);
  const seen = new Set<string>();
  const out: MontageChannel[] = channels.map((c, index) => {
    const side = String(c.side).toUpperCase();
    const muscle = String(c.muscle).toUpperCase();
    if (!isSide(side)) throw new DomainError('invalid-montage', `channel ${index}: side must be L or R, got '${c.side}'`);
    if (!isMuscleCode(muscle)) throw new DomainError('invalid-montage', `channel ${index}: unknown muscle '${c.muscle}'`);
    const roots = c.roots ? c.roots.map((r) => String(r).toUpperCase()) : [...defaultRoots(muscle)];
    for (const r of roots) {
      if (!isSegment(r)) throw new DomainError('invalid-montage', `channel ${index}: unknown root '${r}'`);
    }
    const key = `${side} ${muscle}`;
    check(!seen.has(key), 'invalid-montage', `channel ${index}: ${key} appears twice`);
    seen.add(key);
    return { index, side, muscle, roots: roots as Segment[] };
  });
  return { name: name.trim(), channels: out };
}

/**
 * The default 16-channel montage: seven leg muscles per side plus the anal sphincter on each side
 * (shared domain notes, "Typical montage").
 */
export const DEFAULT_MONTAGE_MUSCLES: readonly MuscleCode[] = ['ILIO', 'ADD', 'VL', 'TA', 'HAM', 'GAS', 'AH', 'EAS'];

export const DEFAULT_MONTAGE: Montage = makeMontage(
  'default 16-channel',
  (['L', 'R'] as const).flatMap((side) => DEFAULT_MONTAGE_MUSCLES.map((muscle) => ({ side, muscle }))),
);

export function findChannel(m: Montage, side: Side, muscle: MuscleCode): MontageChannel | undefined {
  return m.channels.find((c) => c.side === side && c.muscle === muscle);
}

export function isSentinel(c: MontageChannel): boolean {
  return MUSCLES[c.muscle].sentinel;
}
