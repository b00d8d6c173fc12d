import { LEVELS, type Level, type Montage, type StimulationEvent } from '../domain';
import { createPipeline } from '../pipeline';
import type { PartialEpoch, StimulusEpoch } from '../pipeline/epoch';
import type { PulseResponseOptions } from './options';
import { measurePulse } from './threshold';
import { gradeTrain, prepareTrain, type PreparedTrain, type TrainGraderConfig } from './train';

/** Synthetic trains graded by a warm-up: enough for the optimising compiler to take the hot functions. */
const WARMUP_TRAINS = 3;
/** Rates and channel counts already warmed up in this process (compiled code and buffer pools are per process). */
const warmed = new Set<string>();

/**
 * Warm-up of grading (SessionGrader.warmUp): a synthetic recording of `shape` (noise, a pulse artifact on
 * every channel at each pulse, a sustained response with after-discharge on the first two montage
 * channels, a scaled copy of the first on the third, a flat last channel) streamed in 10 ms blocks
 * through a pipeline with 'confirmed' reports, its trains graded in two phases (prepareTrain from the
 * train-part hook, advanced from the progress hook, gradeTrain with it) and once in one go, and a single
 * pulse measured: every code path of a live grade runs before the first live train, so that one is not
 * graded by unoptimised code with buffer pools still unsized. Results are dropped; nothing outside this
 * call is touched (the buffer pools excepted). Once per process for each rate and channel count.
 */
export function warmUpGrading(config: TrainGraderConfig, pulse: PulseResponseOptions, shape: { readonly sampleRateHz: number; readonly channelCount: number }): void {
  const { sampleRateHz: fs, channelCount } = shape;
  const { montage } = config;
  const key = `${fs}|${channelCount}`;
  if (warmed.has(key) || montage.channels.length === 0 || montage.channels.length > channelCount) return;
  warmed.add(key);
  const prepared = new Map<StimulationEvent, PreparedTrain>();
  const trains: StimulusEpoch[] = [];
  const singles: StimulusEpoch[] = [];
  const pipeline = createPipeline({
    sampleRateHz: fs,
    channelCount,
    unit: 'uV',
    stimulationReports: 'confirmed',
    now: () => 0,
    onTrainPartFinal: (view: PartialEpoch) => {
      const p = prepareTrain(view, config);
      if (p) prepared.set(view.event, p);
    },
    onPostTrainProgress: (view: PartialEpoch) => {
      prepared.get(view.event)?.advance(view);
    },
    onEpoch: (e) => {
      if (e.event.stimulation.mode !== 'train') {
        singles.push(e);
        return;
      }
      const p = prepared.get(e.event) ?? null;
      prepared.delete(e.event);
      try {
        gradeTrain(e, config, p);
      } finally {
        p?.release();
      }
      if (trains.length === 0) trains.push(e);
    },
  });
  try {
    const sec = (s: number): number => Math.round(s * fs);
    const first = pipeline.warmupSamples + sec(0.5);
    const spacing = sec(2.6);
    const events = syntheticEvents(montage, fs, first, spacing);
    const end = first + WARMUP_TRAINS * spacing + sec(1);
    const block = Math.max(1, sec(0.01));
    const synth = new SyntheticEmg(montage, channelCount, fs, events);
    let ei = 0;
    for (let at = 0; at < end; at += block) {
      const frames = Math.min(block, end - at);
      while (ei < events.length && events[ei]!.sampleIndex < at + frames) pipeline.pushStimulation(events[ei++]!);
      pipeline.pushBlock({ startSample: at, sampleRateHz: fs, channelCount, samplesPerChannel: frames, data: synth.block(at, frames) }, 0);
      pipeline.confirmStimulationsTo(at + frames, 0);
    }
    pipeline.flush(0);
    // the one-go path (a preparation that did not match) and single-pulse measurement
    for (const e of trains) gradeTrain(e, config);
    for (const e of singles) measurePulse(e, pulse);
  } finally {
    for (const p of prepared.values()) p.release();
    pipeline.dispose();
  }
}

function syntheticEvents(montage: Montage, fs: number, first: number, spacing: number): StimulationEvent[] {
  const c0 = montage.channels[0]!;
  const level: Level = (LEVELS as readonly string[]).includes(c0.roots[0] ?? '') ? (c0.roots[0] as Level) : 'L4';
  const target = { level, side: c0.side, kind: 'dorsal' as const, rootlet: 1 };
  const out: StimulationEvent[] = [];
  for (let k = 0; k < WARMUP_TRAINS; k++) {
    out.push({ sampleIndex: first + k * spacing, stimulation: { mode: 'train', intensityMa: 1, pulseWidthUs: 100, rateHz: 50, durationS: 1, target } });
  }
  // a single pulse after the last train's post-train window
  out.push({ sampleIndex: first + WARMUP_TRAINS * spacing - Math.round(0.3 * fs), stimulation: { mode: 'single', intensityMa: 1, pulseWidthUs: 100, rateHz: null, durationS: 0, target } });
  return out;
}

/** The warm-up's synthetic EMG, uV, generated block by block (deterministic). */
class SyntheticEmg {
  private seed = 0x2545f491;
  private data = new Float32Array(0);
  private readonly responders: readonly number[];
  private readonly copy: number;
  private readonly flat: number;

  constructor(montage: Montage, private readonly channelCount: number, private readonly fs: number, private readonly events: readonly StimulationEvent[]) {
    const idx = montage.channels.map((c) => c.index);
    this.responders = idx.slice(0, 2);
    this.copy = idx.length >= 3 ? idx[2]! : -1;
    this.flat = idx.length >= 4 ? idx[idx.length - 1]! : -1;
  }

  private noise(): number {
    // xorshift32, centred on 0
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed / 4294967296 - 0.5;
  }

  block(at: number, frames: number): Float32Array {
    const n = frames * this.channelCount;
    if (this.data.length !== n) this.data = new Float32Array(n);
    const d = this.data;
    const fs = this.fs;
    for (let c = 0; c < this.channelCount; c++) {
      for (let i = 0; i < frames; i++) d[c * frames + i] = c === this.flat ? 0 : 10 * this.noise();
    }
    for (const e of this.events) {
      const s = e.stimulation;
      const trainEnd = e.sampleIndex + Math.round(s.durationS * fs);
      // responses: from 15 ms after the first pulse to 400 ms after the train (after-discharge)
      const r0 = e.sampleIndex + Math.round(0.015 * fs);
      const r1 = s.mode === 'train' ? trainEnd + Math.round(0.4 * fs) : e.sampleIndex + Math.round(0.03 * fs);
      for (let i = Math.max(at, r0); i < Math.min(at + frames, r1); i++) {
        for (const c of this.responders) d[c * frames + i - at]! += 200 * this.noise();
      }
      // the artifact: every channel, two samples per pulse
      const pulses = s.mode === 'train' && s.rateHz ? Math.max(1, Math.round(s.durationS * s.rateHz)) : 1;
      const period = s.rateHz ? fs / s.rateHz : 0;
      for (let k = 0; k < pulses; k++) {
        const p = e.sampleIndex + Math.round(k * period);
        for (let i = Math.max(at, p); i < Math.min(at + frames, p + 2); i++) for (let c = 0; c < this.channelCount; c++) d[c * frames + i - at]! += 3000;
      }
    }
    if (this.copy >= 0 && this.responders.length > 0) {
      const src = this.responders[0]!;
      for (let i = 0; i < frames; i++) d[this.copy * frames + i] = 0.8 * d[src * frames + i]! + 0.5 * this.noise();
    }
    return d;
  }
}
