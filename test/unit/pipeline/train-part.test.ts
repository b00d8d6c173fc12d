import { describe, expect, it } from 'vitest';
import type { StimulationEvent } from '../../../src/domain';
import { createPipeline, type StimulationReports } from '../../../src/pipeline';
import { epochLength, type PartialEpoch, type StimulusEpoch } from '../../../src/pipeline/epoch';
import { SessionGrader, type GradingEvent } from '../../../src/grading/session-grader';
import { DEFAULT_TRAIN_GRADING } from '../../../src/grading/options';
import { prepareTrain, type PreparedTrain } from '../../../src/grading/train';
import { blocksOf } from '../../corpus/run';
import { makeCase, montageOf, renderCase } from '../../corpus/synth';

/** What the onTrainPartFinal view held during the call: the final part of every array, copied. */
interface Shown {
  readonly view: PartialEpoch;
  readonly raw: Float32Array;
  readonly filtered: Float32Array;
  readonly envelope: Float32Array;
  readonly blanked: Uint8Array;
  /** Emitted epochs before the call. */
  readonly emittedBefore: number;
  /** prepareTrain of the view, during the call. */
  readonly prepared: PreparedTrain | null;
}

function headOf<T extends Float32Array | Uint8Array>(a: T, n: number, k: number, channels: number): T {
  const out = new (a.constructor as new (len: number) => T)(k * channels);
  for (let c = 0; c < channels; c++) out.set(a.subarray(c * n, c * n + k), c * k);
  return out;
}

const c = makeCase(4242, { sampleRatesHz: [10000], trains: 6, withRamps: true });
const rc = renderCase(c);
const montage = montageOf(c);

function stream(mode: StimulationReports, blockMs: number, grader?: SessionGrader, prepare = true): { shown: Shown[]; epochs: StimulusEpoch[]; events: GradingEvent[] } {
  const shown: Shown[] = [];
  const epochs: StimulusEpoch[] = [];
  const events: GradingEvent[] = [];
  const p = createPipeline({
    sampleRateHz: rc.sampleRateHz,
    channelCount: rc.raw.length,
    unit: 'uV',
    stimulationReports: mode,
    onEpoch: (e) => {
      epochs.push(e);
      if (grader) events.push(...grader.push(e));
    },
    onTrainPartFinal: (view) => {
      const n = epochLength(view);
      const k = view.finalSamples;
      shown.push({
        view,
        raw: headOf(view.raw, n, k, view.channelCount),
        filtered: headOf(view.filtered, n, k, view.channelCount),
        envelope: headOf(view.envelope, n, k, view.channelCount),
        blanked: view.blanked.slice(0, k),
        emittedBefore: epochs.length,
        prepared: prepareTrain(view, { montage }),
      });
      if (grader && prepare) grader.prepare(view);
    },
  });
  let ei = 0;
  const evs: readonly StimulationEvent[] = rc.events;
  for (const b of blocksOf(rc, blockMs)) {
    const end = b.startSample + b.samplesPerChannel;
    while (ei < evs.length && evs[ei]!.sampleIndex < end) p.pushStimulation(evs[ei++]!);
    p.pushBlock(b);
    if (mode === 'confirmed') p.confirmStimulationsTo(end);
  }
  p.flush();
  p.dispose();
  return { shown, epochs, events };
}

