import type { StimulationEvent } from '../../../src/domain';
import type { StimulusEpoch } from '../../../src/pipeline/epoch';
import { renderCase, type RenderedCase, type SynthCase, type SynthChannel, type SynthResponse } from '../../corpus/synth';

/**
 * A test-side epoch cutter over the synthetic ground truth: `filtered` is the clean EMG (no mains, no
 * artifact, as an ideal band-pass and blanking would leave it) with blanked samples zeroed; `raw` is the
 * recorded signal. Lets the grader be tested against the StimulusEpoch contract alone.
 */
export function idealEpoch(rc: RenderedCase, event: StimulationEvent, preMs = 200, postMs = 1000): StimulusEpoch {
  const fs = rc.sampleRateHz;
  const pre = Math.round((preMs * fs) / 1000);
  const s = event.stimulation;
  const stim = s.mode === 'train' ? Math.round(s.durationS * fs) : Math.round(0.1 * fs);
  const post = Math.round((postMs * fs) / 1000);
  const n = pre + stim + post;
  const start = event.sampleIndex - pre;
  const ch = rc.raw.length;
  const blanked = new Uint8Array(n);
  const before = Math.round(0.0002 * fs);
  const after = Math.round(0.002 * fs);
  for (const p of rc.pulseSamples) {
    for (let i = p - before - start; i <= p + after - start; i++) if (i >= 0 && i < n) blanked[i] = 1;
  }
  const raw = new Float32Array(ch * n);
  const filtered = new Float32Array(ch * n);
  const envelope = new Float32Array(ch * n);
  const a = Math.exp(-1 / (0.01 * fs));
  for (let c = 0; c < ch; c++) {
    let e = 0;
    for (let i = 0; i < n; i++) {
      const k = start + i;
      raw[c * n + i] = k >= 0 && k < rc.raw[c]!.length ? rc.raw[c]![k]! : 0;
      const f = blanked[i] ? 0 : k >= 0 && k < rc.clean[c]!.length ? rc.clean[c]![k]! : 0;
      filtered[c * n + i] = f;
      e = a * e + (1 - a) * Math.abs(f);
      envelope[c * n + i] = e;
    }
  }
  return { event, sampleRateHz: fs, channelCount: ch, startSample: start, preSamples: pre, stimSamples: stim, postSamples: post, raw, filtered, envelope, blanked, gaps: [] };
}

const LEG = ['ILIO', 'ADD', 'VL', 'TA', 'HAM', 'GAS', 'AH', 'EAS'];

export function channels16(over: Partial<Record<number, Partial<SynthChannel>>> = {}): SynthChannel[] {
  const out: SynthChannel[] = [];
  for (const side of ['L', 'R'] as const) {
    for (const m of LEG) {
      const i = out.length;
      out.push({ side, muscle: m, noiseRmsUv: 8, mainsUv: 0, dead: null, crosstalk: null, artifactUv: 2000, ...over[i] });
    }
  }
  return out;
}

/** Channel index in channels16 for "R TA" etc. */
export function ch(name: string): number {
  const [side, m] = name.split(' ');
  return (side === 'L' ? 0 : 8) + LEG.indexOf(m!);
}

export function resp(channel: string, over: Partial<SynthResponse> = {}): SynthResponse {
  return { channel: ch(channel), sustained: true, pattern: 'squared', snr: 8, style: 'muap', latencyMs: 20, onsetMs: 0, clonicHz: 5, ...over };
}

/** One train on `level side` with the given responses, rendered and cut to an ideal epoch. */
export function oneTrain(o: {
  level?: 'L1' | 'L2' | 'L3' | 'L4' | 'L5' | 'S1' | 'S2';
  side?: 'L' | 'R';
  responses: SynthResponse[];
  channels?: SynthChannel[];
  durationS?: number;
  rateHz?: number;
  fs?: number;
  seed?: number;
  mainsHz?: 50 | 60;
}): { rc: RenderedCase; epoch: StimulusEpoch; synth: SynthCase } {
  const durationS = o.durationS ?? 1;
  const synth: SynthCase = {
    seed: o.seed ?? 7,
    sampleRateHz: o.fs ?? 10000,
    mainsHz: o.mainsHz ?? 50,
    durationS: 0.5 + durationS + 1.5,
    channels: o.channels ?? channels16(),
    trains: [{ onsetS: 0.5, target: { level: o.level ?? 'L4', side: o.side ?? 'R', kind: 'dorsal', rootlet: 2 }, intensityMa: 1.2, rateHz: o.rateHz ?? 50, durationS, responses: o.responses }],
    pulses: [],
    artifactTauMs: 0.3,
    pulseWidthUs: 200,
  };
  const rc = renderCase(synth);
  return { rc, epoch: idealEpoch(rc, rc.events[0]!), synth };
}
