import { DomainError, pulseCount, type SampleBlock, type SampleGap, type StimulationEvent } from '../domain';
import { blankWindowSamples, interpolateMasked, lastBlankedSample, markPulses, zeroMasked, type BlankWindowSamples } from './blanking';
import { DisplayDecimator, type DisplayFrame } from './display';
import { EnvelopeStage } from './envelope';
import type { StimulusEpoch } from './epoch';
import { SampleRing } from './ring';
import { microvoltsPerUnit, type InputUnit } from './scale';
import { resolvePipelineSettings, type PipelineSettings, type PipelineSettingsInput } from './settings';
import { designFilterChain, SosFilter, type ResolvedFilter } from './sos-filter';
import { PipelineConfigError, requireChannelCount, requireSampleRateHz } from './stage';

/** When an epoch became complete and when it was emitted, by the injected clock (ms). */
export interface EpochTiming {
  /** Arrival time of the block (or gap) that completed the epoch's window. */
  readonly completedAtMs: number;
  readonly emittedAtMs: number;
}

export interface PipelineConfig {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  /** Unit of incoming block samples; required (no silent uV default). */
  readonly unit: InputUnit;
  readonly settings?: PipelineSettingsInput;
  /** Clock for latency measurement, ms; defaults to performance.now. */
  readonly now?: () => number;
  readonly onEpoch?: (epoch: StimulusEpoch, timing: EpochTiming) => void;
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
}

export interface Pipeline {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly settings: PipelineSettings;
  readonly filter: ResolvedFilter;
  /** Samples of filter warm-up run before each epoch window. */
  readonly warmupSamples: number;
  /** An epoch waits this many samples past its end for late stimulation events (settings.epoch.eventLagMs). */
  readonly eventLagSamples: number;
  /** Adds samples; returns the epochs whose windows this block completed (also passed to onEpoch). */
  pushBlock(block: SampleBlock, arrivalMs?: number): readonly StimulusEpoch[];
  /**
   * Registers a stimulation. Never emits by itself: its epoch (and any other epoch) is emitted by a later
   * pushBlock / pushGap / flush, once the data reaches the window's end plus `eventLagSamples`.
   */
  pushStimulation(event: StimulationEvent): void;
  pushGap(gap: SampleGap, arrivalMs?: number): readonly StimulusEpoch[];
  /** End of stream: emits every pending epoch, its missing tail recorded as a gap. */
  flush(arrivalMs?: number): readonly StimulusEpoch[];
  /** Latest decimated live trace (lossy), or null if nothing new. */
  drainDisplay(): DisplayFrame | null;
  stats(): PipelineStats;
  reset(): void;
  dispose(): void;
}

const NONE: readonly StimulusEpoch[] = Object.freeze([]);
const MAX_AUTO_WARMUP_MS = 3000;
const WARMUP_TOLERANCE = 1e-6;

interface PendingEpoch {
  readonly event: StimulationEvent;
  readonly startSample: number;
  readonly preSamples: number;
  readonly stimSamples: number;
  readonly postSamples: number;
  readonly endSample: number;
}

