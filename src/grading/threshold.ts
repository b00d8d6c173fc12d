import { rootKey, type StimulationTarget, type ThresholdResult } from '../domain';
import type { StimulusEpoch } from '../pipeline/epoch';
import { epochLength } from '../pipeline/epoch';
import { exclusionMask } from './features';
import { DEFAULT_PULSE_RESPONSE, type PulseResponseOptions } from './options';

/** One channel's response to one single pulse. */
export interface PulseChannelResponse {
  readonly channel: number;
  /** Peak-to-peak amplitude in the response window, uV. */
  readonly amplitudeUv: number;
  /** Peak-to-peak over an equally long pre-stimulus window, uV. */
  readonly baselineAmplitudeUv: number;
  /** Onset latency from the pulse, ms; null when the channel did not respond. */
  readonly latencyMs: number | null;
  readonly responded: boolean;
}

export interface PulseResponse {
  readonly target: StimulationTarget | null;
  readonly onsetSample: number;
  readonly intensityMa: number;
  readonly channels: readonly PulseChannelResponse[];
  /** True when any channel responded. */
  readonly responded: boolean;
}

/**
 * Response of every channel to a single pulse (shared domain notes, "Stimulation": threshold by
 * single pulses; "a response is the first deflection above about 200 uV" at some centres). In the window
 * 5-50 ms after the pulse (after the blanked artifact) a channel responds when its peak-to-peak amplitude
 * reaches `criterionUv` and `baselineMultiple` times the peak-to-peak of an equally long pre-stimulus
 * window. Onset latency: the first sample where the deviation from the baseline mean exceeds both 20 %
 * of the window's largest deviation and 4 baseline standard deviations.
 */
export function measurePulse(epoch: StimulusEpoch, options: PulseResponseOptions = DEFAULT_PULSE_RESPONSE): PulseResponse {
  const fs = epoch.sampleRateHz;
  const n = epochLength(epoch);
  const mask = exclusionMask(epoch, 0);
  const onset = epoch.preSamples;
  const from = onset + Math.round((options.windowStartMs * fs) / 1000);
  const to = Math.min(n, onset + Math.round((options.windowEndMs * fs) / 1000));
  const len = to - from;
  const bFrom = Math.max(0, onset - len - Math.round(0.002 * fs));
  const bTo = Math.max(bFrom, onset - Math.round(0.002 * fs));
  const channels: PulseChannelResponse[] = [];
  for (let c = 0; c < epoch.channelCount; c++) {
    const off = c * n;
    let bMin = Infinity, bMax = -Infinity, bSum = 0, bSs = 0, bN = 0;
    for (let i = bFrom; i < bTo; i++) {
      if (mask[i] === 1) continue;
      const v = epoch.filtered[off + i]!;
      if (v < bMin) bMin = v;
      if (v > bMax) bMax = v;
      bSum += v;
      bSs += v * v;
      bN++;
    }
    const bMean = bN > 0 ? bSum / bN : 0;
    const bSd = bN > 0 ? Math.sqrt(Math.max(0, bSs / bN - bMean * bMean)) : 0;
    const baselineAmplitudeUv = bN > 0 ? bMax - bMin : 0;
    let wMin = Infinity, wMax = -Infinity, dev = 0;
    for (let i = from; i < to; i++) {
      if (mask[i] === 1) continue;
      const v = epoch.filtered[off + i]!;
      if (v < wMin) wMin = v;
      if (v > wMax) wMax = v;
      dev = Math.max(dev, Math.abs(v - bMean));
    }
    const amplitudeUv = wMax >= wMin ? wMax - wMin : 0;
    const responded = amplitudeUv >= options.criterionUv && amplitudeUv >= options.baselineMultiple * baselineAmplitudeUv;
    let latencyMs: number | null = null;
    if (responded) {
      const level = Math.max(0.2 * dev, 4 * bSd);
      for (let i = from; i < to; i++) {
        if (mask[i] === 1) continue;
        if (Math.abs(epoch.filtered[off + i]! - bMean) > level) {
          latencyMs = ((i - onset) * 1000) / fs;
          break;
        }
      }
    }
    channels.push({ channel: c, amplitudeUv, baselineAmplitudeUv, latencyMs, responded });
  }
  const s = epoch.event.stimulation;
  return { target: s.target, onsetSample: epoch.event.sampleIndex, intensityMa: s.intensityMa, channels, responded: channels.some((c) => c.responded) };
}

