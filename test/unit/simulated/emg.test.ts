import { describe, expect, it } from 'vitest';
import { channelSamples, makeStimulation, type SampleBlock, type StimulationEvent, type StimulationTarget, type WaveformPattern } from '../../../src/domain';
import { EmgSynthesizer, type SignalConditions } from '../../../hardware/simulated/emg';
import { createVirtualPatient, patientTruth, type RootletOverride } from '../../../hardware/simulated/patient';

const FS = 10_000;
const QUIET: SignalConditions = { mainsAmplitudeUv: 0, wanderAmplitudeUv: 0 };

function run(
  events: readonly StimulationEvent[], totalSamples: number, opts: { conditions?: SignalConditions; overrides?: RootletOverride[]; sampleRateHz?: number; seed?: number; chunk?: number } = {},
): { signal: SampleBlock; synth: EmgSynthesizer } {
  const patient = createVirtualPatient({ seed: opts.seed ?? 11, overrides: opts.overrides });
  const synth = new EmgSynthesizer({ patient, sampleRateHz: opts.sampleRateHz ?? FS, conditions: opts.conditions ?? QUIET });
  for (const e of events) synth.stimulate(e);
  const chunk = opts.chunk ?? totalSamples;
  const parts: SampleBlock[] = [];
  while (synth.nextSample < totalSamples) parts.push(synth.generate(Math.min(chunk, totalSamples - synth.nextSample)));
  const ch = synth.channelCount;
  const data = new Float32Array(ch * totalSamples);
  for (const b of parts) for (let c = 0; c < ch; c++) data.set(channelSamples(b, c), c * totalSamples + b.startSample);
  return { signal: { startSample: 0, sampleRateHz: synth.sampleRateHz, channelCount: ch, samplesPerChannel: totalSamples, data }, synth };
}

/** Mean |x| of a channel over [from, to), skipping the first 3 ms after every pulse (the artifact). */
function meanAbs(b: SampleBlock, ch: number, from: number, to: number, pulses: readonly number[] = []): number {
  const x = channelSamples(b, ch);
  const skip = Math.round(0.003 * b.sampleRateHz);
  let sum = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    if (pulses.some((p) => i >= p && i < p + skip)) continue;
    sum += Math.abs(x[i]!);
    n++;
  }
  return sum / n;
}

