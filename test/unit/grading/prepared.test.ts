import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Montage, StimulationEvent } from '../../../src/domain';
import { gradeTrain, prepareTrain, type TrainGraderConfig } from '../../../src/grading/train';
import { SessionGrader } from '../../../src/grading/session-grader';
import { DEFAULT_TRAIN_GRADING } from '../../../src/grading/options';
import { createPipeline } from '../../../src/pipeline';
import { epochLength, type PartialEpoch, type StimulusEpoch } from '../../../src/pipeline/epoch';
import { harshMontage, makeHarshCase, renderHarsh, type HarshCondition } from '../../corpus/harsh';
import { blocksOf } from '../../corpus/run';
import { makeCase, montageOf, renderCase } from '../../corpus/synth';

/**
 * Two-phase grading (prepareTrain + gradeTrain(epoch, config, prepared)): the train part prepared while
 * the post-train window was still unknown gives exactly the grade of one call on the complete epoch.
 */

function trainEpochs(rc: { readonly sampleRateHz: number; readonly raw: readonly Float32Array[]; readonly events: readonly StimulationEvent[] }, notch: 50 | 60 | null): StimulusEpoch[] {
  const out: StimulusEpoch[] = [];
  const p = createPipeline({
    sampleRateHz: rc.sampleRateHz,
    channelCount: rc.raw.length,
    unit: 'uV',
    ...(notch ? { settings: { filter: { notch: { mainsHz: notch, q: 15, harmonics: 3 } } } } : {}),
    onEpoch: (e) => {
      if (e.event.stimulation.mode === 'train' && e.event.stimulation.target) out.push(e);
    },
  });
  let ei = 0;
  for (const b of blocksOf(rc, 100)) {
    while (ei < rc.events.length && rc.events[ei]!.sampleIndex < b.startSample + b.samplesPerChannel) p.pushStimulation(rc.events[ei++]!);
    p.pushBlock(b);
  }
  p.flush();
  p.dispose();
  return out;
}

/**
 * The epoch as the pipeline shows it mid-window: its own arrays, final over [0, finalSamples) and
 * garbage after (NaN, spikes, blanking); `complete()` then fills in the rest, in place.
 */
function partialOf(e: StimulusEpoch, finalSamples: number): { view: PartialEpoch; complete: () => StimulusEpoch } {
  const n = epochLength(e);
  const raw = e.raw.slice();
  const filtered = e.filtered.slice();
  const envelope = e.envelope.slice();
  const blanked = e.blanked.slice();
  for (let c = 0; c < e.channelCount; c++) {
    for (let i = finalSamples; i < n; i++) {
      const v = i % 7 === 0 ? Number.NaN : (i % 13) * 1e4;
      raw[c * n + i] = v;
      filtered[c * n + i] = v;
      envelope[c * n + i] = v;
    }
  }
  for (let i = finalSamples; i < n; i++) blanked[i] = i % 3 === 0 ? 1 : 0;
  const view: PartialEpoch = { ...e, raw, filtered, envelope, blanked, finalSamples };
  return {
    view,
    complete: () => {
      raw.set(e.raw);
      filtered.set(e.filtered);
      envelope.set(e.envelope);
      blanked.set(e.blanked);
      return { ...e, raw, filtered, envelope, blanked };
    },
  };
}

interface Set {
  readonly name: string;
  readonly montage: Montage;
  readonly epochs: StimulusEpoch[];
}

function sets(): Set[] {
  const out: Set[] = [];
  for (const [seed, v] of [[4242, { sampleRatesHz: [10000], trains: 4 }], [7002, { hard: true, trains: 4 }]] as const) {
    const c = makeCase(seed, v);
    out.push({ name: `synth-${seed}`, montage: montageOf(c), epochs: trainEpochs(renderCase(c), seed === 7002 ? 50 : null) });
  }
  const conds: HarshCondition[] = ['all', 'saturation', 'tails', 'dead', 'crosstalk', 'mwave', 'dc-step'];
  for (const cond of conds) {
    const c = makeHarshCase(50000, cond, 3);
    out.push({ name: `harsh-${cond}`, montage: harshMontage(c), epochs: trainEpochs(renderHarsh(c), 50) });
  }
  return out;
}

const SETS = sets();

