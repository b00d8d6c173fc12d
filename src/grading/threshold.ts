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
 *
 * Kept as a running summary, in bounded memory whatever the session length: once confirmed, a candidate
 * stays confirmed (later pulses never change the pulses that confirmed it), so only the lowest confirmed
 * intensity and the responses still waiting for confirmation are kept. Pending candidates at or above the
 * confirmed intensity can no longer lower it and are dropped; at most `MAX_PENDING` are kept (the
 * lowest intensities win; a session would need that many unconfirmed responses at decreasing intensities).
 */
const MAX_PENDING = 64;

class ReproducibleThreshold {
  best: number | null = null;
  /** Pending candidates: intensity and how many pulses at >= it responded so far (itself included). */
  private readonly ma = new Float64Array(MAX_PENDING);
  private readonly confirmed = new Uint16Array(MAX_PENDING);
  private n = 0;

  add(ma: number, responded: boolean, reproducibleCount: number): void {
    let w = 0;
    for (let i = 0; i < this.n; i++) {
      const pm = this.ma[i]!;
      let count = this.confirmed[i]!;
      if (ma >= pm) {
        if (!responded) continue; // broken: a pulse at >= its intensity did not respond
        count++;
        if (count >= reproducibleCount) {
          if (this.best === null || pm < this.best) this.best = pm;
          continue;
        }
      }
      this.ma[w] = pm;
      this.confirmed[w] = count;
      w++;
    }
    this.n = w;
    if (responded) {
      if (reproducibleCount <= 1) {
        if (this.best === null || ma < this.best) this.best = ma;
      } else if (this.n < MAX_PENDING) {
        this.ma[this.n] = ma;
        this.confirmed[this.n] = 1;
        this.n++;
      } else {
        // full: replace the highest pending intensity if this one is lower
        let hi = 0;
        for (let i = 1; i < this.n; i++) if (this.ma[i]! > this.ma[hi]!) hi = i;
        if (ma < this.ma[hi]!) {
          this.ma[hi] = ma;
          this.confirmed[hi] = 1;
        }
      }
    }
    if (this.best !== null) {
      const b = this.best;
      let k = 0;
      for (let i = 0; i < this.n; i++) {
        if (this.ma[i]! >= b) continue;
        this.ma[k] = this.ma[i]!;
        this.confirmed[k] = this.confirmed[i]!;
        k++;
      }
      this.n = k;
    }
  }
}

/** First responses at one intensity: per channel, the first pulse at that intensity that responded on it; and the first pulse that responded at all. */
interface AtIntensity {
  readonly ma: number;
  /** Per channel latency (NaN = null) and amplitude of its first response at this intensity; amplitude NaN = none yet. */
  readonly latencyMs: Float64Array;
  readonly amplitudeUv: Float64Array;
  /** Strongest channel of the first pulse at this intensity that responded (null: none yet). */
  first: { latencyMs: number | null; amplitudeUv: number } | null;
}

/** Distinct intensities remembered per target (a ramp has about 5-15; the oldest are forgotten beyond this). */
const MAX_INTENSITIES = 128;

interface TargetState {
  readonly target: StimulationTarget;
  readonly channelCount: number;
  pulses: number;
  readonly any: ReproducibleThreshold;
  readonly perChannel: ReproducibleThreshold[];
  /** Only intensities at which something responded. */
  readonly at: Map<number, AtIntensity>;
}

/**
 * Accumulates single-pulse responses per target and keeps thresholds up to date. Ventral and dorsal
 * roots are different targets (their key includes the root kind), so their thresholds stay apart.
 * Memory per target is bounded (running threshold summaries, the first responses per intensity), so a
 * 4-5 hour case with hundreds of pulses keeps a flat footprint, and each pulse costs O(channels).
 */
export class ThresholdTracker {
  private readonly byTarget = new Map<string, TargetState>();
  constructor(private readonly options: PulseResponseOptions = DEFAULT_PULSE_RESPONSE) {}

  /** Adds a pulse response; returns the target's updated threshold (null when the pulse has no target). */
  add(r: PulseResponse): ThresholdEstimate | null {
    if (!r.target) return null;
    const key = targetKey(r.target);
    let st = this.byTarget.get(key);
    if (!st) {
      const channelCount = r.channels.length;
      st = {
        target: r.target,
        channelCount,
        pulses: 0,
        any: new ReproducibleThreshold(),
        perChannel: Array.from({ length: channelCount }, () => new ReproducibleThreshold()),
        at: new Map(),
      };
      this.byTarget.set(key, st);
    }
    const k = this.options.reproducibleCount;
    st.pulses++;
    st.any.add(r.intensityMa, r.responded, k);
    for (let c = 0; c < st.channelCount; c++) st.perChannel[c]!.add(r.intensityMa, r.channels[c]?.responded ?? false, k);
    if (r.responded) {
      let at = st.at.get(r.intensityMa);
      if (!at) {
        if (st.at.size >= MAX_INTENSITIES) st.at.delete(st.at.keys().next().value!);
        at = { ma: r.intensityMa, latencyMs: new Float64Array(st.channelCount).fill(Number.NaN), amplitudeUv: new Float64Array(st.channelCount).fill(Number.NaN), first: null };
        st.at.set(r.intensityMa, at);
      }
      for (let c = 0; c < st.channelCount; c++) {
        const ch = r.channels[c];
        if (!ch?.responded || !Number.isNaN(at.amplitudeUv[c]!)) continue;
        at.amplitudeUv[c] = ch.amplitudeUv;
        at.latencyMs[c] = ch.latencyMs ?? Number.NaN;
      }
      if (at.first === null) {
        const strongest = r.channels.filter((c) => c.responded).sort((a, b) => b.amplitudeUv - a.amplitudeUv)[0]!;
        at.first = { latencyMs: strongest.latencyMs, amplitudeUv: strongest.amplitudeUv };
      }
    }
    return this.estimate(st);
  }

  get(target: StimulationTarget): ThresholdEstimate | null {
    const e = this.byTarget.get(targetKey(target));
    return e ? this.estimate(e) : null;
  }

  all(): ThresholdEstimate[] {
    return [...this.byTarget.values()].map((e) => this.estimate(e));
  }

  private estimate(st: TargetState): ThresholdEstimate {
    const thresholdMa = st.any.best;
    const perChannel = st.perChannel.map((t, c) => {
      const at = t.best === null ? undefined : st.at.get(t.best);
      const amp = at ? at.amplitudeUv[c]! : Number.NaN;
      const found = !Number.isNaN(amp);
      const lat = found ? at!.latencyMs[c]! : Number.NaN;
      return {
        channel: c,
        thresholdMa: t.best,
        latencyMs: found && !Number.isNaN(lat) ? lat : null,
        amplitudeUv: found ? amp : null,
      };
    });
    let latencyMs: number | null = null;
    let amplitudeUv: number | null = null;
    if (thresholdMa !== null) {
      const first = st.at.get(thresholdMa)?.first;
      if (first) {
        latencyMs = first.latencyMs;
        amplitudeUv = first.amplitudeUv;
      }
    }
    return { target: st.target, thresholdMa, perChannel, latencyMs, amplitudeUv, pulses: st.pulses };
  }
}
