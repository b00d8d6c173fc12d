/**
 * Synthetic SDR recordings with a rule-defined truth, written independently of the simulator in
 * hardware/simulated so that the grader is not tuned to a single generator. Each case varies sample
 * rate, noise, mains hum, stimulus artifacts, dead channels, crosstalk, train length and response
 * amplitude; the truth of each train follows from which muscles were given a sustained response
 * (Phillips & Park spread, computed here from its own root table, not from src/grading).
 */
import type { Level, Side, StimulationEvent, StimulationTarget } from '../../src/domain';
import { makeMontage, makeStimulation, type Montage } from '../../src/domain';

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
function gauss(r: () => number): number {
  const u = Math.max(1e-12, r());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const uniform = (r: () => number, a: number, b: number): number => a + (b - a) * r();
const logUniform = (r: () => number, a: number, b: number): number => Math.exp(uniform(r, Math.log(a), Math.log(b)));

/** Roots per muscle for the truth (same table as the domain notes; kept separate on purpose). */
const TRUTH_ROOTS: Record<string, readonly string[]> = {
  ILIO: ['L1', 'L2'], ADD: ['L2', 'L3'], VL: ['L3', 'L4'], TA: ['L4', 'L5'], HAM: ['L5', 'S1'],
  GAS: ['S1', 'S2'], AH: ['S1', 'S2'], EAS: ['S2', 'S3', 'S4'], DELT: [], APB: [],
};
const SEG = ['L1', 'L2', 'L3', 'L4', 'L5', 'S1', 'S2', 'S3', 'S4'];

export function truthRelationGrade(muscle: string, side: Side, level: Level, stimSide: Side): number {
  if (muscle === 'DELT' || muscle === 'APB') return 4;
  if (side !== stimSide) return 4;
  const d = Math.min(...TRUTH_ROOTS[muscle]!.map((r) => Math.abs(SEG.indexOf(r) - SEG.indexOf(level))));
  return d === 0 ? 1 : d === 1 ? 2 : 3;
}

export type SynthPattern = 'squared' | 'decremental' | 'incremental' | 'clonic' | 'after-discharge' | 'irregular';
export interface SynthResponse {
  readonly channel: number;
  /** Onset-only discharge (not sustained) or a response over the whole train. */
  readonly sustained: boolean;
  readonly pattern: SynthPattern;
  /** Response RMS / channel noise RMS where the response is at full strength. */
  readonly snr: number;
  readonly style: 'muap' | 'noise';
  readonly latencyMs: number;
  /** Onset discharge length for non-sustained responses, ms. */
  readonly onsetMs: number;
  readonly clonicHz: number;
}
export interface SynthTrain {
  readonly onsetS: number;
  readonly target: StimulationTarget;
  readonly intensityMa: number;
  readonly rateHz: number;
  readonly durationS: number;
  readonly responses: readonly SynthResponse[];
}
export interface SynthPulse {
  readonly onsetS: number;
  readonly target: StimulationTarget;
  readonly intensityMa: number;
  /** Channels that give a compound response to this pulse, with amplitude (peak-to-peak uV) and latency. */
  readonly responses: readonly { channel: number; amplitudeUv: number; latencyMs: number }[];
}
export interface SynthChannel {
  readonly side: Side;
  readonly muscle: string;
  readonly noiseRmsUv: number;
  readonly mainsUv: number;
  readonly dead: 'flat' | 'mains' | null;
  readonly crosstalk: { readonly from: number; readonly gain: number } | null;
  readonly artifactUv: number;
}
export interface SynthCase {
  readonly seed: number;
  readonly sampleRateHz: number;
  readonly mainsHz: 50 | 60;
  readonly durationS: number;
  readonly channels: readonly SynthChannel[];
  readonly trains: readonly SynthTrain[];
  readonly pulses: readonly SynthPulse[];
  readonly artifactTauMs: number;
  readonly pulseWidthUs: number;
  /** Offset of the actual mains frequency from nominal, Hz (grid drift). */
  readonly mainsOffsetHz?: number;
  /** Slow baseline wander (electrode movement), uV peak at about 0.3-1 Hz. */
  readonly wanderUv?: number;
}
export interface TruthLine {
  readonly onset_s: number;
  readonly root: Level;
  readonly side: Side;
  readonly rootlet: number;
  readonly grade: number;
  readonly pattern: string;
  readonly responding: string[];
  readonly suggest: 'cut' | 'spare' | 'review';
}

export function montageOf(c: SynthCase): Montage {
  return makeMontage('synthetic', c.channels.map((ch) => ({ side: ch.side, muscle: ch.muscle })));
}

/** Truth by the default rule: grade = worst relation of sustained responders; S2 or EAS -> review; grade >= 3 -> cut. */
export function truthOf(c: SynthCase): TruthLine[] {
  return c.trains.map((t) => {
    const sus = t.responses.filter((r) => r.sustained && c.channels[r.channel]!.dead === null);
    const grade = Math.max(0, ...sus.map((r) => truthRelationGrade(c.channels[r.channel]!.muscle, c.channels[r.channel]!.side, t.target.level, t.target.side)));
    const names = sus.map((r) => `${c.channels[r.channel]!.side} ${c.channels[r.channel]!.muscle}`);
    const eas = sus.some((r) => c.channels[r.channel]!.muscle === 'EAS');
    const suggest = t.target.level === 'S2' || eas ? 'review' : grade >= 3 ? 'cut' : 'spare';
    const pattern = sus.length === 0 ? 'none' : sus[0]!.pattern === 'after-discharge' ? 'sustained' : sus[0]!.pattern;
    return { onset_s: t.onsetS, root: t.target.level, side: t.target.side, rootlet: t.target.rootlet ?? 0, grade, pattern, responding: names, suggest };
  });
}

export interface CaseVariation {
  readonly sampleRatesHz?: readonly number[];
  /** Fraction of cases with low-amplitude responses (SNR 2-3.5). */
  readonly lowAmplitude?: boolean;
  readonly trains?: number;
  readonly withRamps?: boolean;
  /** Harsher recording: strong drifting mains, long artifact tails, baseline wander. */
  readonly hard?: boolean;
}

const LEG = ['ILIO', 'ADD', 'VL', 'TA', 'HAM', 'GAS', 'AH', 'EAS'];
const LEVELS: Level[] = ['L1', 'L2', 'L3', 'L4', 'L5', 'S1', 'S2'];

/** A random case. Every knob is drawn from the seed, so a seed names a case. */
export function makeCase(seed: number, v: CaseVariation = {}): SynthCase {
  const r = rng(seed);
  const fs = pick(r, v.sampleRatesHz ?? [5000, 8000, 10000, 16000, 20000]);
  const mainsHz = pick(r, [50, 60] as const);
  const mainsLevel = v.hard ? pick(r, [60, 120, 200]) : pick(r, [0, 0, 5, 20, 60]);
  const withSentinel = r() < 0.3;
  const muscles = [...LEG, ...(withSentinel ? ['DELT'] : [])];
  const specs: SynthChannel[] = [];
  for (const side of ['L', 'R'] as const) {
    for (const m of muscles) {
      if (m === 'DELT' && side === 'L') continue;
      specs.push({ side, muscle: m, noiseRmsUv: logUniform(r, 3, 25), mainsUv: mainsLevel * uniform(r, 0.5, 1.5), dead: null, crosstalk: null, artifactUv: logUniform(r, 300, 4000) * (r() < 0.5 ? -1 : 1) });
    }
  }
  // dead channels: 0-2 per case
  const nDead = pick(r, [0, 0, 1, 1, 2]);
  for (let k = 0; k < nDead; k++) {
    const i = Math.floor(r() * specs.length);
    specs[i] = { ...specs[i]!, dead: r() < 0.5 ? 'flat' : 'mains', mainsUv: r() < 0.5 ? 0 : uniform(r, 10, 80) };
    if (specs[i]!.dead === 'mains' && specs[i]!.mainsUv === 0) specs[i] = { ...specs[i]!, mainsUv: uniform(r, 10, 80) };
  }
  // crosstalk: 0-2 neighbouring pairs on the same leg
  const nXt = pick(r, [0, 1, 1, 2]);
  for (let k = 0; k < nXt; k++) {
    const i = Math.floor(r() * specs.length);
    const j = specs.findIndex((s, idx) => idx !== i && s.side === specs[i]!.side && Math.abs(LEG.indexOf(s.muscle) - LEG.indexOf(specs[i]!.muscle)) === 1);
    if (j >= 0 && specs[i]!.dead === null && specs[j]!.dead === null && specs[j]!.crosstalk === null) specs[i] = { ...specs[i]!, crosstalk: { from: j, gain: uniform(r, 0.2, 0.6) * (r() < 0.5 ? -1 : 1) } };
  }
  const nTrains = v.trains ?? 12;
  const trains: SynthTrain[] = [];
  const pulses: SynthPulse[] = [];
  let t = 1.0;
  const lowAmp = v.lowAmplitude ?? false;
  for (let k = 0; k < nTrains; k++) {
    const level = pick(r, LEVELS);
    const side = pick(r, ['L', 'R'] as const);
    const target: StimulationTarget = { level, side, kind: 'dorsal', rootlet: 1 + Math.floor(r() * 6) };
    const thresholdMa = logUniform(r, 0.3, 3);
    if (v.withRamps) {
      // threshold ramp: single pulses stepping up at 1 Hz until reproducible
      for (let step = 0; step < 5; step++) {
        const ma = Math.round(thresholdMa * (0.5 + 0.25 * step) * 100) / 100;
        const resp = ma >= thresholdMa ? [{ channel: pickLiveChannel(r, specs, side), amplitudeUv: uniform(r, 150, 800), latencyMs: uniform(r, 10, 30) }] : [];
        pulses.push({ onsetS: t, target, intensityMa: ma, responses: resp });
        t += 1.0;
      }
    }
    const durationS = pick(r, [1.0, 1.0, 1.0, 0.5, 0.7, 1.5, 0.3]);
    const rateHz = pick(r, [50, 50, 50, 50, 40]);
    const responses = makeResponses(r, specs, level, side, lowAmp, durationS);
    trains.push({ onsetS: t, target, intensityMa: Math.round(thresholdMa * 100) / 100, rateHz, durationS, responses });
    t += durationS + uniform(r, 2.0, 3.0);
  }
  return {
    seed, sampleRateHz: fs, mainsHz, durationS: t + 0.5, channels: specs, trains, pulses,
    artifactTauMs: v.hard ? uniform(r, 0.5, 1.0) : uniform(r, 0.1, 0.5),
    pulseWidthUs: pick(r, [100, 200]),
    mainsOffsetHz: v.hard ? uniform(r, -0.1, 0.1) : 0,
    wanderUv: v.hard ? uniform(r, 50, 300) : 0,
  };
}

function pickLiveChannel(r: () => number, specs: readonly SynthChannel[], side: Side): number {
  const live = specs.map((s, i) => ({ s, i })).filter(({ s }) => s.dead === null && s.crosstalk === null && s.side === side && s.muscle !== 'DELT');
  return pick(r, live).i;
}

/**
 * Which muscles respond to a train: the grade drawn first (so every grade is well represented), then
 * responders chosen to realise it, plus non-sustained onset discharges as distractors.
 */
function makeResponses(r: () => number, specs: readonly SynthChannel[], level: Level, side: Side, lowAmp: boolean, durationS: number): SynthResponse[] {
  const targetGrade = pick(r, [0, 0, 1, 1, 2, 2, 3, 3, 4]);
  const live = specs.map((s, i) => ({ s, i })).filter(({ s }) => s.dead === null && s.crosstalk === null);
  const byGrade = (g: number): number[] => live.filter(({ s }) => truthRelationGrade(s.muscle, s.side, level, side) === g).map(({ i }) => i);
  const chosen = new Set<number>();
  if (targetGrade > 0) {
    for (let g = 1; g <= targetGrade; g++) {
      const pool = byGrade(g).filter((i) => !chosen.has(i));
      if (pool.length === 0) continue;
      const take = g === targetGrade ? 1 + Math.floor(r() * Math.min(2, pool.length)) : Math.floor(r() * Math.min(3, pool.length + 1));
      for (let k = 0; k < take && pool.length > 0; k++) chosen.add(pool.splice(Math.floor(r() * pool.length), 1)[0]!);
    }
  }
  const patterns: SynthPattern[] = durationS >= 0.7
    ? ['squared', 'squared', 'decremental', 'incremental', 'clonic', 'after-discharge', 'irregular']
    : ['squared', 'squared', 'decremental', 'incremental', 'after-discharge'];
  const out: SynthResponse[] = [];
  for (const i of chosen) {
    out.push({ channel: i, sustained: true, pattern: pick(r, patterns), snr: lowAmp ? uniform(r, 2.2, 3.5) : logUniform(r, 3, 30), style: r() < 0.6 ? 'muap' : 'noise', latencyMs: uniform(r, 10, 35), onsetMs: 0, clonicHz: uniform(r, 3.5, 7.5) });
  }
  // distractors: onset-only discharges on other channels (grade 0 by definition)
  const others = live.filter(({ i }) => !chosen.has(i));
  const nOnset = pick(r, [0, 0, 1, 2]);
  for (let k = 0; k < nOnset && others.length > 0; k++) {
    const { i } = others.splice(Math.floor(r() * others.length), 1)[0]!;
    out.push({ channel: i, sustained: false, pattern: 'decremental', snr: lowAmp ? uniform(r, 2.5, 5) : logUniform(r, 3, 20), style: r() < 0.6 ? 'muap' : 'noise', latencyMs: uniform(r, 10, 35), onsetMs: uniform(r, 40, Math.min(150, durationS * 1000 * 0.35)), clonicHz: 0 });
  }
  return out;
}

/** Relative strength a(t) of a response, t seconds after the train's first pulse (post-train included). */
function strength(resp: SynthResponse, t: number, durationS: number, r: () => number, walk: { v: number }): number {
  if (t < 0) return 0;
  if (!resp.sustained) return t * 1000 < resp.onsetMs ? 1 : t * 1000 < resp.onsetMs + 30 ? 1 - (t * 1000 - resp.onsetMs) / 30 : 0;
  const inTrain = t < durationS;
  const x = t / durationS;
  switch (resp.pattern) {
    case 'squared': return inTrain ? 1 : 0;
    case 'decremental': return inTrain ? 1 - 0.6 * x : 0;
    case 'incremental': return inTrain ? 0.4 + 0.6 * x : 0;
    case 'clonic': return inTrain ? Math.pow(0.5 * (1 + Math.cos(2 * Math.PI * resp.clonicHz * t)), 2) : 0;
    case 'after-discharge': return t < durationS + 0.6 ? 1 : 0;
    case 'irregular': {
      if (!inTrain) return 0;
      walk.v = Math.min(1, Math.max(0.35, walk.v + 0.02 * gauss(r)));
      return walk.v;
    }
  }
}

/** A one-pole band-limited noise generator (about 20 Hz - 1 kHz), unit RMS. */
function bandNoise(r: () => number, n: number, fs: number): Float64Array {
  const out = new Float64Array(n);
  const aLp = Math.exp((-2 * Math.PI * 1000) / fs);
  const aHp = Math.exp((-2 * Math.PI * 20) / fs);
  let lp = 0;
  let hpPrevIn = 0;
  let hp = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    lp = aLp * lp + (1 - aLp) * gauss(r);
    hp = aHp * (hp + lp - hpPrevIn);
    hpPrevIn = lp;
    out[i] = hp;
    ss += hp * hp;
  }
  const rms = Math.sqrt(ss / Math.max(1, n)) || 1;
  for (let i = 0; i < n; i++) out[i]! /= rms;
  return out;
}

