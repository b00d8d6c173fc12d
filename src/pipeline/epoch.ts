import type { SampleGap, StimulationEvent } from '../domain';

/**
 * A stimulus-locked epoch: the contract between the pipeline (which cuts it) and grading (which
 * judges it). All arrays are planar, channel-major: sample i of channel c is at `c * length + i`,
 * where `length = preSamples + stimSamples + postSamples`. Sample 0 of the epoch is `startSample`
 * on the session's running sample index; the first pulse is at `startSample + preSamples`.
 */
export interface StimulusEpoch {
  readonly event: StimulationEvent;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly startSample: number;
  /** Pre-stimulus baseline window. */
  readonly preSamples: number;
  /** From the first pulse to the end of the stimulation (train length, or the response window of a single pulse). */
  readonly stimSamples: number;
  /** Post-stimulation window, for after-discharge. */
  readonly postSamples: number;
  /** Scaled EMG in uV, before filtering (for dead / mains-only channel detection). */
  readonly raw: Float32Array;
  /** Band-passed (and notched if configured), stimulus-artifact blanked EMG in uV. */
  readonly filtered: Float32Array;
  /** Rectified, smoothed envelope of `filtered`, uV. */
  readonly envelope: Float32Array;
  /** 1 where the sample lies in an artifact-blanking window (same for every channel), else 0. */
  readonly blanked: Uint8Array;
  /** Gaps overlapping the epoch; a graded epoch with gaps carries a warning. */
  readonly gaps: readonly SampleGap[];
}

export function epochLength(e: Pick<StimulusEpoch, 'preSamples' | 'stimSamples' | 'postSamples'>): number {
  return e.preSamples + e.stimSamples + e.postSamples;
}

/**
 * An epoch whose window is still arriving (PipelineConfig.onTrainPartFinal, onPostTrainProgress): the full epoch's shape and
 * arrays, of which only samples [0, finalSamples) are final (every channel, the blanking and the gaps
 * there: nothing that arrives later changes them); the rest is unspecified. `gaps` lists the gaps known
 * so far. Valid only during the call it is handed to (the arrays are the pipeline's, still being filled).
 */
export interface PartialEpoch extends StimulusEpoch {
  readonly finalSamples: number;
}
