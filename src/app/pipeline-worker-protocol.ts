import type { Montage, SampleBlock, SampleGap, StimulationEvent } from '../domain';
import type { GradingEvent } from '../grading/session-grader';
import type { DisplayFrame, EpochTiming, InputUnit, PipelineSettingsInput, PipelineStats, StimulusEpoch } from '../pipeline';

/** Messages from the host (main thread) to the pipeline worker. */
export type ToPipelineWorker =
  | {
      readonly type: 'init';
      readonly sampleRateHz: number;
      readonly channelCount: number;
      readonly unit: InputUnit;
      readonly settings?: PipelineSettingsInput;
      /** When given, the worker also grades every epoch (SessionGrader) and posts grading events. */
      readonly montage?: Montage;
      /** Whether to post every epoch back (arrays transferred); grading alone may not need them. */
      readonly postEpochs: boolean;
    }
  /** `block.data` is transferred, not copied. `arrivalMs` is on the host's clock. */
  | { readonly type: 'block'; readonly block: SampleBlock; readonly arrivalMs: number }
  | { readonly type: 'stimulation'; readonly event: StimulationEvent }
  | { readonly type: 'gap'; readonly gap: SampleGap; readonly arrivalMs: number }
  | { readonly type: 'flush'; readonly requestId: number; readonly arrivalMs: number }
  | { readonly type: 'drain-display'; readonly requestId: number }
  | { readonly type: 'stats'; readonly requestId: number }
  | { readonly type: 'close' };

/** Messages from the pipeline worker to the host. */
export type FromPipelineWorker =
  | { readonly type: 'ready'; readonly warmupSamples: number; readonly eventLagSamples: number }
  /** `timing.completedAtMs` is the host's arrival time of the block that completed the epoch. */
  | { readonly type: 'epoch'; readonly epoch: StimulusEpoch; readonly timing: EpochTiming }
  | { readonly type: 'grading'; readonly event: GradingEvent; readonly completedAtMs: number }
  | { readonly type: 'flushed'; readonly requestId: number }
  | { readonly type: 'display'; readonly requestId: number; readonly frame: DisplayFrame | null }
  | { readonly type: 'stats'; readonly requestId: number; readonly stats: PipelineStats }
  /** A refused input or a failure; the worker keeps running (bad input loses nothing already received). */
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | { readonly type: 'closed' };

/** Buffers of an epoch, listed for transfer (each epoch owns its arrays). */
export function epochTransferList(e: StimulusEpoch): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const a of [e.raw, e.filtered, e.envelope, e.blanked]) {
    const b = a.buffer;
    if (b instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === b.byteLength && !list.includes(b)) list.push(b);
  }
  return list;
}