function addMuap(buf: Float64Array, fs: number, centre: number, widthMs: number, amp: number): void {
  const sigma = (widthMs * fs) / 1000;
  const from = Math.max(0, Math.floor(centre - 4 * sigma));
  const to = Math.min(buf.length, Math.ceil(centre + 4 * sigma));
  for (let i = from; i < to; i++) {
    const u = (i - centre) / sigma;
    buf[i]! += amp * -u * Math.exp(-0.5 * u * u) * 1.6487; // peak of u*exp(-u^2/2) is exp(-1/2)
  }
}

export interface RenderedCase {
  readonly sampleRateHz: number;
  /** What an amplifier or EDF file holds: EMG + mains + artifacts + offsets, uV, one array per channel. */
  readonly raw: Float32Array[];
  /** The same without mains, artifacts and offsets: what an ideal pipeline's filtered output approaches. */
  readonly clean: Float32Array[];
  readonly events: StimulationEvent[];
  /** Sample indices of every stimulus pulse. */
  readonly pulseSamples: number[];
}

/** Renders a case to sample arrays and stimulation events. Deterministic in the case's seed. */
export function renderCase(c: SynthCase): RenderedCase {
  const fs = c.sampleRateHz;
  const n = Math.round(c.durationS * fs);
  const r = rng(c.seed ^ 0x5eed);
  const clean: Float64Array[] = c.channels.map((ch) => {
    if (ch.dead) return new Float64Array(n);
    const x = bandNoise(r, n, fs);
    for (let i = 0; i < n; i++) x[i]! *= ch.noiseRmsUv;
    return x;
  });
  const pulseSamples: number[] = [];
  const events: StimulationEvent[] = [];
  for (const t of c.trains) {
    const start = Math.round(t.onsetS * fs);
    const stim = makeStimulation({ mode: 'train', intensityMa: t.intensityMa, pulseWidthUs: c.pulseWidthUs, rateHz: t.rateHz, durationS: t.durationS, target: t.target });
    events.push({ sampleIndex: start, stimulation: stim });
    const nP = Math.max(1, Math.round(t.rateHz * t.durationS));
    const ps = Array.from({ length: nP }, (_, k) => start + Math.round((k * fs) / t.rateHz));
    pulseSamples.push(...ps);
    for (const resp of t.responses) {
      const ch = c.channels[resp.channel]!;
      const span = Math.round((t.durationS + 0.8) * fs);
      const buf = new Float64Array(span);
      const walk = { v: 0.7 };
      const a = new Float64Array(span);
      for (let i = 0; i < span; i++) a[i] = strength(resp, i / fs - resp.latencyMs / 1000, t.durationS, r, walk);
      if (resp.style === 'noise' || resp.pattern === 'after-discharge') {
        const nz = bandNoise(r, span, fs);
        for (let i = 0; i < span; i++) buf[i] = nz[i]! * a[i]!;
      }
      if (resp.style === 'muap') {
        // reflex bursts locked to each pulse: a few motor-unit potentials after the latency
        for (const p of ps) {
          const rel = p - start;
          const k = 3 + Math.floor(r() * 5);
          for (let m = 0; m < k; m++) {
            const centre = rel + ((resp.latencyMs + uniform(r, 0, 12)) * fs) / 1000;
            const ci = Math.round(centre);
            if (ci >= span) continue;
            addMuap(buf, fs, centre, uniform(r, 0.4, 1.2), a[ci]! * uniform(r, 0.5, 1.5) * (r() < 0.5 ? -1 : 1));
          }
        }
      }
      // scale so the response RMS where it is at >= half strength equals snr x noise
      let ss = 0;
      let cnt = 0;
      for (let i = 0; i < span; i++) if (a[i]! >= 0.5) { ss += buf[i]! ** 2; cnt++; }
      const scale = cnt > 0 && ss > 0 ? (resp.snr * ch.noiseRmsUv) / Math.sqrt(ss / cnt) : 0;
      const dst = clean[resp.channel]!;
      for (let i = 0; i < span && start + i < n; i++) dst[start + i]! += scale * buf[i]!;
    }
  }
  for (const p of c.pulses) {
    const s = Math.round(p.onsetS * fs);
    events.push({ sampleIndex: s, stimulation: makeStimulation({ mode: 'single', intensityMa: p.intensityMa, pulseWidthUs: c.pulseWidthUs, target: p.target }) });
    pulseSamples.push(s);
    for (const resp of p.responses) {
      // compound response: a biphasic wave of the given peak-to-peak amplitude
      const buf = clean[resp.channel]!;
      addMuap(buf, fs, s + (resp.latencyMs * fs) / 1000 + (3 * fs) / 1000, 2.5, resp.amplitudeUv / 2);
    }
  }
  events.sort((a, b) => a.sampleIndex - b.sampleIndex);
  pulseSamples.sort((a, b) => a - b);
  // crosstalk after every channel's own signal exists: zero-lag scaled copies
  const withXt = clean.map((x, i) => {
    const xt = c.channels[i]!.crosstalk;
    if (!xt) return x;
    const y = Float64Array.from(x);
    const src = clean[xt.from]!;
    for (let k = 0; k < n; k++) y[k]! += xt.gain * src[k]!;
    return y;
  });
  const tau = (c.artifactTauMs * fs) / 1000;
  const pw = Math.max(1, Math.round((c.pulseWidthUs * fs) / 1e6));
  const raw = withXt.map((x, i) => {
    const ch = c.channels[i]!;
    const out = new Float32Array(n);
    const phase = r() * 2 * Math.PI;
    const offset = uniform(r, -200, 200);
    const floor = ch.dead === 'flat' ? 0.2 : ch.dead === 'mains' ? 0.3 : 0;
    const f0 = c.mainsHz + (c.mainsOffsetHz ?? 0);
    const wander = c.wanderUv ?? 0;
    const wanderHz = uniform(r, 0.3, 1);
    for (let k = 0; k < n; k++) {
      const hum = ch.mainsUv * (Math.sin((2 * Math.PI * f0 * k) / fs + phase) + 0.2 * Math.sin((6 * Math.PI * f0 * k) / fs + 2 * phase));
      out[k] = x[k]! + hum + offset + floor * gauss(r) + wander * Math.sin((2 * Math.PI * wanderHz * k) / fs + phase);
    }
    // stimulus artifact on every channel at every pulse: a square pulse then an exponential tail
    for (const p of pulseSamples) {
      for (let k = 0; k < pw + Math.ceil(8 * tau) && p + k < n; k++) {
        out[p + k]! += k < pw ? ch.artifactUv : -0.3 * ch.artifactUv * Math.exp(-(k - pw) / Math.max(0.5, tau));
      }
    }
    return out;
  });
  return { sampleRateHz: fs, raw, clean: withXt.map((x) => Float32Array.from(x)), events, pulseSamples };
}
