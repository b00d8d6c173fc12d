import { isMuscleCode, isSegment, isSentinel, MUSCLES, type Montage, type MontageChannel } from '../src/domain';

/** A montage row as edited in the form: roots typed as text ("L4 L5" or "L4,L5"). */
export interface MontageRowDraft {
  readonly side: string;
  readonly muscle: string;
  readonly rootsText: string;
}

export function draftFromMontage(m: Montage): MontageRowDraft[] {
  return m.channels.map((c: MontageChannel) => ({ side: c.side, muscle: c.muscle, rootsText: c.roots.join(' ') }));
}

export function parseRoots(text: string): string[] {
  return text.split(/[\s,;]+/).map((r) => r.trim().toUpperCase()).filter((r) => r.length > 0);
}

/**
 * Every problem in a montage draft, one message per problem (the app's makeMontage stops at the first;
 * the form shows them all at once so the user fixes them in one pass).
 */
export function validateMontageDraft(rows: readonly MontageRowDraft[]): string[] {
  const errors: string[] = [];
  if (rows.length === 0) errors.push('the montage needs at least one channel');
  if (rows.length > 64) errors.push(`at most 64 channels, got ${rows.length}`);
  const seen = new Map<string, number>();
  rows.forEach((r, i) => {
    const side = r.side.toUpperCase();
    const muscle = r.muscle.toUpperCase();
    if (side !== 'L' && side !== 'R') errors.push(`channel ${i}: side must be L or R`);
    if (!isMuscleCode(muscle)) {
      errors.push(`channel ${i}: unknown muscle '${r.muscle}'`);
      return;
    }
    const roots = parseRoots(r.rootsText);
    const bad = roots.filter((x) => !isSegment(x));
    if (bad.length) errors.push(`channel ${i} (${side} ${muscle}): unknown root ${bad.map((b) => `'${b}'`).join(', ')} (use L1..S4)`);
    if (roots.length === 0 && !MUSCLES[muscle].sentinel) errors.push(`channel ${i} (${side} ${muscle}): a leg muscle needs at least one root`);
    if (new Set(roots).size !== roots.length) errors.push(`channel ${i} (${side} ${muscle}): a root is listed twice`);
    const key = `${side} ${muscle}`;
    const prev = seen.get(key);
    if (prev !== undefined) errors.push(`channel ${i}: ${key} is already on channel ${prev}`);
    else seen.set(key, i);
  });
  return errors;
}

/** Whether a channel is an upper-limb sentinel (no roots expected). */
export function isSentinelRow(r: MontageRowDraft): boolean {
  const m = r.muscle.toUpperCase();
  return isMuscleCode(m) && isSentinel({ index: 0, side: 'L', muscle: m, roots: [] });
}
