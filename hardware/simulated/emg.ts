import {
  HIGH_INTENSITY_THRESHOLD_MULTIPLE,
  makeSampleBlock,
  pulseCount,
  type Montage,
  type SampleBlock,
  type SpreadGrade,
  type StimulationEvent,
  type WaveformPattern,
} from '../../src/domain';
import { patientTruth, type ChannelResponse, type RootletTruth, type VentralRootTruth, type VirtualPatient } from './patient';
import { SeededRandom } from './random';

/**
 * Synthetic intra-operative EMG for a virtual patient, in microvolts, planar Float32 sample blocks.
 *
 * Every channel carries coloured background noise, mains hum and baseline wander; every pulse puts a
 * large decaying stimulus artifact (about 1-3 ms) on every live channel. A dorsal rootlet stimulated at
 * or above its threshold evokes reflex responses 10-35 ms after each pulse, shaped by its waveform
 * pattern; nothing responds below threshold; about 20x above threshold the stimulus spreads to the
 * ventral root and gives a direct motor (M) response (shared domain notes, "Stimulation", "Recording",
 * "Grading").
 *
 * Generation is sequential (noise filters carry state) but independent of block size: the same seed,
 * conditions and stimulations give bit-identical samples however the stream is chunked.
 */

/** What a channel's electrode is doing, for harder recording conditions and fault injection. */
export type ChannelCondition = 'ok' | 'dead' | 'mains-only' | 'electrode-off';

export interface Crosstalk {
  /** Channel whose signal leaks. */
  readonly from: number;
  /** Channel that receives `gain` times the other channel's signal. */
  readonly to: number;
  readonly gain: number;
}

/** Knobs for harder recording conditions (used to build varied test corpora). */
export interface SignalConditions {
  /** RMS of the background EMG noise, uV; default 3. */
  readonly noiseRmsUv?: number;
  readonly mainsHz?: 50 | 60;
  /** Mains hum amplitude, uV; default 4. */
  readonly mainsAmplitudeUv?: number;
  /** Baseline wander amplitude, uV; default 8. */
  readonly wanderAmplitudeUv?: number;
  /** Multiplies every evoked response (0.1 for low-amplitude responses); default 1. */
  readonly responseScale?: number;
  /** Multiplies every stimulus artifact; default 1. */
  readonly artifactScale?: number;
  /** Flat channels (broken lead or amplifier input): exactly 0 uV. */
  readonly deadChannels?: readonly number[];
  /** Channels that carry mains hum and amplifier noise only (electrode not on the muscle). */
  readonly mainsOnlyChannels?: readonly number[];
  readonly crosstalk?: readonly Crosstalk[];
}

export interface EmgSynthesizerOptions {
  readonly patient: VirtualPatient;
  /** Default 10 kHz (the domain's recommended rate); accepted 1-50 kHz. */
  readonly sampleRateHz?: number;
  readonly conditions?: SignalConditions;
}

/** What a stimulation evoked, per the patient's truth. */
export interface EvokedResponse {
  readonly event: StimulationEvent;
  /** The threshold of the stimulated rootlet or root, or null when the target is unknown to the patient. */
  readonly thresholdMa: number | null;
  readonly aboveThreshold: boolean;
  /** At or above 20x threshold: direct motor response (dorsal) in the segmental muscles. */
  readonly directMotor: boolean;
  /** For a dorsal train at or above threshold: the rootlet's grade and pattern; otherwise 0 / 'none'. */
  readonly grade: SpreadGrade;
  readonly pattern: WaveformPattern;
  /** Channels with a sustained response over the train (the set S). */
  readonly sustainedChannels: readonly number[];
  /** Channels with an onset discharge only. */
  readonly onsetOnlyChannels: readonly number[];
  /** Channels with a per-pulse response to a single pulse, or a ventral-root M response. */
  readonly pulseChannels: readonly number[];
}

interface Wavelet {
  readonly start: number;
  readonly channel: number;
  readonly amp: number;
  readonly tpl: Float32Array;
}

/** 65536 standard normal values, fixed for all sessions; noise draws index it with seeded random bits. */
const NORMAL_TABLE: Float64Array = (() => {
  const rng = new SeededRandom(0x5d2, 'normal-table');
  const t = new Float64Array(65536);
  for (let i = 0; i < t.length; i++) t[i] = rng.normal();
  return t;
})();

