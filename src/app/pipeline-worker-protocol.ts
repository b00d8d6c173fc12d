import type { Montage, SampleBlock, SampleGap, StimulationEvent } from '../domain';
import type { GradingEvent } from '../grading/session-grader';
import type { DisplayFrame, EpochTiming, InputUnit, PipelineSettingsInput, PipelineStats, StimulationReports, StimulusEpoch } from '../pipeline';

/** Messages from the host (main thread) to the pipeline worker. */
export type ToPipelineWorker =
  | {
      readonly type: 'init';
      readonly sampleRateHz: number;
      readonly channelCount: number;
      readonly unit: InputUnit;
      readonly settings?: PipelineSettingsInput;
      /** 'confirmed' when the source sends 'stimulations-confirmed' messages (a device that confirms); default 'lagging'. */
      readonly stimulationReports?: StimulationReports;
      /** When given, the worker also grades every epoch (SessionGrader) and posts grading events. */
      readonly montage?: Montage;
      /** Whether to post every epoch back (arrays transferred); grading alone may not need them. */
      readonly postEpochs: boolean;
    }
  /** `block.data` is transferred, not copied. `arrivalMs` is on the host's clock. */
  | { readonly type: 'block'; readonly block: SampleBlock; readonly arrivalMs: number }
  | { readonly type: 'stimulation'; readonly event: StimulationEvent }
  /** Every stimulation starting before `throughSample` has been sent ('confirmed' pipelines only); checked by parseConfirmation. */
  | StimulationsConfirmedMessage
  | { readonly type: 'gap'; readonly gap: SampleGap; readonly arrivalMs: number }
  | { readonly type: 'flush'; readonly requestId: number; readonly arrivalMs: number }
  | { readonly type: 'drain-display'; readonly requestId: number }
  | { readonly type: 'stats'; readonly requestId: number }
  /**
   * The arrays of an epoch posted earlier, transferred back once the host no longer uses them, for the
   * pipeline to fill with a later epoch (Pipeline.reuseEpochArrays): a long session then allocates no
   * epoch arrays, and the worker's garbage collector has none to chase while it grades.
   */
  | { readonly type: 'reuse-epoch'; readonly raw: Float32Array; readonly filtered: Float32Array; readonly envelope: Float32Array; readonly blanked: Uint8Array }
  | { readonly type: 'close' };

/** Messages from the pipeline worker to the host. */
export type FromPipelineWorker =
  | { readonly type: 'ready'; readonly warmupSamples: number; readonly eventLagSamples: number }
  /** `timing` times are the host's arrival times (EpochTiming: the input that completed the epoch, the block holding its window's end). */
  | { readonly type: 'epoch'; readonly epoch: StimulusEpoch; readonly timing: EpochTiming }
  | { readonly type: 'grading'; readonly event: GradingEvent; readonly completedAtMs: number; readonly windowCompletedAtMs: number }
  | { readonly type: 'flushed'; readonly requestId: number }
  | { readonly type: 'display'; readonly requestId: number; readonly frame: DisplayFrame | null }
  | { readonly type: 'stats'; readonly requestId: number; readonly stats: PipelineStats }
  /** A refused input or a failure; the worker keeps running (bad input loses nothing already received). */
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | { readonly type: 'closed' };

export interface StimulationsConfirmedMessage {
  readonly type: 'stimulations-confirmed';
  readonly throughSample: number;
  /** Host clock, as for blocks. */
  readonly arrivalMs: number;
}

/**
 * Validates a 'stimulations-confirmed' message as it enters the worker (structured clone keeps any shape):
 * the message, or why it is refused. The pipeline checks the order (never backwards) itself.
 */
export function parseConfirmation(msg: unknown): StimulationsConfirmedMessage | string {
  if (typeof msg !== 'object' || msg === null) return 'stimulations-confirmed: not an object';
  const m = msg as Record<string, unknown>;
  if (m.type !== 'stimulations-confirmed') return `stimulations-confirmed: wrong type ${String(m.type)}`;
  const { throughSample, arrivalMs } = m;
  if (typeof throughSample !== 'number' || !Number.isSafeInteger(throughSample) || throughSample < 0) return `stimulations-confirmed: throughSample must be a non-negative integer, got ${String(throughSample)}`;
  if (typeof arrivalMs !== 'number' || !Number.isFinite(arrivalMs)) return `stimulations-confirmed: arrivalMs must be a finite number, got ${String(arrivalMs)}`;
  return { type: 'stimulations-confirmed', throughSample, arrivalMs };
}

/** Buffers of an epoch, listed for transfer (each epoch owns its arrays). */
export function epochTransferList(e: StimulusEpoch): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const a of [e.raw, e.filtered, e.envelope, e.blanked]) {
    const b = a.buffer;
    if (b instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === b.byteLength && !list.includes(b)) list.push(b);
  }
  return list;
}
