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
});
