import { describe, expect, it } from 'vitest';
import { DEFAULT_MONTAGE, makeStimulation, type StimulationTarget } from '../../../src/domain';
import { SessionGrader, type GradingEvent } from '../../../src/grading/session-grader';
import { measurePulse, ThresholdTracker, type PulseResponse } from '../../../src/grading/threshold';
import { renderCase, type SynthCase } from '../../corpus/synth';
import { ch, channels16, idealEpoch } from './helpers';

const target: StimulationTarget = { level: 'L5', side: 'R', kind: 'dorsal', rootlet: 3 };

/** A ramp of single pulses at 1 Hz; channels respond (given p-p uV, latency) from `thresholdMa` up. */
function ramp(intensities: number[], thresholdMa: number, amplitudeUv = 400, latencyMs = 18): SynthCase {
  return {
    seed: 11, sampleRateHz: 10000, mainsHz: 50, durationS: intensities.length + 1.5, channels: channels16(), trains: [], artifactTauMs: 0.3, pulseWidthUs: 200,
    pulses: intensities.map((ma, k) => ({
      onsetS: 1 + k, target, intensityMa: ma,
      responses: ma >= thresholdMa ? [{ channel: ch('R HAM'), amplitudeUv, latencyMs }, ...(ma >= thresholdMa * 1.5 ? [{ channel: ch('R TA'), amplitudeUv: 250, latencyMs: 22 }] : [])] : [],
    })),
  };
}

describe('single-pulse responses', () => {
  it('measures amplitude and onset latency of a compound response', () => {
    const rc = renderCase(ramp([2], 1, 400, 18));
    const r = measurePulse(idealEpoch(rc, rc.events[0]!, 200, 300));
    const ham = r.channels[ch('R HAM')]!;
    expect(ham.responded).toBe(true);
    // synthetic wave: biphasic, p-p 400 uV (plus background noise of 8 uV RMS)
    expect(ham.amplitudeUv).toBeGreaterThan(380);
    expect(ham.amplitudeUv).toBeLessThan(460);
    // centre at latency + 3 ms with sigma 2.5 ms: crosses 20 % of its peak about 1.5 sigma before the first extreme
    expect(ham.latencyMs!).toBeGreaterThan(15);
    expect(ham.latencyMs!).toBeLessThan(19.5);
    // R TA joins at 1.5 x threshold
    expect(r.channels.filter((c) => c.responded).map((c) => c.channel)).toEqual([ch('R TA'), ch('R HAM')]);
  });

  it('does not call background noise a response', () => {
    const rc = renderCase(ramp([0.2], 5));
    expect(measurePulse(idealEpoch(rc, rc.events[0]!, 200, 300)).responded).toBe(false);
  });
});

describe('threshold tracking', () => {
  const fake = (ma: number, responded: boolean[]): PulseResponse => ({
    target, onsetSample: 0, intensityMa: ma, responded: responded.some(Boolean),
    channels: responded.map((r, c) => ({ channel: c, amplitudeUv: r ? 300 + c : 10, baselineAmplitudeUv: 10, latencyMs: r ? 20 + c : null, responded: r })),
  });

  it('needs a reproducible response: the pulse at threshold and the next at >= it', () => {
    const t = new ThresholdTracker();
    expect(t.add(fake(0.5, [false, false]))!.thresholdMa).toBeNull();
    expect(t.add(fake(0.7, [true, false]))!.thresholdMa).toBeNull(); // not yet confirmed
    const est = t.add(fake(0.9, [true, true]))!;
    expect(est.thresholdMa).toBe(0.7);
    expect(est.perChannel[0]!.thresholdMa).toBe(0.7);
    expect(est.perChannel[1]!.thresholdMa).toBeNull();
    expect(est.latencyMs).toBe(20);
    expect(est.amplitudeUv).toBe(300);
    const est2 = t.add(fake(1.1, [true, true]))!;
    expect(est2.perChannel[1]!.thresholdMa).toBe(0.9);
    expect(est2.perChannel[1]!.latencyMs).toBe(21);
  });

  it('ignores an isolated response that the next pulse at >= its intensity does not repeat', () => {
    const t = new ThresholdTracker();
    t.add(fake(0.4, [true]));
    t.add(fake(0.6, [false]));
    t.add(fake(0.8, [true]));
    expect(t.add(fake(1.0, [true]))!.thresholdMa).toBe(0.8);
  });

  it('keeps ventral and dorsal thresholds apart', () => {
    const t = new ThresholdTracker();
    const v: StimulationTarget = { ...target, kind: 'ventral', rootlet: null };
    t.add({ ...fake(0.1, [true]), target: v });
    t.add({ ...fake(0.12, [true]), target: v });
    t.add(fake(1.0, [true]));
    t.add(fake(1.2, [true]));
    expect(t.get(v)!.thresholdMa).toBe(0.1);
    expect(t.get(target)!.thresholdMa).toBe(1.0);
  });

  it('SessionGrader finds the threshold of a synthetic ramp and grades trains on the same stream', () => {
    const c = ramp([0.4, 0.6, 0.8, 1.0, 1.2, 1.5, 1.8], 0.8);
    const rc = renderCase(c);
    const g = new SessionGrader({ montage: DEFAULT_MONTAGE });
    const seen: GradingEvent[] = [];
    const off = g.on((e) => seen.push(e));
    for (const e of rc.events) g.push(idealEpoch(rc, e, 200, 300));
    off();
    const last = seen.filter((e) => e.type === 'threshold').at(-1);
    expect(last?.type).toBe('threshold');
    if (last?.type !== 'threshold') return;
    expect(last.threshold.thresholdMa).toBe(0.8);
    expect(last.threshold.perChannel[ch('R HAM')]!.thresholdMa).toBe(0.8);
    expect(last.threshold.perChannel[ch('R TA')]!.thresholdMa).toBe(1.5);
    expect(last.threshold.perChannel[ch('L TA')]!.thresholdMa).toBeNull();
    expect(seen.filter((e) => e.type === 'pulse-response')).toHaveLength(7);
    // a train on the same grader
    const train = makeStimulation({ mode: 'train', intensityMa: 0.8, pulseWidthUs: 200, rateHz: 50, durationS: 1, target });
    const epoch = idealEpoch(rc, { sampleIndex: 10000, stimulation: train }, 200, 300);
    const out = g.push(epoch);
    expect(out).toHaveLength(1);
    expect(out[0]!.type).toBe('train-grade');
  });
});