describe('pipeline onTrainPartFinal', () => {
  for (const [mode, blockMs] of [['confirmed', 10], ['lagging', 10], ['confirmed', 100], ['lagging', 37]] as const) {
    it(`shows each train epoch once, before it is emitted, with samples final over the shown part (${mode}, ${blockMs} ms blocks)`, () => {
      const { shown, epochs } = stream(mode, blockMs);
      const trains = epochs.filter((e) => e.event.stimulation.mode === 'train');
      expect(trains.length).toBeGreaterThanOrEqual(6);
      expect(epochs.length).toBeGreaterThan(trains.length); // single pulses too: never shown
      expect(shown.map((s) => s.view.event)).toEqual(trains.map((e) => e.event));
      for (const s of shown) {
        const e = epochs.find((x) => x.event === s.view.event)!;
        const idx = epochs.indexOf(e);
        expect(s.emittedBefore).toBeLessThanOrEqual(idx); // before its own epoch
        const n = epochLength(e);
        const k = s.view.finalSamples;
        const trainEnd = e.preSamples + e.stimSamples;
        expect(k).toBeGreaterThan(trainEnd);
        expect(k).toBeLessThan(n); // shown well before the end: the post-train window was still to come
        expect(k).toBeLessThan(trainEnd + Math.round(0.25 * e.sampleRateHz));
        expect(s.blanked[k - 1]).toBe(0);
        // the same arrays as the emitted epoch, and what they held then is what it holds
        expect(s.view.raw).toBe(e.raw);
        expect(s.view.filtered).toBe(e.filtered);
        expect(s.view.blanked).toBe(e.blanked);
        expect({ ...s.view, raw: null, filtered: null, envelope: null, blanked: null, finalSamples: null, gaps: null }).toEqual({ ...e, raw: null, filtered: null, envelope: null, blanked: null, finalSamples: null, gaps: null });
        const ch = e.channelCount;
        expect(Buffer.from(s.raw.buffer).equals(Buffer.from(headOf(e.raw, n, k, ch).buffer))).toBe(true);
        expect(Buffer.from(s.filtered.buffer).equals(Buffer.from(headOf(e.filtered, n, k, ch).buffer))).toBe(true);
        expect(Buffer.from(s.envelope.buffer).equals(Buffer.from(headOf(e.envelope, n, k, ch).buffer))).toBe(true);
        expect(Buffer.from(s.blanked).equals(Buffer.from(e.blanked.subarray(0, k)))).toBe(true);
        // the grader can prepare the train part there, and that preparation holds for the emitted epoch
        expect(s.prepared).not.toBeNull();
        expect(s.prepared!.matches(e, montage, DEFAULT_TRAIN_GRADING)).toBe(true);
      }
    });
  }

  it('a session grader prepared from the hook grades exactly as without it', () => {
    const two = stream('confirmed', 10, new SessionGrader({ montage }));
    const one = stream('confirmed', 10, new SessionGrader({ montage }), false);
    expect(two.events.filter((e) => e.type === 'train-grade').length).toBeGreaterThanOrEqual(6);
    expect(JSON.stringify(two.events)).toBe(JSON.stringify(one.events));
  });
});

/** The slice [from, to) of every channel of an epoch-shaped array, copied. */
function sliceOf<T extends Float32Array | Uint8Array>(a: T, n: number, from: number, to: number, channels: number): T {
  const out = new (a.constructor as new (len: number) => T)((to - from) * channels);
  for (let c = 0; c < channels; c++) out.set(a.subarray(c * n + from, c * n + to), c * (to - from));
  return out;
}

interface Progress {
  readonly event: StimulationEvent;
  readonly from: number;
  readonly to: number;
  readonly raw: Float32Array;
  readonly filtered: Float32Array;
  readonly blanked: Uint8Array;
  readonly arrays: readonly [Float32Array, Float32Array, Uint8Array];
  readonly emittedBefore: number;
}

