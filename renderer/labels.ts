import type { DecisionKind, RootKind, Side, SpreadGrade, StimulationTarget } from '../src/domain';

/** Grade as clinicians write it: 0, 1+, 2+, 3+, 4+. */
export function gradeLabel(g: SpreadGrade | null): string {
  if (g === null) return '\u2013';
  return g === 0 ? '0' : `${g}+`;
}

/** Decision in words; the map shows text as well as colour so it reads without colour vision. */
export function decisionLabel(kind: DecisionKind | null, cutFraction: number | null): string {
  switch (kind) {
    case 'cut':
      return 'CUT';
    case 'spare':
      return 'SPARE';
    case 'partial':
      return `PARTIAL ${Math.round((cutFraction ?? 0) * 100)}%`;
    case 'spare-sphincter':
      return 'SPARE sphincter';
    default:
      return 'undecided';
  }
}

export function formatPct(v: number | null): string {
  return v === null ? '\u2013' : `${Math.round(v)}%`;
}

export function formatMa(v: number | null): string {
  if (v === null) return '\u2013';
  return `${v < 1 ? v.toFixed(2) : v.toFixed(1)} mA`;
}

export function sideWord(s: Side): string {
  return s === 'L' ? 'left' : 'right';
}

export function kindWord(k: RootKind): string {
  return k === 'dorsal' ? 'dorsal' : 'ventral';
}

/** "L5 R dorsal rootlet 3" / "S1 L ventral root". */
export function targetLabel(t: StimulationTarget | null): string {
  if (!t) return 'no target';
  const part = t.kind === 'ventral' || t.rootlet === null ? `${t.kind} root` : `rootlet ${t.rootlet}`;
  return `${t.level} ${t.side} ${part}`;
}
