import { describe, expect, it } from 'vitest';
import { TraceBuffer, type MinMaxFrame } from '../../../renderer/live/traceBuffer';

/** Frame whose point values encode channel and point index: min = c*1e6 + p, max = min + 0.5. */
function rampFrame(startPoint: number, channels: number, n: number, spp = 1): MinMaxFrame {
  return {
    startSample: startPoint * spp,
    samplesPerPoint: spp,
    channels: Array.from({ length: channels }, (_, c) => ({
      channel: c,
      minUv: Array.from({ length: n }, (_, i) => c * 1e6 + startPoint + i),
      maxUv: Array.from({ length: n }, (_, i) => c * 1e6 + startPoint + i + 0.5),
    })),
  };
}

describe('TraceBuffer', () => {
  it('holds the newest points across ring wrap-around, channel by channel', () => {
    const b = new TraceBuffer(2, 1000, 1, 100);
    for (let p = 0; p < 250; p += 30) b.push(rampFrame(p, 2, 30));
    expect(b.newestSample).toBe(270);
    expect(b.oldestSample).toBe(170);
    expect(b.pointAt(0, 170)).toEqual([170, 170.5]);
    expect(b.pointAt(0, 269)).toEqual([269, 269.5]);
    expect(b.pointAt(1, 200)).toEqual([1e6 + 200, 1e6 + 200.5]);
    expect(b.pointAt(0, 169)).toBeNull();
    expect(b.pointAt(0, 270)).toBeNull();
  });

  it('maps sample indices through samplesPerPoint', () => {
    const b = new TraceBuffer(1, 10_000, 1, 1000);
    b.push(rampFrame(100, 1, 50, 20)); // samples 2000..2999
    expect(b.oldestSample).toBe(2000);
    expect(b.newestSample).toBe(3000);
    expect(b.pointAt(0, 2019)).toEqual([100, 100.5]);
    expect(b.pointAt(0, 2020)).toEqual([101, 101.5]);
  });

  it('keeps only the tail of a frame larger than the ring', () => {
    const b = new TraceBuffer(1, 1000, 1, 50);
    b.push(rampFrame(1000, 1, 120));
    expect(b.oldestSample).toBe(1070);
    expect(b.pointAt(0, 1070)).toEqual([1070, 1070.5]);
    expect(b.pointAt(0, 1119)).toEqual([1119, 1119.5]);
  });

  it('marks a jump in sample index as a gap drawn empty, never spliced', () => {
    const b = new TraceBuffer(1, 1000, 1, 1000);
    b.push(rampFrame(0, 1, 100));
    b.push(rampFrame(150, 1, 100));
    expect(b.gapMarkers()).toEqual([{ sample: 100, lengthSamples: 50 }]);
    expect(b.pointAt(0, 99)).toEqual([99, 99.5]);
    expect(b.pointAt(0, 120)!.every(Number.isNaN)).toBe(true);
    expect(b.pointAt(0, 150)).toEqual([150, 150.5]);
    b.addGap(100, 50); // the device reporting the same gap again is not recorded twice
    expect(b.gapMarkers()).toHaveLength(1);
  });

  it('ignores late duplicate frames and trims overlapping ones', () => {
    const b = new TraceBuffer(1, 1000, 1, 1000);
    b.push(rampFrame(0, 1, 100));
    const v = b.version;
    b.push(rampFrame(20, 1, 50));
    expect(b.version).toBe(v);
    b.push(rampFrame(90, 1, 20));
    expect(b.newestSample).toBe(110);
    expect(b.pointAt(0, 105)).toEqual([105, 105.5]);
  });

  it('decimates to min/max per pixel column, keeping single-point spikes', () => {
    const b = new TraceBuffer(1, 10_000, 1, 10_000);
    const n = 10_000;
    const mn = new Array<number>(n).fill(-1);
    const mx = new Array<number>(n).fill(1);
    mx[4321] = 500;
    mn[7000] = -300;
    b.push({ startSample: 0, samplesPerPoint: 1, channels: [{ channel: 0, minUv: mn, maxUv: mx }] });
    const cols = 100;
    const outMin = new Float32Array(cols);
    const outMax = new Float32Array(cols);
    b.decimate(0, 0, n, cols, outMin, outMax);
    expect(outMax[43]).toBe(500);
    expect(outMin[70]).toBe(-300);
    expect(outMax[42]).toBe(1);
    expect(Array.from(outMax).filter((v) => v !== 1)).toEqual([500]);
    expect(Array.from(outMin).filter((v) => v !== -1)).toEqual([-300]);
  });

  it('leaves columns outside the held window empty (NaN)', () => {
    const b = new TraceBuffer(1, 1000, 1, 1000);
    b.push(rampFrame(500, 1, 100));
    const mn = new Float32Array(10);
    const mx = new Float32Array(10);
    b.decimate(0, 400, 200, 10, mn, mx); // columns of 20 samples; 400..499 not held
    expect(Number.isNaN(mx[0]!)).toBe(true);
    expect(Number.isNaN(mx[4]!)).toBe(true);
    expect(mn[5]).toBe(500);
    expect(mx[5]).toBe(519.5);
    expect(mx[9]).toBe(599.5);
  });

  it('treats a channel missing from a frame as no data', () => {
    const b = new TraceBuffer(2, 1000, 1, 100);
    b.push({ startSample: 0, samplesPerPoint: 1, channels: [{ channel: 0, minUv: [1, 2], maxUv: [3, 4] }] });
    expect(b.pointAt(0, 1)).toEqual([2, 4]);
    expect(b.pointAt(1, 1)!.every(Number.isNaN)).toBe(true);
  });

  it('drops stimulus markers that scrolled out of the window', () => {
    const b = new TraceBuffer(1, 1000, 0.1, 1000); // ring of 100 points
    b.push(rampFrame(0, 1, 50));
    b.addStimulus(10, 0, 'L4R r1');
    b.addStimulus(60, 0, 'L4R r2');
    b.push(rampFrame(50, 1, 100));
    expect(b.stimulusMarkers().map((m) => m.label)).toEqual(['L4R r2']);
  });
});
