/**
 * Min/max decimation for display: each output point holds the minimum and maximum of the samples it
 * covers, so spikes survive any zoom level (plain subsampling would hide them).
 *
 * `data` is planar (channel-major) with `length` samples per channel. Returns per channel `points`
 * min and max values, where points = min(length, maxPoints) and point i covers samples
 * [floor(i * length / points), floor((i + 1) * length / points)).
 */
export function minMaxDecimate(
  data: Float32Array,
  channelCount: number,
  length: number,
  maxPoints: number,
): { samplesPerPoint: number; minUv: number[][]; maxUv: number[][] } {
  if (data.length < channelCount * length) throw new RangeError(`data holds ${data.length} values, expected ${channelCount} x ${length}`);
  const points = Math.max(0, Math.min(length, Math.floor(maxPoints)));
  const minUv: number[][] = [];
  const maxUv: number[][] = [];
  for (let c = 0; c < channelCount; c++) {
    const base = c * length;
    const mins = new Array<number>(points);
    const maxs = new Array<number>(points);
    for (let i = 0; i < points; i++) {
      const from = Math.floor((i * length) / points);
      const to = Math.floor(((i + 1) * length) / points);
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = from; k < to; k++) {
        const v = data[base + k]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      // round to 0.01 uV: display precision, and keeps JSON frames small
      mins[i] = Math.round(lo * 100) / 100;
      maxs[i] = Math.round(hi * 100) / 100;
    }
    minUv.push(mins);
    maxUv.push(maxs);
  }
  return { samplesPerPoint: points === 0 ? 1 : length / points, minUv, maxUv };
}
