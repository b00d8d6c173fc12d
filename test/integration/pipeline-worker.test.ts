import { describe, expect, it } from 'vitest';
import { DEFAULT_MONTAGE } from '../../src/domain';
import { gradeTrain } from '../../src/grading/train';
import type { GradingEvent } from '../../src/grading/session-grader';
import { createPipeline, type StimulusEpoch } from '../../src/pipeline';
import { startPipelineWorker } from '../../src/app/pipeline-worker-host';
import { blockOf, makeSession, singleEvent, trainEvent } from '../unit/pipeline/synthetic';

const bytes = (a: Float32Array | Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('pipeline worker thread', () => {
  it('produces byte-identical epochs to the in-process pipeline, with blocks transferred, and grades trains', async () => {
    const fs = 10000;
    const channelCount = DEFAULT_MONTAGE.channels.length;
    const s = makeSession({ sampleRateHz: fs, channelCount, seconds: 5, events: [singleEvent(6000), trainEvent(15000)], respondingChannels: [3, 4] });

    const inProcess: StimulusEpoch[] = [];
    const p = createPipeline({ sampleRateHz: fs, channelCount, unit: 'uV', onEpoch: (e) => inProcess.push(e) });
    const fromWorker: StimulusEpoch[] = [];
    const grading: GradingEvent[] = [];
    const errors: string[] = [];
    const w = startPipelineWorker({
      sampleRateHz: fs,
      channelCount,
      unit: 'uV',
      montage: DEFAULT_MONTAGE,
      onEpoch: (e) => fromWorker.push(e),
      onGrading: (g) => grading.push(g),
      onError: (_c, m) => errors.push(m),
    });
    try {
      expect((await w.ready).eventLagSamples).toBe(1000);
      let next = 0;
      const events = s.events;
      let detached = 0;
      for (let pos = 0; pos < s.totalSamples; pos += 250) {
        const n = Math.min(250, s.totalSamples - pos);
        p.pushBlock(blockOf(s, pos, n), 0);
        const b = blockOf(s, pos, n);
        w.pushBlock(b, 0);
        if (b.data.length === 0) detached++; // transferred, not copied
        while (next < events.length && events[next]!.sampleIndex < pos + n) {
          p.pushStimulation(events[next]!);
          w.pushStimulation(events[next++]!);
        }
      }
      p.flush(0);
      await w.flush(0);
      expect(detached).toBe(Math.ceil(s.totalSamples / 250));
      expect(errors).toEqual([]);
      expect(fromWorker).toHaveLength(2);
      expect(inProcess).toHaveLength(2);
      fromWorker.forEach((e, i) => {
        const r = inProcess[i]!;
        expect([e.event, e.startSample, e.preSamples, e.stimSamples, e.postSamples, e.gaps]).toEqual([r.event, r.startSample, r.preSamples, r.stimSamples, r.postSamples, r.gaps]);
        for (const k of ['raw', 'filtered', 'envelope', 'blanked'] as const) expect(bytes(e[k]).equals(bytes(r[k])), k).toBe(true);
      });
      // the worker's grade of the train is the grade of the in-process epoch
      const trainGrade = grading.find((g) => g.type === 'train-grade');
      expect(trainGrade?.type).toBe('train-grade');
      const expected = gradeTrain(inProcess[1]!, { montage: DEFAULT_MONTAGE });
      if (trainGrade?.type === 'train-grade') {
        expect(trainGrade.grade.grade).toBe(expected.grade);
        expect(trainGrade.grade.responding).toEqual(expected.responding);
        expect(trainGrade.grade.pattern).toBe(expected.pattern);
      }
      expect(grading.some((g) => g.type === 'pulse-response')).toBe(true);
      const stats = await w.stats();
      expect(stats.samplesPerChannel).toBe(s.totalSamples);
      expect(stats.epochsEmitted).toBe(2);
      const frame = await w.drainDisplay();
      expect(frame?.channelCount).toBe(channelCount);
    } finally {
      await w.dispose();
    }
  });

  it("'confirmed' reports: a train is graded without any block after the one holding its window's last sample ('lagging': the event lag later)", async () => {
    const fs = 10000;
    const channelCount = DEFAULT_MONTAGE.channels.length;
    const onset = 15037;
    const s = makeSession({ sampleRateHz: fs, channelCount, seconds: 4, events: [trainEvent(onset)], respondingChannels: [3, 4] });
    const windowEnd = onset + 20000; // 200 ms pre + 1 s train + 1 s post, from onset - 200 ms
    const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
      const until = Date.now() + ms;
      while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      return cond();
    };
    for (const mode of ['confirmed', 'lagging'] as const) {
      const grades: { completedAtMs: number; windowCompletedAtMs: number }[] = [];
      const errors: string[] = [];
      const w = startPipelineWorker({
        sampleRateHz: fs, channelCount, unit: 'uV', montage: DEFAULT_MONTAGE, postEpochs: false, stimulationReports: mode,
        onGrading: (g, completedAtMs, windowCompletedAtMs) => { if (g.type === 'train-grade') grades.push({ completedAtMs, windowCompletedAtMs }); },
        onError: (_c, m) => errors.push(m),
      });
      try {
        await w.ready;
        // 10 ms blocks; the host clock here is the block's end sample, so timings name blocks
        let pos = 0;
        const send = (): void => {
          if (s.events[0]!.sampleIndex >= pos && s.events[0]!.sampleIndex < pos + 100) w.pushStimulation(s.events[0]!);
          w.pushBlock(blockOf(s, pos, 100), pos + 100);
          if (mode === 'confirmed') w.confirmStimulationsTo(pos + 100, pos + 100);
          pos += 100;
        };
        while (pos < windowEnd) send();
        const lastBlockEnd = pos; // the block holding sample windowEnd - 1
        expect(lastBlockEnd - windowEnd).toBeLessThan(100);
        if (mode === 'confirmed') {
          expect(await waitFor(() => grades.length > 0, 10_000)).toBe(true);
          expect(grades).toEqual([{ completedAtMs: lastBlockEnd, windowCompletedAtMs: lastBlockEnd }]);
        } else {
          expect(await waitFor(() => grades.length > 0, 300)).toBe(false);
          while (pos < s.totalSamples && grades.length === 0) {
            send();
            await waitFor(() => grades.length > 0, 20);
          }
          expect(await waitFor(() => grades.length > 0, 10_000)).toBe(true);
          expect(grades[0]!.windowCompletedAtMs).toBe(lastBlockEnd);
          expect(grades[0]!.completedAtMs).toBeGreaterThanOrEqual(windowEnd + 1000);
        }
        expect(errors).toEqual([]);
      } finally {
        await w.dispose();
      }
    }
  });

  it('refuses a malformed or backwards confirmation, and one sent to a lagging pipeline, without dying', async () => {
    const errors: { code: string; message: string }[] = [];
    const w = startPipelineWorker({ sampleRateHz: 5000, channelCount: 1, unit: 'uV', stimulationReports: 'confirmed', onError: (code, message) => errors.push({ code, message }) });
    await w.ready;
    w.confirmStimulationsTo(1.5, 0);
    w.confirmStimulationsTo(100, Number.NaN);
    w.confirmStimulationsTo(100, 0);
    w.confirmStimulationsTo(50, 0);
    expect((await w.stats()).confirmedThroughSample).toBe(100);
    expect(errors.map((e) => e.code)).toEqual(['invalid-confirmation', 'invalid-confirmation', 'invalid-confirmation']);
    expect(errors[0]!.message).toMatch(/throughSample must be a non-negative integer/);
    expect(errors[1]!.message).toMatch(/arrivalMs must be a finite number/);
    expect(errors[2]!.message).toMatch(/went backwards/);
    await w.dispose();
    const lagErrors: string[] = [];
    const lag = startPipelineWorker({ sampleRateHz: 5000, channelCount: 1, unit: 'uV', onError: (_c, m) => lagErrors.push(m) });
    await lag.ready;
    lag.confirmStimulationsTo(10, 0);
    await lag.stats();
    expect(lagErrors).toEqual(["confirmStimulationsTo needs a pipeline created with stimulationReports: 'confirmed'"]);
    await lag.dispose();
  });

  it('reports a refused configuration and a refused block without dying', async () => {
    const bad = startPipelineWorker({ sampleRateHz: 100, channelCount: 2, unit: 'uV' });
    await expect(bad.ready).rejects.toThrow(/sampleRateHz must be a number from 1000/);
    await bad.dispose();

    const errors: string[] = [];
    const w = startPipelineWorker({ sampleRateHz: 5000, channelCount: 1, unit: 'uV', onError: (_c, m) => errors.push(m) });
    await w.ready;
    w.pushBlock({ startSample: 100, sampleRateHz: 5000, channelCount: 1, samplesPerChannel: 10, data: new Float32Array(10) }, 0);
    w.pushBlock({ startSample: 0, sampleRateHz: 5000, channelCount: 1, samplesPerChannel: 10, data: new Float32Array(10) }, 0);
    const stats = await w.stats();
    expect(errors).toEqual(['block starts at sample 0, before the end of data already received (110)']);
    expect(stats.samplesPerChannel).toBe(10);
    await w.dispose();
  });

  it('refills epoch arrays the host gives back (transferred both ways) with later epochs, identical to the in-process ones', async () => {
    const fs = 5000;
    const channelCount = 4;
    const events = [singleEvent(3000), singleEvent(8000), trainEvent(13000), singleEvent(25000), singleEvent(30000), trainEvent(35000), singleEvent(47000), trainEvent(52000)];
    const s = makeSession({ sampleRateHz: fs, channelCount, seconds: 13, events, respondingChannels: [1, 2] });
    const inProcess: StimulusEpoch[] = [];
    const p = createPipeline({ sampleRateHz: fs, channelCount, unit: 'uV', onEpoch: (e) => inProcess.push(e) });
    const compared: StimulusEpoch[] = [];
    const errors: string[] = [];
    const mismatches: string[] = [];
    let given = 0;
    const w = startPipelineWorker({
      sampleRateHz: fs, channelCount, unit: 'uV',
      onEpoch: (e) => {
        const k = compared.length;
        compared.push(e);
        const r = inProcess[k];
        if (!r) mismatches.push(`epoch ${k}: none in process`);
        else for (const key of ['raw', 'filtered', 'envelope', 'blanked'] as const) if (!bytes(e[key]).equals(bytes(r[key]))) mismatches.push(`epoch ${k} ${key}`);
        // compared: nothing here reads it any more, back it goes
        if (w.reuseEpoch(e)) given++;
        expect(e.raw.byteLength).toBe(0); // transferred
      },
      onError: (_c, m) => errors.push(m),
    });
    try {
      await w.ready;
      for (const e of events) p.pushStimulation(e);
      // the in-process reference first (the worker's epochs are compared as they arrive)
      for (let pos = 0; pos < s.totalSamples; pos += 200) p.pushBlock(blockOf(s, pos, Math.min(200, s.totalSamples - pos)), 0);
      p.flush(0);
      for (const e of events) w.pushStimulation(e);
      for (let pos = 0; pos < s.totalSamples; pos += 200) {
        w.pushBlock(blockOf(s, pos, Math.min(200, s.totalSamples - pos)), 0);
        // a little pacing, so epochs come back before most of the later ones begin
        if (pos % 5000 === 0) await w.stats();
      }
      await w.flush(0);
      expect(errors).toEqual([]);
      expect(mismatches).toEqual([]);
      expect(compared).toHaveLength(events.length);
      expect(given).toBe(events.length);
      const stats = await w.stats();
      expect(stats.reusedEpochArrays).toBeGreaterThanOrEqual(3);
      expect(stats.reusedEpochArrays).toBeLessThanOrEqual(events.length - 2); // the first of each length is new
    } finally {
      await w.dispose();
    }
  });
});
