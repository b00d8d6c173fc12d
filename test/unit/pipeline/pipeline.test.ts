import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPipeline, type PipelineConfig } from '../../../src/pipeline/pipeline';
import type { StimulusEpoch } from '../../../src/pipeline/epoch';
import { designFilterChain, SosFilter } from '../../../src/pipeline/sos-filter';
import { blankWindowSamples, interpolateMasked, markPulses } from '../../../src/pipeline/blanking';
import { DEFAULT_BLANKING } from '../../../src/pipeline/blanking';
import { blockOf, makeSession, singleEvent, trainEvent, type SyntheticSession } from './synthetic';
import { expectSameEpochs } from './epoch-streams';

/** Streams a session in the given chunk sizes; each stimulation is pushed right after the block holding its first pulse. */
function stream(s: SyntheticSession, chunks: readonly number[], config?: Partial<PipelineConfig>): StimulusEpoch[] {
  const p = createPipeline({ sampleRateHz: s.sampleRateHz, channelCount: s.channelCount, unit: 'uV', ...config });
  const out: StimulusEpoch[] = [];
  const events = [...s.events].sort((a, b) => a.sampleIndex - b.sampleIndex);
  let next = 0;
  let pos = 0;
  let k = 0;
  while (pos < s.totalSamples) {
    const n = Math.min(chunks[k++ % chunks.length]!, s.totalSamples - pos);
    out.push(...p.pushBlock(blockOf(s, pos, n)));
    pos += n;
    while (next < events.length && events[next]!.sampleIndex < pos) p.pushStimulation(events[next++]!);
  }
  out.push(...p.flush());
  return out;
}

function channel(a: Float32Array, c: number, len: number): Float32Array {
  return a.subarray(c * len, (c + 1) * len);
}

function mean(a: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]!;
  return s / (to - from);
}

