import { DomainError, pulseCount, type SampleBlock, type SampleGap, type StimulationEvent } from '../domain';
import { HumFill } from './hum-fill';
import { blankWindowSamples, interpolateMasked, lastBlankedSample, markPulses, type BlankWindowSamples } from './blanking';
import { DisplayDecimator, type DisplayFrame } from './display';
import { EnvelopeStage } from './envelope';
import type { PartialEpoch, StimulusEpoch } from './epoch';
import { SampleRing } from './ring';
import { extendBlankingOverSaturation } from './saturation';
import { microvoltsPerUnit, type InputUnit } from './scale';
import { resolvePipelineSettings, type PipelineSettings, type PipelineSettingsInput } from './settings';
import { designFilterChain, SosFilter, type ResolvedFilter } from './sos-filter';
import { PipelineConfigError, requireChannelCount, requireSampleRateHz } from './stage';

/** When an epoch became complete and when it was emitted, by the injected clock (ms). */
export interface EpochTiming {
  /**
   * Arrival time of the input that made the epoch emittable: the block (or gap) that completed its window
   * plus the event lag ('lagging'), or the block or confirmation, whichever came last, that completed its
   * window and confirmed its stimulations ('confirmed'); the flush for an epoch emitted by flush.
   */
  readonly completedAtMs: number;
  /**
   * Arrival time of the block (or gap) holding the last sample of the epoch's window (of the flush when the
   * window never completed; of the latest block when the stimulation was pushed after its window had
   * arrived). Grade latency counts from here: in 'confirmed' mode it is normally `completedAtMs`; in
   * 'lagging' mode the event lag earlier.
   */
  readonly windowCompletedAtMs: number;
  readonly emittedAtMs: number;
}

/**
 * How a source reports stimulations (see createPipeline):
 * - 'lagging': a report may arrive up to `settings.epoch.eventLagMs` after the samples of its first pulse,
 *   so every epoch is held that long past its window's end;
 * - 'confirmed': the source sends each stimulation before the samples of its first pulse and says how far
 *   its reports are complete (`Pipeline.confirmStimulationsTo`); an epoch is emitted as soon as its window
 *   has arrived and the confirmation covers every pulse whose blanking could reach into it.
 */
export type StimulationReports = 'lagging' | 'confirmed';

export const STIMULATION_REPORTS: readonly StimulationReports[] = ['lagging', 'confirmed'];

export interface PipelineConfig {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  /** Unit of incoming block samples; required (no silent uV default). */
  readonly unit: InputUnit;
  readonly settings?: PipelineSettingsInput;
  /** How the source reports stimulations; default 'lagging' (any source). */
  readonly stimulationReports?: StimulationReports;
  /** Clock for latency measurement, ms; defaults to performance.now. */
  readonly now?: () => number;
  readonly onEpoch?: (epoch: StimulusEpoch, timing: EpochTiming) => void;
  /**
   * Called once per train epoch, during the input that advances the epoch's run past the end of the
   * train (and of the blanking run there) before the epoch is complete: `view.finalSamples` (beyond the
   * train's end) samples of the epoch are final, i.e. exactly as the emitted epoch will have them. The
   * view shares the run's arrays, which the emitted epoch will be, and is valid only during the call.
   * Not called for an epoch whose window completes in the same input. For two-phase grading
   * (SessionGrader.prepare): the train part is graded about the post-train window before the epoch.
   */
  readonly onTrainPartFinal?: (view: PartialEpoch) => void;
  /**
   * Called after onTrainPartFinal for the same train epoch each time an input extends the final part of
   * that epoch further while the epoch is still incomplete (about once per block, by the samples no
   * stimulation still to come can blank): `view.finalSamples` grows from call to call; the view is as
   * onTrainPartFinal's (the run's arrays, valid only during the call). Not called for the input that
   * completes the epoch (the epoch is emitted then). For incremental two-phase grading
   * (SessionGrader.advance): the post-train part is graded as its samples become final, so only the last
   * block's share is left when the window completes.
   */
  readonly onPostTrainProgress?: (view: PartialEpoch) => void;
}

export interface PipelineStats {
  readonly samplesPerChannel: number;
  readonly blocks: number;
  readonly stimulations: number;
  readonly epochsEmitted: number;
  readonly gaps: number;
  /** Holes between blocks nobody announced with pushGap (recorded as gaps with reason 'unknown'). */
  readonly unannouncedGaps: number;
  readonly maxEpochLatencyMs: number;
  readonly lastEpochLatencyMs: number;
  /** 'confirmed' mode: the source's latest confirmation (every stimulation before this sample is known). */
  readonly confirmedThroughSample: number;
  /** 'confirmed' mode: epochs emitted unconfirmed, after waiting `settings.epoch.maxConfirmWaitMs`. */
  readonly epochsUnconfirmed: number;
  /** 'confirmed' mode: stimulations pushed although the source had confirmed past their first pulse. */
  readonly stimulationsAfterConfirmation: number;
  /** Epochs begun in arrays given back (releaseEpoch, reuseEpochArrays) rather than in new ones. */
  readonly reusedEpochArrays: number;
}