function streamProgress(mode: StimulationReports, blockMs: number, grader: SessionGrader | null): { progress: Progress[]; shownAt: Map<StimulationEvent, number>; epochs: StimulusEpoch[]; events: GradingEvent[] } {
  const progress: Progress[] = [];
  const shownAt = new Map<StimulationEvent, number>();
  const epochs: StimulusEpoch[] = [];
  const events: GradingEvent[] = [];
  const hooks = grader?.pipelineHooks();
  const p = createPipeline({
    sampleRateHz: rc.sampleRateHz,
    channelCount: rc.raw.length,
    unit: 'uV',
    stimulationReports: mode,
    onEpoch: (e) => {
      epochs.push(e);
      if (grader) events.push(...grader.push(e));
    },
    onTrainPartFinal: (view) => {
      expect(shownAt.has(view.event)).toBe(false);
      shownAt.set(view.event, view.finalSamples);
      hooks?.onTrainPartFinal(view);
    },
    onPostTrainProgress: (view) => {
      const n = epochLength(view);
      const last = [...progress].reverse().find((x) => x.event === view.event);
      const from = last ? last.to : shownAt.get(view.event)!;
      const to = view.finalSamples;
      progress.push({
        event: view.event, from, to, emittedBefore: epochs.length,
        raw: sliceOf(view.raw, n, from, to, view.channelCount),
        filtered: sliceOf(view.filtered, n, from, to, view.channelCount),
        blanked: view.blanked.slice(from, to),
        arrays: [view.raw, view.filtered, view.blanked],
      });
      hooks?.onPostTrainProgress(view);
    },
  });
  let ei = 0;
  const evs: readonly StimulationEvent[] = rc.events;
  for (const b of blocksOf(rc, blockMs)) {
    const end = b.startSample + b.samplesPerChannel;
    while (ei < evs.length && evs[ei]!.sampleIndex < end) p.pushStimulation(evs[ei++]!);
    p.pushBlock(b);
    if (mode === 'confirmed') p.confirmStimulationsTo(end);
  }
  p.flush();
  p.dispose();
  return { progress, shownAt, epochs, events };
}

describe('pipeline onPostTrainProgress', () => {
  for (const [mode, blockMs] of [['confirmed', 10], ['lagging', 37]] as const) {
    it(`extends each shown train epoch's final part block by block until it is emitted, samples final there (${mode}, ${blockMs} ms blocks)`, () => {
      const { progress, shownAt, epochs } = streamProgress(mode, blockMs, null);
      const trains = epochs.filter((e) => e.event.stimulation.mode === 'train');
      expect(trains.length).toBeGreaterThanOrEqual(6);
      for (const e of trains) {
        const calls = progress.filter((x) => x.event === e.event);
        const n = epochLength(e);
        const idx = epochs.indexOf(e);
        // the post-train second arrives in many blocks; each call extends the final part
        expect(calls.length).toBeGreaterThan(Math.floor(700 / blockMs));
        let at = shownAt.get(e.event)!;
        for (const x of calls) {
          expect(x.from).toBe(at);
          expect(x.to).toBeGreaterThan(x.from);
          expect(x.to).toBeLessThan(n);
          expect(x.emittedBefore).toBeLessThanOrEqual(idx);
          expect(x.arrays[0]).toBe(e.raw);
          expect(x.arrays[1]).toBe(e.filtered);
          expect(x.arrays[2]).toBe(e.blanked);
          const ch = e.channelCount;
          expect(Buffer.from(x.raw.buffer).equals(Buffer.from(sliceOf(e.raw, n, x.from, x.to, ch).buffer))).toBe(true);
          expect(Buffer.from(x.filtered.buffer).equals(Buffer.from(sliceOf(e.filtered, n, x.from, x.to, ch).buffer))).toBe(true);
          expect(Buffer.from(x.blanked).equals(Buffer.from(e.blanked.subarray(x.from, x.to)))).toBe(true);
          at = x.to;
        }
        // what is left for the completing input: at most a block (plus the event lag when lagging)
        const lagSamples = mode === 'lagging' ? Math.round(0.1 * e.sampleRateHz) : 0;
        expect(n - at).toBeLessThanOrEqual(Math.round((blockMs / 1000) * e.sampleRateHz) + lagSamples + Math.round(0.001 * e.sampleRateHz));
      }
      // never for single pulses
      expect(progress.every((x) => x.event.stimulation.mode === 'train')).toBe(true);
    });
  }

  it('a session grader fed both hooks grades exactly as one fed none', () => {
    for (const [mode, blockMs] of [['confirmed', 10], ['lagging', 37]] as const) {
      const incremental = streamProgress(mode, blockMs, new SessionGrader({ montage }));
      const plain = stream(mode, blockMs, new SessionGrader({ montage }), false);
      expect(incremental.events.filter((e) => e.type === 'train-grade').length).toBeGreaterThanOrEqual(6);
      expect(JSON.stringify(incremental.events)).toBe(JSON.stringify(plain.events));
    }
  });
});
