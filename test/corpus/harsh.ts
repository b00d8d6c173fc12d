/**
 * Harsh synthetic SDR recordings, a second generator next to synth.ts (which it shares nothing with but
 * the random source and the truth's root table): each named condition switches on one hard feature of
 * real recordings, and 'all' combines them, so agreement can be scored per condition.
 *
 * Features: stimulus-artifact tails of 3-8 ms with exponential decay, DC offset steps after each pulse
 * (AC-coupled amplifier recovery), amplifier saturation after pulses, mains 50/60 Hz with harmonics and
 * a frequency off nominal by 0.1-0.3 Hz that drifts, baseline wander, pink noise, responses of 20-80 uV,
 * trains of 0.3-1 s at 20-100 Hz, sample rates 5-20 kHz, dead (flat) and mains-only channels, crosstalk
 * (zero-lag copies of a neighbour at 10-40 %), and differently shaped sustained responses: pulse-locked
 * M-wave-like compound waves, jittered motor-unit bursts, and continuous tonic activity.
 * The truth follows the domain rule (Phillips & Park over the muscles given a sustained response).
 */
import type { Level, Side, StimulationEvent, StimulationTarget } from '../../src/domain';
import { makeMontage, makeStimulation, type Montage } from '../../src/domain';
import { rng, truthRelationGrade, type SynthPattern, type TruthLine } from './synth';

export type HarshCondition =
  | 'base' | 'tails' | 'dc-step' | 'saturation' | 'mains' | 'wander' | 'pink' | 'low-amp' | 'rates'
  | 'mwave' | 'tonic' | 'dead' | 'crosstalk' | 'combined' | 'all' | 'all-low' | 'mains-nominal' | 'mains-nominal-low';

export const HARSH_CONDITIONS: readonly HarshCondition[] = [
  'base', 'tails', 'dc-step', 'saturation', 'mains', 'wander', 'pink', 'low-amp', 'rates', 'mwave', 'tonic', 'dead', 'crosstalk', 'combined', 'all', 'all-low',
  'mains-nominal', 'mains-nominal-low',
];

type Range = readonly [number, number];

/** The knobs of one condition (every range is drawn from per case or per channel). */
export interface HarshProfile {
  readonly sampleRatesHz: readonly number[];
  /** Band-limited background EMG RMS, uV. */
  readonly noiseUv: Range;
  /** Pink (1/f) noise RMS, uV (0: none). */
  readonly pinkUv: Range;
  /** Mains amplitude, uV, with harmonics when `mainsHarmonics`. */
  readonly mainsUv: Range;
  readonly mainsHarmonics: boolean;
  /** |offset| of the mains frequency from nominal, Hz; it also wanders by +-0.05 Hz over ~10 s. */
  readonly mainsOffsetHz: Range;
  /** Baseline wander, uV (0.1-1 Hz). */
  readonly wanderUv: Range;
  /** Artifact peak, uV. */
  readonly artifactUv: Range;
  /** Visible length of the artifact's exponential tail, ms (tau = length / 4). */
  readonly artifactTailMs: Range;
  /** DC offset step after each pulse, uV, recovering with a 20-200 ms time constant (0: none). */
  readonly dcStepUv: Range;
  /** Amplifier pinned at its rail for this long after each pulse, ms (0: never saturates). */
  readonly saturationMs: Range;
  /** Sustained-response amplitude (about twice its RMS), uV. */
  readonly responseUv: Range;
  readonly trainS: Range;
  readonly ratesHz: readonly number[];
  readonly shapes: readonly ResponseShape[];
  /** Dead or mains-only channels per case. */
  readonly deadPerCase: readonly number[];
  /** Crosstalk pairs per case, and their gain range. */
  readonly crosstalkPerCase: readonly number[];
  readonly crosstalkGain: Range;
}

export type ResponseShape = 'mwave' | 'muap' | 'tonic';