const DEFAULTS = {
  noiseRmsUv: 3,
  mainsHz: 50 as 50 | 60,
  mainsAmplitudeUv: 4,
  wanderAmplitudeUv: 8,
  responseScale: 1,
  artifactScale: 1,
};

/** Recruitment at intensity `x` times threshold: 0 below threshold, 0.6 at threshold, full at 2x. */
export function recruitment(x: number): number {
  if (!(x >= 1)) return 0;
  return Math.min(1, 0.6 + 0.4 * (x - 1));
}

/**
 * Per-pulse amplitude factor of a reflex response during a train, by pattern (t = time since the first
 * pulse, d = train length, both s). Floors stay well above the noise so sustained patterns remain
 * sustained by the working definition (envelope above baseline for most of the train).
 */
function patternGain(pattern: WaveformPattern, t: number, d: number, clonicHz: number, rng: SeededRandom): number {
  const f = d > 0 ? Math.min(1, t / d) : 0;
  const jitter = 1 + 0.08 * rng.normal();
  switch (pattern) {
    case 'decremental': return (1 - 0.6 * f) * jitter;
    case 'squared': return jitter;
    case 'squared-decremental': return (f < 0.4 ? 1 : 1 - 0.4 * ((f - 0.4) / 0.6)) * jitter;
    case 'incremental': return (0.35 + 0.65 * f) * jitter;
    case 'sustained': return 0.9 * jitter;
    case 'clonic': {
      const burst = 0.5 * (1 + Math.sin(2 * Math.PI * clonicHz * t - Math.PI / 2));
      return (0.3 + 0.7 * burst * burst) * jitter;
    }
    case 'multiphasic': return jitter;
    case 'irregular': return Math.min(2, Math.max(0.3, Math.exp(0.55 * rng.normal())));
    case 'none': return 0;
  }
}

function checkChannels(list: readonly number[] | undefined, channelCount: number, name: string): void {
  for (const c of list ?? []) {
    if (!Number.isInteger(c) || c < 0 || c >= channelCount) throw new Error(`${name}: channel ${c} is not in 0..${channelCount - 1}`);
  }
}

export class EmgSynthesizer {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly montage: Montage;
  readonly patient: VirtualPatient;
  private readonly cond: typeof DEFAULTS;
  private readonly crosstalk: readonly Crosstalk[];
  private readonly channelState: ChannelCondition[];
  private next = 0;
  private readonly noiseRng: SeededRandom[];
  private readonly lp: Float64Array;
  private readonly hpIn: Float64Array;
  private readonly hpOut: Float64Array;
  /** Last 32-bit noise draw per channel: each supplies two samples (even and odd sample index). */
  private readonly noiseWord: Uint32Array;
  private readonly lpAlpha: number;
  private readonly hpAlpha: number;
  private readonly noiseGain: number;
  private readonly mainsGain: Float64Array;
  private readonly mainsPhase: Float64Array;
  private readonly wander: { freqHz: number; amp: number; phase: number }[][];
  private readonly artifactGain: Float64Array;
  private readonly templates = new Map<string, Float32Array>();
  /** Scheduled wavelets sorted by start; those before `pendingPos` have moved to `active`. */
  private pending: Wavelet[] = [];
  private pendingPos = 0;
  private active: Wavelet[] = [];
  private readonly scratch: Float64Array[];