describe('two-phase train grading', () => {
  it('grades every synthetic and harsh train identically with the train part prepared early', () => {
    let n = 0;
    for (const s of SETS) {
      const config: TrainGraderConfig = { montage: s.montage };
      for (const e of s.epochs) {
        const want = JSON.stringify(gradeTrain(e, config));
        const fs = e.sampleRateHz;
        // As early as the pipeline's hook can be, and well into the post-train window.
        for (const finalSamples of [e.preSamples + e.stimSamples + Math.round(0.02 * fs), e.preSamples + e.stimSamples + Math.round(0.5 * fs)]) {
          const { view, complete } = partialOf(e, finalSamples);
          const prepared = prepareTrain(view, config);
          expect(prepared, `${s.name} onset ${e.event.sampleIndex}`).not.toBeNull();
          const full = complete();
          expect(prepared!.matches(full, s.montage, DEFAULT_TRAIN_GRADING)).toBe(true);
          expect(JSON.stringify(gradeTrain(full, config, prepared)), `${s.name} onset ${e.event.sampleIndex}`).toBe(want);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(20);
  });

  it('ignores a preparation that does not match the epoch, and grades it from scratch', () => {
    const s = SETS.find((x) => x.name === 'harsh-all')!;
    const config: TrainGraderConfig = { montage: s.montage };
    const [e0, e1] = s.epochs;
    const fs = e0!.sampleRateHz;
    const cut = e0!.preSamples + e0!.stimSamples + Math.round(0.05 * fs);
    const { view, complete } = partialOf(e0!, cut);
    const prepared = prepareTrain(view, config)!;
    const full = complete();
    // another train
    expect(JSON.stringify(gradeTrain(e1!, config, prepared))).toBe(JSON.stringify(gradeTrain(e1!, config)));
    // the same samples in other arrays (a copy: not the arrays it was prepared on)
    expect(prepared.matches(e0!, s.montage, DEFAULT_TRAIN_GRADING)).toBe(false);
    // a stimulation blanked into the train since: the blanking differs
    const blanked = full.blanked.slice();
    for (let i = e0!.preSamples + 500; i < e0!.preSamples + 520; i++) blanked[i] = blanked[i] === 1 ? 0 : 1;
    const reblanked = { ...full, blanked };
    expect(prepared.matches(reblanked, s.montage, DEFAULT_TRAIN_GRADING)).toBe(false);
    expect(JSON.stringify(gradeTrain(reblanked, config, prepared))).toBe(JSON.stringify(gradeTrain(reblanked, config)));
    // a gap over the train
    const gapped = { ...full, gaps: [{ startSample: full.startSample + 100, lengthSamples: 50, reason: 'unknown' as const }] };
    expect(JSON.stringify(gradeTrain(gapped, config, prepared))).toBe(JSON.stringify(gradeTrain(gapped, config)));
    // a gap after the covered part does not matter to the prepared part
    const late = { ...full, gaps: [{ startSample: full.startSample + epochLength(full) - 100, lengthSamples: 50, reason: 'unknown' as const }] };
    expect(prepared.matches(late, s.montage, DEFAULT_TRAIN_GRADING)).toBe(true);
    expect(JSON.stringify(gradeTrain(late, config, prepared))).toBe(JSON.stringify(gradeTrain(late, config)));
    // other options or montage
    expect(prepared.matches(full, { ...s.montage }, DEFAULT_TRAIN_GRADING)).toBe(false);
  });

  it('declines when the train part is not final yet', () => {
    const s = SETS[0]!;
    const e = s.epochs[0]!;
    const { view } = partialOf(e, e.preSamples + e.stimSamples - 10);
    expect(prepareTrain(view, { montage: s.montage })).toBeNull();
  });

  it('SessionGrader uses what prepare left for the epoch pushed, once', () => {
    const s = SETS.find((x) => x.name === 'harsh-tails')!;
    const plain = new SessionGrader({ montage: s.montage });
    const twoPhase = new SessionGrader({ montage: s.montage });
    for (const e of s.epochs) {
      const { view, complete } = partialOf(e, e.preSamples + e.stimSamples + Math.round(0.03 * e.sampleRateHz));
      twoPhase.prepare(view);
      expect(JSON.stringify(twoPhase.push(complete()))).toBe(JSON.stringify(plain.push(e)));
    }
  });

  it('advanced over the post-train window in random chunks, grades exactly as in one go (fast-check)', () => {
    const all = SETS.flatMap((s) => s.epochs.map((e) => ({ set: s, e })));
    let checked = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: all.length - 1 }),
        fc.integer({ min: 0, max: 400 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 0, maxLength: 40 }),
        fc.boolean(),
        (which, startMs, chunks, stopEarly) => {
          const { set, e } = all[which]!;
          const config: TrainGraderConfig = { montage: set.montage };
          const n = epochLength(e);
          const fs = e.sampleRateHz;
          const first = Math.min(n - 1, e.preSamples + e.stimSamples + Math.round(0.02 * fs) + Math.round((startMs / 1000) * fs));
          const g = progressiveOf(e);
          const prepared = prepareTrain(g.reveal(first), config);
          expect(prepared).not.toBeNull();
          let at = first;
          for (const k of chunks) {
            // the last chunks may stop short of the window's end (the completing block is left to gradeTrain)
            at = Math.min(stopEarly ? n - 1 : n, at + k);
            expect(prepared!.advance(g.reveal(at))).toBe(true);
            expect(prepared!.advancedSamples).toBe(at);
          }
          const full = g.complete();
          expect(prepared!.matches(full, set.montage, DEFAULT_TRAIN_GRADING)).toBe(true);
          expect(JSON.stringify(gradeTrain(full, config, prepared))).toBe(wantOf(e, set.montage));
          prepared!.release();
          checked++;
        },
      ),
      { numRuns: 60, seed: 20261122 },
    );
    expect(checked).toBe(60);
  });

  it('rejects a preparation that went stale or does not match after advancing, and grades from scratch', () => {
    const s = SETS.find((x) => x.name === 'harsh-all')!;
    const config: TrainGraderConfig = { montage: s.montage };
    const e = s.epochs[0]!;
    const n = epochLength(e);
    const fs = e.sampleRateHz;
    const trainEnd = e.preSamples + e.stimSamples;
    const want = wantOf(e, s.montage);
    const fresh = (): { prepared: NonNullable<ReturnType<typeof prepareTrain>>; full: StimulusEpoch } => {
      const g = progressiveOf(e);
      const prepared = prepareTrain(g.reveal(trainEnd + Math.round(0.02 * fs)), config)!;
      expect(prepared.advance(g.reveal(trainEnd + Math.round(0.6 * fs)))).toBe(true);
      return { prepared, full: g.complete() };
    };
    // a view of another run (its arrays): refused, nothing advanced
    {
      const { prepared } = fresh();
      const other = partialOf(e, trainEnd + Math.round(0.7 * fs)).view;
      expect(prepared.advance(other)).toBe(false);
      expect(prepared.advancedSamples).toBe(trainEnd + Math.round(0.6 * fs));
    }
    // a view of another train
    {
      const { prepared } = fresh();
      const e1 = s.epochs[1]!;
      expect(prepared.advance({ ...e1, finalSamples: epochLength(e1) - 1 })).toBe(false);
    }
    // a gap that appeared over the samples advanced over (past the train part)
    {
      const { prepared, full } = fresh();
      const gapped = { ...full, gaps: [...full.gaps, { startSample: full.startSample + trainEnd + Math.round(0.3 * fs), lengthSamples: 40, reason: 'unknown' as const }] };
      expect(prepared.matches(gapped, s.montage, DEFAULT_TRAIN_GRADING)).toBe(false);
      expect(JSON.stringify(gradeTrain(gapped, config, prepared))).toBe(JSON.stringify(gradeTrain(gapped, config)));
    }
    // a gap after the samples advanced over: still matches, and grades as in one go
    {
      const { prepared, full } = fresh();
      const late = { ...full, gaps: [...full.gaps, { startSample: full.startSample + n - 300, lengthSamples: 200, reason: 'unknown' as const }] };
      expect(prepared.matches(late, s.montage, DEFAULT_TRAIN_GRADING)).toBe(true);
      expect(JSON.stringify(gradeTrain(late, config, prepared))).toBe(JSON.stringify(gradeTrain(late, config)));
    }
    // blanking changed in place over the post-train samples advanced over
    {
      const { prepared, full } = fresh();
      const at = trainEnd + Math.round(0.4 * fs);
      full.blanked.fill(1, at, at + 20);
      expect(prepared.matches(full, s.montage, DEFAULT_TRAIN_GRADING)).toBe(false);
      expect(JSON.stringify(gradeTrain(full, config, prepared))).toBe(JSON.stringify(gradeTrain(full, config)));
      full.blanked.set(e.blanked.subarray(at, at + 20), at);
    }
    // released: never used again
    {
      const { prepared, full } = fresh();
      prepared.release();
      expect(prepared.matches(full, s.montage, DEFAULT_TRAIN_GRADING)).toBe(false);
      expect(prepared.advance({ ...full, finalSamples: n - 1 })).toBe(false);
      expect(JSON.stringify(gradeTrain(full, config, prepared))).toBe(want);
    }
    // other options object
    {
      const { prepared, full } = fresh();
      expect(prepared.matches(full, s.montage, { ...DEFAULT_TRAIN_GRADING })).toBe(false);
      expect(JSON.stringify(gradeTrain(full, { montage: s.montage, options: { ...DEFAULT_TRAIN_GRADING } }, prepared))).toBe(want);
    }
  });

  it('SessionGrader advances what prepare left, drops a stale preparation, and grades identically either way', () => {
    const s = SETS.find((x) => x.name === 'harsh-dead')!;
    const plain = new SessionGrader({ montage: s.montage });
    const incremental = new SessionGrader({ montage: s.montage });
    s.epochs.forEach((e, k) => {
      const fs = e.sampleRateHz;
      const trainEnd = e.preSamples + e.stimSamples;
      const g = progressiveOf(e);
      incremental.prepare(g.reveal(trainEnd + Math.round(0.03 * fs)));
      for (let at = trainEnd + Math.round(0.04 * fs); at < epochLength(e); at += Math.round(0.01 * fs)) incremental.advance(g.reveal(at));
      // every other train: a view of another run arrives (a restarted run): the preparation is dropped
      if (k % 2 === 1) incremental.advance(partialOf(e, epochLength(e) - 1).view);
      expect(JSON.stringify(incremental.push(g.complete()))).toBe(JSON.stringify(plain.push(e)));
    });
  });

  it('SessionGrader.warmUp emits nothing and leaves the session as it was', () => {
    const s = SETS.find((x) => x.name === 'synth-4242')!;
    const warmed = new SessionGrader({ montage: s.montage });
    const plain = new SessionGrader({ montage: s.montage });
    const seen: unknown[] = [];
    warmed.on((ev) => seen.push(ev));
    warmed.warmUp({ sampleRateHz: 10000, channelCount: s.epochs[0]!.channelCount });
    warmed.warmUp({ sampleRateHz: 5000, channelCount: s.epochs[0]!.channelCount });
    expect(seen).toEqual([]);
    expect(warmed.thresholdsSoFar()).toEqual([]);
    for (const e of s.epochs) expect(JSON.stringify(warmed.push(e))).toBe(JSON.stringify(plain.push(e)));
  });
});

