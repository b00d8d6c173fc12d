import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Montage, SampleBlock, SampleGap, StimulationEvent } from '../domain';
import type { GradingEvent } from '../grading/session-grader';
import type { DisplayFrame, EpochTiming, InputUnit, PipelineSettingsInput, PipelineStats, StimulationReports, StimulusEpoch } from '../pipeline';
import { epochTransferList, type FromPipelineWorker, type ToPipelineWorker } from './pipeline-worker-protocol';

export interface PipelineWorkerOptions {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly unit: InputUnit;
  readonly settings?: PipelineSettingsInput;
  /** 'confirmed' for a source that confirms its stimulation reports (then call confirmStimulationsTo); default 'lagging'. */
  readonly stimulationReports?: StimulationReports;
  /** Grade in the worker too (SessionGrader); grading events arrive through `onGrading`. */
  readonly montage?: Montage;
  /** Post every epoch back to the host (default true). */
  readonly postEpochs?: boolean;
  readonly onEpoch?: (epoch: StimulusEpoch, timing: EpochTiming) => void;
  /**
   * `completedAtMs`: the arrival time (host clock) of the block (or confirmation) that completed the graded
   * epoch; `windowCompletedAtMs`: of the block holding its window's last sample (EpochTiming).
   */
  readonly onGrading?: (event: GradingEvent, completedAtMs: number, windowCompletedAtMs: number) => void;
  readonly onError?: (code: string, message: string) => void;
  /** Worker script; defaults to the sibling pipeline-worker file (.ts from source, run through tsx). */
  readonly workerUrl?: URL;
}

export interface PipelineWorkerHandle {
  /** Resolves once the worker has configured its pipeline (rejects on a refused configuration). */
  readonly ready: Promise<{ warmupSamples: number; eventLagSamples: number }>;
  /**
   * Sends a block. Its buffer is transferred (the caller's array is detached afterwards) when the
   * array spans its whole buffer; otherwise the samples are copied once.
   */
  pushBlock(block: SampleBlock, arrivalMs: number): void;
  pushStimulation(event: StimulationEvent): void;
  /** 'confirmed' pipelines: every stimulation starting before `throughSample` has been pushed. */
  confirmStimulationsTo(throughSample: number, arrivalMs: number): void;
  pushGap(gap: SampleGap, arrivalMs: number): void;
  /** End of stream: resolves after every pending epoch has been delivered to onEpoch. */
  flush(arrivalMs: number): Promise<void>;
  drainDisplay(): Promise<DisplayFrame | null>;
  /**
   * Gives a posted epoch's arrays back to the worker for a later epoch (transferred: detached here
   * afterwards). Only for an epoch nothing on this side reads any more. Returns whether it was sent
   * (arrays that do not each span a whole, distinct buffer are not).
   */
  reuseEpoch(epoch: StimulusEpoch): boolean;
  stats(): Promise<PipelineStats>;
  /** Stops the worker; resolves when the thread has exited. */
  dispose(): Promise<void>;
}

/** The ESM build of tsx's loader API, located through tsx's package exports. */
function tsxEsmApiUrl(): string {
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } | string }> };
  const entry = pkg.exports?.['./esm/api']?.import;
  const rel = typeof entry === 'string' ? entry : entry?.default;
  if (!rel) throw new Error('tsx does not export ./esm/api: cannot start the TypeScript pipeline worker from source');
  return pathToFileURL(path.join(path.dirname(pkgPath), rel)).href;
}

/**
 * From source the worker is TypeScript: a tiny bootstrap registers tsx's loader inside the new thread,
 * then imports the entry. (execArgv ['--import', 'tsx'] does the same from a plain Node process, but
 * not from every host: test runners replace the loader chain.) A bundled build ships pipeline-worker.js.
 */
function spawnDefaultWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pipeline-worker.js', import.meta.url));
  const entry = new URL('./pipeline-worker.ts', import.meta.url).href;
  const tsxApi = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * Starts the signal pipeline (and optionally the grader) in a worker thread. Requests that expect an
 * answer carry an id; messages keep their order, so a flush's answer arrives after its epochs.
 */
