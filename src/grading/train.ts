import {
  channelName,
  PATTERNS,
  type ChannelEvidence,
  type ChannelState,
  type Montage,
  type SpreadRelation,
  type TrainGrade,
  type WaveformPattern,
} from '../domain';
import type { StimulusEpoch } from '../pipeline/epoch';
import { epochLength } from '../pipeline/epoch';
import {
  analyseSignal,
  artifactTailMs,
  binLayout,
  channelState,
  checkRaw,
  checkRawRange,
  correlation,
  exclusionMask,
  pulseOffsets,
  removeCopy,
  type RawCheck,
  type SignalFeatures,
} from './features';
import { removeLockedArtifacts } from './artifact';
import { GradingScratch } from './scratch';
import { DEFAULT_TRAIN_GRADING, type TrainGradingOptions } from './options';
import { spreadGrade, spreadRelation } from './spread';
import { PHILLIPS_PARK_RULES, suggest, type SuggestionRules } from './suggestion';

/** ChannelEvidence plus the envelope the grade was judged on, for display and reports. */
export interface ChannelAnalysis extends ChannelEvidence {
  /** Level a bin had to exceed to count as "clearly above baseline", uV. */
  readonly thresholdUv: number;
  /** Mean envelope excess over baseline during the train, uV (orders responders). */
  readonly strengthUv: number;
  /** Envelope bins over the whole epoch, uV (null where the bin was blanked out). */
  readonly envelopeUv: readonly (number | null)[];
  readonly binMs: number;
  /** Time of the first envelope bin relative to the first pulse, ms. */
  readonly firstBinOffsetMs: number;
  /** The stronger channel this one copies (crosstalk), if any. */
  readonly crosstalkFrom: string | null;
}

export interface GradedTrain extends TrainGrade {
  readonly channels: readonly ChannelAnalysis[];
}

export interface TrainGraderConfig {
  readonly montage: Montage;
  readonly options?: TrainGradingOptions;
  readonly rules?: SuggestionRules;
}

const rank = (p: WaveformPattern): number => PATTERNS.indexOf(p);

/**
 * Work buffers reused from train to train (grade latency: no per-sample allocation per train). Grading
 * is synchronous and never re-entered, and nothing in a GradedTrain points into it.
 */
const SCRATCH = new GradingScratch();
/** Scratch slot of the crosstalk residual (see scratch.ts). */
const F64_COPY_RESIDUAL = 12;

/**
 * Grades one train (shared domain notes, "Grading"): per channel, dead / mains-only / saturated
 * channels are flagged and excluded; live channels are judged on their envelope against their own
 * pre-stimulus baseline (see analyseSignal); a responder that is a zero-lag scaled copy of a stronger
 * responder (correlation >= crosstalkMinCorrelation and nothing left once the copy is removed) is
 * crosstalk, not a response. The spread grade is the worst relation over sustained responders
 * (Phillips & Park); the train's pattern is the most abnormal pattern among the sustained responders
 * at least `patternMinStrengthFraction` as strong as the strongest (weak channels' patterns are
 * noisy, and must not outvote the clear ones); the suggestion comes from the configured rules.
 * Pure and deterministic.
 */