describe('pipeline epochs', () => {
  for (const fs of [5000, 10000, 20000]) {
    it(`cuts a 50 Hz train at ${fs / 1000} kHz with the configured windows, blanks every pulse, keeps artifacts out of the envelope`, () => {
      const onset = Math.round(1.5 * fs);
      const s = makeSession({ sampleRateHz: fs, channelCount: 4, seconds: 4, events: [trainEvent(onset)], respondingChannels: [1] });
      const epochs = stream(s, [Math.round(fs / 100)]);
      expect(epochs).toHaveLength(1);
      const e = epochs[0]!;
      expect(e.preSamples).toBe(Math.round(0.2 * fs));
      expect(e.stimSamples).toBe(fs);
      expect(e.postSamples).toBe(fs);
      expect(e.startSample).toBe(onset - e.preSamples);
      const len = e.preSamples + e.stimSamples + e.postSamples;
      expect(e.raw.length).toBe(4 * len);
      expect(e.gaps).toEqual([]);
      // raw is the input, untouched
      for (let c = 0; c < 4; c++) {
        const want = s.data.subarray(c * s.totalSamples + e.startSample, c * s.totalSamples + e.startSample + len);
        expect(Buffer.from(channel(e.raw, c, len).slice().buffer).equals(Buffer.from(want.slice().buffer))).toBe(true);
      }
      // 50 pulses, each blanked from 0.2 ms before to 2 ms after
      const before = Math.ceil(0.0002 * fs);
      const after = Math.ceil(0.002 * fs);
      let blankedCount = 0;
      for (let i = 0; i < len; i++) blankedCount += e.blanked[i]!;
      expect(blankedCount).toBe(50 * (before + after));
      for (let k = 0; k < 50; k++) {
        const p = e.preSamples + Math.round((k * fs) / 50);
        expect(e.blanked[p - before]).toBe(1);
        expect(e.blanked[p + after - 1]).toBe(1);
        expect(e.blanked[p + after]).toBe(0);
        expect(e.blanked[p - before - 1]).toBe(0);
      }
      // Envelope: silent channels stay near their noise floor through the train despite 4 mV artifacts.
      const pre = [0, e.preSamples] as const;
      const train = [e.preSamples + Math.round(0.2 * fs), e.preSamples + e.stimSamples] as const;
      for (const c of [0, 2, 3]) {
        const env = channel(e.envelope, c, len);
        const base = mean(env, ...pre);
        // 10 uV rms white noise band-limited to 10-2000 Hz, rectified: mean |x| = 0.8 x rms
        const expected = 0.8 * 10 * Math.sqrt(1990 / (fs / 2));
        expect(base).toBeGreaterThan(0.8 * expected);
        expect(base).toBeLessThan(1.25 * expected);
        expect(mean(env, ...train)).toBeLessThan(1.5 * base);
        expect(Math.max(...env.subarray(train[0], train[1]))).toBeLessThan(4 * base);
      }
      // the responding channel: a clear, sustained rise
      const resp = channel(e.envelope, 1, len);
      expect(mean(resp, ...train)).toBeGreaterThan(4 * mean(resp, ...pre));
      // the electrode offset (up to 1 mV) is gone from the filtered signal
      for (let c = 0; c < 4; c++) expect(Math.abs(mean(channel(e.filtered, c, len), 0, e.preSamples))).toBeLessThan(2);
    });
  }

  it('filtered epochs equal a continuously running filter over the blanked stream (warm-up residue < 1e-5 of the signal)', () => {
    const fs = 10000;
    const events = [trainEvent(20000), singleEvent(45000)];
    const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 6, events, respondingChannels: [0] });
    const epochs = stream(s, [777]);
    expect(epochs).toHaveLength(2);
    // Reference: blank the whole stream, then filter it in one continuous run.
    const ref = Float32Array.from(s.data);
    const mask = new Uint8Array(s.totalSamples);
    markPulses(mask, 0, s.totalSamples, events, fs, blankWindowSamples(DEFAULT_BLANKING, fs));
    interpolateMasked(ref, 2, s.totalSamples, mask);
    const f = new SosFilter();
    f.configure({ sampleRateHz: fs, channelCount: 2, sos: designFilterChain({ highPassHz: 10, highPassOrder: 2, lowPassHz: 2000, lowPassOrder: 4, notch: null }, fs).sos });
    f.primeFrom(ref, s.totalSamples);
    f.process(ref, ref, s.totalSamples);
    for (const e of epochs) {
      const len = e.preSamples + e.stimSamples + e.postSamples;
      for (let c = 0; c < 2; c++) {
        const got = channel(e.filtered, c, len);
        const want = ref.subarray(c * s.totalSamples + e.startSample, c * s.totalSamples + e.startSample + len);
        let peak = 0;
        let maxErr = 0;
        for (let i = 0; i < len; i++) {
          peak = Math.max(peak, Math.abs(want[i]!));
          maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
        }
        expect(peak).toBeGreaterThan(20);
        expect(maxErr / peak).toBeLessThan(1e-5);
      }
    }
  });

  it('gives identical epochs whatever the block sizes (fast-check)', () => {
    const fs = 5000;
    const s = makeSession({ sampleRateHz: fs, channelCount: 3, seconds: 3, events: [trainEvent(2500, 50, 0.5), singleEvent(9000), singleEvent(11000)], respondingChannels: [2] });
    const reference = stream(s, [s.totalSamples]);
    expect(reference).toHaveLength(3);
    fc.assert(
      // blocks up to the 100 ms event lag (a device reports a stimulation within the block holding its pulse)
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 12 }), (chunks) => {
        expectSameEpochs(stream(s, chunks.map((n) => (n < 20 ? n + 40 : n))), reference);
      }),
      { numRuns: 25 },
    );
    // the smallest blocks, once: one sample at a time
    expectSameEpochs(stream(s, [1]), reference);
    expectSameEpochs(stream(s, [3, 1, 7]), reference);
  });

  it('emits an epoch only once its post window has fully arrived, with the injected clock timing', () => {
    const fs = 10000;
    const s = makeSession({ sampleRateHz: fs, channelCount: 1, seconds: 3, events: [singleEvent(5000)] });
    let clock = 1000;
    const timings: { completedAtMs: number; windowCompletedAtMs: number; emittedAtMs: number }[] = [];
    const p = createPipeline({ sampleRateHz: fs, channelCount: 1, unit: 'uV', now: () => (clock += 0.5), onEpoch: (_e, t) => timings.push(t) });
    // window: 200 ms pre, 100 ms response, 400 ms post -> [3000, 10000), then 100 ms event lag
    expect(p.eventLagSamples).toBe(1000);
    expect(p.pushBlock(blockOf(s, 0, 5001), 10)).toHaveLength(0);
    p.pushStimulation(s.events[0]!);
    expect(p.pushBlock(blockOf(s, 5001, 5998), 20)).toHaveLength(0);
    const done = p.pushBlock(blockOf(s, 10999, 1), 30);
    expect(done).toHaveLength(1);
    expect(done[0]!.startSample).toBe(3000);
    // the window's last sample came with the block at 20, the event lag with the one at 30
    expect(timings).toEqual([{ completedAtMs: 30, windowCompletedAtMs: 20, emittedAtMs: 1000.5 }]);
    expect(p.stats().epochsEmitted).toBe(1);
    expect(p.stats().lastEpochLatencyMs).toBe(970.5);
  });

  it('handles a stimulation that arrives after its window is complete', () => {
    const fs = 10000;
    const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 2, events: [singleEvent(5000)] });
    const p = createPipeline({ sampleRateHz: fs, channelCount: 2, unit: 'uV' });
    p.pushBlock(blockOf(s, 0, s.totalSamples));
    p.pushStimulation(s.events[0]!);
    const late = p.flush();
    expect(late).toHaveLength(1);
    expectSameEpochs(late, stream(s, [1000]));
  });
});

