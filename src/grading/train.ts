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
  ExclusionMaskBuilder,
  guardSamples,
  judgeAfterTrain,
  judgeTrain,
  pulseOffsets,
  removeCopy,
  type BinLayout,
  type TrainJudgement,
  type RawCheck,
  type SignalFeatures,
} from './features';
import { applyLockedArtifactFit, lockedArtifactFit, type LockedArtifactFit } from './artifact';
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
  let pulses: readonly number[];
  let tailMs: number;
  let filtered: Float32Array;
  let mask: Uint8Array;
  if (prep) {
    // only the part of the epoch the preparation has not advanced over is left
    const done = prep.finish(epoch);
    ({ pulses, tailMs } = prep);
    filtered = done.cleaned;
    mask = done.mask;
  } else {
    const part = trainPart(epoch, montage, opts);
    ({ pulses, tailMs } = part);
    filtered = part.cleaned;
    mask = exclusionMask(epoch, Math.max(opts.artifactGuardMs, tailMs));
  }
  if (tailMs > opts.artifactGuardMs) warnings.push(`stimulus artifact tails outlast the blanking: ${tailMs.toFixed(1)} ms more left out after each pulse`);
  const layout = binLayout(epoch, opts);
  const trainMs = (epoch.stimSamples / fs) * 1000;
  const channels = montage.channels;

  // A first look at the pre-stimulus window (cheap); channels that look dead there are judged on the whole epoch.
  const firstLook = prep?.firstLook ?? firstLookOf(epoch, montage, mask);
  const looksDead = firstLook.map((r, i) => channelState(r, firstLook.filter((_, j) => j !== i).map((o) => o.residualRmsUv), opts).state !== 'ok');
  const raw: RawCheck[] = channels.map((c, i) => {
    if (!looksDead[i]) return firstLook[i]!;
    // on the whole epoch: accumulated by the preparation as the samples became final when there is one
    const sums = prep?.deadSums(i);
    if (sums) return rawCheckOf(sums, epoch.raw, c.index * n, epoch.preSamples);
    return checkRaw(epoch.raw, c.index * n, n, mask, fs, epoch.preSamples);
  });
  const states = raw.map((r, i) => channelState(r, raw.filter((_, j) => j !== i).map((o) => o.residualRmsUv), opts));

  const features: (SignalFeatures | null)[] = channels.map((c, i) => {
    if (states[i]!.state !== 'ok') return null;
    // prepared: the train judged already, only the after-discharge test and what follows from it are left
    const known = prep?.knownBins(i);
    const judged = prep?.judgement(i);
    if (known && judged && known.length === layout.starts.length) return judgeAfterTrain(known.slice(), judged, layout, opts);
    return analyseSignal(filtered, c.index * n, layout, mask, pulses, trainMs, opts, known);
  });

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
      envelopeUv: f ? roundedBins(f.bins) : [],
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