const WANT = new Map<StimulusEpoch, string>();
function wantOf(e: StimulusEpoch, montage: Montage): string {
  let w = WANT.get(e);
  if (w === undefined) {
    w = JSON.stringify(gradeTrain(e, { montage }));
    WANT.set(e, w);
  }
  return w;
}

/**
 * The epoch as the pipeline fills it: its own arrays, garbage beyond what has been revealed; reveal(f)
 * writes the true samples [0, f) in place (as the run does) and returns the view with `finalSamples` f;
 * complete() reveals everything and returns the epoch on the same arrays.
 */
function progressiveOf(e: StimulusEpoch): { reveal: (f: number) => PartialEpoch; complete: () => StimulusEpoch } {
  const n = epochLength(e);
  const { view } = partialOf(e, e.preSamples);
  const { raw, filtered, envelope, blanked } = view;
  let shown = e.preSamples;
  const reveal = (f: number): PartialEpoch => {
    const to = Math.min(n, f);
    for (let c = 0; c < e.channelCount; c++) {
      raw.set(e.raw.subarray(c * n + shown, c * n + to), c * n + shown);
      filtered.set(e.filtered.subarray(c * n + shown, c * n + to), c * n + shown);
      envelope.set(e.envelope.subarray(c * n + shown, c * n + to), c * n + shown);
    }
    blanked.set(e.blanked.subarray(shown, to), shown);
    shown = Math.max(shown, to);
    return { ...e, raw, filtered, envelope, blanked, finalSamples: f };
  };
  const complete = (): StimulusEpoch => {
    reveal(n);
    return { ...e, raw, filtered, envelope, blanked };
  };
  return { reveal, complete };
}
