import { makeStimulation, type SampleBlock, type StimulationEvent } from '../../../src/domain';

/** Deterministic PRNG (mulberry32) so every run sees the same "patient". */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

export interface SyntheticSession {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly totalSamples: number;
  /** Planar, channel-major, uV. */
  readonly data: Float32Array;
  readonly events: StimulationEvent[];
  /** Channels given a response during (and after) each train. */
  readonly respondingChannels: readonly number[];
}

export function trainEvent(sampleIndex: number, rateHz = 50, durationS = 1): StimulationEvent {
  return {
    sampleIndex,
    stimulation: makeStimulation({ mode: 'train', intensityMa: 1.2, pulseWidthUs: 100, rateHz, durationS, target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 2 } }),
  };
}

export function singleEvent(sampleIndex: number): StimulationEvent {
  return { sampleIndex, stimulation: makeStimulation({ mode: 'single', intensityMa: 0.8, pulseWidthUs: 200 }) };
}

/**
 * Noise (10 uV rms) + a per-channel electrode offset, a 4 mV stimulus artifact at every pulse on every
 * channel (1 ms, decaying), and on the responding channels a 150 Hz, 200 uV burst from 10 ms after each
 * pulse for 8 ms (a reflex response).
 */
export function makeSession(opts: {
  sampleRateHz: number;
  channelCount: number;
  seconds: number;
  events: StimulationEvent[];
  respondingChannels?: number[];
  seed?: number;
  /** Noise RMS, uV (default 10). */
  noiseUv?: number;
  /** Mains hum: amplitude of the fundamental (uV) at `hz`, with 3rd and 5th harmonics at 40 % and 20 % of it. */
  hum?: { readonly hz: number; readonly uv: number };
}): SyntheticSession {
  const { sampleRateHz: fs, channelCount } = opts;
  const total = Math.round(opts.seconds * fs);
  const data = new Float32Array(total * channelCount);
  const r = rng(opts.seed ?? 1);
  for (let c = 0; c < channelCount; c++) {
    const offset = 500 * (c - channelCount / 2);
    const noise = opts.noiseUv ?? 10;
    for (let i = 0; i < total; i++) data[c * total + i] = offset + noise * gaussian(r);
    const hum = opts.hum;
    if (hum) {
      const ph = 0.7 * c;
      for (let i = 0; i < total; i++) {
        const w = (2 * Math.PI * hum.hz * i) / fs + ph;
        data[c * total + i]! += hum.uv * (Math.sin(w) + 0.4 * Math.sin(3 * w + 1) + 0.2 * Math.sin(5 * w + 2));
      }
    }
  }
  const responding = opts.respondingChannels ?? [];
  for (const ev of opts.events) {
    const rate = ev.stimulation.rateHz;
    const n = ev.stimulation.mode === 'train' ? Math.round((rate ?? 0) * ev.stimulation.durationS) : 1;
    for (let k = 0; k < n; k++) {
      const p = ev.sampleIndex + (k === 0 || rate === null ? 0 : Math.round((k * fs) / rate));
      const artLen = Math.round(0.001 * fs);
      for (let c = 0; c < channelCount; c++) {
        for (let j = 0; j < artLen && p + j < total; j++) data[c * total + p + j] = data[c * total + p + j]! + 4000 * Math.exp(-j / (0.0003 * fs)) * (c % 2 === 0 ? 1 : -1);
      }
      const respStart = p + Math.round(0.01 * fs);
      const respLen = Math.round(0.008 * fs);
      for (const c of responding) {
        for (let j = 0; j < respLen && respStart + j < total; j++) data[c * total + respStart + j] = data[c * total + respStart + j]! + 200 * Math.sin((2 * Math.PI * 150 * j) / fs);
      }
    }
  }
  return { sampleRateHz: fs, channelCount, totalSamples: total, data, events: opts.events, respondingChannels: responding };
}

/** A planar block of samples [from, from + n) cut from a session (copied, as a device would deliver it). */
export function blockOf(s: SyntheticSession, from: number, n: number): SampleBlock {
  const data = new Float32Array(n * s.channelCount);
  for (let c = 0; c < s.channelCount; c++) data.set(s.data.subarray(c * s.totalSamples + from, c * s.totalSamples + from + n), c * n);
  return { startSample: from, sampleRateHz: s.sampleRateHz, channelCount: s.channelCount, samplesPerChannel: n, data };
}
