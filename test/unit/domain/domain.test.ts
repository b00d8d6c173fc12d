import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MONTAGE, DomainError, channelLabel, makeCaseInfo, makeDecision, makeMontage, makeStimulation,
  parseChannelLabel, pulseCount, segmentDistance,
} from '../../../src/domain';

describe('montage', () => {
  it('default montage has 16 channels, 8 per side, with the domain root lists', () => {
    expect(DEFAULT_MONTAGE.channels).toHaveLength(16);
    expect(DEFAULT_MONTAGE.channels.filter((c) => c.side === 'L')).toHaveLength(8);
    const rTa = DEFAULT_MONTAGE.channels.find((c) => c.side === 'R' && c.muscle === 'TA');
    expect(rTa?.roots).toEqual(['L4', 'L5']);
    expect(channelLabel(rTa!)).toBe('EMG R TA');
  });
  it('parses EDF labels and refuses others', () => {
    expect(parseChannelLabel('EMG L GAS')).toEqual({ side: 'L', muscle: 'GAS' });
    expect(parseChannelLabel('emg r  vl ')).toEqual({ side: 'R', muscle: 'VL' });
    expect(parseChannelLabel('EEG Fp1')).toBeNull();
    expect(parseChannelLabel('EMG X TA')).toBeNull();
  });
  it('rejects duplicates and unknown muscles', () => {
    expect(() => makeMontage('m', [{ side: 'L', muscle: 'TA' }, { side: 'L', muscle: 'TA' }])).toThrow(/twice/);
    expect(() => makeMontage('m', [{ side: 'L', muscle: 'BICEPS' }])).toThrow(DomainError);
    expect(makeMontage('m', [{ side: 'l', muscle: 'ta', roots: ['L5'] }]).channels[0]!.roots).toEqual(['L5']);
  });
});

describe('stimulation', () => {
  it('a 50 Hz 1 s train has 50 pulses; a single pulse has no rate', () => {
    const t = makeStimulation({ mode: 'train', intensityMa: 1.2, pulseWidthUs: 100, rateHz: 50, durationS: 1 });
    expect(pulseCount(t)).toBe(50);
    expect(() => makeStimulation({ mode: 'single', intensityMa: 1, pulseWidthUs: 100, rateHz: 50 })).toThrow(/single pulse/);
    expect(() => makeStimulation({ mode: 'train', intensityMa: -1, pulseWidthUs: 100, rateHz: 50, durationS: 1 })).toThrow(/intensityMa/);
  });
});

describe('decision and case', () => {
  it('partial cuts need a fraction strictly between 0 and 1', () => {
    const at = '2026-01-01T10:00:00Z';
    expect(makeDecision({ kind: 'partial', fraction: 0.6, decidedBy: 'dr a', decidedAt: at }).cutFraction).toBe(0.6);
    expect(() => makeDecision({ kind: 'partial', fraction: 1, decidedBy: 'dr a', decidedAt: at })).toThrow();
    expect(makeDecision({ kind: 'cut', decidedBy: 'dr a', decidedAt: at }).cutFraction).toBe(1);
    expect(() => makeDecision({ kind: 'cut', decidedBy: ' ', decidedAt: at })).toThrow(/who/);
  });
  it('case ids are pseudonyms and the plan is validated', () => {
    expect(() => makeCaseInfo({ patientId: 'John Smith', ageYears: 6 })).toThrow(/pseudonym/);
    expect(() => makeCaseInfo({ patientId: 'P001', ageYears: 6, cutPlan: { L9: { L: 30 } } as never })).toThrow(/level/);
    expect(makeCaseInfo({ patientId: 'P001', ageYears: 6, cutPlan: { L4: { R: 40 } } }).cutPlan).toEqual({ L4: { R: 40 } });
  });
  it('segment distance counts levels', () => {
    expect(segmentDistance('L4', 'S1')).toBe(2);
    expect(segmentDistance('S2', 'S2')).toBe(0);
  });
});
