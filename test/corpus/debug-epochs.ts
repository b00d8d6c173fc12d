import { createPipeline } from '../../src/pipeline';
import type { StimulusEpoch } from '../../src/pipeline/epoch';
import { MAINS_NOTCH_HARMONICS, MAINS_NOTCH_Q } from '../../src/grading/offline';
import { detectMains } from '../../src/grading/mains';
import { makeHarshCase, renderHarsh, type HarshCondition, type HarshCase } from './harsh';
import { blocksOf } from './run';

export function harshEpochs(seed: number, cond: HarshCondition, trains: number): { c: HarshCase; epochs: StimulusEpoch[] } {
  const c = makeHarshCase(seed, cond, trains);
  const rc = renderHarsh(c);
  const mainsHz = detectMains(rc.raw.map((x) => x.subarray(0, rc.events[0]!.sampleIndex)), rc.sampleRateHz).mainsHz;
  const p = createPipeline({ sampleRateHz: rc.sampleRateHz, channelCount: rc.raw.length, unit: 'uV', now: () => 0,
    ...(mainsHz ? { settings: { filter: { notch: { mainsHz, q: MAINS_NOTCH_Q, harmonics: MAINS_NOTCH_HARMONICS } } } } : {}) });
  const epochs: StimulusEpoch[] = [];
  const ev = [...rc.events];
  let si = 0;
  for (const b of blocksOf(rc)) {
    const end = b.startSample + b.samplesPerChannel;
    while (si < ev.length && ev[si]!.sampleIndex < end) p.pushStimulation(ev[si++]!);
    epochs.push(...p.pushBlock(b));
  }
  epochs.push(...p.flush());
  return { c, epochs };
}