export interface Pipeline {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly settings: PipelineSettings;
  readonly filter: ResolvedFilter;
  /** Samples of filter warm-up run before each epoch window. */
  readonly warmupSamples: number;
  readonly stimulationReports: StimulationReports;
  /** 'lagging': an epoch waits this many samples past its end for late stimulation events (settings.epoch.eventLagMs). */
  readonly eventLagSamples: number;
  /** Adds samples; returns the epochs this block made emittable (also passed to onEpoch). */
  pushBlock(block: SampleBlock, arrivalMs?: number): readonly StimulusEpoch[];
  /**
   * Registers a stimulation. Never emits by itself: its epoch (and any other epoch) is emitted by a later
   * pushBlock / pushGap / confirmStimulationsTo / flush, once the data reaches the window's end plus
   * `eventLagSamples` ('lagging'), or the window's end and the confirmation covers it ('confirmed').
   */
  pushStimulation(event: StimulationEvent): void;
  /**
   * 'confirmed' mode only: every stimulation whose first pulse is before `sampleIndex` has been pushed.
   * Returns the epochs this made emittable. `sampleIndex` is a non-negative integer that never goes
   * backwards (repeating the last value is a no-op); anything else is refused with a DomainError
   * ('invalid-confirmation'), as is the call on a 'lagging' pipeline.
   */
  confirmStimulationsTo(sampleIndex: number, arrivalMs?: number): readonly StimulusEpoch[];
  pushGap(gap: SampleGap, arrivalMs?: number): readonly StimulusEpoch[];
  /** End of stream: emits every pending epoch, its missing tail recorded as a gap. */
  flush(arrivalMs?: number): readonly StimulusEpoch[];
  /**
   * Gives an emitted epoch's arrays (raw, filtered, envelope, blanked) back for reuse by a later epoch of
   * the same length: the caller promises that nothing reads or writes them any more (no views kept, not
   * transferred, no grade or cache holding them). Optional: an epoch never released is simply garbage
   * collected. Returns whether the arrays were taken: only arrays this pipeline emitted, once, all four
   * together and still attached; anything else (a copy, an epoch of another pipeline, a second release,
   * transferred arrays) is ignored. Reuse keeps the resident memory of a long session flat and spares
   * the allocation and first touch of a new epoch's arrays (see EPOCH_POOL_SETS).
   */
  releaseEpoch(epoch: StimulusEpoch): boolean;
  /**
   * releaseEpoch for arrays that left this pipeline's thread with their epoch and were transferred back
   * (the pipeline worker posts each epoch to the host, which returns it once nothing there uses it): their
   * identity is new, so they are taken on shape alone. The caller promises what releaseEpoch's does.
   * Returns whether they were taken: four distinct, attached arrays, each spanning its whole buffer, with
   * raw, filtered and envelope of `channelCount` times the blanking's length.
   */
  reuseEpochArrays(arrays: Pick<StimulusEpoch, 'raw' | 'filtered' | 'envelope' | 'blanked'>): boolean;
  /** Latest decimated live trace (lossy), or null if nothing new. */
  drainDisplay(): DisplayFrame | null;
  stats(): PipelineStats;
  reset(): void;
  dispose(): void;
}

const NONE: readonly StimulusEpoch[] = Object.freeze([]);
const MAX_AUTO_WARMUP_MS = 3000;
const WARMUP_TOLERANCE = 1e-6;
/** Epoch samples copied to the spare pair at a time while a run advances. */
const SPARE_BATCH_SAMPLES = 2048;
/**
 * Released epoch array sets kept for reuse (Pipeline.releaseEpoch, reuseEpochArrays): at most
 * EPOCH_POOL_PER_LENGTH of one length and EPOCH_POOL_SETS in all; the oldest is dropped beyond. A case has
 * a few epoch lengths (single pulse, trains of one or two durations) and a consumer releases each epoch
 * after grading it (or, across threads, some dozens of epochs later, in the order emitted): a long ramp
 * of single pulses then does not push the train sets out.
 */
const EPOCH_POOL_SETS = 8;
const EPOCH_POOL_PER_LENGTH = 2;

/** The four arrays of one epoch, as handed out and (after Pipeline.releaseEpoch) reused together. */
interface EpochArrays {
  readonly raw: Float32Array;
  readonly filtered: Float32Array;
  readonly env: Float32Array;
  readonly blanked: Uint8Array;
}

interface PendingEpoch {
  readonly event: StimulationEvent;
  readonly startSample: number;
  readonly preSamples: number;
  readonly stimSamples: number;
  readonly postSamples: number;
  readonly endSample: number;
  /** Arrival time of the input that brought the window's last sample (null until then). */
  windowAtMs: number | null;
  /** onTrainPartFinal was called for it. */
  trainPartShown: boolean;
}

