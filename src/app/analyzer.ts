import type { Montage, SampleBlock, SampleGap, StimulationEvent, TrainGrade } from '../domain';
import { createPipeline, type DisplayFrame, type EpochTiming, type Pipeline, type PipelineSettingsInput, type StimulationReports, type StimulusEpoch } from '../pipeline';
import { SessionGrader } from '../grading/session-grader';
import type { PulseResponse, ThresholdEstimate } from '../grading/threshold';
import type { GradingEvent } from '../grading/session-grader';
import { startPipelineWorker } from './pipeline-worker-host';
import type { TraceFrame } from '../contracts';

/** Where the analysis reports to. Called on the thread that owns the app service. */
export interface AnalyzerSink {
  /**
   * A train graded (its onset is `grade.onsetSample`); `latencyMs` = grade emission - arrival of the
   * block holding the last sample of its analysis window (EpochTiming.windowCompletedAtMs): with a device
   * that confirms its stimulation reports about the grading time, otherwise that plus the event lag.
   */
  grade(grade: TrainGrade, latencyMs: number | null): void;
  /** A single pulse measured (response per channel). */
  pulse(response: PulseResponse): void;
  /** A target's threshold estimate after a pulse (lowest reproducible intensity so far). */
  threshold(estimate: ThresholdEstimate): void;
  /** Every stimulus-locked epoch cut (trains and single pulses), for display of recent traces. */
  epoch(epoch: StimulusEpoch): void;
  /** Live trace, decimated (lossy upstream). `droppedFrames` is filled in by the app. */
  trace(frame: Omit<TraceFrame, 'droppedFrames'>): void;
  error(message: string): void;
}

export interface AnalyzerConfig {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly montage: Montage;
  readonly settings?: PipelineSettingsInput;
  /**
   * 'confirmed' when the source confirms its stimulation reports (DeviceInfo.confirmsStimulations; its
   * 'stimulations-confirmed' events go to `confirmStimulationsTo`): trains are graded as soon as their
   * window has arrived. Default 'lagging' (epochs wait settings.epoch.eventLagMs for late reports).
   */
  readonly stimulationReports?: StimulationReports;
  /** Monotonic clock, ms (latency measurement). */
  readonly nowMs: () => number;
}

/** Acquisition-side analysis: the pipeline and the grader, fed with the device stream. */
export interface Analyzer {
  pushBlock(block: SampleBlock, arrivalMs: number): void;
  pushStimulation(event: StimulationEvent, arrivalMs: number): void;
  /** Only with `stimulationReports: 'confirmed'`: every stimulation starting before `throughSample` has been pushed. */
  confirmStimulationsTo(throughSample: number, arrivalMs: number): void;
  pushGap(gap: SampleGap, arrivalMs: number): void;
  /** Emits whatever the live display has accumulated (call at display rate). */
  drainDisplay(): void;
  /**
   * An epoch handed to the sink that nothing reads any more: its arrays may be refilled with a later
   * epoch (Pipeline.releaseEpoch; across to the worker, transferred). Optional to call; never throws.
   */
  releaseEpoch?(epoch: StimulusEpoch): void;
  /** Settles once the analysis is set up (the worker thread started and configured); never rejects. */
  readonly ready?: Promise<void>;
  dispose(): Promise<void>;
}

export type AnalyzerFactory = (config: AnalyzerConfig, sink: AnalyzerSink) => Analyzer;

/**
 * Splits a pipeline display frame at its gaps (column start samples that jump) into trace frames, so a
 * gap is never drawn as continuous signal.
 */
export function displayToTraceFrames(f: DisplayFrame): Omit<TraceFrame, 'droppedFrames'>[] {
  const out: Omit<TraceFrame, 'droppedFrames'>[] = [];
  let runStart = 0;
  for (let j = 1; j <= f.columnCount; j++) {
    const broken = j === f.columnCount || f.columnStartSample[j] !== f.columnStartSample[j - 1]! + f.samplesPerColumn;
    if (!broken) continue;
    const channels = [];
    for (let c = 0; c < f.channelCount; c++) {
      const base = c * f.columnCount;
      const minUv: number[] = [];
      const maxUv: number[] = [];
      for (let k = runStart; k < j; k++) {
        minUv.push(Math.round(f.minUv[base + k]! * 100) / 100);
        maxUv.push(Math.round(f.maxUv[base + k]! * 100) / 100);
      }
      channels.push({ channel: c, minUv, maxUv });
    }
    out.push({ startSample: f.columnStartSample[runStart]!, sampleRateHz: f.sampleRateHz, samplesPerPoint: f.samplesPerColumn, channels });
    runStart = j;
  }
  return out;
}

function routeGrading(e: GradingEvent, windowCompletedAtMs: number, config: AnalyzerConfig, sink: AnalyzerSink): void {
  if (e.type === 'train-grade') sink.grade(e.grade, Math.max(0, config.nowMs() - windowCompletedAtMs));
  else if (e.type === 'pulse-response') sink.pulse(e.response);
  else if (e.type === 'threshold') sink.threshold(e.threshold);
  else sink.error(`stimulation at sample ${e.onsetSample} not graded: ${e.reason}`);
}