  constructor(options: EmgSynthesizerOptions) {
    this.patient = options.patient;
    this.montage = options.patient.montage;
    this.channelCount = this.montage.channels.length;
    const fs = options.sampleRateHz ?? 10_000;
    if (!(Number.isFinite(fs) && fs >= 1000 && fs <= 50_000)) throw new Error(`sampleRateHz must be 1000..50000, got ${fs}`);
    this.sampleRateHz = fs;
    const c = options.conditions ?? {};
    this.cond = {
      noiseRmsUv: c.noiseRmsUv ?? DEFAULTS.noiseRmsUv,
      mainsHz: c.mainsHz ?? DEFAULTS.mainsHz,
      mainsAmplitudeUv: c.mainsAmplitudeUv ?? DEFAULTS.mainsAmplitudeUv,
      wanderAmplitudeUv: c.wanderAmplitudeUv ?? DEFAULTS.wanderAmplitudeUv,
      responseScale: c.responseScale ?? DEFAULTS.responseScale,
      artifactScale: c.artifactScale ?? DEFAULTS.artifactScale,
    };
    for (const [k, v] of Object.entries(this.cond)) {
      if (!(Number.isFinite(v) && v >= 0)) throw new Error(`condition ${k} must be a non-negative number, got ${v}`);
    }
    if (this.cond.mainsHz !== 50 && this.cond.mainsHz !== 60) throw new Error(`mainsHz must be 50 or 60, got ${String(this.cond.mainsHz)}`);
    checkChannels(c.deadChannels, this.channelCount, 'deadChannels');
    checkChannels(c.mainsOnlyChannels, this.channelCount, 'mainsOnlyChannels');
    for (const x of c.crosstalk ?? []) {
      checkChannels([x.from, x.to], this.channelCount, 'crosstalk');
      if (x.from === x.to || !(Number.isFinite(x.gain) && Math.abs(x.gain) <= 1)) throw new Error(`crosstalk ${x.from}->${x.to}: needs two channels and |gain| <= 1`);
    }
    this.crosstalk = c.crosstalk ?? [];
    this.channelState = Array.from({ length: this.channelCount }, (_, i) =>
      c.deadChannels?.includes(i) ? 'dead' : c.mainsOnlyChannels?.includes(i) ? 'mains-only' : 'ok');

    const seed = this.patient.seed;
    const n = this.channelCount;
    this.noiseRng = Array.from({ length: n }, (_, i) => new SeededRandom(seed, `emg/noise/${i}`));
    this.lp = new Float64Array(n);
    this.hpIn = new Float64Array(n);
    this.hpOut = new Float64Array(n);
    this.noiseWord = new Uint32Array(n);
    // Background EMG: white noise low-passed at 700 Hz and high-passed at 15 Hz (one pole each).
    this.lpAlpha = Math.exp((-2 * Math.PI * 700) / fs);
    this.hpAlpha = Math.exp((-2 * Math.PI * 15) / fs);
    // Variance of a one-pole low-pass driven by unit white noise is (1 - a) / (1 + a).
    this.noiseGain = 1 / Math.sqrt((1 - this.lpAlpha) / (1 + this.lpAlpha));
    const chRng = new SeededRandom(seed, 'emg/channels');
    this.mainsGain = Float64Array.from({ length: n }, () => chRng.uniform(0.5, 1.5));
    this.mainsPhase = Float64Array.from({ length: n }, () => chRng.uniform(0, 2 * Math.PI));
    this.wander = Array.from({ length: n }, () => [
      { freqHz: chRng.uniform(0.08, 0.3), amp: chRng.uniform(0.4, 0.8), phase: chRng.uniform(0, 2 * Math.PI) },
      { freqHz: chRng.uniform(0.3, 1.2), amp: chRng.uniform(0.2, 0.4), phase: chRng.uniform(0, 2 * Math.PI) },
    ]);
    // Artifact size and polarity differ per channel (distance and orientation to the stimulator).
    this.artifactGain = Float64Array.from({ length: n }, () => chRng.uniform(0.4, 1.6) * (chRng.chance(0.5) ? 1 : -1));
    this.scratch = Array.from({ length: n }, () => new Float64Array(0));
  }

  /** Sample index of the next sample `generate` will produce. */
  get nextSample(): number {
    return this.next;
  }

  channelCondition(channel: number): ChannelCondition {
    return this.channelState[channel] ?? 'ok';
  }

  /** Changes a channel's condition from the next generated sample on (fault injection: electrode off). */
  setChannelCondition(channel: number, condition: ChannelCondition): void {
    checkChannels([channel], this.channelCount, 'setChannelCondition');
    this.channelState[channel] = condition;
  }