describe('pipeline gaps and bad input', () => {
  const fs = 10000;
  const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 3, events: [trainEvent(5000, 50, 0.5)] });

  it('an announced gap inside the window travels with the epoch', () => {
    const p = createPipeline({ sampleRateHz: fs, channelCount: 2, unit: 'uV' });
    p.pushBlock(blockOf(s, 0, 6000));
    p.pushStimulation(s.events[0]!);
    p.pushGap({ startSample: 6000, lengthSamples: 500, reason: 'sequence-gap' });
    const out = p.pushBlock(blockOf(s, 6500, s.totalSamples - 6500));
    expect(out).toHaveLength(1);
    expect(out[0]!.gaps).toEqual([{ startSample: 6000, lengthSamples: 500, reason: 'sequence-gap' }]);
    // held, not spliced: the gap samples repeat the last value before it
    const at = 6000 - out[0]!.startSample;
    expect(out[0]!.raw[at + 250]).toBe(s.data[5999]);
    expect(p.stats().gaps).toBe(1);
  });

  it('an unannounced hole between blocks is recorded as a gap', () => {
    const p = createPipeline({ sampleRateHz: fs, channelCount: 2, unit: 'uV' });
    p.pushBlock(blockOf(s, 0, 6000));
    p.pushStimulation(s.events[0]!);
    const out = p.pushBlock(blockOf(s, 6100, s.totalSamples - 6100));
    expect(out[0]!.gaps).toEqual([{ startSample: 6000, lengthSamples: 100, reason: 'unknown' }]);
    expect(p.stats().unannouncedGaps).toBe(1);
  });

  it('refuses a block going back in time, a wrong rate or channel count, and loses nothing', () => {
    const p = createPipeline({ sampleRateHz: fs, channelCount: 2, unit: 'uV' });
    p.pushBlock(blockOf(s, 0, 6000));
    p.pushStimulation(s.events[0]!);
    expect(() => p.pushBlock(blockOf(s, 5000, 100))).toThrow(/before the end of data already received/);
    expect(() => p.pushBlock({ ...blockOf(s, 6000, 10), sampleRateHz: 5000 })).toThrow(/sample rate/);
    expect(() => p.pushBlock({ ...blockOf(s, 6000, 10), channelCount: 3 })).toThrow(/channels/);
    expect(() => p.pushGap({ startSample: 10, lengthSamples: 5, reason: 'unknown' })).toThrow(/inside data already received/);
    const out = p.pushBlock(blockOf(s, 6000, s.totalSamples - 6000));
    expectSameEpochs(out, stream(s, [6000]));
  });

  it('flush at end of stream emits the pending epoch with its missing tail as a gap', () => {
    const p = createPipeline({ sampleRateHz: fs, channelCount: 2, unit: 'uV' });
    p.pushBlock(blockOf(s, 0, 8000));
    p.pushStimulation(s.events[0]!);
    const out = p.flush();
    expect(out).toHaveLength(1);
    const end = out[0]!.startSample + out[0]!.preSamples + out[0]!.stimSamples + out[0]!.postSamples;
    expect(out[0]!.gaps).toEqual([{ startSample: 8000, lengthSamples: end - 8000, reason: 'disconnected' }]);
  });

  it('refuses a missing sample rate, unit or channel count, and unknown settings', () => {
    expect(() => createPipeline({ channelCount: 2, unit: 'uV' } as unknown as PipelineConfig)).toThrow(/sampleRateHz is required/);
    expect(() => createPipeline({ sampleRateHz: fs, channelCount: 2 } as unknown as PipelineConfig)).toThrow(/unit is required/);
    expect(() => createPipeline({ sampleRateHz: fs, unit: 'uV' } as unknown as PipelineConfig)).toThrow(/channelCount is required/);
    expect(() => createPipeline({ sampleRateHz: 500, channelCount: 1, unit: 'uV' })).toThrow(/1000 to 50000/);
    expect(() => createPipeline({ sampleRateHz: fs, channelCount: 1, unit: 'uV', settings: { filter: { lowpassHz: 100 } } as never })).toThrow(/unknown setting 'filter.lowpassHz'/);
    expect(() => createPipeline({ sampleRateHz: fs, channelCount: 1, unit: 'uV', settings: { blanking: { fill: 'spline' } } as never })).toThrow(/fill/);
    expect(() => createPipeline({ sampleRateHz: fs, channelCount: 1, unit: 'furlongs' as never })).toThrow(/input unit/);
  });
});

