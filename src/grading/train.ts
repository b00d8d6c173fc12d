import {
  channelName,
  PATTERNS,
  type ChannelEvidence,
  type ChannelState,
  type Montage,
  type SpreadRelation,
  type StimulationEvent,
  type TrainGrade,
  type WaveformPattern,
} from '../domain';
import type { PartialEpoch, StimulusEpoch } from '../pipeline/epoch';
import { epochLength } from '../pipeline/epoch';
import {
  analyseSignal,
  artifactTailMs,
  binLayout,
  channelState,
  checkRaw,
  checkRawRange,
  correlation,
  rawCheckOf,
  rawCheckSums,
  rawCheckSumsResume,
  envelopeBinsFrom,
  exclusionMask,
  pulseOffsets,
  removeCopy,
  type RawCheck,
  type SignalFeatures,
} from './features';
import { applyLockedArtifactFit, cleanedCopy, lockedArtifactFit, type LockedArtifactFit } from './artifact';
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
 *
 * `prepared` (prepareTrain of this epoch while its post-train window was still arriving) supplies the
 * part of the work that depends only on the pre-stimulus window and the train: used only when it
 * matches the epoch (see prepareTrain), and the result is then identical, byte for byte, to grading
 * without it.
 */
export function gradeTrain(epoch: StimulusEpoch, config: TrainGraderConfig, prepared?: PreparedTrain | null): GradedTrain {
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
  const prep = prepared && prepared.matches(epoch, montage, opts) ? prepared : null;
  let head: TrainPart;
  let filtered: Float32Array;
  if (prep) {
    head = prep;
    filtered = prep.cleanedSignal(epoch.filtered);
  } else {
    const part = trainPart(epoch, montage, opts);
    head = part;
    filtered = part.cleaned;
  }
  const { pulses, tailMs } = head;
  const guardMs = Math.max(opts.artifactGuardMs, tailMs);
  if (tailMs > opts.artifactGuardMs) warnings.push(`stimulus artifact tails outlast the blanking: ${tailMs.toFixed(1)} ms more left out after each pulse`);
  const mask = exclusionMask(epoch, guardMs);
  const layout = binLayout(epoch, opts);
  const trainMs = (epoch.stimSamples / fs) * 1000;
  const channels = montage.channels;

  // A first look at the pre-stimulus window (cheap); channels that look dead there are judged on the whole epoch.
  const firstLook = head.firstLook ?? firstLookOf(epoch, montage, mask);
  const looksDead = firstLook.map((r, i) => channelState(r, firstLook.filter((_, j) => j !== i).map((o) => o.residualRmsUv), opts).state !== 'ok');
  const raw: RawCheck[] = channels.map((c, i) => {
    if (!looksDead[i]) return firstLook[i]!;
    // on the whole epoch: continued from the prepared part when there is one
    const sums = prep?.deadSums[i];
    if (prep && sums) return rawCheckOf(rawCheckSumsResume(epoch.raw, c.index * n, prep.coveredSamples, n, mask, fs, sums.slice()), epoch.raw, c.index * n, epoch.preSamples);
    return checkRaw(epoch.raw, c.index * n, n, mask, fs, epoch.preSamples);
  });
  const states = raw.map((r, i) => channelState(r, raw.filter((_, j) => j !== i).map((o) => o.residualRmsUv), opts));

  const features: (SignalFeatures | null)[] = channels.map((c, i) =>
    states[i]!.state === 'ok' ? analyseSignal(filtered, c.index * n, layout, mask, pulses, trainMs, opts, prep?.trainBins[i]) : null,
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

/** The pre-stimulus window the first raw look covers (gradeTrain), epoch-relative end. */
function preLookEnd(epoch: StimulusEpoch): number {
  return Math.max(epoch.preSamples, Math.min(epochLength(epoch), Math.round(0.1 * epoch.sampleRateHz)));
}

function firstLookOf(epoch: StimulusEpoch, montage: Montage, mask: Uint8Array): RawCheck[] {
  const n = epochLength(epoch);
  const preLook = preLookEnd(epoch);
  return montage.channels.map((c) => checkRawRange(epoch.raw, c.index * n, 0, preLook, mask, epoch.sampleRateHz, epoch.preSamples));
}

/** What grading computes from the pre-stimulus window and the train only. */
interface TrainPart {
  readonly offsets: readonly number[];
  readonly pulses: readonly number[];
  readonly locked: LockedArtifactFit | null;
  readonly tailMs: number;
  /** The filtered signal with the locked artifacts removed (scratch); only when computed for grading at once. */
  readonly cleaned?: Float32Array;
  /** checkRawRange of each montage channel over the first look (prepared only). */
  readonly firstLook?: readonly RawCheck[];
}

/**
 * Pulses, pulse-locked artifact removal over the train's intervals and the artifact tail estimate: all
 * computed from samples before the train's end and the blanking up to the end of the last pulse's run.
 */
function trainPart(epoch: StimulusEpoch, montage: Montage, opts: TrainGradingOptions, owned = false): TrainPart & { readonly cleaned: Float32Array } {
  const n = epochLength(epoch);
  const pulses = pulseOffsets(epoch);
  // Pulse-locked artifact leftovers (tails, DC steps, filter ringing) out of the train before anything is judged.
  const offsets = montage.channels.map((c) => c.index * n);
  const locked = lockedArtifactFit(epoch.filtered, offsets, pulses, epoch.preSamples + epoch.stimSamples, exclusionMask(epoch, 0), epoch.sampleRateHz, opts.artifactGuardMs, SCRATCH, owned);
  const cleaned = applyLockedArtifactFit(epoch.filtered, offsets, locked, SCRATCH);
  const tailMs = artifactTailMs({ ...epoch, filtered: cleaned }, offsets, pulses, undefined, SCRATCH);
  return { offsets, pulses, locked, tailMs, cleaned };
}

/**
 * The train part of a train's grading, computed while its post-train window is still arriving (two-phase
 * grading: grade latency counts from the window's last sample, and the train part is final about the
 * post-train window earlier). Opaque; give it to gradeTrain with the completed epoch.
 *
 * Covers samples [0, coveredSamples) of the epoch: the pre-stimulus window, the train, and the train's
 * last blanking run with the sample after it (pulse detection and the tail estimate read the blanking up
 * to there). gradeTrain uses it only for the same montage and options object, an epoch of the same
 * stimulation event (the object), start, lengths, rate and channel count, whose raw and filtered arrays are the very
 * arrays it was prepared on (the pipeline fills one epoch's arrays in place and never rewrites a final
 * sample; a restarted run starts new arrays), and whose blanking and gaps over the covered samples are
 * unchanged (a stimulation or gap that appeared there since); otherwise it is ignored and everything is
 * recomputed.
 */
export class PreparedTrain {
  private constructor(
    private readonly event: StimulationEvent,
    private readonly startSample: number,
    private readonly lengths: readonly [number, number, number, number, number],
    private readonly montage: Montage,
    private readonly opts: TrainGradingOptions,
    private readonly rawArray: Float32Array,
    private readonly filteredArray: Float32Array,
    /** Samples covered, epoch-relative. */
    readonly coveredSamples: number,
    private readonly blankedHead: Uint8Array,
    private readonly gapHead: Uint8Array,
    readonly offsets: readonly number[],
    readonly pulses: readonly number[],
    readonly locked: LockedArtifactFit | null,
    readonly tailMs: number,
    readonly firstLook: readonly RawCheck[],
    /** Per montage channel: envelope bins of the pre-stimulus window and the train (bins [0, postFirst)). */
    readonly trainBins: readonly Float64Array[],
    /** Per montage channel that looks dead at first look: its whole-epoch raw check's sums over the covered samples. */
    readonly deadSums: readonly (Float64Array | null)[],
    /** The cleaned signal (artifact fits subtracted) of each montage channel over [cleanFrom, trainEnd), channel after channel. */
    private readonly cleanedTrain: Float32Array | null,
    private readonly cleanFrom: number,
  ) {}

  /** The epoch's filtered signal with the locked artifacts removed (the scratch pool), as gradeTrain computes it. */
  cleanedSignal(filtered: Float32Array): Float32Array {
    const out = cleanedCopy(filtered, SCRATCH);
    const c = this.cleanedTrain;
    if (c === null) return out;
    const w = this.lengths[0] + this.lengths[1] - this.cleanFrom;
    for (let k = 0; k < this.offsets.length; k++) out.set(c.subarray(k * w, (k + 1) * w), this.offsets[k]! + this.cleanFrom);
    return out;
  }

  /** @internal see prepareTrain */
  static of(epoch: PartialEpoch, config: TrainGraderConfig): PreparedTrain | null {
    const opts = config.options ?? DEFAULT_TRAIN_GRADING;
    const { montage } = config;
    const stim = epoch.event.stimulation;
    if (stim.mode !== 'train' || !stim.target || montage.channels.length > epoch.channelCount) return null;
    const n = epochLength(epoch);
    const trainEnd = epoch.preSamples + epoch.stimSamples;
    const final = Math.min(n, epoch.finalSamples);
    if (epoch.raw.length !== n * epoch.channelCount || epoch.filtered.length !== n * epoch.channelCount || epoch.blanked.length !== n) return null;
    // The blanking run holding the train's end (if any) must have ended within the final samples.
    let z = trainEnd;
    while (z < final && epoch.blanked[z] === 1) z++;
    const covered = Math.max(z + 1, trainEnd, preLookEnd(epoch));
    if (covered > final) return null;
    const head = trainPart(epoch, montage, opts, true);
    const guardMs = Math.max(opts.artifactGuardMs, head.tailMs);
    const mask = exclusionMask(epoch, guardMs);
    const firstLook = firstLookOf(epoch, montage, mask);
    const layout = binLayout(epoch, opts);
    const trainBins = montage.channels.map((c) => envelopeBinsFrom(head.cleaned, c.index * n, layout, mask, new Float64Array(layout.postFirst), 0));
    const deadSums = firstLook.map((r, i) => {
      const dead = channelState(r, firstLook.filter((_, j) => j !== i).map((o) => o.residualRmsUv), opts).state !== 'ok';
      return dead && covered > Math.floor(epoch.sampleRateHz / 50) + 1 ? rawCheckSums(epoch.raw, montage.channels[i]!.index * n, 0, covered, mask, epoch.sampleRateHz, new Float64Array(7)) : null;
    });
    // The fits change the train's intervals only (from the first pulse on): that part of the cleaned signal is kept.
    const cleanFrom = head.locked ? head.pulses[0]! : trainEnd;
    let cleanedTrain: Float32Array | null = null;
    if (head.locked) {
      const w = trainEnd - cleanFrom;
      cleanedTrain = new Float32Array(w * head.offsets.length);
      head.offsets.forEach((off, k) => cleanedTrain!.set(head.cleaned.subarray(off + cleanFrom, off + trainEnd), k * w));
    }
    return new PreparedTrain(
      epoch.event, epoch.startSample, lengthsOf(epoch), montage, opts, epoch.raw, epoch.filtered, covered,
      epoch.blanked.slice(0, covered), gapMask(epoch, covered), head.offsets, head.pulses, head.locked, head.tailMs, firstLook, trainBins, deadSums, cleanedTrain, cleanFrom,
    );
  }

  /** Whether this was prepared on `epoch`'s train part as it is now (see the class comment). */
  matches(epoch: StimulusEpoch, montage: Montage, opts: TrainGradingOptions): boolean {
    if (montage !== this.montage || opts !== this.opts) return false;
    if (epoch.event !== this.event || epoch.startSample !== this.startSample) return false;
    const l = lengthsOf(epoch);
    for (let i = 0; i < l.length; i++) if (l[i] !== this.lengths[i]) return false;
    if (epoch.raw !== this.rawArray || epoch.filtered !== this.filteredArray) return false;
    const k = this.coveredSamples;
    if (epoch.blanked.length < k) return false;
    for (let i = 0; i < k; i++) if (epoch.blanked[i] !== this.blankedHead[i]) return false;
    const g = gapMask(epoch, k);
    for (let i = 0; i < k; i++) if (g[i] !== this.gapHead[i]) return false;
    return true;
  }
}

function lengthsOf(e: StimulusEpoch): [number, number, number, number, number] {
  return [e.preSamples, e.stimSamples, e.postSamples, e.sampleRateHz, e.channelCount];
}

/** 1 where a gap of the epoch covers sample i, for i in [0, k). */
function gapMask(epoch: StimulusEpoch, k: number): Uint8Array {
  const m = new Uint8Array(k);
  for (const g of epoch.gaps) {
    const a = Math.max(0, g.startSample - epoch.startSample);
    const z = Math.min(k, g.startSample + g.lengthSamples - epoch.startSample);
    for (let i = a; i < z; i++) m[i] = 1;
  }
  return m;
}

/**
 * Phase one of two-phase grading: the train part of gradeTrain's work for a train epoch whose samples
 * [0, finalSamples) are final (see PreparedTrain), or null when that is not enough (or the epoch is not a
 * gradable train). Reads the epoch only during the call. Give the result to gradeTrain with the completed epoch.
 */
export function prepareTrain(epoch: PartialEpoch, config: TrainGraderConfig): PreparedTrain | null {
  return PreparedTrain.of(epoch, config);
}