export function gradeTrain(epoch: StimulusEpoch, config: TrainGraderConfig): GradedTrain {
  const opts = config.options ?? DEFAULT_TRAIN_GRADING;
  const rules = config.rules ?? PHILLIPS_PARK_RULES;
  const { montage } = config;
  const stim = epoch.event.stimulation;
  const target = stim.target;
  if (!target) throw new RangeError('a train without a target root cannot be graded for spread');
  if (montage.channels.length > epoch.channelCount) {
    throw new RangeError(`montage has ${montage.channels.length} channels but the recording has ${epoch.channelCount}`);
  }
  const warnings: string[] = [];
  if (epoch.channelCount > montage.channels.length) warnings.push(`${epoch.channelCount - montage.channels.length} recorded channels are not in the montage and were not graded`);
  if (epoch.gaps.length > 0) warnings.push(`data gaps in this train (${epoch.gaps.reduce((s, g) => s + g.lengthSamples, 0)} samples missing): grade with caution`);
  const n = epochLength(epoch);
  const fs = epoch.sampleRateHz;
  const pulses = pulseOffsets(epoch);
  // Pulse-locked artifact leftovers (tails, DC steps, filter ringing) out of the train before anything is judged.
  const offsets = montage.channels.map((c) => c.index * n);
  const locked = removeLockedArtifacts(epoch.filtered, offsets, pulses, epoch.preSamples + epoch.stimSamples, exclusionMask(epoch, 0), fs, opts.artifactGuardMs, SCRATCH);
  const filtered = locked.cleaned;
  const tailMs = artifactTailMs({ ...epoch, filtered }, offsets, pulses, undefined, SCRATCH);
  const guardMs = Math.max(opts.artifactGuardMs, tailMs);
  if (tailMs > opts.artifactGuardMs) warnings.push(`stimulus artifact tails outlast the blanking: ${tailMs.toFixed(1)} ms more left out after each pulse`);
  const mask = exclusionMask(epoch, guardMs);
  const layout = binLayout(epoch, opts);
  const trainMs = (epoch.stimSamples / fs) * 1000;
  const channels = montage.channels;

  // A first look at the pre-stimulus window (cheap); channels that look dead there are judged on the whole epoch.
  const preLook = Math.max(epoch.preSamples, Math.min(n, Math.round(0.1 * fs)));
  const firstLook: RawCheck[] = channels.map((c) => checkRawRange(epoch.raw, c.index * n, 0, preLook, mask, fs, epoch.preSamples));
  const looksDead = firstLook.map((r, i) => channelState(r, firstLook.filter((_, j) => j !== i).map((o) => o.residualRmsUv), opts).state !== 'ok');
  const raw: RawCheck[] = channels.map((c, i) => (looksDead[i] ? checkRaw(epoch.raw, c.index * n, n, mask, fs, epoch.preSamples) : firstLook[i]!));
  const states = raw.map((r, i) => channelState(r, raw.filter((_, j) => j !== i).map((o) => o.residualRmsUv), opts));

  const features: (SignalFeatures | null)[] = channels.map((c, i) =>
    states[i]!.state === 'ok' ? analyseSignal(filtered, c.index * n, layout, mask, pulses, trainMs, opts) : null,
  );

  // Crosstalk: strongest responders first; each weaker responder is compared with the genuine stronger ones.
  const crosstalkFrom: (string | null)[] = channels.map(() => null);
  const extraNotes: string[][] = channels.map(() => []);
  const order = channels
    .map((_, i) => i)
    .filter((i) => features[i]?.responding)
    .sort((a, b) => features[b]!.strengthUv - features[a]!.strengthUv || a - b);
  const genuine: number[] = [];
  const trainFrom = epoch.preSamples;
  const trainTo = epoch.preSamples + epoch.stimSamples;
  for (const i of order) {
    let bestJ = -1;
    let bestR = 0;
    for (const j of genuine) {
      const r = correlation(filtered, channels[i]!.index * n, filtered, channels[j]!.index * n, trainFrom, trainTo, mask);
      if (Math.abs(r) > Math.abs(bestR)) {
        bestR = r;
        bestJ = j;
      }
    }
    if (bestJ >= 0 && Math.abs(bestR) >= opts.crosstalkMinCorrelation) {
      const { residual, gain } = removeCopy(filtered, channels[i]!.index * n, filtered, channels[bestJ]!.index * n, n, trainFrom, n, mask, SCRATCH.f64(F64_COPY_RESIDUAL, n));
      const own = analyseSignal(residual, 0, layout, mask, pulses, trainMs, opts);
      const src = channelName(channels[bestJ]!);
      if (!own.responding) {
        crosstalkFrom[i] = src;
        extraNotes[i]!.push(`crosstalk: zero-lag copy of ${src} (r = ${bestR.toFixed(2)}, gain ${gain.toFixed(2)}); nothing of its own once removed`);
        features[i] = { ...features[i]!, responding: false, sustained: false, pattern: 'none' };
        continue;
      }
      extraNotes[i]!.push(`correlated with ${src} (r = ${bestR.toFixed(2)}); judged on what remains once that copy is removed`);
      features[i] = own;
    }
    genuine.push(i);
  }

  const evidence: ChannelAnalysis[] = channels.map((c, i) => {
    const f = features[i];
    const st: ChannelState = states[i]!.state;
    const notes = [...(states[i]!.note ? [states[i]!.note!] : []), ...extraNotes[i]!, ...(f ? f.notes : [])];
    const rel = f?.responding ? spreadRelation(c, target.level, target.side) : null;
    return {
      channel: c.index,
      side: c.side,
      muscle: c.muscle,
      state: st,
      baselineUv: f?.baselineUv ?? 0,
      trainMedianUv: f?.trainMedianUv ?? 0,
      peakUv: f?.peakUv ?? 0,
      fractionAbove: f?.fractionAbove ?? 0,
      lateEarlyRatio: f?.lateEarlyRatio ?? 1,
      afterDischarge: f?.afterDischarge ?? false,
      responding: f?.responding ?? false,
      sustained: f?.sustained ?? false,
      pattern: f?.pattern ?? 'none',
      relation: rel ? rel.relation : null,
      nearestRoot: rel ? rel.nearestRoot : null,
      notes,
      thresholdUv: f?.thresholdUv ?? 0,
      strengthUv: f?.strengthUv ?? 0,
      envelopeUv: f ? Array.from(f.bins, (v) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null)) : [],
      binMs: layout.binMs,
      firstBinOffsetMs: layout.firstBinOffsetMs,
      crosstalkFrom: crosstalkFrom[i]!,
    };
  });
  for (const e of evidence) if (e.state !== 'ok') warnings.push(`${channelName(e)}: ${e.notes[0] ?? e.state}`);

  const sustained = evidence.filter((e) => e.sustained).sort((a, b) => b.strengthUv - a.strengthUv || a.channel - b.channel);
  const relations: SpreadRelation[] = sustained.map((e) => e.relation!).filter((r) => r !== null);
  const grade = spreadGrade(relations);
  let pattern: WaveformPattern = 'none';
  const strongest = sustained[0]?.strengthUv ?? 0;
  for (const e of sustained) {
    if (e.strengthUv >= opts.patternMinStrengthFraction * strongest && rank(e.pattern) > rank(pattern)) pattern = e.pattern;
  }
  const s = suggest(rules, {
    level: target.level,
    kind: target.kind,
    grade,
    pattern,
    responders: sustained.map((e) => ({ muscle: e.muscle, relation: e.relation! })),
  });
  if (stim.mode !== 'train') warnings.push('graded a single pulse as a train');
  return {
    target,
    onsetSample: epoch.event.sampleIndex,
    onsetS: epoch.event.sampleIndex / fs,
    intensityMa: stim.intensityMa,
    grade,
    pattern,
    responding: sustained.map((e) => channelName(e)),
    suggestion: s.suggestion,
    suggestionReason: s.reason,
    channels: evidence,
    warnings,
  };
}