const BASE: HarshProfile = {
  sampleRatesHz: [5000, 8000, 10000, 16000, 20000],
  noiseUv: [2, 8],
  pinkUv: [0, 0],
  mainsUv: [0, 10],
  mainsHarmonics: false,
  mainsOffsetHz: [0, 0],
  wanderUv: [0, 10],
  artifactUv: [300, 3000],
  artifactTailMs: [0.5, 2],
  dcStepUv: [0, 0],
  saturationMs: [0, 0],
  responseUv: [60, 300],
  trainS: [0.5, 1],
  ratesHz: [50, 50, 40],
  shapes: ['mwave', 'muap', 'tonic'],
  deadPerCase: [0],
  crosstalkPerCase: [0],
  crosstalkGain: [0.1, 0.4],
};

export function harshProfile(c: HarshCondition): HarshProfile {
  const harshAll: Partial<HarshProfile> = {
    pinkUv: [2, 15], mainsUv: [30, 300], mainsHarmonics: true, mainsOffsetHz: [0.1, 0.3], wanderUv: [50, 500],
    artifactTailMs: [3, 8], dcStepUv: [10, 200], saturationMs: [0, 3], trainS: [0.3, 1],
    ratesHz: [20, 25, 30, 40, 50, 50, 60, 80, 100], deadPerCase: [1, 2, 3], crosstalkPerCase: [1, 2, 3],
  };
  switch (c) {
    case 'base': return BASE;
    case 'tails': return { ...BASE, artifactTailMs: [3, 8] };
    case 'dc-step': return { ...BASE, dcStepUv: [10, 200] };
    case 'saturation': return { ...BASE, saturationMs: [0.5, 3], artifactTailMs: [2, 5] };
    case 'mains': return { ...BASE, mainsUv: [30, 300], mainsHarmonics: true, mainsOffsetHz: [0.1, 0.3] };
    case 'wander': return { ...BASE, wanderUv: [50, 500] };
    case 'pink': return { ...BASE, pinkUv: [2, 20] };
    case 'low-amp': return { ...BASE, responseUv: [20, 80], noiseUv: [2, 5] };
    case 'rates': return { ...BASE, trainS: [0.3, 1], ratesHz: [20, 25, 30, 40, 50, 60, 80, 100] };
    case 'mwave': return { ...BASE, shapes: ['mwave'] };
    case 'tonic': return { ...BASE, shapes: ['tonic'] };
    case 'dead': return { ...BASE, deadPerCase: [1, 2, 3] };
    case 'crosstalk': return { ...BASE, crosstalkPerCase: [1, 2, 3] };
    // Long artifact tails, strong drifting mains with harmonics, wander and low amplitudes together.
    case 'combined': return { ...BASE, artifactTailMs: [3, 8], mainsUv: [30, 300], mainsHarmonics: true, mainsOffsetHz: [0.1, 0.3], wanderUv: [50, 500], responseUv: [20, 80], noiseUv: [2, 5] };
    case 'all': return { ...BASE, ...harshAll };
    case 'all-low': return { ...BASE, ...harshAll, responseUv: [20, 80], noiseUv: [2, 5], pinkUv: [2, 8] };
    // Strong hum with harmonics exactly at the nominal frequency: the notch removes it entirely, which
    // leaves anything the blanking cut into it standing out against a clean baseline.
    case 'mains-nominal': return { ...BASE, mainsUv: [30, 300], mainsHarmonics: true };
    case 'mains-nominal-low': return { ...BASE, mainsUv: [30, 300], mainsHarmonics: true, responseUv: [20, 80], noiseUv: [2, 5] };
  }
}

export interface HarshResponse {
  readonly channel: number;
  readonly sustained: boolean;
  readonly pattern: SynthPattern;
  readonly shape: ResponseShape;
  /** Amplitude at full strength, uV (RMS is about half of it). */
  readonly amplitudeUv: number;
  readonly latencyMs: number;
  readonly onsetMs: number;
  readonly clonicHz: number;
}