/** Index of the first differing value (bit-exact), or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const L4L1: StimulationTarget = { level: 'L4', side: 'L', kind: 'dorsal', rootlet: 1 };

function single(at: number, intensityMa: number, target: StimulationTarget = L4L1): StimulationEvent {
  return { sampleIndex: at, stimulation: makeStimulation({ mode: 'single', intensityMa, pulseWidthUs: 200, target }) };
}
function train(at: number, intensityMa: number, target: StimulationTarget = L4L1, durationS = 1): StimulationEvent {
  return { sampleIndex: at, stimulation: makeStimulation({ mode: 'train', intensityMa, pulseWidthUs: 200, rateHz: 50, durationS, target }) };
}
function trainPulses(at: number, durationS = 1): number[] {
  return Array.from({ length: Math.round(50 * durationS) }, (_, k) => at + Math.round((k * FS) / 50));
}

describe('EMG synthesizer', () => {
  it('has background noise of the configured level, and mains hum at the mains frequency', () => {
    const { signal } = run([], FS, { conditions: { ...QUIET, noiseRmsUv: 3 } });
    for (let c = 0; c < 16; c++) {
      const x = channelSamples(signal, c);
      const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      expect(rms).toBeGreaterThan(2.4);
      expect(rms).toBeLessThan(3.6);
    }
    const hum = run([], FS, { conditions: { noiseRmsUv: 0, wanderAmplitudeUv: 0, mainsAmplitudeUv: 10, mainsHz: 60 } }).signal;
    const x = channelSamples(hum, 0);
    // Correlate with 60 Hz and 50 Hz: the hum is at 60.
    const power = (f: number): number => {
      let re = 0;
      let im = 0;
      for (let i = 0; i < x.length; i++) {
        re += x[i]! * Math.cos((2 * Math.PI * f * i) / FS);
        im += x[i]! * Math.sin((2 * Math.PI * f * i) / FS);
      }
      return Math.hypot(re, im) * 2 / x.length;
    };
    expect(power(60)).toBeGreaterThan(4);
    expect(power(60)).toBeLessThan(16);
    expect(power(50)).toBeLessThan(0.5);
  });

  it('puts a stimulus artifact on every channel at every pulse, even below threshold', () => {
    const t = patientTruth(createVirtualPatient({ seed: 11 })).rootlet('L4', 'L', 1);
    const at = 2000;
    const { signal } = run([train(at, t.thresholdMa * 0.5)], 2000 + FS + 1000);
    for (let c = 0; c < 16; c++) {
      const x = channelSamples(signal, c);
      for (const p of trainPulses(at)) {
        // The pulse itself is far above the noise (3 uV rms) on every channel.
        expect(Math.abs(x[p]!)).toBeGreaterThan(100);
        // ...and has decayed within 3 ms.
        expect(Math.abs(x[p + 30]!)).toBeLessThan(30);
      }
    }
  });

  it('evokes nothing below threshold: single pulses and trains stay at noise level', () => {
    const t = patientTruth(createVirtualPatient({ seed: 11 })).rootlet('L4', 'L', 1);
    const at = 5000;
    const { signal } = run([single(at, t.thresholdMa * 0.95), train(at + FS, t.thresholdMa * 0.95)], at + 3 * FS);
    for (let c = 0; c < 16; c++) {
      const base = meanAbs(signal, c, 0, at);
      expect(meanAbs(signal, c, at + 40, at + 400, [at])).toBeLessThan(base * 1.3);
      expect(meanAbs(signal, c, at + FS, at + 2 * FS + 2000, trainPulses(at + FS))).toBeLessThan(base * 1.3);
    }
  });

  it('answers a single pulse at threshold in the segmental muscles, 10-35 ms after the pulse', () => {
    const t = patientTruth(createVirtualPatient({ seed: 11 })).rootlet('L4', 'L', 1);
    const at = 5000;
    const { signal } = run([single(at, t.thresholdMa)], at + 5000);
    expect(t.singlePulse.length).toBeGreaterThan(0);
    for (const r of t.singlePulse) {
      const x = channelSamples(signal, r.channel);
      const base = meanAbs(signal, r.channel, 0, at);
      let peak = 0;
      let peakAt = 0;
      for (let i = at + 40; i < at + 400; i++) if (Math.abs(x[i]!) > peak) { peak = Math.abs(x[i]!); peakAt = i; }
      expect(peak).toBeGreaterThan(50);
      expect(peak).toBeGreaterThan(20 * base);
      const latencyMs = ((peakAt - at) / FS) * 1000;
      expect(latencyMs).toBeGreaterThan(r.latencyMs);
      expect(latencyMs).toBeLessThan(r.latencyMs + 12);
    }
  });

  it('gives sustained responses in S over a train at threshold, and nothing sustained elsewhere', () => {
    for (const seed of [11, 12, 13]) {
      const truth = patientTruth(createVirtualPatient({ seed }));
      for (const t of truth.rootlets().filter((r) => r.target.level === 'L5' || r.target.level === 'L3').slice(0, 6)) {
        const at = 5000;
        const { signal } = run([train(at, t.thresholdMa, t.target)], at + FS + 20_000, { seed });
        const pulses = trainPulses(at);
        const inS = new Set(t.sustained.map((r) => r.channel));
        const onset = new Set(t.onsetOnly.map((r) => r.channel));
        for (let c = 0; c < 16; c++) {
          const base = meanAbs(signal, c, 0, at);
          // Late part of the train (after the first 200 ms), artifacts skipped.
          const late = meanAbs(signal, c, at + 2000, at + FS, pulses);
          if (inS.has(c)) expect(late).toBeGreaterThan(3 * base);
          else expect(late).toBeLessThan(1.3 * base);
          if (!inS.has(c) && !onset.has(c)) expect(meanAbs(signal, c, at, at + 2000, pulses)).toBeLessThan(1.3 * base);
        }
      }
    }
  });

  const PATTERN_CASES: [WaveformPattern, (late: number, early: number) => void][] = [
    ['incremental', (late, early) => expect(late / early).toBeGreaterThan(1.3)],
    ['decremental', (late, early) => expect(late / early).toBeLessThan(0.7)],
    ['squared', (late, early) => { expect(late / early).toBeGreaterThan(0.8); expect(late / early).toBeLessThan(1.25); }],
  ];
  for (const [pattern, check] of PATTERN_CASES) {
    it(`shapes a ${pattern} train (late / early envelope ratio)`, () => {
      const at = 5000;
      const overrides = [{ level: 'L4' as const, side: 'L' as const, rootlet: 1, grade: 2 as const, pattern, thresholdMa: 1 }];
      const { signal } = run([train(at, 1)], at + FS + 5000, { overrides });
      const t = patientTruth(createVirtualPatient({ seed: 11, overrides })).rootlet('L4', 'L', 1);
      const pulses = trainPulses(at);
      for (const r of t.sustained) {
        check(meanAbs(signal, r.channel, at + 7500, at + FS, pulses), meanAbs(signal, r.channel, at + 500, at + 3000, pulses));
      }
    });
  }

  it('modulates a clonic train at its 3-8 Hz burst rate (envelope spectral peak)', () => {
    const at = 5000;
    const overrides = [{ level: 'L4' as const, side: 'L' as const, rootlet: 1, grade: 3 as const, pattern: 'clonic' as const, thresholdMa: 1 }];
    const t = patientTruth(createVirtualPatient({ seed: 11, overrides })).rootlet('L4', 'L', 1);
    const { signal } = run([train(at, 1, L4L1, 2)], at + 2 * FS + 2000, { overrides });
    const pulses = trainPulses(at, 2);
    const r = t.sustained[0]!;
    // Envelope: mean |x| per 20 ms pulse interval (artifact skipped), 100 values over the 2 s train.
    const env = pulses.map((p) => meanAbs(signal, r.channel, p, p + 200, [p]));
    const mean = env.reduce((a, b) => a + b, 0) / env.length;
    let bestHz = 0;
    let bestPower = 0;
    for (let f = 1; f <= 15; f += 0.25) {
      let re = 0;
      let im = 0;
      env.forEach((v, k) => {
        re += (v - mean) * Math.cos((2 * Math.PI * f * k) / 50);
        im += (v - mean) * Math.sin((2 * Math.PI * f * k) / 50);
      });
      if (re * re + im * im > bestPower) {
        bestPower = re * re + im * im;
        bestHz = f;
      }
    }
    expect(Math.abs(bestHz - t.clonicHz)).toBeLessThanOrEqual(0.5);
    expect(bestHz).toBeGreaterThanOrEqual(3);
    expect(bestHz).toBeLessThanOrEqual(8);
  });

  it('continues a sustained-pattern response after the train ends (after-discharge)', () => {
    const at = 5000;
    const overrides = [{ level: 'L5' as const, side: 'R' as const, rootlet: 1, grade: 3 as const, pattern: 'sustained' as const, thresholdMa: 1 }];
    const target: StimulationTarget = { level: 'L5', side: 'R', kind: 'dorsal', rootlet: 1 };
    const t = patientTruth(createVirtualPatient({ seed: 11, overrides })).rootlet('L5', 'R', 1);
    expect(t.afterDischargeS).toBeGreaterThanOrEqual(0.5);
    const { signal } = run([train(at, 1.2, target)], at + 3 * FS, { overrides });
    const end = at + FS;
    for (const r of t.sustained) {
      const base = meanAbs(signal, r.channel, 0, at);
      expect(meanAbs(signal, r.channel, end + 400, end + 3000)).toBeGreaterThan(3 * base);
      // ...and stops after it.
      expect(meanAbs(signal, r.channel, end + Math.round((t.afterDischargeS + 0.1) * FS), end + 2 * FS)).toBeLessThan(1.3 * base);
    }
  });

  it('gives a large direct motor response 3-10 ms after a pulse at 20x threshold', () => {
    const t = patientTruth(createVirtualPatient({ seed: 11 })).rootlet('L4', 'L', 1);
    const at = 5000;
    const { signal } = run([single(at, 20 * t.thresholdMa)], at + 3000);
    for (const r of t.directMotor) {
      const x = channelSamples(signal, r.channel);
      let peak = 0;
      for (let i = at + 30; i < at + 100; i++) peak = Math.max(peak, Math.abs(x[i]!));
      expect(peak).toBeGreaterThan(800);
    }
  });

  it('answers ventral-root stimulation above its low threshold with early myotome responses', () => {
    const v = patientTruth(createVirtualPatient({ seed: 11 })).ventral('L4', 'L');
    const at = 5000;
    const below = run([single(at, v.thresholdMa * 0.8, v.target)], at + 3000).signal;
    const above = run([single(at, v.thresholdMa * 1.1, v.target)], at + 3000).signal;
    for (const r of v.myotome) {
      expect(r.latencyMs).toBeLessThan(10);
      const base = meanAbs(below, r.channel, 0, at);
      expect(meanAbs(below, r.channel, at + 40, at + 300)).toBeLessThan(1.3 * base);
      expect(meanAbs(above, r.channel, at + 40, at + 300)).toBeGreaterThan(10 * base);
    }
  });

  it('is independent of block size and deterministic for a seed', () => {
    const t = patientTruth(createVirtualPatient({ seed: 11 })).rootlet('L4', 'L', 1);
    const events = [single(1234, t.thresholdMa * 1.3), train(9000, t.thresholdMa * 1.1)];
    const whole = run(events, 25_000, { conditions: {} }).signal;
    for (const chunk of [1, 333, 4096]) {
      if (chunk === 1) {
        expect(firstDifference(run(events, 2000, { conditions: {}, chunk: 1 }).signal.data, run(events, 2000, { conditions: {} }).signal.data)).toBe(-1);
        continue;
      }
      expect(firstDifference(run(events, 25_000, { conditions: {}, chunk }).signal.data, whole.data)).toBe(-1);
    }
  });

  it('supports 5 and 20 kHz with latencies kept in milliseconds', () => {
    const t = patientTruth(createVirtualPatient({ seed: 11 })).rootlet('L4', 'L', 1);
    const r = t.singlePulse[0]!;
    for (const fs of [5000, 20_000]) {
      const at = fs / 2;
      const { signal } = run([single(at, t.thresholdMa * 1.5)], fs, { sampleRateHz: fs });
      expect(signal.sampleRateHz).toBe(fs);
      const x = channelSamples(signal, r.channel);
      let peakAt = 0;
      let peak = 0;
      for (let i = at + Math.round(0.004 * fs); i < at + Math.round(0.05 * fs); i++) if (Math.abs(x[i]!) > peak) { peak = Math.abs(x[i]!); peakAt = i; }
      const latencyMs = ((peakAt - at) / fs) * 1000;
      expect(latencyMs).toBeGreaterThan(r.latencyMs);
      expect(latencyMs).toBeLessThan(r.latencyMs + 12);
    }
  });

  it('makes dead channels flat, mains-only channels hum only, and crosstalk a scaled copy', () => {
    const t = patientTruth(createVirtualPatient({ seed: 11 })).rootlet('L4', 'L', 1);
    const events = [train(2000, t.thresholdMa * 1.2)];
    const from = t.sustained[0]!.channel;
    const to = (from + 8) % 16;
    const plain = run(events, 15_000, { conditions: {} }).signal;
    const hard = run(events, 15_000, { conditions: { deadChannels: [5], mainsOnlyChannels: [6], crosstalk: [{ from, to, gain: 0.3 }] } }).signal;
    expect(channelSamples(hard, 5).every((v) => v === 0)).toBe(true);
    const m = channelSamples(hard, 6);
    // No artifact on a mains-only channel: its largest value is the hum's.
    expect(Math.max(...m.map(Math.abs))).toBeLessThan(3 * 4 * 1.5 * 1.15 + 2);
    expect(Math.max(...m.map(Math.abs))).toBeGreaterThan(5);
    const a = channelSamples(plain, to);
    const b = channelSamples(plain, from);
    const c = channelSamples(hard, to);
    for (let i = 0; i < c.length; i += 7) expect(c[i]!).toBeCloseTo(a[i]! + 0.3 * b[i]!, 2);
  });

  it('turns an electrode-off channel into large hum from the moment it comes off', () => {
    const patient = createVirtualPatient({ seed: 11 });
    const synth = new EmgSynthesizer({ patient, conditions: QUIET });
    const before = synth.generate(FS / 10);
    synth.setChannelCondition(3, 'electrode-off');
    const after = synth.generate(FS / 10);
    const peak = (b: SampleBlock): number => Math.max(...channelSamples(b, 3).map(Math.abs));
    expect(peak(before)).toBeLessThan(20);
    expect(peak(after)).toBeGreaterThan(50);
    expect(synth.channelCondition(3)).toBe('electrode-off');
  });

  it('rejects bad settings and stimulations in the past', () => {
    const patient = createVirtualPatient({ seed: 1 });
    expect(() => new EmgSynthesizer({ patient, sampleRateHz: 100 })).toThrow(/sampleRateHz/);
    expect(() => new EmgSynthesizer({ patient, conditions: { deadChannels: [16] } })).toThrow(/deadChannels/);
    expect(() => new EmgSynthesizer({ patient, conditions: { noiseRmsUv: -1 } })).toThrow(/noiseRmsUv/);
    const s = new EmgSynthesizer({ patient });
    s.generate(100);
    expect(() => s.stimulate(single(50, 1))).toThrow(/before the next sample/);
  });
});