/**
 * The product's analysis: pipeline and SessionGrader in a worker thread (src/app/pipeline-worker), so
 * decoding, storage and the UI never wait on filtering or grading. Blocks are copied once into the
 * transfer (the device's array stays usable by its other listeners).
 */
export function createWorkerAnalyzer(config: AnalyzerConfig, sink: AnalyzerSink): Analyzer {
  let disposed = false;
  const worker = startPipelineWorker({
    sampleRateHz: config.sampleRateHz,
    channelCount: config.channelCount,
    unit: 'uV',
    settings: config.settings,
    ...(config.stimulationReports ? { stimulationReports: config.stimulationReports } : {}),
    montage: config.montage,
    postEpochs: true,
    onEpoch: (epoch) => sink.epoch(epoch),
    onGrading: (event, _completedAtMs, windowCompletedAtMs) => routeGrading(event, windowCompletedAtMs, config, sink),
    onError: (code, message) => { if (!disposed) sink.error(`analysis (${code}): ${message}`); },
  });
  worker.ready.catch((e: unknown) => sink.error(`analysis worker did not start: ${(e as Error).message}`));
  let draining = false;
  const ready = worker.ready.then(() => undefined, () => undefined);
  const guard = (what: string, fn: () => void) => {
    if (disposed) return;
    try {
      fn();
    } catch (e) {
      sink.error(`${what}: ${(e as Error).message}`);
    }
  };
  return {
    ready,
    pushBlock: (b, t) => guard('analysis block', () => worker.pushBlock({ ...b, data: b.data.slice() }, t)),
    pushStimulation: (e) => guard('analysis stimulation', () => worker.pushStimulation(e)),
    confirmStimulationsTo: (n, t) => guard('analysis confirmation', () => worker.confirmStimulationsTo(n, t)),
    pushGap: (g, t) => guard('analysis gap', () => worker.pushGap(g, t)),
    releaseEpoch: (epoch) => {
      if (disposed) return;
      try {
        worker.reuseEpoch(epoch);
      } catch {
        // the worker is gone: the arrays are only garbage then
      }
    },
    drainDisplay: () => {
      if (draining || disposed) return;
      draining = true;
      worker.drainDisplay().then((f) => {
        if (f && f.columnCount > 0 && !disposed) for (const t of displayToTraceFrames(f)) sink.trace(t);
      }, () => undefined).finally(() => { draining = false; });
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      await worker.dispose();
    },
  };
}

/**
 * The analysis run in the calling thread: createPipeline (src/pipeline) cuts epochs, SessionGrader
 * (src/grading) grades trains and measures single pulses against the case montage. Used where no worker is available and in
 * tests; the live app prefers the worker host so acquisition never waits on grading.
 */
export function createInProcessAnalyzer(config: AnalyzerConfig, sink: AnalyzerSink): Analyzer {
  const grader = new SessionGrader({ montage: config.montage });
  const onEpoch = (epoch: StimulusEpoch, timing: EpochTiming) => {
    // graded first, as in the worker: the sink may release the epoch
    for (const e of grader.push(epoch)) routeGrading(e, timing.windowCompletedAtMs, config, sink);
    sink.epoch(epoch);
  };
  const pipeline: Pipeline = createPipeline({
    sampleRateHz: config.sampleRateHz,
    channelCount: config.channelCount,
    unit: 'uV',
    settings: config.settings,
    ...(config.stimulationReports ? { stimulationReports: config.stimulationReports } : {}),
    now: config.nowMs,
    onEpoch,
    // two-phase grading: a train's train part is graded while its post-train window arrives, and its
    // post-train part as that becomes final
    ...grader.pipelineHooks(),
  });
  // the first live grades run warm (no event, no session state)
  grader.warmUp({ sampleRateHz: config.sampleRateHz, channelCount: config.channelCount });
  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      sink.error(`${what}: ${(e as Error).message}`);
    }
  };
  return {
    pushBlock: (b, t) => guard('pipeline block', () => { pipeline.pushBlock(b, t); }),
    pushStimulation: (e) => guard('pipeline stimulation', () => { pipeline.pushStimulation(e); }),
    confirmStimulationsTo: (n, t) => guard('pipeline confirmation', () => { pipeline.confirmStimulationsTo(n, t); }),
    pushGap: (g, t) => guard('pipeline gap', () => { pipeline.pushGap(g, t); }),
    releaseEpoch: (epoch) => {
      pipeline.releaseEpoch(epoch);
    },
    drainDisplay: () => {
      const f = pipeline.drainDisplay();
      if (f && f.columnCount > 0) for (const t of displayToTraceFrames(f)) sink.trace(t);
    },
    dispose: async () => {
      grader.dispose();
      pipeline.dispose();
    },
  };
}