export interface HarshTrain {
  readonly onsetS: number;
  readonly target: StimulationTarget;
  readonly intensityMa: number;
  readonly rateHz: number;
  readonly durationS: number;
  readonly responses: readonly HarshResponse[];
}

export interface HarshChannel {
  readonly side: Side;
  readonly muscle: string;
  readonly noiseUv: number;
  readonly pinkUv: number;
  readonly mainsUv: number;
  readonly dead: 'flat' | 'mains' | null;
  readonly crosstalk: { readonly from: number; readonly gain: number } | null;
  readonly artifactUv: number;
  readonly tailTauMs: number;
  readonly dcStepUv: number;
  readonly dcTauMs: number;
  readonly saturationMs: number;
  readonly wanderUv: number;
}

export interface HarshCase {
  readonly seed: number;
  readonly condition: HarshCondition;
  readonly sampleRateHz: number;
  readonly mainsHz: 50 | 60;
  readonly mainsOffsetHz: number;
  readonly durationS: number;
  readonly channels: readonly HarshChannel[];
  readonly trains: readonly HarshTrain[];
  readonly pulseWidthUs: number;
}

const LEG = ['ILIO', 'ADD', 'VL', 'TA', 'HAM', 'GAS', 'AH', 'EAS'];
const LEVELS: Level[] = ['L1', 'L2', 'L3', 'L4', 'L5', 'S1', 'S2'];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const uni = (r: () => number, [a, b]: Range): number => a + (b - a) * r();
function gauss(r: () => number): number {
  const u = Math.max(1e-12, r());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export function makeHarshCase(seed: number, condition: HarshCondition, trains = 6): HarshCase {
  const p = harshProfile(condition);
  const r = rng(seed * 7919 + HARSH_CONDITIONS.indexOf(condition));
  const fs = pick(r, p.sampleRatesHz);
  const mainsHz = pick(r, [50, 60] as const);
  const mainsUv = uni(r, p.mainsUv);
  const specs: HarshChannel[] = [];
  for (const side of ['L', 'R'] as const) {
    for (const m of LEG) {
      specs.push({
        side, muscle: m, noiseUv: uni(r, p.noiseUv), pinkUv: uni(r, p.pinkUv), mainsUv: mainsUv * uni(r, [0.5, 1.5]), dead: null, crosstalk: null,
        artifactUv: uni(r, p.artifactUv) * (r() < 0.5 ? -1 : 1), tailTauMs: uni(r, p.artifactTailMs) / 4,
        dcStepUv: uni(r, p.dcStepUv) * (r() < 0.5 ? -1 : 1), dcTauMs: uni(r, [20, 200]), saturationMs: uni(r, p.saturationMs), wanderUv: uni(r, p.wanderUv),
      });
    }
  }
  const nDead = pick(r, p.deadPerCase);
  for (let k = 0; k < nDead; k++) {
    const i = Math.floor(r() * specs.length);
    const mainsOnly = r() < 0.5;
    specs[i] = { ...specs[i]!, dead: mainsOnly ? 'mains' : 'flat', mainsUv: mainsOnly ? Math.max(specs[i]!.mainsUv, uni(r, [10, 80])) : specs[i]!.mainsUv };
  }
  const nXt = pick(r, p.crosstalkPerCase);
  for (let k = 0; k < nXt; k++) {
    const i = Math.floor(r() * specs.length);
    const j = specs.findIndex((s, idx) => idx !== i && s.side === specs[i]!.side && Math.abs(LEG.indexOf(s.muscle) - LEG.indexOf(specs[i]!.muscle)) === 1);
    if (j >= 0 && specs[i]!.dead === null && specs[j]!.dead === null && specs[j]!.crosstalk === null && specs[i]!.crosstalk === null) {
      specs[i] = { ...specs[i]!, crosstalk: { from: j, gain: uni(r, p.crosstalkGain) * (r() < 0.5 ? -1 : 1) } };
    }
  }
  const out: HarshTrain[] = [];
  let t = 1.0;
  for (let k = 0; k < trains; k++) {
    const level = pick(r, LEVELS);
    const side = pick(r, ['L', 'R'] as const);
    const target: StimulationTarget = { level, side, kind: 'dorsal', rootlet: 1 + Math.floor(r() * 6) };
    const durationS = Math.round(uni(r, p.trainS) * 10) / 10;
    const rateHz = pick(r, p.ratesHz);
    out.push({ onsetS: t, target, intensityMa: Math.round(uni(r, [0.3, 3]) * 100) / 100, rateHz, durationS, responses: harshResponses(r, specs, level, side, durationS, p) });
    t += durationS + uni(r, [2.0, 3.0]);
  }
  return {
    seed, condition, sampleRateHz: fs, mainsHz, mainsOffsetHz: uni(r, p.mainsOffsetHz) * (r() < 0.5 ? -1 : 1), durationS: t + 0.5,
    channels: specs, trains: out, pulseWidthUs: pick(r, [100, 200, 300]),
  };
}

function harshResponses(r: () => number, specs: readonly HarshChannel[], level: Level, side: Side, durationS: number, p: HarshProfile): HarshResponse[] {
  const targetGrade = pick(r, [0, 0, 1, 1, 2, 2, 3, 3, 4]);
  const live = specs.map((s, i) => ({ s, i })).filter(({ s }) => s.dead === null && s.crosstalk === null);
  const byGrade = (g: number): number[] => live.filter(({ s }) => truthRelationGrade(s.muscle, s.side, level, side) === g).map(({ i }) => i);
  const chosen = new Set<number>();
  for (let g = 1; g <= targetGrade; g++) {
    const pool = byGrade(g).filter((i) => !chosen.has(i));
    const take = g === targetGrade ? 1 + Math.floor(r() * Math.min(2, pool.length)) : Math.floor(r() * Math.min(3, pool.length + 1));
    for (let k = 0; k < take && pool.length > 0; k++) chosen.add(pool.splice(Math.floor(r() * pool.length), 1)[0]!);
  }
  const patterns: SynthPattern[] = durationS >= 0.7
    ? ['squared', 'squared', 'decremental', 'incremental', 'clonic', 'after-discharge', 'irregular']
    : ['squared', 'squared', 'decremental', 'incremental', 'after-discharge'];
  const resp: HarshResponse[] = [];
  for (const i of chosen) {
    const shape = pick(r, p.shapes);
    let pattern = pick(r, patterns);
    // A pulse-locked compound wave cannot continue after the pulses stop.
    if (shape === 'mwave' && pattern === 'after-discharge') pattern = 'squared';
    resp.push({ channel: i, sustained: true, pattern, shape, amplitudeUv: uni(r, p.responseUv), latencyMs: uni(r, [6, 35]), onsetMs: 0, clonicHz: uni(r, [3.5, 7.5]) });
  }
  const others = live.filter(({ i }) => !chosen.has(i));
  const nOnset = pick(r, [0, 0, 1, 2]);
  for (let k = 0; k < nOnset && others.length > 0; k++) {
    const { i } = others.splice(Math.floor(r() * others.length), 1)[0]!;
    resp.push({ channel: i, sustained: false, pattern: 'decremental', shape: pick(r, p.shapes), amplitudeUv: uni(r, p.responseUv), latencyMs: uni(r, [6, 35]), onsetMs: uni(r, [40, Math.min(150, durationS * 350)]), clonicHz: 0 });
  }
  return resp;
}

export function harshMontage(c: HarshCase): Montage {
  return makeMontage('harsh', c.channels.map((ch) => ({ side: ch.side, muscle: ch.muscle })));
}

/** Truth by the default rule (as synth.ts truthOf): grade = worst relation of visible sustained responders; S2 or EAS -> review; >= 3 -> cut. */
export function harshTruth(c: HarshCase): TruthLine[] {
  return c.trains.map((t) => {
    const sus = t.responses.filter((x) => x.sustained && c.channels[x.channel]!.dead === null);
    const grade = Math.max(0, ...sus.map((x) => truthRelationGrade(c.channels[x.channel]!.muscle, c.channels[x.channel]!.side, t.target.level, t.target.side)));
    const eas = sus.some((x) => c.channels[x.channel]!.muscle === 'EAS');
    const suggest = t.target.level === 'S2' || eas ? 'review' : grade >= 3 ? 'cut' : 'spare';
    const pattern = sus.length === 0 ? 'none' : sus[0]!.pattern === 'after-discharge' ? 'sustained' : sus[0]!.pattern;
    return {
      onset_s: t.onsetS, root: t.target.level, side: t.target.side, rootlet: t.target.rootlet ?? 0, grade, pattern,
      responding: sus.map((x) => `${c.channels[x.channel]!.side} ${c.channels[x.channel]!.muscle}`), suggest,
    };
  });
}

function strength(x: HarshResponse, t: number, d: number, r: () => number, walk: { v: number }): number {
  if (t < 0) return 0;
  if (!x.sustained) return t * 1000 < x.onsetMs ? 1 : t * 1000 < x.onsetMs + 30 ? 1 - (t * 1000 - x.onsetMs) / 30 : 0;
  const inTrain = t < d;
  const f = t / d;
  switch (x.pattern) {
    case 'squared': return inTrain ? 1 : 0;
    case 'decremental': return inTrain ? 1 - 0.6 * f : 0;
    case 'incremental': return inTrain ? 0.4 + 0.6 * f : 0;
    case 'clonic': return inTrain ? 0.15 + 0.85 * Math.pow(0.5 * (1 + Math.cos(2 * Math.PI * x.clonicHz * t)), 2) : 0;
    case 'after-discharge': return t < d + 0.6 ? 1 : 0;
    case 'irregular': {
      if (!inTrain) return 0;
      walk.v = Math.min(1, Math.max(0.35, walk.v + 0.03 * gauss(r)));
      return walk.v;
    }
  }
}

/** Band-limited noise (about 20 Hz - 1 kHz, two one-pole sections), unit RMS. */
function bandNoise(r: () => number, n: number, fs: number): Float64Array {
  const out = new Float64Array(n);
  const aLp = Math.exp((-2 * Math.PI * 900) / fs);
  const aHp = Math.exp((-2 * Math.PI * 25) / fs);
  let lp = 0, lp2 = 0, prev = 0, hp = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    lp = aLp * lp + (1 - aLp) * gauss(r);
    lp2 = aLp * lp2 + (1 - aLp) * lp;
    hp = aHp * (hp + lp2 - prev);
    prev = lp2;
    out[i] = hp;
    ss += hp * hp;
  }
  const rms = Math.sqrt(ss / Math.max(1, n)) || 1;
  for (let i = 0; i < n; i++) out[i]! /= rms;
  return out;
}

