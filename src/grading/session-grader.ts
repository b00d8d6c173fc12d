import type { Montage } from '../domain';
import type { PartialEpoch, StimulusEpoch } from '../pipeline/epoch';
import { DEFAULT_PULSE_RESPONSE, DEFAULT_TRAIN_GRADING, type PulseResponseOptions, type TrainGradingOptions } from './options';
import { PHILLIPS_PARK_RULES, type SuggestionRules } from './suggestion';
import { measurePulse, ThresholdTracker, type PulseResponse, type ThresholdEstimate } from './threshold';
import { gradeTrain, prepareTrain, type GradedTrain, type PreparedTrain } from './train';
import { warmUpGrading } from './warmup';

export type GradingEvent =
  | { readonly type: 'train-grade'; readonly grade: GradedTrain }
  | { readonly type: 'pulse-response'; readonly response: PulseResponse }
  | { readonly type: 'threshold'; readonly threshold: ThresholdEstimate }
  /** An epoch that could not be graded (no target, montage mismatch); the stream goes on. */
  | { readonly type: 'skipped'; readonly onsetSample: number; readonly reason: string };

/** Prepared trains kept at most (SessionGrader.prepare). */
const MAX_PREPARED = 4;

export interface SessionGraderConfig {
  readonly montage: Montage;
  readonly train?: TrainGradingOptions;
  readonly pulse?: PulseResponseOptions;
  readonly rules?: SuggestionRules;
}

/**
 * The streaming grader of a session: fed the pipeline's StimulusEpochs in order, it grades trains and
 * measures single pulses, keeping every target's threshold up to date. Live acquisition, replay and
 * imported recordings all go through this one class (architecture: one code path), so they give
 * identical results. Pure: no clock, no I/O; listeners are called synchronously.
 */
export class SessionGrader {
  private readonly listeners = new Set<(e: GradingEvent) => void>();
  private readonly thresholds: ThresholdTracker;
  private readonly config: Required<SessionGraderConfig>;
  /** Trains prepared (two-phase grading) and not yet graded, by first pulse sample; a few at most. */
  private readonly prepared = new Map<number, PreparedTrain>();

  constructor(config: SessionGraderConfig) {
    this.config = {
      montage: config.montage,
      train: config.train ?? DEFAULT_TRAIN_GRADING,
      pulse: config.pulse ?? DEFAULT_PULSE_RESPONSE,
      rules: config.rules ?? PHILLIPS_PARK_RULES,
    };
    this.thresholds = new ThresholdTracker(this.config.pulse);
  }

  /** Subscribes to grading events; returns the disposer. */
  on(listener: (e: GradingEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Phase one of two-phase grading (prepareTrain): called with a train epoch whose pre-stimulus window and
   * train are final while its post-train window is still arriving (PipelineConfig.onTrainPartFinal); the
   * train part of its grading is done now, the post-train part as it becomes final (advance), and both are
   * used when the epoch is pushed, so the grade comes out sooner after the window's end and identical to
   * grading without them. Anything else is ignored, and so is a failure (the epoch is then graded from
   * scratch when pushed).
   */
  prepare(view: PartialEpoch): void {
    const s = view.event.stimulation;
    if (s.mode !== 'train' || !s.target) return;
    let p: PreparedTrain | null = null;
    try {
      p = prepareTrain(view, this.trainConfig());
    } catch {
      p = null;
    }
    if (p === null) return;
    this.drop(view.event.sampleIndex);
    this.prepared.set(view.event.sampleIndex, p);
    // Epochs are pushed about in order: a few pending at most (one normally); drop the oldest beyond.
    while (this.prepared.size > MAX_PREPARED) this.drop(this.prepared.keys().next().value!);
  }

  /**
   * The incremental phase of two-phase grading: the final part of a prepared train's epoch has grown
   * (PipelineConfig.onPostTrainProgress); the post-train work over the newly final samples (cleaned
   * signal, exclusion mask, envelope bins, dead-channel sums) is done now, so that when the window
   * completes only the last block's share and the decision are left. A view of another run (the
   * preparation is stale) drops the preparation; anything else is ignored.
   */
  advance(view: PartialEpoch): void {
    const p = this.prepared.get(view.event.sampleIndex);
    if (p === undefined) return;
    let ok = false;
    try {
      ok = p.advance(view);
    } catch {
      ok = false;
    }
    if (!ok) this.drop(view.event.sampleIndex);
  }

  /**
   * The pipeline hooks of two-phase grading bound to this grader, to spread into createPipeline's config:
   * `onTrainPartFinal` prepares, `onPostTrainProgress` advances. Every live path (worker, in-process
   * analyzer, replay, offline grading) uses these, so they grade alike.
   */
  pipelineHooks(): { readonly onTrainPartFinal: (view: PartialEpoch) => void; readonly onPostTrainProgress: (view: PartialEpoch) => void } {
    return { onTrainPartFinal: (view) => this.prepare(view), onPostTrainProgress: (view) => this.advance(view) };
  }

  /**
   * Grades a synthetic train (and measures a synthetic single pulse) of this session's montage at the
   * given rate and channel count through both phases, so that the first live grades do not run cold
   * (un-optimised code, unsized buffer pools). Emits no event and changes no state of the session (no
   * thresholds, no preparations); done once per process for each rate and channel count. Never throws.
   */
  warmUp(shape: { readonly sampleRateHz: number; readonly channelCount: number }): void {
    try {
      warmUpGrading(this.trainConfig(), this.config.pulse, shape);
    } catch {
      // a warm-up failure only costs the first grades their speed
    }
  }

  private drop(onsetSample: number): void {
    this.prepared.get(onsetSample)?.release();
    this.prepared.delete(onsetSample);
  }

  private trainConfig(): { montage: Montage; options: TrainGradingOptions; rules: SuggestionRules } {
    return { montage: this.config.montage, options: this.config.train, rules: this.config.rules };
  }

  /** Grades one epoch; returns the events it produced (also sent to listeners). */
  push(epoch: StimulusEpoch): GradingEvent[] {
    const out: GradingEvent[] = [];
    const prepared = this.prepared.get(epoch.event.sampleIndex) ?? null;
    this.prepared.delete(epoch.event.sampleIndex);
    try {
      this.grade(epoch, prepared, out);
    } finally {
      prepared?.release();
    }
    for (const e of out) for (const l of this.listeners) l(e);
    return out;
  }

  private grade(epoch: StimulusEpoch, prepared: PreparedTrain | null, out: GradingEvent[]): void {
    const s = epoch.event.stimulation;
    if (s.mode === 'train') {
      if (!s.target) {
        out.push({ type: 'skipped', onsetSample: epoch.event.sampleIndex, reason: 'train without a target root: spread cannot be graded' });
      } else {
        try {
          out.push({ type: 'train-grade', grade: gradeTrain(epoch, this.trainConfig(), prepared) });
        } catch (e) {
          out.push({ type: 'skipped', onsetSample: epoch.event.sampleIndex, reason: e instanceof Error ? e.message : String(e) });
        }
      }
    } else {
      const response = measurePulse(epoch, this.config.pulse);
      out.push({ type: 'pulse-response', response });
      const t = this.thresholds.add(response);
      if (t) out.push({ type: 'threshold', threshold: t });
    }
  }

  thresholdsSoFar(): ThresholdEstimate[] {
    return this.thresholds.all();
  }

  dispose(): void {
    this.listeners.clear();
    for (const p of this.prepared.values()) p.release();
    this.prepared.clear();
  }
}
