import { describe, expect, it } from 'vitest';
import { DEFAULT_MONTAGE, makeMontage } from '../../../src/domain';
import { gradeTrain } from '../../../src/grading/train';
import { STRICT_MARKER_RULES } from '../../../src/grading/suggestion';
import { channels16, oneTrain, resp } from './helpers';

const montage = DEFAULT_MONTAGE;
const byName = (g: ReturnType<typeof gradeTrain>, name: string) => g.channels.find((c) => `${c.side} ${c.muscle}` === name)!;

describe('gradeTrain: spread grade', () => {
  it('grades no response as 0 / none / spare', () => {
    const { epoch } = oneTrain({ responses: [] });
    const g = gradeTrain(epoch, { montage });
    expect(g.grade).toBe(0);
    expect(g.pattern).toBe('none');
    expect(g.responding).toEqual([]);
    expect(g.suggestion).toBe('spare');
    expect(g.channels.every((c) => c.state === 'ok' && !c.responding)).toBe(true);
  });

  it('grades a segmental sustained responder 1+ and an adjacent one 2+', () => {
    // L4 R: R TA (L4 L5) segmental, R VL (L3 L4) segmental, R HAM (L5 S1) adjacent
    const g1 = gradeTrain(oneTrain({ responses: [resp('R TA')] }).epoch, { montage });
    expect(g1.grade).toBe(1);
    expect(g1.responding).toEqual(['R TA']);
    expect(byName(g1, 'R TA').relation).toBe('segmental');
    expect(byName(g1, 'R TA').nearestRoot).toBe('L4');
    const g2 = gradeTrain(oneTrain({ responses: [resp('R TA'), resp('R HAM', { snr: 5 })] }).epoch, { montage });
    expect(g2.grade).toBe(2);
    expect(byName(g2, 'R HAM').relation).toBe('adjacent');
    expect(byName(g2, 'R HAM').nearestRoot).toBe('L5');
    expect(g2.suggestion).toBe('spare');
  });

  it('grades distant spread 3+ (cut) and contralateral spread 4+ (cut)', () => {
    const g3 = gradeTrain(oneTrain({ responses: [resp('R TA'), resp('R GAS', { snr: 4 })] }).epoch, { montage });
    expect(g3.grade).toBe(3);
    expect(g3.suggestion).toBe('cut');
    expect(g3.suggestionReason).toMatch(/grade 3\+ >= 3\+/);
    const g4 = gradeTrain(oneTrain({ responses: [resp('R TA', { snr: 20 }), resp('L VL', { snr: 4 })] }).epoch, { montage });
    expect(g4.grade).toBe(4);
    expect(byName(g4, 'L VL').relation).toBe('contralateral');
    expect(g4.responding).toEqual(['R TA', 'L VL']);
    expect(g4.suggestion).toBe('cut');
  });

  it('does not count an onset-only discharge (grade 0 for unsustained responses)', () => {
    const g = gradeTrain(oneTrain({ responses: [resp('R TA', { sustained: false, onsetMs: 120, snr: 15 })] }).epoch, { montage });
    const ta = byName(g, 'R TA');
    expect(ta.responding).toBe(true);
    expect(ta.sustained).toBe(false);
    expect(g.grade).toBe(0);
    expect(g.responding).toEqual([]);
  });

  it('suggests review for S2 stimulation and for sphincter involvement, whatever the grade', () => {
    const s2 = gradeTrain(oneTrain({ level: 'S2', responses: [resp('R GAS'), resp('R TA', { snr: 5 })] }).epoch, { montage });
    expect(s2.grade).toBe(3);
    expect(s2.suggestion).toBe('review');
    const eas = gradeTrain(oneTrain({ level: 'S1', responses: [resp('R GAS'), resp('R EAS', { snr: 5 }), resp('R VL', { snr: 5 })] }).epoch, { montage });
    expect(eas.grade).toBe(3);
    expect(eas.suggestion).toBe('review');
    expect(eas.suggestionReason).toMatch(/EAS/);
  });

  it('suprasegmental spread to an upper-limb sentinel is 4+', () => {
    const chans = [...channels16(), { side: 'R' as const, muscle: 'DELT', noiseRmsUv: 6, mainsUv: 0, dead: null, crosstalk: null, artifactUv: 1500 }];
    const m = makeMontage('with sentinel', chans.map((c) => ({ side: c.side, muscle: c.muscle })));
    const { epoch } = oneTrain({ channels: chans, responses: [resp('R TA'), { ...resp('R TA'), channel: 16, snr: 5 }] });
    const g = gradeTrain(epoch, { montage: m });
    expect(g.grade).toBe(4);
    expect(g.channels[16]!.relation).toBe('suprasegmental');
  });

  it('applies a configurable rule preset', () => {
    const e = oneTrain({ responses: [resp('R TA'), resp('R GAS', { snr: 5 })] }).epoch;
    const g = gradeTrain(e, { montage, rules: STRICT_MARKER_RULES });
    expect(g.grade).toBe(3);
    expect(g.suggestion).toBe('spare');
    const inc = gradeTrain(oneTrain({ responses: [resp('R TA', { pattern: 'incremental', snr: 10 })] }).epoch, { montage, rules: STRICT_MARKER_RULES });
    expect(inc.pattern).toBe('incremental');
    expect(inc.suggestion).toBe('cut');
  });
});

