import { pulseCount, type StimulationEvent } from '../domain';
import { PipelineConfigError, requireNumber } from './stage';

/**
 * Stimulus-artifact blanking (domain notes, "Recording": artifact blanked for about 1-3 ms after each
 * pulse; "Grading": artifacts appear on every channel at every pulse and are never responses).
 *
 * Every pulse of every stimulation is blanked on every channel, in the RAW signal, BEFORE the filters:
 * a multi-millivolt artifact fed to a 10 Hz high-pass rings for tens of milliseconds and would reach
 * the envelope as a fake response. The window runs from `beforePulseMs` before to `afterPulseMs` after
 * each pulse. Inside it the raw samples are replaced by a straight line from the last sample before the
 * window to the first sample after it, so the filters see no step. With `fill: 'zero'` the filtered
 * output (and so the envelope input) is additionally forced to exactly 0 inside the window.
 * Blanking works on whole windows because the line needs the sample after the artifact; the epoch
 * cutter runs it once the window has fully arrived.
 */
export interface BlankingSettings {
  readonly beforePulseMs: number;
  readonly afterPulseMs: number;
  readonly fill: 'linear' | 'zero';
  /**
   * A blanking window whose end finds a channel still pinned at an amplifier rail is extended until the
   * channel leaves it, by at most this much, ms (0 = never; see saturation.ts).
   */
  readonly saturationMaxMs: number;
  /** A channel counts as pinned only this far (uV) from where it was before the pulse. */
  readonly saturationMinUv: number;
  /**
   * While the mains notch is on, a 'linear' window is filled with the hum fitted just before it plus the
   * line (hum-fill.ts): a line alone cuts a hole into a strong hum that the notch cannot remove.
   */
  readonly humFill: boolean;
}

export const DEFAULT_BLANKING: BlankingSettings = { beforePulseMs: 0.2, afterPulseMs: 2, fill: 'linear', saturationMaxMs: 10, saturationMinUv: 100, humFill: true };

export function validateBlanking(b: BlankingSettings): BlankingSettings {
  requireNumber(b.beforePulseMs, 'blanking before pulse (ms)', 0, 5);
  requireNumber(b.afterPulseMs, 'blanking after pulse (ms)', 0, 20);
  if (b.fill !== 'linear' && b.fill !== 'zero') throw new PipelineConfigError(`blanking fill must be 'linear' or 'zero', got '${String(b.fill)}'`);
  requireNumber(b.saturationMaxMs, 'blanking extension over a saturated amplifier (ms)', 0, 50);
  requireNumber(b.saturationMinUv, 'saturation excursion (uV)', 1, 1e6);
  if (typeof b.humFill !== 'boolean') throw new PipelineConfigError(`blanking humFill must be true or false, got ${String(b.humFill)}`);
  return { beforePulseMs: b.beforePulseMs, afterPulseMs: b.afterPulseMs, fill: b.fill, saturationMaxMs: b.saturationMaxMs, saturationMinUv: b.saturationMinUv, humFill: b.humFill };
}

/**
 * Sample index of pulse `k` of a stimulation: the first pulse is at `event.sampleIndex`, the following
 * ones every 1/rateHz seconds (rounded to the nearest sample, from the first pulse so rounding never
 * accumulates).
 */
export function pulseSample(event: StimulationEvent, k: number, sampleRateHz: number): number {
  const rate = event.stimulation.rateHz;
  if (k === 0 || rate === null) return event.sampleIndex;
  return event.sampleIndex + Math.round((k * sampleRateHz) / rate);
}

/** Last sample index (exclusive) that the blanking of this stimulation's pulses can touch. */
export function lastBlankedSample(event: StimulationEvent, sampleRateHz: number, afterSamples: number): number {
  return pulseSample(event, pulseCount(event.stimulation) - 1, sampleRateHz) + afterSamples;
}

export interface BlankWindowSamples {
  readonly before: number;
  readonly after: number;
}

export function blankWindowSamples(b: BlankingSettings, sampleRateHz: number): BlankWindowSamples {
  return {
    before: Math.ceil((b.beforePulseMs * sampleRateHz) / 1000),
    after: Math.ceil((b.afterPulseMs * sampleRateHz) / 1000),
  };
}

/**
 * Marks, in `mask[0..frames)` (which must be zeroed by the caller), every sample of the window starting
 * at `windowStart` that lies within a blanking window of a pulse of one of `events`. Returns the number
 * of samples marked.
 */
export function markPulses(
  mask: Uint8Array,
  windowStart: number,
  frames: number,
  events: readonly StimulationEvent[],
  sampleRateHz: number,
  w: BlankWindowSamples,
): number {
  const windowEnd = windowStart + frames;
  let marked = 0;
  for (const ev of events) {
    const n = pulseCount(ev.stimulation);
    if (ev.sampleIndex - w.before >= windowEnd) continue;
    if (lastBlankedSample(ev, sampleRateHz, w.after) <= windowStart) continue;
    for (let k = 0; k < n; k++) {
      const p = pulseSample(ev, k, sampleRateHz);
      const a = Math.max(windowStart, p - w.before);
      const b = Math.min(windowEnd, p + w.after);
      if (p - w.before >= windowEnd) break;
      for (let s = a; s < b; s++) {
        const i = s - windowStart;
        if (mask[i] === 0) {
          mask[i] = 1;
          marked++;
        }
      }
    }
  }
  return marked;
}

/**
 * Replaces, on every channel of the planar `data` (channel c at `c * frames`), each run of masked
 * samples with a straight line between its unmasked neighbours (held flat at the edges of the block).
 */
export function interpolateMasked(data: Float32Array, channelCount: number, frames: number, mask: Uint8Array): void {
  let i = 0;
  while (i < frames) {
    if (mask[i] === 0) {
      i++;
      continue;
    }
    const a = i;
    while (i < frames && mask[i] !== 0) i++;
    const b = i; // run is [a, b)
    const len = b - a;
    for (let c = 0; c < channelCount; c++) {
      const base = c * frames;
      if (a === 0 && b === frames) {
        data.fill(0, base, base + frames);
        continue;
      }
      const left = a > 0 ? data[base + a - 1]! : data[base + b]!;
      const right = b < frames ? data[base + b]! : left;
      const step = (right - left) / (len + 1);
      for (let j = 0; j < len; j++) data[base + a + j] = left + step * (j + 1);
    }
  }
}

/** Sets every masked sample of every channel to 0. */
export function zeroMasked(data: Float32Array, channelCount: number, frames: number, mask: Uint8Array): void {
  for (let i = 0; i < frames; i++) {
    if (mask[i] === 0) continue;
    for (let c = 0; c < channelCount; c++) data[c * frames + i] = 0;
  }
}