export function startPipelineWorker(opts: PipelineWorkerOptions): PipelineWorkerHandle {
  const worker = opts.workerUrl ? new Worker(opts.workerUrl) : spawnDefaultWorker();
  let nextId = 1;
  const waiting = new Map<number, (msg: FromPipelineWorker) => void>();
  let exited = false;
  let resolveReady!: (v: { warmupSamples: number; eventLagSamples: number }) => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<{ warmupSamples: number; eventLagSamples: number }>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  let isReady = false;
  const exitPromise = new Promise<void>((res) => worker.once('exit', () => {
    exited = true;
    for (const [, cb] of waiting) cb({ type: 'error', code: 'worker-exited', message: 'pipeline worker exited' });
    waiting.clear();
    if (!isReady) rejectReady(new Error('pipeline worker exited before it was ready'));
    res();
  }));

  worker.on('message', (msg: FromPipelineWorker) => {
    switch (msg.type) {
      case 'ready':
        isReady = true;
        resolveReady({ warmupSamples: msg.warmupSamples, eventLagSamples: msg.eventLagSamples });
        break;
      case 'epoch':
        opts.onEpoch?.(msg.epoch, msg.timing);
        break;
      case 'grading':
        opts.onGrading?.(msg.event, msg.completedAtMs, msg.windowCompletedAtMs);
        break;
      case 'error':
        if (!isReady) rejectReady(new Error(msg.message));
        opts.onError?.(msg.code, msg.message);
        break;
      case 'flushed':
      case 'display':
      case 'stats': {
        const cb = waiting.get(msg.requestId);
        waiting.delete(msg.requestId);
        cb?.(msg);
        break;
      }
      case 'closed':
        break;
    }
  });
  worker.on('error', (e) => {
    if (!isReady) rejectReady(e);
    opts.onError?.('worker-failure', e.message);
  });

  const send = (msg: ToPipelineWorker, transfer: ArrayBuffer[] = []): void => {
    if (exited) throw new Error('pipeline worker has exited');
    worker.postMessage(msg, transfer);
  };
  const request = <T extends FromPipelineWorker['type']>(make: (id: number) => ToPipelineWorker, type: T): Promise<Extract<FromPipelineWorker, { type: T }>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (m) => {
        if (m.type === type) resolve(m as Extract<FromPipelineWorker, { type: T }>);
        else reject(new Error(m.type === 'error' ? m.message : `unexpected answer ${m.type}`));
      });
      send(make(id));
    });

  send({
    type: 'init',
    sampleRateHz: opts.sampleRateHz,
    channelCount: opts.channelCount,
    unit: opts.unit,
    settings: opts.settings,
    ...(opts.stimulationReports ? { stimulationReports: opts.stimulationReports } : {}),
    montage: opts.montage,
    postEpochs: opts.postEpochs ?? true,
  });

  return {
    ready,
    pushBlock(block, arrivalMs) {
      let data = block.data;
      const whole = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      if (!whole) data = data.slice(0, block.samplesPerChannel * block.channelCount);
      const b: SampleBlock = { startSample: block.startSample, sampleRateHz: block.sampleRateHz, channelCount: block.channelCount, samplesPerChannel: block.samplesPerChannel, data };
      send({ type: 'block', block: b, arrivalMs }, [data.buffer as ArrayBuffer]);
    },
    pushStimulation(event) {
      send({ type: 'stimulation', event });
    },
    confirmStimulationsTo(throughSample, arrivalMs) {
      send({ type: 'stimulations-confirmed', throughSample, arrivalMs });
    },
    pushGap(gap, arrivalMs) {
      send({ type: 'gap', gap, arrivalMs });
    },
    async flush(arrivalMs) {
      await request((requestId) => ({ type: 'flush', requestId, arrivalMs }), 'flushed');
    },
    async drainDisplay() {
      return (await request((requestId) => ({ type: 'drain-display', requestId }), 'display')).frame;
    },
    reuseEpoch(epoch) {
      const transfer = epochTransferList(epoch);
      if (transfer.length !== 4 || exited) return false;
      send({ type: 'reuse-epoch', raw: epoch.raw, filtered: epoch.filtered, envelope: epoch.envelope, blanked: epoch.blanked }, transfer);
      return true;
    },
    async stats() {
      return (await request((requestId) => ({ type: 'stats', requestId }), 'stats')).stats;
    },
    async dispose() {
      if (!exited) {
        try {
          send({ type: 'close' });
        } catch {
          // already gone
        }
        const timer = setTimeout(() => void worker.terminate(), 2000);
        await exitPromise;
        clearTimeout(timer);
      }
    },
  };
}