  /**
   * Delivers a stimulation whose first pulse is at `event.sampleIndex` (not before the next sample to be
   * generated). Returns what it evoked according to the patient's truth.
   */
  stimulate(event: StimulationEvent): EvokedResponse {
    if (!(Number.isInteger(event.sampleIndex) && event.sampleIndex >= this.next)) {
      throw new Error(`stimulation at sample ${event.sampleIndex} is before the next sample ${this.next}`);
    }
    const fs = this.sampleRateHz;
    const stim = event.stimulation;
    const pulses = pulseCount(stim);
    const rate = stim.rateHz ?? 1;
    const pulseAt = (k: number): number => event.sampleIndex + Math.round((k * fs) / rate);
    const added: Wavelet[] = [];
    const targetKey = stim.target ? `${stim.target.level}${stim.target.side}-${stim.target.kind}-${stim.target.rootlet ?? 0}` : 'none';
    const rng = new SeededRandom(this.patient.seed, `emg/event/${event.sampleIndex}/${targetKey}`);

    // Stimulus artifact on every channel at every pulse, growing with intensity.
    const artifactUv = this.cond.artifactScale * (400 + 500 * Math.min(stim.intensityMa, 10));
    const artTpl = this.artifactTemplate(stim.pulseWidthUs);
    for (let k = 0; k < pulses; k++) {
      const at = pulseAt(k);
      for (let ch = 0; ch < this.channelCount; ch++) {
        added.push({ start: at, channel: ch, amp: artifactUv * (this.artifactGain[ch] ?? 1), tpl: artTpl });
      }
    }

    const truth = stim.target ? patientTruth(this.patient).forTarget(stim.target) : null;
    const respond = (r: ChannelResponse, k: number, gain: number, kind: 'reflex' | 'multiphasic' | 'direct', jitterMs: number): void => {
      const latencySamples = Math.round(((r.latencyMs + jitterMs * rng.normal()) * fs) / 1000);
      const tpl = this.responseTemplate(`${targetKey}/${r.channel}/${kind}`, kind);
      added.push({ start: pulseAt(k) + Math.max(1, latencySamples), channel: r.channel, amp: r.amplitudeUv * gain * this.cond.responseScale, tpl });
    };

    let result: EvokedResponse = {
      event, thresholdMa: truth?.thresholdMa ?? null, aboveThreshold: false, directMotor: false, grade: 0, pattern: 'none',
      sustainedChannels: [], onsetOnlyChannels: [], pulseChannels: [],
    };
    if (truth && 'myotome' in truth) {
      result = this.ventralResponse(truth, event, pulses, respond, result);
    } else if (truth) {
      result = this.dorsalResponse(truth, event, pulses, pulseAt, respond, rng, result, added);
    }
    this.schedule(added);
    return result;
  }

  private ventralResponse(
    truth: VentralRootTruth, event: StimulationEvent, pulses: number,
    respond: (r: ChannelResponse, k: number, gain: number, kind: 'direct', jitterMs: number) => void, base: EvokedResponse,
  ): EvokedResponse {
    const x = event.stimulation.intensityMa / truth.thresholdMa;
    const rec = recruitment(x);
    if (rec === 0) return base;
    for (let k = 0; k < pulses; k++) for (const r of truth.myotome) respond(r, k, rec * (1 + 0.05 * Math.sin(k)), 'direct', 0.1);
    return { ...base, aboveThreshold: true, pulseChannels: truth.myotome.map((r) => r.channel) };
  }

