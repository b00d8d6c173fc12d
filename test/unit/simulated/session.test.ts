import { describe, expect, it } from 'vitest';
import { channelName, type SampleBlock } from '../../../src/domain';
import { patientTruth } from '../../../hardware/simulated/patient';
import { simulateSession } from '../../../hardware/simulated/session';

function collect(blocks: Iterable<SampleBlock>, channels: number, total: number): Float32Array {
  const out = new Float32Array(channels * total);
  for (const b of blocks) {
    for (let c = 0; c < channels; c++) out.set(b.data.subarray(c * b.samplesPerChannel, (c + 1) * b.samplesPerChannel), c * total + b.startSample);
  }
  return out;
}

describe('simulated session', () => {
  const session = simulateSession({ seed: 3, levels: ['L4', 'L5'], sides: ['L', 'R'] });
  const truth = patientTruth(session.patient);

  it('scripts a threshold ramp, a confirming repeat and a 50 Hz 1 s train at threshold for every rootlet', () => {
    const rootletCount = session.patient.roots.reduce((s, r) => s + r.rootletCount, 0);
    expect(session.ramps.filter((r) => r.target.kind === 'dorsal')).toHaveLength(rootletCount);
    expect(session.ramps.filter((r) => r.target.kind === 'ventral')).toHaveLength(4);
    for (const ramp of session.ramps) {
      const pulses = session.events.slice(ramp.firstEventIndex, ramp.lastEventIndex + 1);
      expect(pulses.every((e) => e.stimulation.mode === 'single' && e.stimulation.target?.kind === ramp.target.kind)).toBe(true);
      const ma = pulses.map((e) => e.stimulation.intensityMa);
      // All steps but the last two (response, repeat) are below threshold; intensities rise by about x1.25.
      for (let i = 0; i < ma.length - 2; i++) expect(ma[i]!).toBeLessThan(ramp.thresholdMa);
      const start = ramp.target.kind === 'ventral' ? 0.02 : 0.2;
      for (let i = 0; i < ma.length - 2; i++) expect(Math.abs(ma[i]! - start * 1.25 ** i)).toBeLessThanOrEqual(0.0051);
      expect(ma[ma.length - 1]).toBe(ramp.foundAtMa);
      expect(ma[ma.length - 2]).toBe(ramp.foundAtMa);
      expect(ramp.foundAtMa).toBeGreaterThanOrEqual(ramp.thresholdMa);
      expect(ramp.foundAtMa).toBeLessThan(ramp.thresholdMa * 1.26 + 0.01);
      // Single pulses at about 1 Hz.
      for (let i = 1; i < pulses.length; i++) expect(pulses[i]!.sampleIndex - pulses[i - 1]!.sampleIndex).toBe(session.sampleRateHz);
      if (ramp.target.kind === 'ventral') expect(ramp.foundAtMa).toBeLessThan(0.8);
    }
    expect(session.trains.length).toBeGreaterThanOrEqual(rootletCount);
    for (const t of session.trains) {
      const e = session.events[t.eventIndex]!;
      expect(e.sampleIndex).toBe(t.sampleIndex);
      expect(e.stimulation).toMatchObject({ mode: 'train', rateHz: 50, durationS: 1, pulseWidthUs: 200, intensityMa: t.intensityMa });
      const r = truth.rootlet(t.target.level, t.target.side, t.target.rootlet!);
      const ramp = session.ramps.find((x) => x.target.kind === 'dorsal' && x.target.level === t.target.level && x.target.side === t.target.side && x.target.rootlet === t.target.rootlet)!;
      expect(t.intensityMa).toBe(ramp.foundAtMa);
      expect(t.grade).toBe(r.grade);
      expect(t.pattern).toBe(r.pattern);
      expect([...t.responding].sort()).toEqual(r.sustained.map((x) => channelName(session.montage.channels[x.channel]!)).sort());
    }
    // Events are in time order and never overlap.
    for (let i = 1; i < session.events.length; i++) {
      const prev = session.events[i - 1]!;
      expect(session.events[i]!.sampleIndex).toBeGreaterThan(prev.sampleIndex + prev.stimulation.durationS * session.sampleRateHz);
    }
  });

  it('is deterministic for a seed and independent of block size', () => {
    const again = simulateSession({ seed: 3, levels: ['L4', 'L5'], sides: ['L', 'R'], durationS: 40 });
    const first = simulateSession({ seed: 3, levels: ['L4', 'L5'], sides: ['L', 'R'], durationS: 40 });
    expect(again.events).toEqual(first.events);
    expect(again.trains).toEqual(first.trains);
    const a = collect(first.blocks(1000), 16, first.totalSamples);
    const b = collect(again.blocks(777), 16, again.totalSamples);
    let diff = -1;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { diff = i; break; }
    expect(diff).toBe(-1);
    expect(first.events.length).toBeGreaterThan(10);
  });

  it('announces each stimulation just before the block that holds its first pulse', () => {
    const s = simulateSession({ seed: 4, levels: ['S1'], sides: ['R'], durationS: 30 });
    let lastBlockEnd = 0;
    let seen = 0;
    for (const item of s.items(2500)) {
      if (item.kind === 'stimulation') {
        expect(item.event.sampleIndex).toBeGreaterThanOrEqual(lastBlockEnd);
        expect(item.event.sampleIndex).toBeLessThan(lastBlockEnd + 2500);
        seen++;
      } else {
        expect(item.block.startSample).toBe(lastBlockEnd);
        lastBlockEnd = item.block.startSample + item.block.samplesPerChannel;
      }
    }
    expect(seen).toBe(s.events.length);
    expect(lastBlockEnd).toBe(30 * 10_000);
    // Only stimulations that end inside the 30 s are kept.
    for (const e of s.events) expect(e.sampleIndex + e.stimulation.durationS * 10_000).toBeLessThan(30 * 10_000);
  });

  it('applies session conditions: short trains, sample rate, and unobservable responders', () => {
    const s = simulateSession({ seed: 8, levels: ['L5'], sides: ['L'], sampleRateHz: 5000, conditions: { trainDurationS: 0.5, deadChannels: [3, 4], highIntensityChecks: true } });
    expect(s.sampleRateHz).toBe(5000);
    for (const t of s.trains) {
      expect(s.events[t.eventIndex]!.stimulation.durationS).toBe(0.5);
      const visible = t.sustainedChannels.filter((c) => c !== 3 && c !== 4);
      if (visible.length === t.sustainedChannels.length) expect(t.observableGrade).toBe(t.grade);
      else expect(t.observableGrade).toBeLessThanOrEqual(t.grade);
    }
    const t = patientTruth(s.patient).rootlet('L5', 'L', 1);
    const high = s.events.filter((e) => e.stimulation.mode === 'single' && e.stimulation.target?.rootlet === 1 && e.stimulation.intensityMa >= 19.9 * t.thresholdMa);
    expect(high).toHaveLength(1);
  });

  it('refuses bad options with a clear message', () => {
    expect(() => simulateSession({ seed: 1, sampleRateHz: 10 })).toThrow(/sampleRateHz/);
    expect(() => simulateSession({ seed: 1, durationS: -1 })).toThrow(/durationS/);
    expect(() => simulateSession({ seed: Number.NaN })).toThrow(/seed/);
  });
});
