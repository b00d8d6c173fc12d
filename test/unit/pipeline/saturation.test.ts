import { describe, expect, it } from 'vitest';
import { extendBlankingOverSaturation } from '../../../src/pipeline/saturation';

/** Planar data of `channels` rows of `frames` samples; noise of about +-5 uV around `offset`. */
function noise(channels: number, frames: number, seed = 1, offset = 0): Float32Array {
  let s = seed;
  const out = new Float32Array(channels * frames);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = offset + 10 * (s / 4294967296 - 0.5);
  }
  return out;
}

function maskWith(frames: number, from: number, to: number): Uint8Array {
  const m = new Uint8Array(frames);
  m.fill(1, from, to);
  return m;
}

describe('blanking extended over a saturated amplifier', () => {
  it('extends the run to the first sample that leaves the rail, on any channel', () => {
    const frames = 200;
    const d = noise(3, frames);
    // channel 1 pinned at +4000 uV from the pulse at 50 to sample 83 (the run is 48..70)
    for (let k = 50; k < 84; k++) d[frames + k] = 4000;
    const mask = maskWith(frames, 48, 70);
    const r = extendBlankingOverSaturation(d, 3, frames, mask, 100, 100, false);
    expect(r).toEqual({ marked: 14, undecidedFrom: -1 });
    expect(Array.from(mask.subarray(47, 85))).toEqual([0, ...Array<number>(36).fill(1), 0]);
  });

  it('leaves runs alone when no channel is pinned: EMG, a dead channel at rest, a short saturation', () => {
    const frames = 200;
    const d = noise(3, frames, 7);
    for (let k = 0; k < frames; k++) d[2 * frames + k] = -250; // dead: flat at its resting value
    for (let k = 50; k < 60; k++) d[k] = 4000; // saturated for 1 ms only, inside the 2.2 ms run
    for (let k = 50; k < 200; k++) d[frames + k] = 3000 * Math.sin(k); // a large response, never flat
    const mask = maskWith(frames, 48, 70);
    const r = extendBlankingOverSaturation(d, 3, frames, mask, 100, 100, false);
    expect(r).toEqual({ marked: 0, undecidedFrom: -1 });
    expect(mask.reduce((s, v) => s + v, 0)).toBe(22);
  });

  it('stops at maxSamples and at the minimum excursion', () => {
    const frames = 300;
    const d = noise(1, frames, 3);
    for (let k = 50; k < 250; k++) d[k] = -6000;
    const capped = maskWith(frames, 48, 70);
    expect(extendBlankingOverSaturation(d, 1, frames, capped, 30, 100, false)).toEqual({ marked: 30, undecidedFrom: -1 });
    expect(capped[99]).toBe(1);
    expect(capped[100]).toBe(0);
    const small = Float32Array.from(d, (v, k) => (k >= 50 && k < 250 ? 60 : v));
    const untouched = maskWith(frames, 48, 70);
    expect(extendBlankingOverSaturation(small, 1, frames, untouched, 30, 100, false).marked).toBe(0);
  });

  it('tolerates a rail with tiny noise but not a slow decay', () => {
    const frames = 200;
    const d = noise(2, frames, 5);
    for (let k = 50; k < 90; k++) d[k] = 5000 + (k % 2 === 0 ? 3 : -3); // 0.1 % of the excursion
    for (let k = 50; k < 120; k++) d[frames + k] = 5000 * Math.exp(-(k - 50) / 10); // an artifact tail
    const mask = maskWith(frames, 48, 70);
    const r = extendBlankingOverSaturation(d, 2, frames, mask, 100, 100, false);
    expect(r.marked).toBe(20);
    expect(mask[89]).toBe(1);
    expect(mask[90]).toBe(0);
  });

  it('reports a run still pinned when the data ends as undecided, or cuts it there when final', () => {
    const frames = 100;
    const d = noise(1, frames, 9);
    for (let k = 50; k < frames; k++) d[k] = 4000;
    const m1 = maskWith(frames, 48, 70);
    expect(extendBlankingOverSaturation(d, 1, frames, m1, 100, 100, false)).toEqual({ marked: 0, undecidedFrom: 48 });
    expect(m1[70]).toBe(0);
    const m2 = maskWith(frames, 48, 70);
    expect(extendBlankingOverSaturation(d, 1, frames, m2, 100, 100, true)).toEqual({ marked: 30, undecidedFrom: -1 });
    // reaching maxSamples before the data ends is decided either way
    const m3 = maskWith(frames, 48, 70);
    expect(extendBlankingOverSaturation(d, 1, frames, m3, 10, 100, false)).toEqual({ marked: 10, undecidedFrom: -1 });
  });
});