  private dorsalResponse(
    truth: RootletTruth, event: StimulationEvent, pulses: number, pulseAt: (k: number) => number,
    respond: (r: ChannelResponse, k: number, gain: number, kind: 'reflex' | 'multiphasic' | 'direct', jitterMs: number) => void,
    rng: SeededRandom, base: EvokedResponse, added: Wavelet[],
  ): EvokedResponse {
    const stim = event.stimulation;
    const fs = this.sampleRateHz;
    const x = stim.intensityMa / truth.thresholdMa;
    const rec = recruitment(x);
    if (rec === 0) return base; // Nothing at all below threshold.
    const directMotor = x >= HIGH_INTENSITY_THRESHOLD_MULTIPLE;
    if (directMotor) for (let k = 0; k < pulses; k++) for (const r of truth.directMotor) respond(r, k, 1, 'direct', 0.1);
    if (stim.mode === 'single') {
      for (const r of truth.singlePulse) respond(r, 0, rec * (1 + 0.05 * rng.normal()), 'reflex', 0.25);
      return { ...base, aboveThreshold: true, directMotor, pulseChannels: truth.singlePulse.map((r) => r.channel) };
    }
    const d = stim.durationS;
    const rate = stim.rateHz ?? 50;
    const kind = truth.pattern === 'multiphasic' ? 'multiphasic' : 'reflex';
    const jitterMs = truth.pattern === 'irregular' ? 1.5 : 0.25;
    for (const r of truth.sustained) {
      for (let k = 0; k < pulses; k++) respond(r, k, rec * patternGain(truth.pattern, k / rate, d, truth.clonicHz, rng), kind, jitterMs);
      if (truth.afterDischargeS > 0) {
        // After-discharge: asynchronous firing continuing past the train, fading out.
        const lastPulse = pulseAt(pulses - 1);
        let t = 0.02 + 0.01 * rng.next();
        while (t < truth.afterDischargeS) {
          const fade = 0.75 - 0.55 * (t / truth.afterDischargeS);
          const start = lastPulse + Math.round(((r.latencyMs / 1000) + t) * fs);
          added.push({ start, channel: r.channel, amp: r.amplitudeUv * rec * fade * this.cond.responseScale, tpl: this.responseTemplate(`${truth.target.level}${truth.target.side}-dorsal-${truth.target.rootlet ?? 0}/${r.channel}/reflex`, 'reflex') });
          t += Math.max(0.008, 0.025 + 0.008 * rng.normal());
        }
      }
    }
    for (const r of truth.onsetOnly) {
      for (let k = 0; k < Math.min(pulses, truth.onsetPulses); k++) respond(r, k, rec * 0.6 * (1 - k / (truth.onsetPulses + 1)), 'reflex', 0.25);
    }
    return {
      ...base, aboveThreshold: true, directMotor, grade: truth.grade, pattern: truth.pattern,
      sustainedChannels: truth.sustained.map((r) => r.channel), onsetOnlyChannels: truth.onsetOnly.map((r) => r.channel),
    };
  }

  private schedule(added: Wavelet[]): void {
    added.sort((a, b) => a.start - b.start);
    const first = added[0];
    if (!first) return;
    if (this.pendingPos > 0) {
      this.pending = this.pending.slice(this.pendingPos);
      this.pendingPos = 0;
    }
    const last = this.pending[this.pending.length - 1];
    if (!last || last.start <= first.start) {
      for (const w of added) this.pending.push(w);
    } else {
      this.pending = this.pending.concat(added).sort((a, b) => a.start - b.start);
    }
  }

  /** Stimulus artifact: the pulse itself (saturating square), then an opposite-polarity decaying tail, about 2 ms in all. */
  private artifactTemplate(pulseWidthUs: number): Float32Array {
    const key = `artifact/${pulseWidthUs}`;
    let tpl = this.templates.get(key);
    if (tpl) return tpl;
    const fs = this.sampleRateHz;
    const pulseSamples = Math.max(1, Math.round((pulseWidthUs * 1e-6) * fs));
    const tailSamples = Math.round(0.0025 * fs);
    const tauSamples = 0.0005 * fs;
    tpl = new Float32Array(pulseSamples + tailSamples);
    for (let i = 0; i < pulseSamples; i++) tpl[i] = 1;
    for (let i = 0; i < tailSamples; i++) tpl[pulseSamples + i] = -0.45 * Math.exp(-i / tauSamples);
    this.templates.set(key, tpl);
    return tpl;
  }