/**
 * The streaming signal pipeline: sample blocks + stimulation events + gaps in, stimulus-locked epochs
 * (raw, blanked and band-passed, envelope) and a lossy display trace out.
 *
 * Where the work is spent (the budget is 16 ch x 10 kHz at >= 1000x real time for pipeline and grading):
 * every incoming sample is only copied into a ring of recent raw data and folded into the min/max display
 * columns. Blanking, filtering and the envelope run once per epoch, over the epoch window plus a filter
 * warm-up before it (`warmupSamples`, long enough for the slowest filter pole to settle to 1e-6 and for
 * the envelope, started with the filters, to forget its zero start (20 time constants); the
 * filter state primed to the steady state of the first sample so electrode offsets start no transient).
 * When the previous epoch's run ended within the next epoch's warm-up (1 Hz single-pulse ramps, a pulse
 * after a train), the next epoch continues that run instead, so close epochs cost no warm-up and the
 * filters see each sample about once (see `cont` in the epoch cutter).
 * Stimulations are seconds apart in SDR and epochs are about 1-3 s long, so this filters at most about
 * the stream once, and needs no look-ahead: an epoch is only cut once its whole window has arrived, by which
 * time every pulse inside it is known and can be blanked before the filters see it (the epoch waits
 * `eventLagSamples` more so a device may report a stimulation a little after its first pulse's samples).
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

  // Ring: warm-up + a 5 s train epoch + 2 s slack for late events; grown if a longer train arrives.
  const baseCapacity = warmupSamples + preSamples + ms(5000) + ms(settings.epoch.postTrainMs) + eventLagSamples + ms(2000);
  const ring = new SampleRing(channelCount, baseCapacity);
  const display = new DisplayDecimator(channelCount, sampleRateHz, settings.display);
  let scaled = new Float32Array(0);
  let work = new Float32Array(0);
  let mask = new Uint8Array(0);

  let pending: PendingEpoch[] = [];
  let recentEvents: StimulationEvent[] = [];
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
    return { event, startSample, preSamples, stimSamples, postSamples, endSample: startSample + preSamples + stimSamples + postSamples };
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
  // Own copies: the emitted epoch's arrays may be transferred to another thread.
  let contFiltered = new Float32Array(0);
  let contEnvelope = new Float32Array(0);
  let work2 = new Float32Array(0);

  function copyPlanar(src: Float32Array, srcStride: number, srcFrom: number, dst: Float32Array, dstStride: number, dstFrom: number, n: number): void {
    if (n <= 0) return;
    for (let c = 0; c < channelCount; c++) dst.set(src.subarray(c * srcStride + srcFrom, c * srcStride + srcFrom + n), c * dstStride + dstFrom);
  }

  function cut(p: PendingEpoch): StimulusEpoch {
    const length = p.endSample - p.startSample;
    const raw = new Float32Array(length * channelCount);
    const filtered = new Float32Array(length * channelCount);
    const env = new Float32Array(length * channelCount);
    const blanked = new Uint8Array(length);
    let missingInEpoch: number;
    const c0 = cont;
    const resume =
      c0 !== null &&
      p.startSample >= c0.start &&
      p.endSample > c0.end &&
      p.startSample - warmupSamples < c0.end &&
      c0.end - 1 >= ring.oldestSample &&
      c0.end <= ring.endSample;
    let resumed = false;
    if (resume) {
      // Blanking mask over [lo, end): lo covers the epoch's start and the sample before the resume point.
      const e0 = c0.end;
      const lo = Math.min(p.startSample, e0 - 1);
      const span = p.endSample - lo;
      if (mask.length < span) mask = new Uint8Array(span);
      mask.fill(0, 0, span);
      markPulses(mask, lo, span, recentEvents, sampleRateHz, blankW);
      // A blanking run across the resume point was interpolated differently by the previous run: start afresh.
      if (mask[e0 - 1 - lo] === 0) {
        resumed = true;
        const frames = p.endSample - (e0 - 1);
        missingInEpoch = ring.read(raw, length, 0, p.startSample, length);
        if (work.length < frames * channelCount) work = new Float32Array(frames * channelCount);
        ring.read(work, frames, 0, e0 - 1, frames);
        const m = mask.subarray(e0 - 1 - lo, span);
        interpolateMasked(work, channelCount, frames, m);
        const n = frames - 1;
        if (work2.length < n * channelCount) work2 = new Float32Array(Math.max(n * channelCount, 2 * work2.length));
        copyPlanar(work, frames, 1, work2, n, 0, n);
        sosFilter.process(work2, work2, n);
        if (settings.blanking.fill === 'zero') zeroMasked(work2, channelCount, n, m.subarray(1));
        // [start, e0) from the previous run, [e0, end) from this one
        const head = e0 - p.startSample;
        copyPlanar(contFiltered, c0.end - c0.start, p.startSample - c0.start, filtered, length, 0, head);
        copyPlanar(contEnvelope, c0.end - c0.start, p.startSample - c0.start, env, length, 0, head);
        const skip = Math.max(0, -head);
        copyPlanar(work2, n, skip, filtered, length, Math.max(0, head), n - skip);
        envelope.process(work2, work2, n);
        copyPlanar(work2, n, skip, env, length, Math.max(0, head), n - skip);
        blanked.set(mask.subarray(p.startSample - lo, span));
      }
    }
    if (!resumed) {
      const wStart = Math.max(p.startSample - warmupSamples, Math.min(ring.oldestSample, p.startSample));
      const lead = p.startSample - wStart;
      const frames = lead + length;
      if (work.length < frames * channelCount) work = new Float32Array(frames * channelCount);
      if (mask.length < frames) mask = new Uint8Array(frames);
      const missingLead = ring.read(work, frames, 0, wStart, frames);
      copyPlanar(work, frames, lead, raw, length, 0, length);

      mask.fill(0, 0, frames);
      markPulses(mask, wStart, frames, recentEvents, sampleRateHz, blankW);
      interpolateMasked(work, channelCount, frames, mask);

      sosFilter.reset();
      sosFilter.primeFrom(work, frames);
      sosFilter.process(work, work, frames);
      if (settings.blanking.fill === 'zero') zeroMasked(work, channelCount, frames, mask);
      copyPlanar(work, frames, lead, filtered, length, 0, length);

      envelope.reset();
      envelope.process(work, work, frames);
      copyPlanar(work, frames, lead, env, length, 0, length);
      blanked.set(mask.subarray(lead, frames));
      missingInEpoch = Math.max(0, missingLead - lead);
    }
    if (contFiltered.length < filtered.length) {
      contFiltered = new Float32Array(filtered.length);
      contEnvelope = new Float32Array(filtered.length);
    }
    contFiltered.set(filtered);
    contEnvelope.set(env);
    cont = { start: p.startSample, end: p.endSample };

    const overlapping = gaps.filter((g) => g.startSample < p.endSample && g.startSample + g.lengthSamples > p.startSample);
    if (missingInEpoch! > 0) {
      overlapping.unshift({ startSample: p.startSample, lengthSamples: missingInEpoch!, reason: ring.oldestSample > 0 && stats.samplesPerChannel > ring.capacity ? 'overflow' : 'unknown' });
    }
    return {
      event: p.event,
      sampleRateHz,
      channelCount,
      startSample: p.startSample,
      preSamples: p.preSamples,
      stimSamples: p.stimSamples,
      postSamples: p.postSamples,
      raw,
      filtered,
      envelope: env,
      blanked,
      gaps: overlapping,
    };
  }

  function emitReady(arrivalMs: number, all = false): readonly StimulusEpoch[] {
    if (pending.length === 0) return NONE;
    const end = all ? Infinity : ring.endSample - eventLagSamples;
    if (ring.endSample < 0 || pending[0]!.endSample > end) return NONE;
    const out: StimulusEpoch[] = [];
    while (pending.length > 0 && pending[0]!.endSample <= end) {
      const p = pending.shift()!;
      const epoch = cut(p);
      out.push(epoch);
      stats.epochsEmitted++;
      const emittedAtMs = now();
      const latency = emittedAtMs - arrivalMs;
      stats.lastEpochLatencyMs = latency;
      if (latency > stats.maxEpochLatencyMs) stats.maxEpochLatencyMs = latency;
      config.onEpoch?.(epoch, { completedAtMs: arrivalMs, emittedAtMs });
    }
    prune();
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
      display.push(src, frames, 0, frames, block.startSample);
      stats.blocks++;
      stats.samplesPerChannel += frames;
      return emitReady(t);
    },

    pushStimulation(event) {
      alive();
      if (!Number.isInteger(event.sampleIndex) || event.sampleIndex < 0) {
        throw new DomainError('invalid-stimulation', `stimulation sampleIndex must be a non-negative integer, got ${event.sampleIndex}`);
      }
      if (pulseCount(event.stimulation) < 1) throw new DomainError('invalid-stimulation', 'stimulation has no pulse');
      const p = windowFor(event);
      ring.ensureCapacity(warmupSamples + (p.endSample - p.startSample) + eventLagSamples + ms(2000));
      stats.stimulations++;
      if (cont !== null && event.sampleIndex - blankW.before < cont.end) cont = null;
      recentEvents.push(event);
      recentEvents.sort((a, b) => a.sampleIndex - b.sampleIndex);
      pending.push(p);
      pending.sort((a, b) => a.endSample - b.endSample || a.event.sampleIndex - b.event.sampleIndex);
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
      gaps = [];
      cont = null;
      for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] = 0;
    },

    dispose() {
      disposed = true;
      pending = [];
      recentEvents = [];
      gaps = [];
      work = new Float32Array(0);
      work2 = new Float32Array(0);
      contFiltered = new Float32Array(0);
      contEnvelope = new Float32Array(0);
      scaled = new Float32Array(0);
      cont = null;
      sosFilter.dispose();
      envelope.dispose();
    },
  };
}
