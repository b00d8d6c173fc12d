import { describe, expect, it } from 'vitest';
import { TraceBuffer, type PlanarBlock } from '../../../renderer/live/traceBuffer';

/** Block whose sample value encodes channel and running index: v = channel * 1e6 + sampleIndex. */
function rampBlock(start: number, channels: number, n: number): PlanarBlock {
  const data = new Float32Array(channels * n);
  for (let c = 0; c < channels; c++) for (let i = 0; i < n; i++) data[c * n + i] = c * 1e6 + start + i;
  return { startSample: start, channelCount: channels, samplesPerChannel: n, data };
}

describe('TraceBuffer', () => {
  it('holds the newest samples across ring wrap-around, channel by channel', () => {
    const b = new TraceBuffer(2, 1000, 0.1); // 100 samples
    for (let s = 0; s < 250; s += 30) b.push(rampBlock(s, 2, 30));
    expect(b.newestSample).toBe(270);
    expect(b.oldestSample).toBe(170);
    expect(b.sampleAt(0, 170)).toBe(170);
    expect(b.sampleAt(0, 269)).toBe(269);
    expect(b.sampleAt(1, 200)).toBe(1e6 + 200);
    expect(Number.isNaN(b.sampleAt(0, 169))).toBe(true);
    expect(Number.isNaN(b.sampleAt(0, 270))).toBe(true);
  });

  it('keeps only the tail of a block larger than the window', () => {
    const b = new TraceBuffer(1, 1000, 0.05); // 50 samples
    b.push(rampBlock(1000, 1, 120));
    expect(b.oldestSample).toBe(1070);
    expect(b.sampleAt(0, 1070)).toBe(1070);
    expect(b.sampleAt(0, 1119)).toBe(1119);
  });

  it('marks a jump in sample index as a gap, zero-filled, never spliced', () => {
    const b = new TraceBuffer(1, 1000, 1);
    b.push(rampBlock(0, 1, 100));
    b.push(rampBlock(150, 1, 100));
    expect(b.gapMarkers()).toEqual([{ sample: 100, lengthSamples: 50 }]);
    expect(b.sampleAt(0, 99)).toBe(99);
    expect(b.sampleAt(0, 120)).toBe(0);
    expect(b.sampleAt(0, 150)).toBe(150);
    // A device-reported gap for the same span is not recorded twice.
    b.addGap(100, 50);
    expect(b.gapMarkers()).toHaveLength(1);
  });

  it('ignores late duplicate blocks and trims overlapping ones', () => {
    const b = new TraceBuffer(1, 1000, 1);
    b.push(rampBlock(0, 1, 100));
    const v = b.version;
    b.push(rampBlock(20, 1, 50));
    expect(b.version).toBe(v);
    b.push(rampBlock(90, 1, 20));
    expect(b.newestSample).toBe(110);
    expect(b.sampleAt(0, 105)).toBe(105);
  });

  it('decimates to min/max per pixel column, keeping single-sample spikes', () => {
    const b = new TraceBuffer(1, 10_000, 1);
    const n = 10_000;
    const data = new Float32Array(n);
    data[4321] = 500; // one-sample spike
    data[7000] = -300;
    b.push({ startSample: 0, channelCount: 1, samplesPerChannel: n, data });
    const cols = 100;
    const mn = new Float32Array(cols);
    const mx = new Float32Array(cols);
    b.decimate(0, 0, n, cols, mn, mx);
    expect(mx[43]).toBe(500);
    expect(mn[70]).toBe(-300);
    expect(mx[42]).toBe(0);
    const peaks = Array.from(mx).filter((v) => v !== 0);
    expect(peaks).toEqual([500]);
  });

  it('leaves columns outside the held window empty (NaN)', () => {
    const b = new TraceBuffer(1, 1000, 1);
    b.push(rampBlock(500, 1, 100));
    const mn = new Float32Array(10);
    const mx = new Float32Array(10);
    b.decimate(0, 400, 200, 10, mn, mx); // columns of 20 samples; 400..499 not held
    expect(Number.isNaN(mx[0]!)).toBe(true);
    expect(Number.isNaN(mx[4]!)).toBe(true);
    expect(mn[5]).toBe(500);
    expect(mx[5]).toBe(519);
    expect(mx[9]).toBe(599);
  });

  it('drops stimulus markers that scrolled out of the window', () => {
    const b = new TraceBuffer(1, 1000, 0.1);
    b.push(rampBlock(0, 1, 50));
    b.addStimulus(10, 0, 'L4R r1');
    b.addStimulus(60, 0, 'L4R r2');
    b.push(rampBlock(50, 1, 100));
    expect(b.stimulusMarkers().map((m) => m.label)).toEqual(['L4R r2']);
  });
});