/** Pink (1/f) noise by Paul Kellet's filter, high-passed at 0.5 Hz, unit RMS. */
function pinkNoise(r: () => number, n: number, fs: number): Float64Array {
  const out = new Float64Array(n);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  const aHp = Math.exp((-2 * Math.PI * 0.5) / fs);
  let prev = 0, hp = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const w = gauss(r);
    b0 = 0.99886 * b0 + w * 0.0555179; b1 = 0.99332 * b1 + w * 0.0750759; b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856; b4 = 0.55 * b4 + w * 0.5329522; b5 = -0.7616 * b5 - w * 0.016898;
    const v = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
    hp = aHp * (hp + v - prev);
    prev = v;
    out[i] = hp;
    ss += hp * hp;
  }
  const rms = Math.sqrt(ss / Math.max(1, n)) || 1;
  for (let i = 0; i < n; i++) out[i]! /= rms;
  return out;
}

/** A compound wave (M-wave-like, triphasic) or a motor-unit potential (biphasic), centred at `centre`. */
function addWave(buf: Float64Array, fs: number, centre: number, widthMs: number, amp: number, triphasic: boolean): void {
  const sigma = (widthMs * fs) / 1000;
  const from = Math.max(0, Math.floor(centre - 4 * sigma));
  const to = Math.min(buf.length, Math.ceil(centre + 4 * sigma));
  for (let i = from; i < to; i++) {
    const u = (i - centre) / sigma;
    const g = Math.exp(-0.5 * u * u);
    buf[i]! += triphasic ? amp * (1 - u * u) * g : amp * -u * g * 1.6487;
  }
}

