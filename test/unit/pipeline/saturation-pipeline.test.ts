import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StimulusEpoch } from '../../../src/pipeline/epoch';
import { batch, expectSameEpochs, stream } from './epoch-streams';
import { makeSession, singleEvent, trainEvent, type SyntheticSession } from './synthetic';

const FS = 10000;
const RAIL_UV = 9000;

/**
 * A session whose channel 1 is driven into the rail by every pulse and stays pinned there for `pinnedMs`
 * (past the 2 ms blanking window when pinnedMs > 2), then drops back to its noisy baseline.
 */
function saturating(pinnedMs: number, seed = 3): SyntheticSession {
  const events = [trainEvent(10000), singleEvent(42000), trainEvent(52000, 40, 0.5)];
  const s = makeSession({ sampleRateHz: FS, channelCount: 3, seconds: 7, events, seed });
  const pinned = Math.round((pinnedMs * FS) / 1000);
  for (const p of pulsesOf(s)) for (let j = 0; j < pinned; j++) s.data[s.totalSamples + p + j] = RAIL_UV;
  return s;
}

function pulsesOf(s: SyntheticSession): number[] {
  const out: number[] = [];
  for (const e of s.events) {
    const rate = e.stimulation.rateHz;
    const n = e.stimulation.mode === 'train' ? Math.round((rate ?? 0) * e.stimulation.durationS) : 1;
    for (let k = 0; k < n; k++) out.push(e.sampleIndex + (k === 0 || rate === null ? 0 : Math.round((k * FS) / rate)));
  }
  return out;
}

/** Mean envelope of channel c over [from, to) (epoch-relative samples). */
function meanEnvelope(e: StimulusEpoch, c: number, from: number, to: number): number {
  const n = e.preSamples + e.stimSamples + e.postSamples;
  let sum = 0;
  for (let i = from; i < to; i++) sum += e.envelope[c * n + i]!;
  return sum / (to - from);
}

describe('pipeline: blanking over a saturated amplifier', () => {
  it('blanks every pulse until the pinned channel leaves the rail, and the train no longer rings', () => {
    const s = saturating(3.5);
    const epochs = batch(s);
    const plain = batch(s, { settings: { blanking: { saturationMaxMs: 0 } } });
    expect(epochs).toHaveLength(3);
    const pinnedEnd = Math.round(3.5e-3 * FS); // 35 samples after each pulse
    for (const e of epochs) {
      const n = e.preSamples + e.stimSamples + e.postSamples;
      for (const p of pulsesOf(s)) {
        const i = p - e.startSample;
        if (i < 0 || i + pinnedEnd >= n) continue;
        expect(e.blanked[i - 2]).toBe(1); // 0.2 ms before the pulse
        expect(e.blanked[i - 3]).toBe(0);
        expect(e.blanked[i + pinnedEnd - 1]).toBe(1); // the whole pinned stretch
        expect(e.blanked[i + pinnedEnd]).toBe(0); // and not one sample more
      }
    }
    // The 50 Hz train: without the extension the pinned channel's envelope in the train is dominated by the
    // filters' response to the drop from the rail; with it, it stays at the level of its neighbours.
    const train = epochs[0]!;
    const from = train.preSamples + 500;
    const to = train.preSamples + train.stimSamples;
    const baseline = meanEnvelope(train, 1, 0, train.preSamples - 10);
    expect(meanEnvelope(train, 1, from, to)).toBeLessThan(2 * baseline);
    expect(meanEnvelope(plain[0]!, 1, from, to)).toBeGreaterThan(10 * baseline);
    // the other channels are only blanked a little longer, never changed otherwise
    expect(meanEnvelope(train, 0, from, to)).toBeLessThan(2 * meanEnvelope(train, 0, 0, train.preSamples - 10));
  });

  it('leaves a saturation shorter than the blanking window alone', () => {
    const s = saturating(1.5);
    const a = batch(s);
    const b = batch(s, { settings: { blanking: { saturationMaxMs: 0 } } });
    expectSameEpochs(a, b);
  });

  it('stops at saturationMaxMs', () => {
    const s = saturating(30);
    const e = batch(s, { settings: { blanking: { saturationMaxMs: 5 } } })[1]!; // the single pulse
    const i = 42000 - e.startSample;
    // the 2 ms window (20 samples) grown by at most 5 ms (50 samples) although the channel stays pinned 30 ms
    expect(Array.from(e.blanked.subarray(i + 20, i + 70)).every((v) => v === 1)).toBe(true);
    expect(e.blanked[i + 70]).toBe(0);
  });

  it('gives the same epochs whatever the chunking and report timing (the extension waits for the release)', () => {
    const s = saturating(3.5, 11);
    const want = batch(s);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 900 }), (chunks, late) => {
        expectSameEpochs(stream(s, chunks, 'confirmed'), want);
        expectSameEpochs(stream(s, chunks, 'lagging', () => late), want);
      }),
      { numRuns: 12 },
    );
  });

  it("with fill 'zero' too: blanked samples are 0 in the filtered output, the same for every chunking", () => {
    const s = saturating(3.5, 5);
    const config = { settings: { blanking: { fill: 'zero' as const } } };
    const want = batch(s, config);
    for (const e of want) {
      for (let i = 0; i < e.blanked.length; i++) if (e.blanked[i] === 1) for (let c = 0; c < e.channelCount; c++) expect(e.filtered[c * e.blanked.length + i]).toBe(0);
    }
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), (chunks) => {
        expectSameEpochs(stream(s, chunks, 'confirmed', () => 0, config), want);
      }),
      { numRuns: 8 },
    );
  });
});