/** Envelope bins for display: 0.01 uV, null where not finite. */
function roundedBins(bins: Float64Array): (number | null)[] {
  const out: (number | null)[] = [];
  for (let b = 0; b < bins.length; b++) {
    const v = bins[b]!;
    out.push(Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
  }
  return out;
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
  /** The filtered signal with the locked artifacts removed (scratch). */
  readonly cleaned: Float32Array;
}

/**
 * Pulses, pulse-locked artifact removal over the train's intervals and the artifact tail estimate: all
 * computed from samples before the train's end and the blanking up to the end of the last pulse's run.
 */
function trainPart(epoch: StimulusEpoch, montage: Montage, opts: TrainGradingOptions, owned = false): TrainPart {
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
 * Buffers of one prepared train, pooled across trains: `cleaned` is about the size of the epoch's filtered
 * signal (1.4 MB at 16 ch x 10 kHz over 2.2 s), which allocated per train costs page faults and, as external
 * memory, full garbage collections (see scratch.ts). A prepared train holds its set until released.
 */
interface PreparedBuffers {
  readonly cleaned: Float32Array;
  readonly mask: Uint8Array;
  readonly blankedSeen: Uint8Array;
  readonly gapSeen: Uint8Array;
}
const BUFFER_POOL: PreparedBuffers[] = [];
/** Buffer sets kept for reuse (SessionGrader holds a few prepared trains at most). */
const MAX_POOLED_BUFFERS = 6;

function acquireBuffers(values: number, samples: number): PreparedBuffers {
  for (let i = BUFFER_POOL.length - 1; i >= 0; i--) {
    const b = BUFFER_POOL[i]!;
    if (b.cleaned.length >= values && b.mask.length >= samples) {
      BUFFER_POOL.splice(i, 1);
      return b;
    }
  }
  // some headroom so slightly longer epochs reuse the set
  const v = Math.ceil(values * 1.25);
  const n = Math.ceil(samples * 1.25);
  return { cleaned: new Float32Array(v), mask: new Uint8Array(n), blankedSeen: new Uint8Array(n), gapSeen: new Uint8Array(n) };
}

/** Gap coverage of an epoch's head (matches), reused. */
let gapScratch = new Uint8Array(0);

/**
 * The train part of a train's grading, computed while its post-train window is still arriving, then
 * advanced over the post-train window as its samples become final (incremental two-phase grading: grade
 * latency counts from the window's last sample, and everything but the last block's share and the
 * decision is done by then). Opaque; give it to gradeTrain with the completed epoch.
 *
 * Prepared (prepareTrain) on samples [0, coveredSamples) of the epoch: the pre-stimulus window, the train,
 * and the train's last blanking run with the sample after it (pulse detection and the tail estimate read
 * the blanking up to there): pulses, the pulse-locked artifact fit, the artifact tail, the first raw look,
 * the envelope bins of the pre-stimulus window and the train. Advanced (advance, with each view the pipeline
 * shows as the epoch's final part grows; finally with the completed epoch in gradeTrain) over
 * [coveredSamples, n): the cleaned signal (the filtered signal with the fits subtracted, which changes the
 * train's intervals only), the exclusion mask, the post-train envelope bins as each bin's samples are
 * final, and the whole-epoch raw-check sums of channels that look dead at first look. Each of these is a
 * running sum or a per-sample or per-bin value computed in the same order as in one go, so the grade is
 * identical, byte for byte, to grading without preparation.
 *
 * gradeTrain uses it only for the same montage and options object, an epoch of the same stimulation event
 * (the object), start, lengths, rate and channel count, whose raw and filtered arrays are the very arrays it
 * was prepared and advanced on (the pipeline fills one epoch's arrays in place and never rewrites a final
 * sample; a restarted run starts new arrays), and whose blanking and gaps over the samples advanced over
 * are unchanged (a stimulation or gap that appeared there since); otherwise it is ignored and everything
 * is recomputed. `release()` gives its buffers back for the next train; it is then never used again.
 */
export class PreparedTrain {
  private buffers: PreparedBuffers | null;
  private readonly n: number;
  private readonly cleaned: Float32Array;
  private readonly blankedSeen: Uint8Array;
  private readonly gapSeen: Uint8Array;
  /** Samples [0, doneTo) of the cleaned signal, the mask, the dead channels' sums are done. */
  private doneTo: number;
  /** Bins [0, binsDone) of every montage channel are done. */
  private binsDone: number;

  private constructor(
    private readonly event: StimulationEvent,
    private readonly startSample: number,
    private readonly lengths: readonly [number, number, number, number, number],
    private readonly montage: Montage,
    private readonly opts: TrainGradingOptions,
    private readonly rawArray: Float32Array,
    private readonly filteredArray: Float32Array,
    /** Samples the train part covers, epoch-relative. */
    readonly coveredSamples: number,
    buffers: PreparedBuffers,
    /** Some gap covers a sample of [0, doneTo). */
    private gapsSeen: boolean,
    private readonly maskBuilder: ExclusionMaskBuilder,
    readonly offsets: readonly number[],
    readonly pulses: readonly number[],
    readonly locked: LockedArtifactFit | null,
    readonly tailMs: number,
    readonly firstLook: readonly RawCheck[],
    private readonly layout: BinLayout,
    /** Per montage channel: its envelope bins over the whole layout, [0, binsDone) done. */
    private readonly bins: readonly Float64Array[],
    /** Per montage channel: its train judged (judgeTrain), or null when that needs the post-train bins. */
    private readonly judgements: readonly (TrainJudgement | null)[],
    /** Per montage channel that looks dead at first look: its whole-epoch raw check's sums over [0, doneTo). */
    private readonly sums: readonly (Float64Array | null)[],
  ) {
    this.buffers = buffers;
    this.n = lengths[0] + lengths[1] + lengths[2];
    this.cleaned = buffers.cleaned.subarray(0, this.n * lengths[4]);
    this.blankedSeen = buffers.blankedSeen.subarray(0, this.n);
    this.gapSeen = buffers.gapSeen.subarray(0, this.n);
    this.doneTo = coveredSamples;
    this.binsDone = layout.postFirst;
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
    const buffers = acquireBuffers(n * epoch.channelCount, n);
    const maskBuilder = new ExclusionMaskBuilder(buffers.mask.subarray(0, n), guardSamples(Math.max(opts.artifactGuardMs, head.tailMs), epoch.sampleRateHz));
    maskBuilder.extend(epoch.blanked, covered);
    maskBuilder.addGaps(epoch.gaps, epoch.startSample, 0, covered);
    const mask = maskBuilder.mask;
    // The cleaned signal is exact over the covered samples (the fits change the train's intervals only).
    for (let c = 0; c < epoch.channelCount; c++) buffers.cleaned.set(head.cleaned.subarray(c * n, c * n + covered), c * n);
    buffers.blankedSeen.set(epoch.blanked.subarray(0, covered));
    const gapsSeen = markGaps(buffers.gapSeen, epoch, 0, covered);
    const firstLook = firstLookOf(epoch, montage, mask);
    const layout = binLayout(epoch, opts);
    const bins = montage.channels.map((c) => envelopeBinsFrom(buffers.cleaned, c.index * n, layout, mask, new Float64Array(layout.starts.length), 0, layout.postFirst));
    const trainMs = (epoch.stimSamples / epoch.sampleRateHz) * 1000;
    const judgements = montage.channels.map((c, k) => judgeTrain(buffers.cleaned, c.index * n, layout, mask, head.pulses, trainMs, opts, bins[k]!, false));
    const sums = firstLook.map((r, i) => {
      const dead = channelState(r, firstLook.filter((_, j) => j !== i).map((o) => o.residualRmsUv), opts).state !== 'ok';
      return dead && covered > Math.floor(epoch.sampleRateHz / 50) + 1 ? rawCheckSums(epoch.raw, montage.channels[i]!.index * n, 0, covered, mask, epoch.sampleRateHz, new Float64Array(7)) : null;
    });
    const p = new PreparedTrain(
      epoch.event, epoch.startSample, lengthsOf(epoch), montage, opts, epoch.raw, epoch.filtered, covered,
      buffers, gapsSeen, maskBuilder, head.offsets, head.pulses, head.locked, head.tailMs, firstLook, layout, bins, judgements, sums,
    );
    p.advanceBins();
    p.extendTo(epoch, final);
    return p;
  }

  /** Samples of the epoch advanced over (epoch-relative): everything before this is done. */
  get advancedSamples(): number {
    return this.doneTo;
  }

  /** Envelope bins of montage channel `i` known so far (the pre-stimulus window, the train, the post-train bins advanced over). */
  knownBins(i: number): Float64Array | undefined {
    return this.bins[i]?.subarray(0, this.binsDone);
  }

  /** Montage channel `i`'s train judged on the prepared part (judgeTrain), or null. */
  judgement(i: number): TrainJudgement | null {
    return this.judgements[i] ?? null;
  }

  /** Montage channel `i`'s whole-epoch raw-check sums so far (rawCheckSums over [0, advancedSamples)), or null when not kept. */
  deadSums(i: number): Float64Array | null {
    return this.sums[i] ?? null;
  }

  /**
   * Incremental phase: the epoch's final part has grown (PipelineConfig.onPostTrainProgress); the samples
   * [advancedSamples, view.finalSamples) are taken in. Returns false, doing nothing, when the view is not
   * of the epoch this was prepared on (another run's arrays: the preparation is stale).
   */
  advance(view: PartialEpoch): boolean {
    if (!this.sameRun(view)) return false;
    this.extendTo(view, Math.min(this.n, view.finalSamples));
    return true;
  }

  /** @internal gradeTrain, after matches: advances over the rest of the complete epoch; its cleaned signal and exclusion mask. */
  finish(epoch: StimulusEpoch): { readonly cleaned: Float32Array; readonly mask: Uint8Array } {
    if (this.buffers === null) throw new Error('prepared train used after release');
    this.extendTo(epoch, this.n);
    return { cleaned: this.cleaned, mask: this.maskBuilder.mask };
  }

  /** Gives the buffers back for another train; this is never used again (matches is false from now on). */
  release(): void {
    if (this.buffers === null) return;
    if (BUFFER_POOL.length < MAX_POOLED_BUFFERS) BUFFER_POOL.push(this.buffers);
    this.buffers = null;
  }

  /** Whether this was prepared on `epoch`'s train part as it is now (see the class comment). */
  matches(epoch: StimulusEpoch, montage: Montage, opts: TrainGradingOptions): boolean {
    if (montage !== this.montage || opts !== this.opts) return false;
    if (!this.sameRun(epoch)) return false;
    const k = this.doneTo;
    if (!sameBytes(epoch.blanked, this.blankedSeen, k)) return false;
    // no gap seen and none now (the usual case): nothing to compare
    if (!this.gapsSeen && !epoch.gaps.some((g) => g.startSample < this.startSample + k && g.startSample + g.lengthSamples > this.startSample)) return true;
    if (gapScratch.length < k) gapScratch = new Uint8Array(Math.ceil(k * 1.25));
    markGaps(gapScratch, epoch, 0, k);
    return sameBytes(gapScratch, this.gapSeen, k);
  }

  /** Same event, shape and arrays (not yet released). */
  private sameRun(epoch: StimulusEpoch): boolean {
    if (this.buffers === null) return false;
    if (epoch.event !== this.event || epoch.startSample !== this.startSample) return false;
    const l = lengthsOf(epoch);
    for (let i = 0; i < l.length; i++) if (l[i] !== this.lengths[i]) return false;
    return epoch.raw === this.rawArray && epoch.filtered === this.filteredArray && epoch.blanked.length >= this.n;
  }

  /** Takes in samples [doneTo, to) of `e` (final there): the blanking and gaps seen, mask, cleaned signal, dead channels' sums, bins. */
  private extendTo(e: StimulusEpoch, to: number): void {
    const a = this.doneTo;
    if (to <= a) return;
    const n = this.n;
    this.blankedSeen.set(e.blanked.subarray(a, to), a);
    if (markGaps(this.gapSeen, e, a, to)) this.gapsSeen = true;
    this.maskBuilder.extend(e.blanked, to);
    this.maskBuilder.addGaps(e.gaps, e.startSample, a, to);
    const channelCount = this.lengths[4];
    for (let c = 0; c < channelCount; c++) this.cleaned.set(e.filtered.subarray(c * n + a, c * n + to), c * n + a);
    const fs = this.lengths[3];
    const channels = this.montage.channels;
    for (let k = 0; k < channels.length; k++) {
      const s = this.sums[k];
      if (s) rawCheckSumsResume(e.raw, channels[k]!.index * n, a, to, this.maskBuilder.mask, fs, s);
    }
    this.doneTo = to;
    this.advanceBins();
  }

  /** The bins whose samples are all done. */
  private advanceBins(): void {
    const { starts, ends } = this.layout;
    const from = this.binsDone;
    let to = from;
    while (to < starts.length && ends[to]! <= this.doneTo) to++;
    if (to === from) return;
    const channels = this.montage.channels;
    for (let k = 0; k < channels.length; k++) envelopeBinsFrom(this.cleaned, channels[k]!.index * this.n, this.layout, this.maskBuilder.mask, this.bins[k]!, from, to);
    this.binsDone = to;
  }
}

function lengthsOf(e: StimulusEpoch): [number, number, number, number, number] {
  return [e.preSamples, e.stimSamples, e.postSamples, e.sampleRateHz, e.channelCount];
}

/** m[i] = 1 where a gap of the epoch covers sample i, else 0, for i in [from, to); whether any does. */
function markGaps(m: Uint8Array, epoch: StimulusEpoch, from: number, to: number): boolean {
  m.fill(0, from, to);
  let any = false;
  for (const g of epoch.gaps) {
    const a = Math.max(from, g.startSample - epoch.startSample);
    const z = Math.min(to, g.startSample + g.lengthSamples - epoch.startSample);
    for (let i = a; i < z; i++) m[i] = 1;
    if (z > a) any = true;
  }
  return any;
}

/** a[0, k) equals b[0, k), compared four bytes at a time where both are aligned (matches runs at completion). */
function sameBytes(a: Uint8Array, b: Uint8Array, k: number): boolean {
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = k >> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    for (let w = 0; w < words; w++) if (wa[w] !== wb[w]) return false;
    i = words << 2;
  }
  for (; i < k; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Phase one of two-phase grading: the train part of gradeTrain's work for a train epoch whose samples
 * [0, finalSamples) are final (see PreparedTrain), or null when that is not enough (or the epoch is not a
 * gradable train). Reads the epoch only during the call. Give the result to gradeTrain with the completed epoch.
 */
export function prepareTrain(epoch: PartialEpoch, config: TrainGraderConfig): PreparedTrain | null {
  return PreparedTrain.of(epoch, config);
}