describe('pipeline settings and scaling', () => {
  it('scales ADC counts with a gain and offset to uV', () => {
    const fs = 5000;
    const s = makeSession({ sampleRateHz: fs, channelCount: 1, seconds: 1.5, events: [singleEvent(2000)] });
    const counts = Float32Array.from(s.data, (v) => v / 0.5 + 100);
    const p = createPipeline({ sampleRateHz: fs, channelCount: 1, unit: { counts: { uvPerCount: 0.5, offsetCounts: 100 } } });
    p.pushBlock({ startSample: 0, sampleRateHz: fs, channelCount: 1, samplesPerChannel: s.totalSamples, data: counts });
    p.pushStimulation(s.events[0]!);
    const [e] = p.flush();
    const len = e!.raw.length;
    for (let i = 0; i < len; i += 97) expect(e!.raw[i]).toBeCloseTo(s.data[e!.startSample + i]!, 3);
  });

  it('accepts mV input', () => {
    const p = createPipeline({ sampleRateHz: 5000, channelCount: 1, unit: 'mV', settings: { epoch: { preMs: 0, singleWindowMs: 1, postSingleMs: 0, warmupMs: 0 } } });
    p.pushBlock({ startSample: 0, sampleRateHz: 5000, channelCount: 1, samplesPerChannel: 10, data: new Float32Array(10).fill(0.25) });
    p.pushStimulation(singleEvent(3));
    const [e] = p.flush();
    expect(Array.from(e!.raw)).toEqual([250, 250, 250, 250, 250]);
  });

  it('clamps the low-pass for a 1 kHz recording and fills notch defaults', () => {
    const p = createPipeline({ sampleRateHz: 1000, channelCount: 1, unit: 'uV', settings: { filter: { notch: { mainsHz: 60 } } } });
    expect(p.filter.lowPassHz).toBe(450);
    expect(p.settings.filter.notch).toEqual({ mainsHz: 60, q: 30, harmonics: 0 });
    expect(p.filter.notchHz).toEqual([60]);
  });

  it('zero fill forces the filtered signal to 0 inside blanking windows', () => {
    const fs = 10000;
    const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 3, events: [trainEvent(5000, 50, 0.2)] });
    const [e] = stream(s, [1000], { settings: { blanking: { fill: 'zero', afterPulseMs: 3 } } });
    const len = e!.raw.length / 2;
    let n = 0;
    for (let i = 0; i < len; i++) {
      if (e!.blanked[i] === 1) {
        n++;
        expect(e!.filtered[i]).toBe(0);
        expect(e!.filtered[len + i]).toBe(0);
      }
    }
    expect(n).toBe(10 * (2 + 30));
  });
});

describe('display stream', () => {
  it('gives per-column min/max with the baseline removed, and drops the oldest when not drained', () => {
    const fs = 10000;
    const p = createPipeline({ sampleRateHz: fs, channelCount: 1, unit: 'uV', settings: { display: { columnsPerSecond: 1000, bufferSeconds: 0.1 } } });
    // constant 300 uV offset + a square wave of +-50 uV with period 20 samples
    const n = 3000;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = 300 + (Math.floor(i / 5) % 2 === 0 ? 50 : -50);
    p.pushBlock({ startSample: 0, sampleRateHz: fs, channelCount: 1, samplesPerChannel: 1000, data: data.subarray(0, 1000) });
    const f1 = p.drainDisplay()!;
    expect(f1.columnCount).toBe(100);
    expect(f1.samplesPerColumn).toBe(10);
    expect(f1.droppedColumns).toBe(0);
    expect(Array.from(f1.columnStartSample.subarray(0, 3))).toEqual([0, 10, 20]);
    // every column holds both levels; column mean is 300, which the baseline tracker removes
    expect(f1.maxUv[0]).toBeCloseTo(50, 5);
    expect(f1.minUv[0]).toBeCloseTo(-50, 5);
    expect(f1.maxUv[99]).toBeCloseTo(50, 5);
    expect(p.drainDisplay()).toBeNull();
    p.pushBlock({ startSample: 1000, sampleRateHz: fs, channelCount: 1, samplesPerChannel: 2000, data: data.slice(1000) });
    const f2 = p.drainDisplay()!;
    expect(f2.columnCount).toBe(100); // capacity 0.1 s of columns
    expect(f2.droppedColumns).toBe(100);
    expect(f2.columnStartSample[0]).toBe(2000);
  });
});