/**
 * The streaming signal pipeline: sample blocks + stimulation events + gaps in, stimulus-locked epochs
 * (raw, blanked and band-passed, envelope) and a lossy display trace out.
 *
 * Where the work is spent (the budget is 16 ch x 10 kHz at >= 1000x real time for pipeline and grading):
 * every incoming sample is only copied into a ring of recent raw data (about 0.7 ns a sample) and folded
 * into the min/max display columns (about 3.5 ns; nothing while nobody drains the display: offline
 * grading, replay without a view, see display.ts). Blanking, filtering and the envelope run once per epoch, over the epoch window plus a filter
 * warm-up before it (`warmupSamples`, long enough for the slowest filter pole to settle to 1e-6 and for
 * the envelope, started with the filters, to forget its zero start (20 time constants); the
 * filter state primed to the steady state of the first sample so electrode offsets start no transient).
 * When the previous epoch's run ended within the next epoch's warm-up (1 Hz single-pulse ramps, a pulse
 * after a train), the next epoch continues that run instead, so close epochs cost no warm-up and the
 * filters see each sample about once (see `cont` in the epoch cutter).
 * An epoch's arrays are new unless its consumer gave an earlier epoch of the same length back
 * (`releaseEpoch`): then they are reused, so a case graded that way allocates nothing per epoch and its
 * resident memory stays flat (bench/pipeline.bench.ts, memory over a simulated case).
 * Stimulations are seconds apart in SDR and epochs are about 1-3 s long, so this filters at most about
 * the stream once. The next epoch to emit is filtered incrementally as its samples arrive (see `Run`):
 * every sample at least `eventLagSamples` old is blanked, filtered and envelope-smoothed with the pulses
 * known by then, so when the window completes only the last block is left to do and the epoch is emitted
 * within a fraction of a millisecond. An epoch is blanked with the pulses of every stimulation starting
 * before its end (a pulse after the end belongs to the next epoch, even where its blanking lead would reach
 * the window's last samples), so it is final once its window and those stimulations are known.
 * When is that? Two modes (`stimulationReports`), because sources differ:
 * - 'lagging' (default; any source, e.g. a 1.0 device, a third-party amplifier): a stimulation may be
 *   reported a little after its first pulse's samples, so an epoch is emitted once its window plus
 *   `eventLagSamples` (settings.epoch.eventLagMs, 100 ms) has arrived, and samples are final that much late.
 *   Grade latency from the window's last sample is therefore at least the lag.
 * - 'confirmed' (a 1.1 device, replay of stored data): the source sends each stimulation before the
 *   samples of its first pulse and calls `confirmStimulationsTo(n)` (every stimulation starting before
 *   sample n has been pushed) after each block; the epoch is emitted by the block or confirmation that
 *   completes both its window and the confirmation of its end, i.e. at once, and samples are final up to
 *   the confirmation less the blanking lead. A device holds its confirmation back while a report may be
 *   missing (a lost frame, before its retransmission), so a late report is still blanked in every epoch;
 *   if a source stops confirming, an epoch waits at most settings.epoch.maxConfirmWaitMs of data.
 * Epochs are identical in both modes (and to one batch run) whenever the lagging source's reports came
 * within the lag. Measured (bench/grading.bench.ts, 16 ch x 10 kHz streamed at real time in 10 ms blocks):
 * from the arrival of the block holding a train's last window sample to its grade, 'confirmed' costs the
 * pipeline about 0.2 ms of CPU (p99 1 ms) before grading starts; 'lagging' adds the 100 ms lag.
 * A stimulation reported even later (or behind its confirmation) whose blanking reaches samples already
 * filtered restarts the run, so every pulse known at the cut is blanked before the filters see it and the
 * result equals one run at the cut.
 * Trade-off: epoch samples differ from a continuously running filter by at most the warm-up residue
 * (1e-6 of the transient), and the live display trace is not band-passed (baseline-removed raw).
 * Chunking never changes an epoch: it is computed from the same ring content, events and sequence of
 * earlier epochs whatever the block sizes.
 */
