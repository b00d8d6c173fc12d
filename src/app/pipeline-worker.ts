/**
 * Worker-thread entry of the signal pipeline (architecture, "Real time": the pipeline runs off the UI
 * thread). Started by pipeline-worker-host.ts; from source with execArgv ['--import', 'tsx'].
 * Every message in and out is typed in pipeline-worker-protocol.ts; sample blocks arrive transferred
 * and epoch arrays leave transferred, so no sample is copied across the thread boundary.
 */
import { parentPort } from 'node:worker_threads';
import { DomainError } from '../domain';
import { SessionGrader } from '../grading/session-grader';
import { createPipeline, type Pipeline, type StimulusEpoch, type EpochTiming } from '../pipeline';
import { epochTransferList, parseConfirmation, type FromPipelineWorker, type ToPipelineWorker } from './pipeline-worker-protocol';

const port = parentPort;
if (!port) throw new Error('pipeline-worker.ts must run in a worker thread');

let pipeline: Pipeline | null = null;
let grader: SessionGrader | null = null;
let postEpochs = true;

function post(msg: FromPipelineWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function onEpoch(epoch: StimulusEpoch, timing: EpochTiming): void {
  // Grade first: posting transfers (detaches) the epoch's arrays.
  if (grader) {
    for (const event of grader.push(epoch)) post({ type: 'grading', event, completedAtMs: timing.completedAtMs, windowCompletedAtMs: timing.windowCompletedAtMs });
  }
  if (postEpochs) post({ type: 'epoch', epoch, timing }, epochTransferList(epoch));
  else pipeline?.releaseEpoch(epoch); // graded and not posted: nothing keeps it, its arrays serve a later epoch
}

function handle(msg: ToPipelineWorker): void {
  if (msg.type === 'init') {
    pipeline?.dispose();
    grader?.dispose();
    postEpochs = msg.postEpochs;
    grader = msg.montage ? new SessionGrader({ montage: msg.montage }) : null;
    pipeline = createPipeline({
      sampleRateHz: msg.sampleRateHz,
      channelCount: msg.channelCount,
      unit: msg.unit,
      settings: msg.settings,
      stimulationReports: msg.stimulationReports,
      // the host's clock is not visible here: time is kept on the shared wall-monotonic scale
      now: () => performance.timeOrigin + performance.now(),
      onEpoch,
      // two-phase grading: a train's train part is graded while its post-train window arrives, and its
      // post-train part as that becomes final
      ...(grader ? grader.pipelineHooks() : {}),
    });
    // the first live grades run warm (no event, no session state); before 'ready', so no block waits on it
    grader?.warmUp({ sampleRateHz: msg.sampleRateHz, channelCount: msg.channelCount });
    post({ type: 'ready', warmupSamples: pipeline.warmupSamples, eventLagSamples: pipeline.eventLagSamples });
    return;
  }
  if (msg.type === 'close') {
    pipeline?.dispose();
    grader?.dispose();
    pipeline = null;
    post({ type: 'closed' });
    port!.close();
    return;
  }
  if (!pipeline) {
    post({ type: 'error', code: 'not-initialised', message: `pipeline worker got '${msg.type}' before 'init'` });
    return;
  }
  switch (msg.type) {
    case 'block':
      pipeline.pushBlock(msg.block, msg.arrivalMs);
      break;
    case 'stimulation':
      pipeline.pushStimulation(msg.event);
      break;
    case 'stimulations-confirmed': {
      const m = parseConfirmation(msg);
      if (typeof m === 'string') post({ type: 'error', code: 'invalid-confirmation', message: m });
      else pipeline.confirmStimulationsTo(m.throughSample, m.arrivalMs);
      break;
    }
    case 'gap':
      pipeline.pushGap(msg.gap, msg.arrivalMs);
      break;
    case 'flush':
      pipeline.flush(msg.arrivalMs);
      post({ type: 'flushed', requestId: msg.requestId });
      break;
    case 'drain-display': {
      const frame = pipeline.drainDisplay();
      post({ type: 'display', requestId: msg.requestId, frame }, frame ? [frame.columnStartSample.buffer as ArrayBuffer, frame.minUv.buffer as ArrayBuffer, frame.maxUv.buffer as ArrayBuffer] : []);
      break;
    }
    case 'stats':
      post({ type: 'stats', requestId: msg.requestId, stats: pipeline.stats() });
      break;
    case 'reuse-epoch':
      // refused arrays (wrong types or shapes, of another pipeline's length) are simply left to the collector
      pipeline.reuseEpochArrays(msg);
      break;
  }
}

port.on('message', (msg: ToPipelineWorker) => {
  try {
    handle(msg);
  } catch (e) {
    const code = e instanceof DomainError ? e.code : 'worker-failure';
    post({ type: 'error', code, message: e instanceof Error ? e.message : String(e) });
  }
});
