import type { SampleBlock, SampleGap, StimulationEvent } from '../domain';
import type { StimulusEpoch } from '../pipeline/epoch';
import { createPipeline, type InputUnit, type PipelineSettingsInput } from '../pipeline';
import { detectMains } from './mains';
import { SessionGrader, type GradingEvent, type SessionGraderConfig } from './session-grader';
import type { ThresholdEstimate } from './threshold';
import type { GradedTrain } from './train';

export interface RecordingInput {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  /** Unit of the block samples (EDF import scales to uV already: 'uV'). */
  readonly unit?: InputUnit;
  /** Sample blocks in stream order. */
  readonly blocks: Iterable<SampleBlock>;
  readonly events: readonly StimulationEvent[];
  readonly gaps?: readonly SampleGap[];
}

/** Mains handling of an offline run: notch at a known frequency, detect it from the data, or leave the pipeline settings alone. */
export type MainsOption = 50 | 60 | 'auto' | 'off';

export interface RecordingGrades {
  /** Graded trains in onset order. */
  readonly trains: readonly GradedTrain[];
  readonly thresholds: readonly ThresholdEstimate[];
  /** Every grading event in emission order (train grades, pulse responses, threshold updates, skips). */
  readonly events: readonly GradingEvent[];
  /** Mains frequency notched for this run (null: none). */
  readonly mainsHz: 50 | 60 | null;
}

/**
 * Grades a whole recording offline (EDF+ import, re-grading a stored session): the same pipeline and
 * SessionGrader as live acquisition, fed the recording's blocks with each stimulation announced just
 * before the block that contains its first pulse (as a device would), then flushed.
 */
export function gradeRecording(
  input: RecordingInput,
  config: SessionGraderConfig & { readonly pipeline?: PipelineSettingsInput; readonly mains?: MainsOption },
): RecordingGrades {
  const grader = new SessionGrader(config);
  let blocks: Iterable<SampleBlock> = input.blocks;
  let settings = config.pipeline;
  const mains = config.mains ?? 'off';
  let mainsHz: 50 | 60 | null = mains === 'auto' || mains === 'off' ? null : mains;
  if (mains === 'auto') {
    const all = [...input.blocks];
    blocks = all;
    mainsHz = detectMains(quietSeconds(all, input.channelCount, input.sampleRateHz, input.events, 5), input.sampleRateHz).mainsHz;
  }
  if (mainsHz !== null) {
    settings = { ...settings, filter: { ...settings?.filter, notch: { mainsHz, q: MAINS_NOTCH_Q, harmonics: MAINS_NOTCH_HARMONICS } } };
  }
  const events: GradingEvent[] = [];
  const pipeline = createPipeline({
    sampleRateHz: input.sampleRateHz,
    channelCount: input.channelCount,
    unit: input.unit ?? 'uV',
    ...(settings ? { settings } : {}),
    now: () => 0,
    // two-phase grading, as live: a train's train part is graded while its post-train window is fed, and
    // its post-train part as that becomes final
    ...grader.pipelineHooks(),
  });
  const feed = (epochs: readonly StimulusEpoch[]): void => {
    for (const e of epochs) {
      events.push(...grader.push(e));
      pipeline.releaseEpoch(e); // graded, and nothing here keeps it: its arrays serve a later epoch
    }
  };
  const stims = [...input.events].sort((a, b) => a.sampleIndex - b.sampleIndex);
  const gaps = [...(input.gaps ?? [])].sort((a, b) => a.startSample - b.startSample);
  let si = 0;
  let gi = 0;
  try {
    for (const block of blocks) {
      const end = block.startSample + block.samplesPerChannel;
      while (gi < gaps.length && gaps[gi]!.startSample < end) feed(pipeline.pushGap(gaps[gi++]!));
      while (si < stims.length && stims[si]!.sampleIndex < end) pipeline.pushStimulation(stims[si++]!);
      feed(pipeline.pushBlock(block));
    }
    while (si < stims.length) pipeline.pushStimulation(stims[si++]!);
    feed(pipeline.flush());
  } finally {
    pipeline.dispose();
    grader.dispose();
  }
  const trains = events.flatMap((e) => (e.type === 'train-grade' ? [e.grade] : [])).sort((a, b) => a.onsetSample - b.onsetSample);
  return { trains, thresholds: grader.thresholdsSoFar(), events, mainsHz };
}

/**
 * Notch quality factor and harmonics used when mains is notched for grading: narrow (3.3 Hz at 50 Hz,
 * tolerating grid drift of about 0.1 Hz), fundamental plus 4 harmonics (to 250 or 300 Hz: the odd
 * harmonics up to the fifth carry most of a hum). The blanking then fills its windows with the hum
 * (hum-fill.ts).
 */
export const MAINS_NOTCH_Q = 15;
export const MAINS_NOTCH_HARMONICS = 4;

/**
 * Up to `seconds` of signal from the longest stretch without stimulation in the first 30 s of the
 * recording (at least 0.5 s long; else the first seconds): a 50 Hz train's artifacts put a strong line
 * at 50 Hz, and at its harmonics, into every channel, which would pass for 50 Hz mains (and hide 60 Hz
 * mains) if the detection window held a train. Each stimulation counts from 50 ms before its first
 * pulse to 500 ms after its end (the artifact tails and responses).
 */
function quietSeconds(blocks: readonly SampleBlock[], channelCount: number, fs: number, events: readonly StimulationEvent[], seconds: number): Float32Array[] {
  const horizon = Math.round(30 * fs);
  const busy = events
    .map((e) => [e.sampleIndex - Math.round(0.05 * fs), e.sampleIndex + Math.round(((e.stimulation.mode === 'train' ? e.stimulation.durationS : 0) + 0.5) * fs)] as const)
    .sort((a, b) => a[0] - b[0]);
  let best: [number, number] = [0, 0];
  let at = 0;
  for (const [a, z] of [...busy, [horizon, horizon] as const]) {
    const end = Math.min(a, horizon);
    if (end - at > best[1] - best[0]) best = [at, end];
    at = Math.max(at, z);
    if (at >= horizon) break;
  }
  if (best[1] - best[0] < Math.round(0.5 * fs)) return firstSeconds(blocks, channelCount, fs, seconds);
  const from = best[0];
  const want = Math.min(best[1] - from, Math.round(seconds * fs));
  const out = Array.from({ length: channelCount }, () => new Float32Array(want));
  let got = 0;
  for (const b of blocks) {
    const bEnd = b.startSample + b.samplesPerChannel;
    if (bEnd <= from) continue;
    if (b.startSample >= from + want) break;
    const a = Math.max(from, b.startSample);
    const z = Math.min(from + want, bEnd);
    for (let c = 0; c < channelCount; c++) {
      out[c]!.set(b.data.subarray(c * b.samplesPerChannel + (a - b.startSample), c * b.samplesPerChannel + (z - b.startSample)), a - from);
    }
    got = Math.max(got, z - from);
  }
  return out.map((x) => x.subarray(0, got));
}

function firstSeconds(blocks: readonly SampleBlock[], channelCount: number, fs: number, seconds: number): Float32Array[] {
  const want = Math.round(seconds * fs);
  const out = Array.from({ length: channelCount }, () => new Float32Array(want));
  let at = 0;
  for (const b of blocks) {
    if (at >= want) break;
    const take = Math.min(b.samplesPerChannel, want - at);
    for (let c = 0; c < channelCount; c++) out[c]!.set(b.data.subarray(c * b.samplesPerChannel, c * b.samplesPerChannel + take), at);
    at += take;
  }
  return out.map((x) => x.subarray(0, at));
}