export function createPipeline(config: PipelineConfig): Pipeline {
  const sampleRateHz = requireSampleRateHz(config.sampleRateHz, 'pipeline');
  const channelCount = requireChannelCount(config.channelCount, 'pipeline');
  const { gain, offset } = microvoltsPerUnit(config.unit, channelCount);
  const identityScale = offset === 0 && gain.every((g) => g === 1);
  const settings = resolvePipelineSettings(config.settings);
  const filter = designFilterChain(settings.filter, sampleRateHz);
  const now = config.now ?? (() => performance.now());
  const ms = (v: number): number => Math.round((v * sampleRateHz) / 1000);

  const sosFilter = new SosFilter();
  sosFilter.configure({ sampleRateHz, channelCount, sos: filter.sos });
  const envelope = new EnvelopeStage();
  envelope.configure({ sampleRateHz, channelCount, timeConstantMs: settings.envelope.timeConstantMs });
  // Auto warm-up: the filter and the envelope start together, so the longer of the two settling times
  // suffices (not their sum). The band-pass transient falls to WARMUP_TOLERANCE by the window start; the
  // envelope's own start from 0 decays as (1 + t/tau) e^(-t/tau), under 5e-8 after 20 tau; what the
  // envelope inherits from the band-pass transient is that transient smoothed, a few times 1e-6 of it.
  const warmupSamples =
    settings.epoch.warmupMs !== null
      ? ms(settings.epoch.warmupMs)
      : Math.max(
          Math.min(ms(MAX_AUTO_WARMUP_MS), filter.sos.length === 0 ? 0 : sosFilter.settlingSamples(WARMUP_TOLERANCE)),
          Math.ceil((settings.envelope.timeConstantMs * sampleRateHz * 20) / 1000), // envelope: 20 tau
        );
  const blankW: BlankWindowSamples = blankWindowSamples(settings.blanking, sampleRateHz);
  const preSamples = ms(settings.epoch.preMs);
  const eventLagSamples = ms(settings.epoch.eventLagMs);
  const saturationMaxSamples = ms(settings.blanking.saturationMaxMs);
  const notch = settings.filter.notch;
  const humFill = notch !== null && settings.blanking.humFill && settings.blanking.fill === 'linear' ? new HumFill(sampleRateHz, channelCount, notch.mainsHz, notch.harmonics, saturationMaxSamples, settings.blanking.saturationMinUv) : null;
  const reports = config.stimulationReports ?? 'lagging';
  if (!STIMULATION_REPORTS.includes(reports)) throw new PipelineConfigError(`stimulationReports must be 'lagging' or 'confirmed', got '${String(reports)}'`);
  const confirmWaitSamples = ms(settings.epoch.maxConfirmWaitMs);
  /** Longest an epoch is held after its window's end (in data), before it is emitted whatever is known. */
  const holdSamples = reports === 'lagging' ? eventLagSamples : confirmWaitSamples;
  /** 'confirmed': every stimulation with a first pulse before this sample has been pushed. */
  let confirmedTo = 0;

  // Ring: warm-up + a 5 s train epoch + the hold + 2 s slack for late events; grown if a longer train arrives.
  const baseCapacity = warmupSamples + preSamples + ms(5000) + ms(settings.epoch.postTrainMs) + holdSamples + ms(2000);
  const ring = new SampleRing(channelCount, baseCapacity);
  const display = new DisplayDecimator(channelCount, sampleRateHz, settings.display, ring);
  let scaled = new Float32Array(0);
  let work = new Float32Array(0);
  let mask = new Uint8Array(0);

  let pending: PendingEpoch[] = [];
  let recentEvents: StimulationEvent[] = [];
  /** Bumped whenever recentEvents changes (eventsBefore's cache). */
  let eventsVersion = 0;
  let gaps: SampleGap[] = [];
  let lastArrivalMs = 0;
  const stats = {
    samplesPerChannel: 0,
    blocks: 0,
    stimulations: 0,
    epochsEmitted: 0,
    gaps: 0,
    unannouncedGaps: 0,
    maxEpochLatencyMs: 0,
    lastEpochLatencyMs: 0,
    confirmedThroughSample: 0,
    epochsUnconfirmed: 0,
    stimulationsAfterConfirmation: 0,
    reusedEpochArrays: 0,
  };
  let disposed = false;

  function alive(): void {
    if (disposed) throw new PipelineConfigError('pipeline used after dispose()');
  }

  function windowFor(event: StimulationEvent): PendingEpoch {
    const stim = event.stimulation;
    const stimSamples = stim.mode === 'train' ? Math.max(1, ms(stim.durationS * 1000)) : ms(settings.epoch.singleWindowMs);
    const postSamples = ms(stim.mode === 'train' ? settings.epoch.postTrainMs : settings.epoch.postSingleMs);
    const startSample = event.sampleIndex - preSamples;
    return { event, startSample, preSamples, stimSamples, postSamples, endSample: startSample + preSamples + stimSamples + postSamples, windowAtMs: null, trainPartShown: false };
  }

  function recordGap(gap: SampleGap): void {
    gaps.push(gap);
    stats.gaps++;
  }

  function prune(): void {
    const oldest = ring.oldestSample;
    if (oldest < 0) return;
    const horizon = oldest - warmupSamples;
    if (recentEvents.length > 0 && lastBlankedSample(recentEvents[0]!, sampleRateHz, blankW.after) < horizon) {
      recentEvents = recentEvents.filter((e) => lastBlankedSample(e, sampleRateHz, blankW.after) >= horizon);
      eventsVersion++;
    }
    if (gaps.length > 0 && gaps[0]!.startSample + gaps[0]!.lengthSamples < horizon) {
      gaps = gaps.filter((g) => g.startSample + g.lengthSamples >= horizon);
    }
  }

  /**
   * Where the last cut left the filter and envelope state: the end of its window, and its filtered and
   * envelope output (planar, `end - start` per channel). The next epoch continues from there instead of
   * running a fresh warm-up when that is shorter (single-pulse ramps at 1 Hz, a pulse after a train):
   * its samples then come from one run of the filters, as from a continuously running filter. The
   * choice depends only on the epochs and events, never on block sizes. Invalidated when a stimulation
   * whose blanking reaches before `end` arrives after the cut (the run did not blank it).
   */
  let cont: { start: number; end: number } | null = null;
  // Own copies: the emitted epoch's arrays may be transferred to another thread. Two pairs: the run in
  // progress writes the spare pair, which becomes `cont`'s at its cut (a restarted run still reads cont's).
  let contFiltered = new Float32Array(0);
  let contEnvelope = new Float32Array(0);
  let spareFiltered = new Float32Array(0);
  let spareEnvelope = new Float32Array(0);
  // Filter and envelope state at `cont.end` (a resumed run starts from it).
  let contFilterState: Float64Array = new Float64Array(0);
  let contEnvelopeState: Float64Array = new Float64Array(0);

  function zeroMaskedStrided(data: Float32Array, stride: number, offset: number, n: number, m: Uint8Array, mFrom: number): void {
    for (let i = 0; i < n; i++) {
      if (m[mFrom + i] === 0) continue;
      for (let c = 0; c < channelCount; c++) data[c * stride + offset + i] = 0;
    }
  }

  function copyPlanar(src: Float32Array, srcStride: number, srcFrom: number, dst: Float32Array, dstStride: number, dstFrom: number, n: number): void {
    if (n <= 0) return;
    for (let c = 0; c < channelCount; c++) dst.set(src.subarray(c * srcStride + srcFrom, c * srcStride + srcFrom + n), c * dstStride + dstFrom);
  }

  /**
   * The filter run of the next epoch to emit (the head of `pending`), advanced as its samples arrive: the
   * pipeline blanks, filters and envelopes every sample once it is at least `eventLagSamples` (plus the
   * blanking lead) old, so when the epoch's window completes only the last block remains to be done. The
   * result is the same as one run over the whole window at the cut: the filters carry their state across
   * chunks, a chunk never ends inside a blanking run (the line needs the sample after it), and each chunk
   * after the first starts with its left neighbour. A stimulation arriving late whose blanking reaches
   * samples already filtered drops the run, which restarts from its beginning with that pulse blanked.
   */
  interface Run {
    readonly p: PendingEpoch;
    readonly length: number;
    /** Continues the previous epoch's run (from cont.end) instead of a fresh warm-up. */
    readonly resumed: boolean;
    /** First sample the filters see (wStart, or cont.end when resumed). */
    readonly from: number;
    /** Next sample to filter. */
    pos: number;
    readonly raw: Float32Array;
    readonly filtered: Float32Array;
    readonly env: Float32Array;
    readonly blanked: Uint8Array;
    readonly missingInEpoch: number;
    /** Epoch samples [0, spared) already copied to the spare pair (which becomes cont's at the cut). */
    spared: number;
  }
  let run: Run | null = null;

  /** Copies the run's epoch samples [r.spared, to) of filtered and envelope into the spare pair (same planar layout). */
  function spareTo(r: Run, to: number): void {
    const from = r.spared;
    if (to <= from) return;
    const L = r.length;
    for (let c = 0; c < channelCount; c++) {
      spareFiltered.set(r.filtered.subarray(c * L + from, c * L + to), c * L + from);
      spareEnvelope.set(r.env.subarray(c * L + from, c * L + to), c * L + from);
    }
    r.spared = to;
  }
  /** The blanking of cont's epoch (its arrays are handed out, and may be transferred away), and whether its last sample was blanked. */
  let contBlanked = new Uint8Array(0);
  let contEndBlanked = false;

  /**
   * Epoch arrays given back by releaseEpoch, oldest first, and the emitted sets not released yet (by their
   * raw array). A run takes a released set of its length (every sample of it is written before the epoch
   * is emitted, so the old content never shows) or allocates one; a set is only ever in one of: the run
   * in progress, emitted (until released), free. A dropped run's arrays are never reused (onTrainPartFinal
   * may have shown them).
   */
  let freeSets: EpochArrays[] = [];
  let emittedSets = new WeakMap<Float32Array, EpochArrays>();
  /** The buffers of the emitted sets not released yet (reuseEpochArrays refuses them). */
  let emittedBuffers = new WeakSet<ArrayBufferLike>();

  function takeSet(length: number): EpochArrays {
    const n = length * channelCount;
    const k = freeSets.findIndex((a) => a.raw.length === n);
    if (k >= 0) {
      stats.reusedEpochArrays++;
      return freeSets.splice(k, 1)[0]!;
    }
    return { raw: new Float32Array(n), filtered: new Float32Array(n), env: new Float32Array(n), blanked: new Uint8Array(length) };
  }

  function releaseSet(epoch: StimulusEpoch): boolean {
    const set = emittedSets.get(epoch.raw);
    if (set === undefined || set.filtered !== epoch.filtered || set.env !== epoch.envelope || set.blanked !== epoch.blanked) return false;
    emittedSets.delete(epoch.raw);
    for (const x of [set.raw, set.filtered, set.env, set.blanked]) emittedBuffers.delete(x.buffer);
    // transferred to another thread: detached, nothing to reuse
    if (set.raw.byteLength === 0 || set.filtered.byteLength === 0 || set.env.byteLength === 0 || set.blanked.byteLength === 0) return false;
    pool(set);
    return true;
  }

  function pool(set: EpochArrays): void {
    freeSets.push(set);
    const same = freeSets.filter((a) => a.raw.length === set.raw.length);
    if (same.length > EPOCH_POOL_PER_LENGTH) freeSets.splice(freeSets.indexOf(same[0]!), 1);
    if (freeSets.length > EPOCH_POOL_SETS) freeSets.shift();
  }

  function adoptSet(a: Pick<StimulusEpoch, 'raw' | 'filtered' | 'envelope' | 'blanked'>): boolean {
    const arrays = [a.raw, a.filtered, a.envelope, a.blanked];
    if (!(a.raw instanceof Float32Array && a.filtered instanceof Float32Array && a.envelope instanceof Float32Array && a.blanked instanceof Uint8Array)) return false;
    const length = a.blanked.length;
    if (length === 0 || a.raw.length !== length * channelCount || a.filtered.length !== a.raw.length || a.envelope.length !== a.raw.length) return false;
    const buffers = arrays.map((x) => x.buffer);
    if (arrays.some((x) => x.byteOffset !== 0 || x.byteLength !== x.buffer.byteLength)) return false;
    if (new Set(buffers).size !== 4) return false;
    // not arrays this pipeline is using: emitted and unreleased, free already, or the run's
    if (buffers.some((b) => emittedBuffers.has(b)) || freeSets.some((f) => [f.raw, f.filtered, f.env, f.blanked].some((x) => buffers.includes(x.buffer)))) return false;
    if (run !== null && [run.raw, run.filtered, run.env, run.blanked].some((x) => buffers.includes(x.buffer))) return false;
    pool({ raw: a.raw, filtered: a.filtered, env: a.envelope, blanked: a.blanked });
    return true;
  }

  function startRun(p: PendingEpoch): Run {
    const length = p.endSample - p.startSample;
    const { raw, filtered, env, blanked } = takeSet(length);
    if (spareFiltered.length < filtered.length) {
      spareFiltered = new Float32Array(filtered.length);
      spareEnvelope = new Float32Array(filtered.length);
    }
    const c0 = cont;
    const resume =
      c0 !== null &&
      p.startSample >= c0.start &&
      p.endSample > c0.end &&
      p.startSample - warmupSamples < c0.end &&
      c0.end - 1 >= ring.oldestSample &&
      c0.end <= ring.endSample &&
      !contEndBlanked &&
      !blankedAt(c0.end - 1);
    if (resume) {
      // A blanking run across the resume point would be interpolated differently by the previous run: not resumed then.
      const e0 = c0.end;
      const head = e0 - p.startSample;
      copyPlanar(contFiltered, c0.end - c0.start, p.startSample - c0.start, filtered, length, 0, head);
      copyPlanar(contEnvelope, c0.end - c0.start, p.startSample - c0.start, env, length, 0, head);
      let missingInEpoch = 0;
      if (head > 0) {
        missingInEpoch = ring.read(raw, length, 0, p.startSample, head);
        // as the previous run blanked them (saturation extensions included); a stimulation reported since
        // that reaches these samples would have dropped `cont` (pushStimulation)
        blanked.set(contBlanked.subarray(p.startSample - c0.start, p.startSample - c0.start + head));
      }
      sosFilter.loadState(contFilterState);
      envelope.loadState(contEnvelopeState);
      return { p, length, resumed: true, from: e0, pos: e0, raw, filtered, env, blanked, missingInEpoch, spared: 0 };
    }
    const wStart = Math.max(p.startSample - warmupSamples, Math.min(ring.oldestSample, p.startSample));
    const missingLead = Math.max(0, Math.min(p.endSample - wStart, ring.oldestSample - wStart));
    return { p, length, resumed: false, from: wStart, pos: wStart, raw, filtered, env, blanked, missingInEpoch: Math.max(0, missingLead - (p.startSample - wStart)), spared: 0 };
  }

  /**
   * The stimulations an epoch ending at `end` is blanked with: those starting before its end. A pulse at or
   * after the end belongs to the following epoch; its blanking lead (`beforePulseMs`) reaching back over the
   * window's last samples is left out, so an epoch is final once its window and the stimulations starting in
   * it are known (nothing after its end is awaited). `recentEvents` is sorted by first pulse.
   */
  function eventsBefore(end: number): readonly StimulationEvent[] {
    let k = recentEvents.length;
    while (k > 0 && recentEvents[k - 1]!.sampleIndex >= end) k--;
    if (k === recentEvents.length) return recentEvents;
    // called per advanced block: the list is kept until the events or the end change
    if (beforeCache.end !== end || beforeCache.version !== eventsVersion) beforeCache = { end, version: eventsVersion, list: recentEvents.slice(0, k) };
    return beforeCache.list;
  }
  let beforeCache: { end: number; version: number; list: readonly StimulationEvent[] } = { end: -1, version: -1, list: [] };

  function blankedAt(s: number): boolean {
    if (mask.length < 1) mask = new Uint8Array(1);
    mask[0] = 0;
    return markPulses(mask, s, 1, recentEvents, sampleRateHz, blankW) > 0;
  }

  /** Blanks, filters and envelopes the run's samples [pos, to); a chunk that is not the last stops before a blanking run it would cut. */
  function advance(r: Run, to: number, last: boolean): void {
    const p = r.p;
    const first = r.pos === r.from;
    // Every chunk but a fresh run's first starts with its left neighbour (never blanked): the line across a blanking run needs it.
    const left = first && !r.resumed ? 0 : 1;
    const lo = r.pos - left;
    let frames = to - lo;
    if (frames <= left) return;
    if (mask.length < frames) mask = new Uint8Array(Math.max(frames, 2 * mask.length));
    mask.fill(0, 0, frames);
    const events = eventsBefore(p.endSample);
    const pulsesMarked = markPulses(mask, lo, frames, events, sampleRateHz, blankW);
    if (work.length < frames * channelCount) work = new Float32Array(Math.max(frames * channelCount, 2 * work.length));
    ring.read(work, frames, 0, lo, frames);
    const read = frames;
    if (pulsesMarked > 0 && saturationMaxSamples > 0) {
      // A blanking run whose end is still pinned at a rail grows until the amplifier lets go (saturation.ts);
      // one the data read so far cannot decide ends this chunk before it (it is done with the next block).
      const ext = extendBlankingOverSaturation(work, channelCount, frames, mask, saturationMaxSamples, settings.blanking.saturationMinUv, last);
      if (ext.undecidedFrom >= 0) frames = ext.undecidedFrom;
    }
    if (!last) {
      while (frames > left && mask[frames - 1] === 1) frames--;
      if (frames <= left) return;
    }
    // keep the planar layout at the (possibly shortened) chunk length
    if (frames < read) for (let c = 1; c < channelCount; c++) work.copyWithin(c * frames, c * read, c * read + frames);
    const end = lo + frames;
    // raw: the epoch part of the chunk, before blanking
    const a = Math.max(r.pos, p.startSample);
    copyPlanar(work, frames, a - lo, r.raw, r.length, a - p.startSample, end - a);
    interpolateMasked(work, channelCount, frames, mask);
    if (humFill !== null && pulsesMarked > 0) humFill.apply(work, frames, lo, mask, ring, events, blankW);
    const n = frames - left;
    const m = mask.subarray(left, frames);
    if (first && !r.resumed) {
      sosFilter.reset();
      sosFilter.primeFrom(work, n, frames, left);
      envelope.reset();
    }
    // Warm-up part of the chunk (before the epoch window): filtered and smoothed in place in `work`.
    const warm = Math.min(n, a - r.pos);
    if (warm > 0) {
      sosFilter.process(work, work, warm, frames, left, frames, left);
      if (settings.blanking.fill === 'zero') zeroMaskedStrided(work, frames, left, warm, m, 0);
      envelope.process(work, work, warm, frames, left, frames, left);
    }
    // Epoch part: straight into the epoch's arrays.
    const k = end - a;
    if (k > 0) {
      const e0 = a - p.startSample;
      sosFilter.process(work, r.filtered, k, frames, left + Math.max(0, warm), r.length, e0);
      if (settings.blanking.fill === 'zero') zeroMaskedStrided(r.filtered, r.length, e0, k, m, Math.max(0, warm));
      envelope.process(r.filtered, r.env, k, r.length, e0, r.length, e0);
      r.blanked.set(m.subarray(a - r.pos, end - r.pos), e0);
    }
    r.pos = end;
    // Copied to the spare pair in batches as the run advances, so the cut copies little (it is in the grade latency).
    if (!last && end - p.startSample - r.spared >= SPARE_BATCH_SAMPLES) spareTo(r, end - p.startSample);
  }

  /**
   * An epoch ending at or before this sample may be emitted now. 'lagging': the data is `eventLagSamples`
   * past its end. 'confirmed': its window has arrived and the confirmation covers every stimulation it is
   * blanked with (those starting before its end, see eventsBefore), or the data is `confirmWaitSamples`
   * past its end (the source stopped confirming).
   */
  function emittableEnd(): number {
    const d = ring.endSample;
    if (reports === 'lagging') return d - eventLagSamples;
    return Math.max(Math.min(d, confirmedTo), d - confirmWaitSamples);
  }

  /** Samples before this one are final: no stimulation still to come can blank them. */
  function finalEnd(): number {
    const d = ring.endSample;
    if (reports === 'lagging') return d - eventLagSamples - blankW.before;
    return Math.max(Math.min(d, confirmedTo - blankW.before), d - confirmWaitSamples - blankW.before);
  }

  /** Advances the head epoch's run over every sample no late stimulation can still blank. */
  function advanceHead(): void {
    if (pending.length === 0 || ring.endSample < 0) return;
    const p = pending[0]!;
    if (run !== null && run.p !== p) run = null;
    const limit = Math.min(p.endSample, finalEnd());
    if (run === null) {
      if (limit <= Math.max(p.startSample - warmupSamples, ring.oldestSample) + 1) return;
      run = startRun(p);
    }
    const before = run.pos;
    if (limit > run.pos) advance(run, limit, false);
    if (p.event.stimulation.mode !== 'train') return;
    const r = run;
    if (!p.trainPartShown) {
      // A chunk that is not the last ends on an unblanked sample: past the train's end, its last blanking run is over.
      if (config.onTrainPartFinal && r.pos > p.startSample + p.preSamples + p.stimSamples) {
        p.trainPartShown = true;
        config.onTrainPartFinal({ ...epochOf(p, r), finalSamples: r.pos - p.startSample });
      }
    } else if (config.onPostTrainProgress && r.pos > before) {
      config.onPostTrainProgress({ ...epochOf(p, r), finalSamples: r.pos - p.startSample });
    }
  }

  /** The epoch of a run (complete after its last advance); its gaps as known now. */
  function epochOf(p: PendingEpoch, r: Run): StimulusEpoch {
    const overlapping = gaps.filter((g) => g.startSample < p.endSample && g.startSample + g.lengthSamples > p.startSample);
    if (r.missingInEpoch > 0) {
      overlapping.unshift({ startSample: p.startSample, lengthSamples: r.missingInEpoch, reason: ring.oldestSample > 0 && stats.samplesPerChannel > ring.capacity ? 'overflow' : 'unknown' });
    }
    return {
      event: p.event,
      sampleRateHz,
      channelCount,
      startSample: p.startSample,
      preSamples: p.preSamples,
      stimSamples: p.stimSamples,
      postSamples: p.postSamples,
      raw: r.raw,
      filtered: r.filtered,
      envelope: r.env,
      blanked: r.blanked,
      gaps: overlapping,
    };
  }

  function cut(p: PendingEpoch): StimulusEpoch {
    if (run === null || run.p !== p) run = startRun(p);
    const r = run;
    advance(r, p.endSample, true);
    run = null;
    // The spare pair now holds this epoch's output: it becomes cont's.
    spareTo(r, r.length);
    [contFiltered, spareFiltered] = [spareFiltered, contFiltered];
    [contEnvelope, spareEnvelope] = [spareEnvelope, contEnvelope];
    contFilterState = sosFilter.saveState(contFilterState);
    contEnvelopeState = envelope.saveState(contEnvelopeState);
    cont = { start: p.startSample, end: p.endSample };
    if (contBlanked.length < r.length) contBlanked = new Uint8Array(Math.max(r.length, 2 * contBlanked.length));
    contBlanked.set(r.blanked);
    contEndBlanked = r.blanked[r.length - 1] === 1;
    emittedSets.set(r.raw, { raw: r.raw, filtered: r.filtered, env: r.env, blanked: r.blanked });
    for (const x of [r.raw, r.filtered, r.env, r.blanked]) emittedBuffers.add(x.buffer);
    return epochOf(p, r);
  }

  /** Notes when the data reached each pending window's end (for the latency from the window's last sample). */
  function noteWindows(arrivalMs: number): void {
    for (const p of pending) if (p.windowAtMs === null && p.endSample <= ring.endSample) p.windowAtMs = arrivalMs;
  }

  function emitReady(arrivalMs: number, all = false): readonly StimulusEpoch[] {
    if (pending.length === 0) return NONE;
    const end = all ? Infinity : emittableEnd();
    if (ring.endSample < 0 || pending[0]!.endSample > end) {
      if (!all) advanceHead();
      return NONE;
    }
    const out: StimulusEpoch[] = [];
    while (pending.length > 0 && pending[0]!.endSample <= end) {
      const p = pending.shift()!;
      if (reports === 'confirmed' && !all && p.endSample > confirmedTo) stats.epochsUnconfirmed++;
      const epoch = cut(p);
      out.push(epoch);
      stats.epochsEmitted++;
      const emittedAtMs = now();
      const latency = emittedAtMs - arrivalMs;
      stats.lastEpochLatencyMs = latency;
      if (latency > stats.maxEpochLatencyMs) stats.maxEpochLatencyMs = latency;
      config.onEpoch?.(epoch, { completedAtMs: arrivalMs, windowCompletedAtMs: p.windowAtMs ?? arrivalMs, emittedAtMs });
    }
    prune();
    advanceHead();
    return out;
  }

  function checkBlock(b: SampleBlock): void {
    if (b.sampleRateHz !== sampleRateHz) throw new DomainError('invalid-block', `block sample rate ${b.sampleRateHz} Hz differs from the pipeline's ${sampleRateHz} Hz`);
    if (b.channelCount !== channelCount) throw new DomainError('invalid-block', `block has ${b.channelCount} channels, the pipeline ${channelCount}`);
    if (!Number.isInteger(b.startSample) || b.startSample < 0) throw new DomainError('invalid-block', `block startSample must be a non-negative integer, got ${b.startSample}`);
    if (!Number.isInteger(b.samplesPerChannel) || b.samplesPerChannel < 0 || !(b.data instanceof Float32Array) || b.data.length < b.samplesPerChannel * channelCount) {
      throw new DomainError('invalid-block', `block data holds ${b.data?.length} values, expected ${b.samplesPerChannel} x ${channelCount}`);
    }
    if (ring.endSample >= 0 && b.startSample < ring.endSample) {
      throw new DomainError('invalid-block', `block starts at sample ${b.startSample}, before the end of data already received (${ring.endSample})`);
    }
  }

  return {
    sampleRateHz,
    channelCount,
    settings,
    filter,
    warmupSamples,
    stimulationReports: reports,
    eventLagSamples,

    pushBlock(block, arrivalMs) {
      alive();
      checkBlock(block);
      const t = arrivalMs ?? now();
      lastArrivalMs = t;
      const frames = block.samplesPerChannel;
      if (ring.endSample >= 0 && block.startSample > ring.endSample) {
        const covered = gaps.length > 0 && gaps[gaps.length - 1]!.startSample + gaps[gaps.length - 1]!.lengthSamples >= block.startSample;
        if (!covered) {
          recordGap({ startSample: ring.endSample, lengthSamples: block.startSample - ring.endSample, reason: 'unknown' });
          stats.unannouncedGaps++;
        }
      }
      let src = block.data;
      if (!identityScale) {
        if (scaled.length < frames * channelCount) scaled = new Float32Array(frames * channelCount);
        for (let c = 0; c < channelCount; c++) {
          const g = gain[c]!;
          for (let i = 0; i < frames; i++) scaled[c * frames + i] = (src[c * frames + i]! - offset) * g;
        }
        src = scaled;
      }
      ring.write(src, frames, 0, frames, block.startSample);
      // the block as the ring staged it (same values): folded through one long-lived view, still in cache
      const staged = ring.staged();
      if (staged !== null) display.push(staged.samples, frames, staged.offset, frames, block.startSample);
      else display.push(src, frames, 0, frames, block.startSample);
      stats.blocks++;
      stats.samplesPerChannel += frames;
      noteWindows(t);
      return emitReady(t);
    },

    pushStimulation(event) {
      alive();
      if (!Number.isInteger(event.sampleIndex) || event.sampleIndex < 0) {
        throw new DomainError('invalid-stimulation', `stimulation sampleIndex must be a non-negative integer, got ${event.sampleIndex}`);
      }
      if (pulseCount(event.stimulation) < 1) throw new DomainError('invalid-stimulation', 'stimulation has no pulse');
      const p = windowFor(event);
      ring.ensureCapacity(warmupSamples + (p.endSample - p.startSample) + holdSamples + ms(2000));
      stats.stimulations++;
      // The source broke its promise: handled as a late report (below), and counted.
      if (reports === 'confirmed' && event.sampleIndex < confirmedTo) stats.stimulationsAfterConfirmation++;
      if (cont !== null && event.sampleIndex - blankW.before < cont.end) cont = null;
      // A pulse blanked into samples the run in progress has already filtered: that run starts again.
      if (run !== null && event.sampleIndex < run.p.endSample && event.sampleIndex - blankW.before < run.pos && lastBlankedSample(event, sampleRateHz, blankW.after) > run.from - 1) run = null;
      recentEvents.push(event);
      recentEvents.sort((a, b) => a.sampleIndex - b.sampleIndex);
      eventsVersion++;
      if (ring.endSample >= p.endSample) p.windowAtMs = lastArrivalMs;
      pending.push(p);
      pending.sort((a, b) => a.endSample - b.endSample || a.event.sampleIndex - b.event.sampleIndex);
    },

    confirmStimulationsTo(sampleIndex, arrivalMs) {
      alive();
      if (reports !== 'confirmed') {
        throw new DomainError('invalid-confirmation', "confirmStimulationsTo needs a pipeline created with stimulationReports: 'confirmed'");
      }
      if (!Number.isInteger(sampleIndex) || sampleIndex < 0) {
        throw new DomainError('invalid-confirmation', `confirmed sample index must be a non-negative integer, got ${sampleIndex}`);
      }
      if (sampleIndex < confirmedTo) {
        throw new DomainError('invalid-confirmation', `confirmation went backwards: sample ${sampleIndex} after ${confirmedTo}`);
      }
      if (arrivalMs !== undefined && !Number.isFinite(arrivalMs)) throw new DomainError('invalid-confirmation', `arrival time must be finite, got ${arrivalMs}`);
      if (sampleIndex === confirmedTo) return NONE;
      const t = arrivalMs ?? now();
      confirmedTo = sampleIndex;
      stats.confirmedThroughSample = sampleIndex;
      return emitReady(t);
    },

    pushGap(gap, arrivalMs) {
      alive();
      if (!Number.isInteger(gap.startSample) || gap.startSample < 0 || !Number.isInteger(gap.lengthSamples) || gap.lengthSamples <= 0) {
        throw new DomainError('invalid-gap', `gap must have a non-negative integer start and a positive integer length, got ${gap.startSample}+${gap.lengthSamples}`);
      }
      if (ring.endSample >= 0 && gap.startSample < ring.endSample) {
        throw new DomainError('invalid-gap', `gap starts at sample ${gap.startSample}, inside data already received (up to ${ring.endSample})`);
      }
      const t = arrivalMs ?? now();
      recordGap(gap);
      ring.holdTo(gap.startSample + gap.lengthSamples);
      noteWindows(t);
      return emitReady(t);
    },

    flush(arrivalMs) {
      alive();
      if (pending.length === 0) return NONE;
      const last = pending[pending.length - 1]!.endSample;
      const end = Math.max(ring.endSample, 0);
      if (last > end) {
        recordGap({ startSample: end, lengthSamples: last - end, reason: 'disconnected' });
        ring.holdTo(last);
      }
      return emitReady(arrivalMs ?? lastArrivalMs, true);
    },

    releaseEpoch(epoch) {
      if (disposed) return false;
      return releaseSet(epoch);
    },

    reuseEpochArrays(arrays) {
      if (disposed) return false;
      return adoptSet(arrays);
    },

    drainDisplay() {
      return display.drain();
    },

    stats() {
      return { ...stats };
    },

    reset() {
      ring.reset();
      display.reset();
      pending = [];
      recentEvents = [];
      eventsVersion++;
      gaps = [];
      cont = null;
      run = null;
      freeSets = [];
      emittedSets = new WeakMap();
      emittedBuffers = new WeakSet();
      confirmedTo = 0;
      for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] = 0;
    },

    dispose() {
      disposed = true;
      pending = [];
      recentEvents = [];
      gaps = [];
      work = new Float32Array(0);
      contFiltered = new Float32Array(0);
      contEnvelope = new Float32Array(0);
      spareFiltered = new Float32Array(0);
      spareEnvelope = new Float32Array(0);
      scaled = new Float32Array(0);
      cont = null;
      run = null;
      freeSets = [];
      emittedSets = new WeakMap();
      emittedBuffers = new WeakSet();
      sosFilter.dispose();
      envelope.dispose();
    },
  };
}