/** ThresholdResult plus latency and amplitude at the target's threshold (from the strongest channel of the threshold pulse). */
export interface ThresholdEstimate extends ThresholdResult {
  readonly latencyMs: number | null;
  readonly amplitudeUv: number | null;
  readonly pulses: number;
}

export function targetKey(t: StimulationTarget): string {
  return `${rootKey(t)}#${t.rootlet ?? '-'}`;
}

/**
 * Lowest reproducible intensity (shared domain notes, "Stimulation": "stepped up until a reproducible
 * response appears"): the lowest intensity I at which a pulse responded and the next
 * `reproducibleCount - 1` pulses delivered at intensities >= I (in delivery order) responded too. A
 * response not yet confirmed by a later pulse gives no threshold yet.
 */
function lowestReproducible(pulses: readonly { ma: number; responded: boolean }[], reproducibleCount: number): number | null {
  let best: number | null = null;
  for (let k = 0; k < pulses.length; k++) {
    const p = pulses[k]!;
    if (!p.responded || (best !== null && p.ma >= best)) continue;
    let confirmed = 1;
    for (let j = k + 1; j < pulses.length && confirmed < reproducibleCount; j++) {
      const q = pulses[j]!;
      if (q.ma < p.ma) continue;
      if (!q.responded) break;
      confirmed++;
    }
    if (confirmed >= reproducibleCount) best = p.ma;
  }
  return best;
}

/**
 * Accumulates single-pulse responses per target and keeps thresholds up to date. Ventral and dorsal
 * roots are different targets (their key includes the root kind), so their thresholds stay apart.
 */
export class ThresholdTracker {
  private readonly byTarget = new Map<string, { target: StimulationTarget; pulses: PulseResponse[] }>();
  constructor(private readonly options: PulseResponseOptions = DEFAULT_PULSE_RESPONSE) {}

  /** Adds a pulse response; returns the target's updated threshold (null when the pulse has no target). */
  add(r: PulseResponse): ThresholdEstimate | null {
    if (!r.target) return null;
    const key = targetKey(r.target);
    let entry = this.byTarget.get(key);
    if (!entry) {
      entry = { target: r.target, pulses: [] };
      this.byTarget.set(key, entry);
    }
    entry.pulses.push(r);
    return this.estimate(entry.target, entry.pulses);
  }

  get(target: StimulationTarget): ThresholdEstimate | null {
    const e = this.byTarget.get(targetKey(target));
    return e ? this.estimate(e.target, e.pulses) : null;
  }

  all(): ThresholdEstimate[] {
    return [...this.byTarget.values()].map((e) => this.estimate(e.target, e.pulses));
  }

  private estimate(target: StimulationTarget, pulses: readonly PulseResponse[]): ThresholdEstimate {
    const k = this.options.reproducibleCount;
    const thresholdMa = lowestReproducible(pulses.map((p) => ({ ma: p.intensityMa, responded: p.responded })), k);
    const channelCount = pulses[0]?.channels.length ?? 0;
    const perChannel = Array.from({ length: channelCount }, (_, c) => {
      const series = pulses.map((p) => ({ ma: p.intensityMa, responded: p.channels[c]?.responded ?? false }));
      const t = lowestReproducible(series, k);
      const at = t === null ? undefined : pulses.find((p) => p.intensityMa === t && p.channels[c]?.responded);
      return {
        channel: c,
        thresholdMa: t,
        latencyMs: at?.channels[c]?.latencyMs ?? null,
        amplitudeUv: at ? at.channels[c]!.amplitudeUv : null,
      };
    });
    let latencyMs: number | null = null;
    let amplitudeUv: number | null = null;
    if (thresholdMa !== null) {
      const at = pulses.find((p) => p.intensityMa === thresholdMa && p.responded)!;
      const strongest = at.channels.filter((c) => c.responded).sort((a, b) => b.amplitudeUv - a.amplitudeUv)[0]!;
      latencyMs = strongest.latencyMs;
      amplitudeUv = strongest.amplitudeUv;
    }
    return { target, thresholdMa, perChannel, latencyMs, amplitudeUv, pulses: pulses.length };
  }
}