  /**
   * Compound muscle action potential shape (peak |value| 1): alternating Gaussian lobes. Reflexes have
   * 3-4 lobes over about 8-14 ms, multiphasic responses 5-7 lobes over up to about 18 ms, direct M
   * responses 2 broad lobes. Fixed per rootlet and channel so repeated pulses look alike.
   */
  private responseTemplate(key: string, kind: 'reflex' | 'multiphasic' | 'direct'): Float32Array {
    let tpl = this.templates.get(key);
    if (tpl) return tpl;
    const rng = new SeededRandom(this.patient.seed, `emg/template/${key}`);
    const fs = this.sampleRateHz;
    const lobes = kind === 'multiphasic' ? rng.int(5, 7) : kind === 'direct' ? 2 : rng.int(3, 4);
    const widthMs = kind === 'multiphasic' ? rng.uniform(1.1, 1.5) : kind === 'direct' ? rng.uniform(1.6, 2.2) : rng.uniform(1.8, 2.6);
    const sigma = (widthMs / 2.5) * fs / 1000;
    const centres: number[] = [];
    const heights: number[] = [];
    let pos = 2 * sigma;
    const sign = rng.chance(0.5) ? 1 : -1;
    for (let j = 0; j < lobes; j++) {
      centres.push(pos);
      const h = (j % 2 === 0 ? 1 : -1) * sign * (j === 0 ? 1 : rng.uniform(0.4, 1.0) * (kind === 'multiphasic' ? 1 : 0.8 ** j));
      heights.push(h);
      pos += sigma * rng.uniform(2.0, 2.8);
    }
    const length = Math.ceil(pos + 2 * sigma);
    tpl = new Float32Array(length);
    let peak = 0;
    for (let i = 0; i < length; i++) {
      let v = 0;
      for (let j = 0; j < lobes; j++) {
        const z = (i - (centres[j] ?? 0)) / sigma;
        v += (heights[j] ?? 0) * Math.exp(-0.5 * z * z);
      }
      tpl[i] = v;
      peak = Math.max(peak, Math.abs(v));
    }
    for (let i = 0; i < length; i++) tpl[i] = (tpl[i] ?? 0) / peak;
    this.templates.set(key, tpl);
    return tpl;
  }

  /** Produces the next `samples` samples of every channel. */
  generate(samples: number): SampleBlock {
    if (!(Number.isInteger(samples) && samples > 0)) throw new Error(`samples must be a positive integer, got ${samples}`);
    const n = samples;
    const s0 = this.next;
    const s1 = s0 + n;
    const fs = this.sampleRateHz;
    const chCount = this.channelCount;
    // No clearing needed: noise() assigns every sample first.
    if ((this.scratch[0]?.length ?? 0) < n) for (let c = 0; c < chCount; c++) this.scratch[c] = new Float64Array(n);

    const mainsW = (2 * Math.PI * this.cond.mainsHz) / fs;
    for (let c = 0; c < chCount; c++) {
      const buf = this.scratch[c]!;
      const state = this.channelState[c];
      // Noise filters always run so that later samples do not depend on when a fault came and went.
      const noiseRms = state === 'ok' ? this.cond.noiseRmsUv : state === 'dead' ? 0 : 0.3;
      this.noise(c, buf, s0, n, noiseRms);
      if (state === 'dead') {
        buf.fill(0, 0, n);
        continue;
      }
      const mainsAmp = state === 'electrode-off' ? Math.max(150, 20 * this.cond.mainsAmplitudeUv) : state === 'mains-only' ? Math.max(10, 3 * this.cond.mainsAmplitudeUv) : this.cond.mainsAmplitudeUv;
      const mainsA = mainsAmp * (this.mainsGain[c] ?? 1);
      const ph = this.mainsPhase[c] ?? 0;
      addMains(buf, n, s0, mainsW, mainsA, ph);
      if (state === 'ok') addWander(buf, n, s0, this.wander[c] ?? [], fs, this.cond.wanderAmplitudeUv);
    }

    // Responses and artifacts.
    while (this.pendingPos < this.pending.length && this.pending[this.pendingPos]!.start < s1) {
      this.active.push(this.pending[this.pendingPos++]!);
    }
    if (this.pendingPos === this.pending.length && this.pendingPos > 0) {
      this.pending = [];
      this.pendingPos = 0;
    }
    const stillActive: Wavelet[] = [];
    for (const w of this.active) {
      const end = w.start + w.tpl.length;
      if (this.channelState[w.channel] === 'ok') {
        const buf = this.scratch[w.channel]!;
        const from = Math.max(s0, w.start);
        const to = Math.min(s1, end);
        const tpl = w.tpl;
        const amp = w.amp;
        for (let s = from; s < to; s++) buf[s - s0]! += amp * tpl[s - w.start]!;
      }
      if (end > s1) stillActive.push(w);
    }
    this.active = stillActive;

    const data = new Float32Array(chCount * n);
    for (let c = 0; c < chCount; c++) {
      // An explicit loop: TypedArray.set across element types takes a slow generic path.
      const src = this.scratch[c]!;
      const off = c * n;
      for (let i = 0; i < n; i++) data[off + i] = src[i]!;
    }
    for (const x of this.crosstalk) {
      if (this.channelState[x.to] !== 'ok') continue;
      const src = this.scratch[x.from]!;
      const off = x.to * n;
      for (let i = 0; i < n; i++) data[off + i]! += x.gain * src[i]!;
    }
    this.next = s1;
    return makeSampleBlock(s0, fs, chCount, data);
  }

