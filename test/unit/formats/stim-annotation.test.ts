import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDecimal, formatStimAnnotation, parseStimAnnotation } from '../../../src/formats';
import { LEVELS, makeStimulation, type Stimulation } from '../../../src/domain';

describe('formatStimAnnotation', () => {
  it('writes the canonical train text', () => {
    const s = makeStimulation({
      mode: 'train', intensityMa: 1.25, pulseWidthUs: 100, rateHz: 50, durationS: 1,
      target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 3 },
    });
    expect(formatStimAnnotation(s)).toBe('stim root=L4 side=R rootlet=3 mode=train ma=1.25 rate_hz=50 pw_us=100');
  });
  it('omits rate_hz for a single pulse', () => {
    const s = makeStimulation({ mode: 'single', intensityMa: 0.8, pulseWidthUs: 200, target: { level: 'S1', side: 'L', kind: 'dorsal', rootlet: 12 } });
    expect(formatStimAnnotation(s)).toBe('stim root=S1 side=L rootlet=12 mode=single ma=0.8 pw_us=200');
  });
  it('writes a ventral root as rootlet=0 with a trailing kind=ventral', () => {
    const s = makeStimulation({ mode: 'single', intensityMa: 0.25, pulseWidthUs: 200, target: { level: 'L2', side: 'L', kind: 'ventral', rootlet: null } });
    expect(formatStimAnnotation(s)).toBe('stim root=L2 side=L rootlet=0 mode=single ma=0.25 pw_us=200 kind=ventral');
  });
  it('writes an unknown target as target=unknown', () => {
    const s = makeStimulation({ mode: 'train', intensityMa: 2, pulseWidthUs: 100, rateHz: 50, durationS: 1 });
    expect(formatStimAnnotation(s)).toBe('stim target=unknown mode=train ma=2 rate_hz=50 pw_us=100');
  });
  it('writes plain decimals without exponent', () => {
    expect(formatDecimal(0.00005, 4)).toBe('0.0001');
    expect(formatDecimal(12.5, 4)).toBe('12.5');
    expect(formatDecimal(1e-7, 4)).toBe('0');
  });
});

describe('parseStimAnnotation', () => {
  it('ignores text that is not a stimulation', () => {
    expect(parseStimAnnotation('stimulator off', null)).toEqual({ kind: 'not-stim' });
    expect(parseStimAnnotation('Patient moved', null)).toEqual({ kind: 'not-stim' });
  });
  it('is tolerant of order, case and whitespace', () => {
    const r = parseStimAnnotation('  STIM Mode=TRAIN pw_us = 150  ma=3.5 RATE_HZ=50 rootlet=1 side=r root=s2 ', 0.5);
    expect(r).toEqual({
      kind: 'stim',
      notes: [],
      stimulation: { mode: 'train', intensityMa: 3.5, pulseWidthUs: 150, rateHz: 50, durationS: 0.5, target: { level: 'S2', side: 'R', kind: 'dorsal', rootlet: 1 } },
    });
  });
  it('reads ventral stimulations', () => {
    const r = parseStimAnnotation('stim root=L3 side=R rootlet=0 mode=single ma=0.2 pw_us=200 kind=ventral', 0);
    expect(r.kind === 'stim' && r.stimulation.target).toEqual({ level: 'L3', side: 'R', kind: 'ventral', rootlet: null });
  });
  const bad: [string, number | null, string][] = [
    ['stim root=L9 side=R rootlet=1 mode=single ma=1 pw_us=100', 0, "root must be one of L1..S2, got 'L9'"],
    ['stim root=L4 side=X rootlet=1 mode=single ma=1 pw_us=100', 0, "side must be L or R, got 'X'"],
    ['stim root=L4 side=R rootlet=1.5 mode=single ma=1 pw_us=100', 0, "rootlet must be an integer, got '1.5'"],
    ['stim root=L4 side=R rootlet=1 mode=burst ma=1 pw_us=100', 0, "mode must be single or train, got 'burst'"],
    ['stim root=L4 side=R rootlet=1 mode=single pw_us=100', 0, "missing 'ma'"],
    ['stim root=L4 side=R rootlet=1 mode=single ma=-1 pw_us=100', 0, "ma must be a non-negative decimal number, got '-1'"],
    ['stim root=L4 side=R rootlet=1 mode=train ma=1 pw_us=100', 1, "missing 'rate_hz'"],
    ['stim root=L4 side=R rootlet=1 mode=train ma=1 rate_hz=50 pw_us=100', null, 'a train needs the annotation duration'],
    ['stim root=L4 side=R rootlet=1 mode=single ma=1 ma=2 pw_us=100', 0, "key 'ma' appears twice"],
    ['stim root=L4 side=R rootlet=3 mode=single ma=1 pw_us=100 kind=ventral', 0, 'a ventral stimulation has rootlet=0'],
    ['stim root=L4 side=R rootlet=1 mode=single ma=1 pw_us=100.5', 0, 'pulseWidthUs must be an integer'],
    ['stim root=L4 side=R rootlet=1 mode=single ma=500 pw_us=100', 0, 'intensityMa must be <= 100'],
    ['stim root=L4 garbage', 0, "'garbage' is not key=value"],
  ];
  for (const [text, dur, reason] of bad) {
    it(`reports '${text}' as malformed`, () => {
      const r = parseStimAnnotation(text, dur);
      expect(r.kind).toBe('malformed');
      expect(r.kind === 'malformed' && r.reason).toContain(reason);
    });
  }
  it('notes unknown keys without failing', () => {
    const r = parseStimAnnotation('stim root=L4 side=R rootlet=1 mode=single ma=1 pw_us=100 electrode=hook', 0);
    expect(r.kind === 'stim' && r.notes).toEqual(["unknown key 'electrode' ignored"]);
  });

  it('round-trips every stimulation the formatter can write (property)', () => {
    const stim = fc
      .record({
        train: fc.boolean(),
        ma: fc.integer({ min: 0, max: 1_000_000 }).map((x) => x / 10_000),
        pw: fc.integer({ min: 10, max: 2000 }),
        rate: fc.integer({ min: 1000, max: 5_000_000 }).map((x) => x / 10_000),
        dur: fc.integer({ min: 10, max: 30_000 }).map((x) => x / 1000),
        level: fc.constantFrom(...LEVELS),
        side: fc.constantFrom('L' as const, 'R' as const),
        target: fc.constantFrom('dorsal', 'ventral', 'none'),
        rootlet: fc.integer({ min: 1, max: 20 }),
      })
      .map((r): Stimulation => {
        const target = r.target === 'none' ? null : { level: r.level, side: r.side, kind: r.target as 'dorsal' | 'ventral', rootlet: r.target === 'ventral' ? null : r.rootlet };
        return r.train
          ? makeStimulation({ mode: 'train', intensityMa: r.ma, pulseWidthUs: r.pw, rateHz: r.rate, durationS: r.dur, target })
          : makeStimulation({ mode: 'single', intensityMa: r.ma, pulseWidthUs: r.pw, target });
      });
    fc.assert(
      fc.property(stim, (s) => {
        const text = formatStimAnnotation(s);
        const back = parseStimAnnotation(text, s.durationS);
        expect(back).toEqual({ kind: 'stim', stimulation: s, notes: [] });
        expect(formatStimAnnotation((back as { stimulation: Stimulation }).stimulation)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
