import { describe, expect, it } from 'vitest';
import { actionForKey, moveCursor, SHORTCUTS, type TargetCursor } from '../../../renderer/keyboard';

describe('keyboard shortcuts', () => {
  it('maps the documented keys to workflow actions, case-insensitively', () => {
    expect(actionForKey({ key: 't' })).toBe('train');
    expect(actionForKey({ key: 'T' })).toBe('train');
    expect(actionForKey({ key: 'r' })).toBe('ramp');
    expect(actionForKey({ key: 'c' })).toBe('decide-cut');
    expect(actionForKey({ key: 's' })).toBe('decide-spare');
    expect(actionForKey({ key: 'p' })).toBe('decide-partial');
    expect(actionForKey({ key: 'ArrowDown' })).toBe('level-down');
    expect(actionForKey({ key: '?' })).toBe('help');
    expect(actionForKey({ key: 'q' })).toBeNull();
  });

  it('ignores chords and keys typed into form fields, except Escape', () => {
    expect(actionForKey({ key: 'c', ctrlKey: true })).toBeNull();
    expect(actionForKey({ key: 'c', targetTag: 'input' })).toBeNull();
    expect(actionForKey({ key: 't', targetEditable: true })).toBeNull();
    expect(actionForKey({ key: 'Escape', targetTag: 'TEXTAREA' })).toBe('escape');
  });

  it('gives every action exactly one table entry and no key twice', () => {
    const keys = SHORTCUTS.flatMap((s) => s.keys.map((k) => k.toLowerCase()));
    expect(new Set(keys).size).toBe(keys.length);
    const actions = SHORTCUTS.map((s) => s.action);
    expect(new Set(actions).size).toBe(actions.length);
  });

  it('moves the target cursor by level, rootlet and side, clamped at the ends', () => {
    const c: TargetCursor = { level: 'L4', side: 'L', kind: 'dorsal', rootlet: 3 };
    expect(moveCursor(c, 'level-down')).toEqual({ level: 'L5', side: 'L', kind: 'dorsal', rootlet: 1 });
    expect(moveCursor(c, 'level-up').level).toBe('L3');
    expect(moveCursor(c, 'rootlet-next').rootlet).toBe(4);
    expect(moveCursor({ ...c, rootlet: 1 }, 'rootlet-prev').rootlet).toBe(1);
    expect(moveCursor(c, 'toggle-side')).toEqual({ level: 'L4', side: 'R', kind: 'dorsal', rootlet: 1 });
    expect(moveCursor(c, 'toggle-kind').kind).toBe('ventral');
    expect(moveCursor({ ...c, level: 'S2' }, 'level-down').level).toBe('S2');
    expect(moveCursor({ ...c, level: 'L2' }, 'level-up', ['L2', 'L3']).level).toBe('L2');
    expect(moveCursor(c, 'train')).toBe(c);
  });
});