export interface RenderedHarsh {
  readonly sampleRateHz: number;
  readonly raw: Float32Array[];
  readonly events: StimulationEvent[];
}

/** Renders a harsh case: EMG, crosstalk, then mains, wander, offsets, artifacts (tail, DC step) and saturation. */
export function renderHarsh(c: HarshCase): RenderedHarsh {
  const fs = c.sampleRateHz;
  const n = Math.round(c.durationS * fs);
  const r = rng(c.seed ^ 0x4a25);
  const clean: Float64Array[] = c.channels.map((ch) => {
    if (ch.dead) return new Float64Array(n);
    const x = bandNoise(r, n, fs);
    for (let i = 0; i < n; i++) x[i]! *= ch.noiseUv;
    if (ch.pinkUv > 0) {
      const p = pinkNoise(r, n, fs);
      for (let i = 0; i < n; i++) x[i]! += ch.pinkUv * p[i]!;
    }
    return x;
  });
  const events: StimulationEvent[] = [];
  const pulses: number[] = [];
  for (const t of c.trains) {
    const start = Math.round(t.onsetS * fs);
    events.push({ sampleIndex: start, stimulation: makeStimulation({ mode: 'train', intensityMa: t.intensityMa, pulseWidthUs: c.pulseWidthUs, rateHz: t.rateHz, durationS: t.durationS, target: t.target }) });
    const nP = Math.max(1, Math.round(t.rateHz * t.durationS));
    const ps = Array.from({ length: nP }, (_, k) => start + Math.round((k * fs) / t.rateHz));
    pulses.push(...ps);
    for (const x of t.responses) {
      const span = Math.round((t.durationS + 0.8) * fs);
      const buf = new Float64Array(span);
      const a = new Float64Array(span);
      const walk = { v: 0.7 };
      for (let i = 0; i < span; i++) a[i] = strength(x, i / fs - x.latencyMs / 1000, t.durationS, r, walk);
      if (x.shape === 'tonic' || x.pattern === 'after-discharge') {
        const nz = bandNoise(r, span, fs);
        for (let i = 0; i < span; i++) buf[i] = nz[i]! * a[i]!;
      }
      if (x.shape === 'mwave' || x.shape === 'muap') {
        const widthMs = uni(r, [0.8, 2.5]);
        for (const p of ps) {
          const rel = p - start;
          if (x.shape === 'mwave') {
            const centre = rel + ((x.latencyMs + 0.2 * gauss(r)) * fs) / 1000;
            const ci = Math.round(centre);
            if (ci < span) addWave(buf, fs, centre, widthMs, a[ci]! * (1 + 0.1 * gauss(r)), true);
          } else {
            const k = 3 + Math.floor(r() * 5);
            for (let m = 0; m < k; m++) {
              const centre = rel + ((x.latencyMs + uni(r, [0, 12])) * fs) / 1000;
              const ci = Math.round(centre);
              if (ci < span) addWave(buf, fs, centre, uni(r, [0.4, 1.2]), a[ci]! * uni(r, [0.5, 1.5]) * (r() < 0.5 ? -1 : 1), false);
            }
          }
        }
      }
      // RMS where the response is at >= half strength = amplitude / 2
      let ss = 0, cnt = 0;
      for (let i = 0; i < span; i++) if (a[i]! >= 0.5) { ss += buf[i]! ** 2; cnt++; }
      const scale = cnt > 0 && ss > 0 ? x.amplitudeUv / 2 / Math.sqrt(ss / cnt) : 0;
      const dst = clean[x.channel]!;
      for (let i = 0; i < span && start + i < n; i++) dst[start + i]! += scale * buf[i]!;
    }
  }
  pulses.sort((a, b) => a - b);
  const withXt = clean.map((x, i) => {
    const xt = c.channels[i]!.crosstalk;
    if (!xt) return x;
    const y = Float64Array.from(x);
    const src = clean[xt.from]!;
    for (let k = 0; k < n; k++) y[k]! += xt.gain * src[k]!;
    return y;
  });
  const pw = Math.max(1, Math.round((c.pulseWidthUs * fs) / 1e6));
  // One mains phase for the whole case (same grid), frequency off nominal and drifting slowly.
  const f0 = c.mainsHz + c.mainsOffsetHz;
  const driftHz = uni(r, [0.05, 0.15]);
  const phase = new Float64Array(n);
  let ph = r() * 2 * Math.PI;
  for (let k = 0; k < n; k++) {
    phase[k] = ph;
    ph += (2 * Math.PI * (f0 + 0.05 * Math.sin((2 * Math.PI * driftHz * k) / fs))) / fs;
  }
  const harm = [uni(r, [0.05, 0.3]), uni(r, [0.1, 0.4]), uni(r, [0.05, 0.2])];
  const raw = withXt.map((x, i) => {
    const ch = c.channels[i]!;
    const out = new Float32Array(n);
    const p0 = r() * 2 * Math.PI;
    const offset = uni(r, [-300, 300]);
    const floor = ch.dead === 'flat' ? 0.2 : ch.dead === 'mains' ? 0.5 : 0;
    const mainsUv = ch.dead === 'flat' ? 0 : ch.mainsUv;
    const w1 = uni(r, [0.1, 0.4]), w2 = uni(r, [0.4, 1.0]), q1 = r() * 6.3, q2 = r() * 6.3;
    const h = c.channels.length > 0 && harshProfile(c.condition).mainsHarmonics;
    for (let k = 0; k < n; k++) {
      const pk = phase[k]! + p0;
      let hum = Math.sin(pk);
      if (h) hum += harm[0]! * Math.sin(2 * pk + 1) + harm[1]! * Math.sin(3 * pk + 2) + harm[2]! * Math.sin(5 * pk + 0.5);
      const tS = k / fs;
      const wander = ch.dead === 'flat' ? 0 : ch.wanderUv * (0.7 * Math.sin(2 * Math.PI * w1 * tS + q1) + 0.3 * Math.sin(2 * Math.PI * w2 * tS + q2));
      out[k] = x[k]! + mainsUv * hum + offset + floor * gauss(r) + wander;
    }
    if (ch.dead === 'flat') return out;
    const tau = Math.max(0.05, (ch.tailTauMs * fs) / 1000);
    const tailLen = Math.ceil(6 * tau);
    const dcTau = (ch.dcTauMs * fs) / 1000;
    const dcLen = Math.ceil(5 * dcTau);
    const sat = Math.round((ch.saturationMs * fs) / 1000);
    // Rail of a saturating amplifier: a few times the largest artifact tail, so only the pulse region pins.
    const rail = Math.abs(ch.artifactUv) * 0.6 + Math.abs(offset);
    for (const p of pulses) {
      for (let k = 0; k < pw + tailLen && p + k < n; k++) {
        out[p + k]! += k < pw ? ch.artifactUv : -0.35 * ch.artifactUv * Math.exp(-(k - pw) / tau);
      }
      if (ch.dcStepUv !== 0) for (let k = pw; k < pw + dcLen && p + k < n; k++) out[p + k]! += ch.dcStepUv * Math.exp(-(k - pw) / dcTau);
      if (sat > 0) {
        const v = ch.artifactUv > 0 ? rail : -rail;
        for (let k = 0; k < pw + sat && p + k < n; k++) out[p + k] = v;
      }
    }
    return out;
  });
  events.sort((a, b) => a.sampleIndex - b.sampleIndex);
  return { sampleRateHz: fs, raw, events };
}
