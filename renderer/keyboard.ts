import { LEVELS, MAX_ROOTLETS_PER_ROOT, type Level, type RootKind, type Side } from '../src/domain';

/**
 * Keyboard shortcuts. Hands are busy in the operating room, so every action of the stimulation workflow
 * has a key; this table is the single source for both the handler and the help overlay.
 */
export type ShortcutAction =
  | 'level-up'
  | 'level-down'
  | 'rootlet-prev'
  | 'rootlet-next'
  | 'toggle-side'
  | 'toggle-kind'
  | 'ramp'
  | 'train'
  | 'repeat'
  | 'decide-cut'
  | 'decide-spare'
  | 'decide-partial'
  | 'decide-sphincter'
  | 'toggle-sound'
  | 'screen-monitor'
  | 'screen-map'
  | 'screen-audit'
  | 'screen-setup'
  | 'screen-device'
  | 'screen-replay'
  | 'screen-training'
  | 'evidence'
  | 'help'
  | 'escape';

export interface Shortcut {
  readonly keys: readonly string[];
  readonly action: ShortcutAction;
  readonly label: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['ArrowUp'], action: 'level-up', label: 'Previous level (rostral)' },
  { keys: ['ArrowDown'], action: 'level-down', label: 'Next level (caudal)' },
  { keys: ['ArrowLeft'], action: 'rootlet-prev', label: 'Previous rootlet' },
  { keys: ['ArrowRight'], action: 'rootlet-next', label: 'Next rootlet' },
  { keys: ['l'], action: 'toggle-side', label: 'Switch side (left / right)' },
  { keys: ['v'], action: 'toggle-kind', label: 'Switch dorsal / ventral root' },
  { keys: ['r'], action: 'ramp', label: 'Threshold ramp (single pulses)' },
  { keys: ['t'], action: 'train', label: 'Test train at threshold' },
  { keys: ['a'], action: 'repeat', label: 'Repeat last stimulation' },
  { keys: ['c'], action: 'decide-cut', label: 'Decide: cut' },
  { keys: ['s'], action: 'decide-spare', label: 'Decide: spare' },
  { keys: ['p'], action: 'decide-partial', label: 'Decide: partial cut' },
  { keys: ['x'], action: 'decide-sphincter', label: 'Decide: spare for sphincter / pudendal' },
  { keys: ['m'], action: 'toggle-sound', label: 'EMG sound on / off' },
  { keys: ['1'], action: 'screen-monitor', label: 'Monitor screen' },
  { keys: ['2'], action: 'screen-map', label: 'Rootlet map' },
  { keys: ['3'], action: 'screen-audit', label: 'Audit log' },
  { keys: ['4'], action: 'screen-setup', label: 'Case setup' },
  { keys: ['5'], action: 'screen-device', label: 'Device' },
  { keys: ['6'], action: 'screen-replay', label: 'Replay a recorded session' },
  { keys: ['7'], action: 'screen-training', label: 'Training (blind replay)' },
  { keys: ['e'], action: 'evidence', label: 'Evidence table of the last train' },
  { keys: ['?', 'F1'], action: 'help', label: 'Show / hide this help' },
  { keys: ['Escape'], action: 'escape', label: 'Close dialog / cancel' },
];

export interface KeyLike {
  readonly key: string;
  readonly ctrlKey?: boolean;
  readonly altKey?: boolean;
  readonly metaKey?: boolean;
  /** Tag name of the focused element: typing in a field must not trigger actions. */
  readonly targetTag?: string;
  readonly targetEditable?: boolean;
}

const TYPING_TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

/** The action a key press triggers, or null. Modifier chords and keys typed into fields are ignored. */
export function actionForKey(e: KeyLike): ShortcutAction | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  const typing = e.targetEditable === true || (e.targetTag !== undefined && TYPING_TAGS.has(e.targetTag.toUpperCase()));
  if (typing && e.key !== 'Escape' && e.key !== 'F1') return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  for (const s of SHORTCUTS) if (s.keys.includes(key)) return s.action;
  return null;
}

/** The rootlet (or root, for ventral) the stimulation workflow currently points at. */
export interface TargetCursor {
  readonly level: Level;
  readonly side: Side;
  readonly kind: RootKind;
  /** 1-based rootlet index; ignored for ventral roots, which are stimulated whole. */
  readonly rootlet: number;
}

/** Moves the cursor for a navigation action; other actions leave it unchanged. Clamped, never wraps. */
export function moveCursor(c: TargetCursor, action: ShortcutAction, levels: readonly Level[] = LEVELS): TargetCursor {
  const li = Math.max(0, levels.indexOf(c.level));
  switch (action) {
    case 'level-up':
      return { ...c, level: levels[Math.max(0, li - 1)] ?? c.level, rootlet: 1 };
    case 'level-down':
      return { ...c, level: levels[Math.min(levels.length - 1, li + 1)] ?? c.level, rootlet: 1 };
    case 'rootlet-prev':
      return { ...c, rootlet: Math.max(1, c.rootlet - 1) };
    case 'rootlet-next':
      return { ...c, rootlet: Math.min(MAX_ROOTLETS_PER_ROOT, c.rootlet + 1) };
    case 'toggle-side':
      return { ...c, side: c.side === 'L' ? 'R' : 'L', rootlet: 1 };
    case 'toggle-kind':
      return { ...c, kind: c.kind === 'dorsal' ? 'ventral' : 'dorsal' };
    default:
      return c;
  }
}

export function keyCaption(k: string): string {
  switch (k) {
    case 'ArrowUp':
      return '\u2191';
    case 'ArrowDown':
      return '\u2193';
    case 'ArrowLeft':
      return '\u2190';
    case 'ArrowRight':
      return '\u2192';
    case 'Escape':
      return 'Esc';
    default:
      return k.length === 1 ? k.toUpperCase() : k;
  }
}