  private noise(c: number, buf: Float64Array, s0: number, n: number, rms: number): void {
    const rng = this.noiseRng[c]!;
    const table = NORMAL_TABLE;
    const a = this.lpAlpha;
    const b = 1 - a;
    const h = this.hpAlpha;
    const g = this.noiseGain * rms;
    let lp = this.lp[c]!;
    let hpIn = this.hpIn[c]!;
    let hpOut = this.hpOut[c]!;
    let word = this.noiseWord[c]!;
    for (let i = 0; i < n; i++) {
      // One 32-bit draw gives two table indices: fast, and the low-pass hides the table's granularity.
      let w: number;
      if (((s0 + i) & 1) === 0) {
        word = rng.nextUint32();
        w = table[word & 0xffff]!;
      } else {
        w = table[word >>> 16]!;
      }
      lp = a * lp + b * w;
      const y = g * lp;
      hpOut = h * (hpOut + y - hpIn);
      hpIn = y;
      buf[i] = hpOut;
    }
    this.lp[c] = lp;
    this.hpIn[c] = hpIn;
    this.hpOut[c] = hpOut;
    this.noiseWord[c] = word;
  }
}

const ANCHOR_SAMPLES = 64;

/**
 * Adds mains hum amp * (sin(x) + 0.15 sin(3x)), x = w * s + phase, for s = s0 .. s0 + n - 1, by phasor
 * rotation re-anchored with exact sin/cos at every absolute multiple of 64 samples, so the result does
 * not depend on block boundaries. The third harmonic comes from sin(3x) = 3 sin x - 4 sin^3 x.
 */
function addMains(buf: Float64Array, n: number, s0: number, w: number, amp: number, phase: number): void {
  if (amp === 0) return;
  const end = s0 + n;
  const cd = Math.cos(w);
  const sd = Math.sin(w);
  const h = 0.15;
  for (let anchor = s0 - (s0 % ANCHOR_SAMPLES); anchor < end; anchor += ANCHOR_SAMPLES) {
    const p = (w * anchor + phase) % (2 * Math.PI);
    let cs = Math.cos(p);
    let sn = Math.sin(p);
    for (let s = anchor; s < s0; s++) {
      const c2 = cs * cd - sn * sd;
      sn = sn * cd + cs * sd;
      cs = c2;
    }
    const from = Math.max(anchor, s0) - s0;
    const to = Math.min(anchor + ANCHOR_SAMPLES, end) - s0;
    for (let i = from; i < to; i++) {
      buf[i]! += amp * (sn + h * sn * (3 - 4 * sn * sn));
      const c2 = cs * cd - sn * sd;
      sn = sn * cd + cs * sd;
      cs = c2;
    }
  }
}

/**
 * Adds slow baseline wander (sinusoids below about 1.2 Hz): exact at every absolute multiple of 64
 * samples and linear in between (error far below a microvolt at these frequencies), block-independent.
 */
function addWander(buf: Float64Array, n: number, s0: number, parts: readonly { freqHz: number; amp: number; phase: number }[], fs: number, scaleUv: number): void {
  if (scaleUv === 0 || parts.length === 0) return;
  const at = (s: number): number => {
    let v = 0;
    for (const p of parts) v += p.amp * Math.sin(2 * Math.PI * p.freqHz * (s / fs) + p.phase);
    return scaleUv * v;
  };
  const end = s0 + n;
  for (let anchor = s0 - (s0 % ANCHOR_SAMPLES); anchor < end; anchor += ANCHOR_SAMPLES) {
    const a = at(anchor);
    const slope = (at(anchor + ANCHOR_SAMPLES) - a) / ANCHOR_SAMPLES;
    const from = Math.max(anchor, s0);
    const to = Math.min(anchor + ANCHOR_SAMPLES, end);
    for (let s = from; s < to; s++) buf[s - s0]! += a + slope * (s - anchor);
  }
}