describe('gradeTrain: channels that must not count', () => {
  it('flags dead and mains-only channels, excluded with a warning', () => {
    const chans = channels16({ 3: { dead: 'flat' }, 12: { dead: 'mains', mainsUv: 40 } });
    const { epoch } = oneTrain({ channels: chans, responses: [resp('R TA')] });
    const g = gradeTrain(epoch, { montage });
    expect(g.channels[3]!.state).toBe('dead');
    expect(g.channels[12]!.state).toBe('mains-only');
    expect(g.channels[3]!.responding).toBe(false);
    expect(g.warnings.some((w) => w.startsWith('L TA:'))).toBe(true);
    expect(g.warnings.some((w) => w.startsWith('R HAM:') && /mains/.test(w))).toBe(true);
    expect(g.channels.filter((c) => c.state !== 'ok')).toHaveLength(2);
    expect(g.grade).toBe(1);
  });

  it('does not flag a quiet but live channel as dead', () => {
    const chans = channels16({ 5: { noiseRmsUv: 2.5 } });
    const g = gradeTrain(oneTrain({ channels: chans, responses: [] }).epoch, { montage });
    expect(g.channels[5]!.state).toBe('ok');
  });

  it('recognises crosstalk: a scaled zero-lag copy of a stronger responder', () => {
    // R HAM carries 40 % of R TA: without the crosstalk test it would read as adjacent spread (2+)
    const chans = channels16({ 12: { crosstalk: { from: 11, gain: 0.4 } } });
    const g = gradeTrain(oneTrain({ channels: chans, responses: [resp('R TA', { snr: 15 })] }).epoch, { montage });
    const ham = byName(g, 'R HAM');
    expect(ham.crosstalkFrom).toBe('R TA');
    expect(ham.responding).toBe(false);
    expect(g.grade).toBe(1);
    expect(g.responding).toEqual(['R TA']);
  });

  it('keeps a genuine response on a channel that also carries crosstalk', () => {
    const chans = channels16({ 12: { crosstalk: { from: 11, gain: 0.4 } } });
    const g = gradeTrain(oneTrain({ channels: chans, responses: [resp('R TA', { snr: 15 }), resp('R HAM', { snr: 8, style: 'noise' })] }).epoch, { montage });
    expect(byName(g, 'R HAM').sustained).toBe(true);
    expect(byName(g, 'R HAM').crosstalkFrom).toBeNull();
    expect(g.grade).toBe(2);
  });

  it('ignores mains hum on live channels (the envelope is compared with its own baseline)', () => {
    const chans = channels16().map((c) => ({ ...c, mainsUv: 30 }));
    const g = gradeTrain(oneTrain({ channels: chans, responses: [resp('R TA')] }).epoch, { montage });
    expect(g.grade).toBe(1);
    expect(g.channels.every((c) => c.state === 'ok')).toBe(true);
  });
});

describe('gradeTrain: waveform patterns', () => {
  const pat = (p: Parameters<typeof resp>[1], seed = 3) => gradeTrain(oneTrain({ seed, responses: [resp('R TA', { snr: 12, ...p })] }).epoch, { montage });
  it('squared', () => expect(pat({ pattern: 'squared' }).pattern).toBe('squared'));
  it('incremental', () => {
    const g = pat({ pattern: 'incremental' });
    expect(g.pattern).toBe('incremental');
    expect(byName(g, 'R TA').lateEarlyRatio).toBeGreaterThan(1.3);
  });
  it('decremental', () => {
    const g = pat({ pattern: 'decremental' });
    expect(['decremental', 'squared-decremental']).toContain(g.pattern);
    expect(byName(g, 'R TA').lateEarlyRatio).toBeLessThan(0.7);
    expect(g.grade).toBe(1);
  });
  it('clonic, and still sustained', () => {
    const g = pat({ pattern: 'clonic', clonicHz: 5, style: 'noise' });
    expect(g.pattern).toBe('clonic');
    expect(g.grade).toBe(1);
  });
  it('sustained (after-discharge past the train)', () => {
    const g = pat({ pattern: 'after-discharge' });
    expect(byName(g, 'R TA').afterDischarge).toBe(true);
    expect(g.pattern).toBe('sustained');
  });
});
