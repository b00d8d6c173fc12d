/**
 * Blanking extended over a saturated amplifier (domain notes, "Recording": the stimulus artifact is
 * blanked for about 1-3 ms after each pulse). An amplifier driven into its rail by the stimulus can stay
 * pinned there for longer than the blanking window. The line that replaces the blanked samples then
 * ends on the rail value and the signal drops back afterwards: a step of several millivolts that the
 * high-pass filter turns into tens of milliseconds of ringing after every pulse, which looks like a
 * sustained response on every channel.
 *
 * So each blanking run is extended while the raw signal of any channel stays pinned where the run left
 * it. A channel is pinned at the end of a run when its last `PINNED_RUN_SAMPLES` blanked samples hold one
 * value (within `PINNED_TOLERANCE` of its excursion) that lies at least `minExcursionUv` away from the
 * sample before the run; the run then grows while that channel keeps the value, at most `maxSamples`. The
 * blanking mask is shared by all channels (as the pulse blanking is), so every channel loses those
 * samples. A dead channel (flat at its resting value) and EMG (never flat for several samples at a
 * millivolt excursion) do not trigger it.
 */

/** A channel counts as pinned when this many trailing blanked samples hold one value. */
export const PINNED_RUN_SAMPLES = 3;
/** ... within this fraction of the excursion from the sample before the run (a rail is flat; quantisation and tiny noise are allowed). */
export const PINNED_TOLERANCE = 0.002;

export interface SaturationExtension {
  /** Samples newly marked in the mask. */
  readonly marked: number;
  /**
   * First blanking run (its start index) whose extension could not be decided because the data ended
   * while a channel was still pinned and short of `maxSamples`; -1 when every run was decided. With
   * `final`, runs are cut at the end of the data instead and this is always -1.
   */
  readonly undecidedFrom: number;
}

/**
 * Extends the blanking runs of `mask[0..frames)` (1 = blanked) over samples where a channel of the planar
 * raw `data` (channel c at `c * frames`) stays pinned at the value it had at the end of the run. Runs that
 * start at index 0 are left alone (no sample before them to measure the excursion from).
 * @param final the data ends here for good (the end of an epoch): a pinned run stops at `frames`.
 */
export function extendBlankingOverSaturation(
  data: Float32Array,
  channelCount: number,
  frames: number,
  mask: Uint8Array,
  maxSamples: number,
  minExcursionUv: number,
  final: boolean,
): SaturationExtension {
  let marked = 0;
  let i = 0;
  while (i < frames) {
    if (mask[i] === 0) {
      i++;
      continue;
    }
    const a = i;
    while (i < frames && mask[i] !== 0) i++;
    const b = i; // run [a, b)
    if (a === 0 || b === frames || b - a < PINNED_RUN_SAMPLES || maxSamples <= 0) continue;
    const limit = b + maxSamples;
    let end = b;
    let undecided = false;
    for (let c = 0; c < channelCount; c++) {
      const base = c * frames;
      const v = data[base + b - 1]!;
      const excursion = Math.abs(v - data[base + a - 1]!);
      if (!(excursion >= minExcursionUv)) continue;
      const tol = PINNED_TOLERANCE * excursion;
      let flat = true;
      for (let k = b - PINNED_RUN_SAMPLES; k < b - 1; k++) {
        if (Math.abs(data[base + k]! - v) > tol) {
          flat = false;
          break;
        }
      }
      if (!flat) continue;
      let e = b;
      while (e < frames && e < limit && Math.abs(data[base + e]! - v) <= tol) e++;
      if (e === frames && e < limit && !final) undecided = true;
      if (e > end) end = e;
    }
    if (undecided) return { marked, undecidedFrom: a };
    for (let k = b; k < end; k++) {
      if (mask[k] === 0) {
        mask[k] = 1;
        marked++;
      }
    }
    // A run grown into the next one continues from there (its own end is judged in turn).
    i = end;
  }
  return { marked, undecidedFrom: -1 };
}
