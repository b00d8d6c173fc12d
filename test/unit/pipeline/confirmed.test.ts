import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StimulationEvent } from '../../../src/domain';
import type { EpochTiming } from '../../../src/pipeline/pipeline';
import type { StimulusEpoch } from '../../../src/pipeline/epoch';
import { batch, expectSameEpochs, pipelineFor, stream } from './epoch-streams';
import { blockOf, makeSession, singleEvent, trainEvent } from './synthetic';

describe("pipeline, 'confirmed' stimulation reports", () => {
  const fs = 10000;

  it('emits an epoch in the confirmation that follows the block holding its last sample, whatever the block boundary', () => {
    for (const onset of [15000, 15001, 15037, 15099]) {
      const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 4, events: [trainEvent(onset)], respondingChannels: [1] });
      let clock = 1000;
      const timings: EpochTiming[] = [];
      const p = pipelineFor(s, { stimulationReports: 'confirmed', now: () => clock, onEpoch: (_e, t) => timings.push(t) });
      const windowEnd = onset + 20000;
      let emittedAfterBlockEnd: number | null = null;
      for (let pos = 0; pos < s.totalSamples; pos += 100) {
        if (onset >= pos && onset < pos + 100) p.pushStimulation(s.events[0]!);
        expect(p.pushBlock(blockOf(s, pos, 100), pos / 10)).toHaveLength(0); // before its confirmation, never
        clock += 0.25;
        const got = p.confirmStimulationsTo(pos + 100, pos / 10 + 0.1);
        if (got.length > 0) {
          expect(emittedAfterBlockEnd).toBeNull();
          emittedAfterBlockEnd = pos + 100;
          expect(timings).toEqual([{ completedAtMs: pos / 10 + 0.1, windowCompletedAtMs: pos / 10, emittedAtMs: clock }]);
        }
      }
      // the block holding sample windowEnd - 1 is the one that ends at the next multiple of 100
      expect(emittedAfterBlockEnd).toBe(Math.ceil(windowEnd / 100) * 100);
      expect(p.stats()).toMatchObject({ epochsEmitted: 1, epochsUnconfirmed: 0, confirmedThroughSample: s.totalSamples });
    }
  });

  it('withholds a complete epoch while the confirmation lags, then emits it on the confirmation that covers it', () => {
    const onset = 15000;
    const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 4, events: [trainEvent(onset)] });
    const timings: EpochTiming[] = [];
    const p = pipelineFor(s, { stimulationReports: 'confirmed', onEpoch: (_e, t) => timings.push(t) });
    p.pushStimulation(s.events[0]!);
    const end = onset + 20000;
    expect(p.pushBlock(blockOf(s, 0, end + 500), 1)).toHaveLength(0);
    expect(p.confirmStimulationsTo(end - 1, 2)).toHaveLength(0);
    expect(p.confirmStimulationsTo(end - 1, 3)).toHaveLength(0); // repeating is a no-op
    const got = p.confirmStimulationsTo(end, 4);
    expect(got).toHaveLength(1);
    expect(timings[0]!.completedAtMs).toBe(4);
    expectSameEpochs(got, batch(s));
  });

  it('confirmation ahead of the data: the block completing the window emits the epoch (its arrival is the completion time)', () => {
    const onset = 15000;
    const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 4, events: [trainEvent(onset)] });
    const timings: EpochTiming[] = [];
    const p = pipelineFor(s, { stimulationReports: 'confirmed', onEpoch: (_e, t) => timings.push(t) });
    p.pushStimulation(s.events[0]!);
    expect(p.confirmStimulationsTo(s.totalSamples, 0)).toHaveLength(0);
    const end = onset + 20000;
    expect(p.pushBlock(blockOf(s, 0, end - 1), 1)).toHaveLength(0);
    expect(p.pushBlock(blockOf(s, end - 1, 1), 7)).toHaveLength(1);
    expect(timings[0]!.completedAtMs).toBe(7);
  });

  it('blanks a stimulation reported late while the confirmation is held before it', () => {
    // a single pulse in the train's after-discharge window, reported 300 ms after its samples (as after a
    // lost frame and the device's retransmission): the train's epoch waits for it and blanks it
    const train = trainEvent(15000);
    const late = singleEvent(15000 + 10000 + 3000);
    const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 5, events: [train, late] });
    const p = pipelineFor(s, { stimulationReports: 'confirmed' });
    const out: StimulusEpoch[] = [];
    p.pushStimulation(train);
    let pos = 0;
    for (; pos < train.sampleIndex + 20000 + 3000; pos += 100) {
      out.push(...p.pushBlock(blockOf(s, pos, 100)));
      out.push(...p.confirmStimulationsTo(Math.min(pos + 100, late.sampleIndex)));
    }
    expect(out).toHaveLength(0); // the train's window ended at 35000, 300 ms ago, but the confirmation is held at 28000
    p.pushStimulation(late);
    out.push(...p.confirmStimulationsTo(pos));
    // both windows are complete: the pulse's own (ends 33000) and the train's (ends 35000)
    expect(out.map((e) => e.event.sampleIndex)).toEqual([late.sampleIndex, train.sampleIndex]);
    const e = out[1]!;
    expect(e.blanked[late.sampleIndex - e.startSample]).toBe(1);
    for (; pos < s.totalSamples; pos += 100) {
      out.push(...p.pushBlock(blockOf(s, pos, 100)));
      out.push(...p.confirmStimulationsTo(pos + 100));
    }
    out.push(...p.flush());
    expectSameEpochs(out, batch(s));
    expect(p.stats().stimulationsAfterConfirmation).toBe(0);
  });

  it('a stimulation starting right after a window ends (inside the blanking lead) does not hold that epoch, in either mode', () => {
    const first = trainEvent(15000);
    const end = 15000 + 20000;
    const next = singleEvent(end + 1); // its 0.2 ms lead would reach the window's last sample
    const s = makeSession({ sampleRateHz: fs, channelCount: 2, seconds: 5, events: [first, next] });
    const p = pipelineFor(s, { stimulationReports: 'confirmed' });
    p.pushStimulation(first);
    expect(p.pushBlock(blockOf(s, 0, end))).toHaveLength(0);
    expect(p.confirmStimulationsTo(end)).toHaveLength(1);
    const want = batch(s);
    expect(want[0]!.blanked[end - 1 - want[0]!.startSample]).toBe(0);
    for (const chunks of [[100], [37, 512], [end + 1, 3]]) {
      expectSameEpochs(stream(s, chunks, 'confirmed'), want);
      expectSameEpochs(stream(s, chunks, 'lagging'), want);
    }
  });

  it('emits unconfirmed after settings.epoch.maxConfirmWaitMs of data past the window, and counts it', () => {
    const onset = 15000;
    const s = makeSession({ sampleRateHz: fs, channelCount: 1, seconds: 6, events: [trainEvent(onset)] });
    const p = pipelineFor(s, { stimulationReports: 'confirmed', settings: { epoch: { maxConfirmWaitMs: 500 } } });
    p.pushStimulation(s.events[0]!);
    const end = onset + 20000;
    expect(p.pushBlock(blockOf(s, 0, end + 4999))).toHaveLength(0);
    expect(p.pushBlock(blockOf(s, end + 4999, 1))).toHaveLength(1);
    expect(p.stats().epochsUnconfirmed).toBe(1);
  });

  it('gives the same epochs as lagging mode and as one batch, for random chunkings and report timings (fast-check)', () => {
    const fs5 = 5000;
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 6 * fs5 - 1 }), train: fc.boolean(), lateMs: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 1000 }),
        (evs, chunks, seed) => {
          const uniq = new Map<number, { at: number; train: boolean; lateMs: number }>();
          for (const e of evs) uniq.set(e.at, e);
          const late = new Map<number, number>();
          const events = [...uniq.values()].map((e) => {
            const ev = e.train ? trainEvent(e.at, 50, 0.5) : singleEvent(e.at);
            late.set(e.at, Math.round((e.lateMs * fs5) / 1000));
            return ev;
          });
          const s = makeSession({ sampleRateHz: fs5, channelCount: 2, seconds: 8, events, respondingChannels: [0], seed });
          const lateness = (e: StimulationEvent): number => late.get(e.sampleIndex)!;
          const want = batch(s);
          const confirmedOnTime = stream(s, chunks, 'confirmed');
          expectSameEpochs(confirmedOnTime, want);
          expectSameEpochs(stream(s, chunks, 'confirmed', lateness), want);
          expectSameEpochs(stream(s, chunks, 'lagging', lateness), want);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses bad confirmations and a confirmation on a lagging pipeline', () => {
    const s = makeSession({ sampleRateHz: fs, channelCount: 1, seconds: 1, events: [] });
    const p = pipelineFor(s, { stimulationReports: 'confirmed' });
    expect(() => p.confirmStimulationsTo(1.5)).toThrow(/non-negative integer/);
    expect(() => p.confirmStimulationsTo(-1)).toThrow(/non-negative integer/);
    expect(() => p.confirmStimulationsTo(Number.NaN)).toThrow(/non-negative integer/);
    expect(() => p.confirmStimulationsTo(10, Number.POSITIVE_INFINITY)).toThrow(/arrival time/);
    p.confirmStimulationsTo(100);
    expect(() => p.confirmStimulationsTo(99)).toThrow(/went backwards/);
    try {
      p.confirmStimulationsTo(50);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('invalid-confirmation');
    }
    expect(() => pipelineFor(s).confirmStimulationsTo(10)).toThrow(/stimulationReports: 'confirmed'/);
    expect(() => pipelineFor(s, { stimulationReports: 'eventually' as never })).toThrow(/'lagging' or 'confirmed'/);
    expect(() => pipelineFor(s, { settings: { epoch: { maxConfirmWaitMs: -1 } } })).toThrow(/maxConfirmWaitMs/);
  });

  it('counts a stimulation pushed behind its confirmation and still blanks it where it can', () => {
    const s = makeSession({ sampleRateHz: fs, channelCount: 1, seconds: 4, events: [trainEvent(15000)] });
    const p = pipelineFor(s, { stimulationReports: 'confirmed' });
    p.pushBlock(blockOf(s, 0, 15100));
    p.confirmStimulationsTo(15100);
    p.pushStimulation(s.events[0]!);
    const out = [...p.pushBlock(blockOf(s, 15100, s.totalSamples - 15100))];
    out.push(...p.confirmStimulationsTo(s.totalSamples));
    expect(p.stats().stimulationsAfterConfirmation).toBe(1);
    expectSameEpochs(out, batch(s));
  });
});
