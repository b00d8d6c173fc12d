/**
 * Shared by the pipeline tests: a session graded in one batch (the reference), streamed in chunks in either
 * stimulation-report mode, and an exact comparison of epochs.
 */
import { expect } from 'vitest';
import type { StimulationEvent } from '../../../src/domain';
import { createPipeline, type Pipeline, type PipelineConfig } from '../../../src/pipeline/pipeline';
import type { StimulusEpoch } from '../../../src/pipeline/epoch';
import { blockOf, type SyntheticSession } from './synthetic';

/** Exact comparison of epochs; typed arrays compared bytewise. */
export function expectSameEpochs(got: readonly StimulusEpoch[], want: readonly StimulusEpoch[]): void {
  expect(got.length).toBe(want.length);
  const bytes = (a: Float32Array | Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  got.forEach((g, i) => {
    const w = want[i]!;
    const meta = (e: StimulusEpoch) => [e.event, e.startSample, e.preSamples, e.stimSamples, e.postSamples, e.gaps, e.channelCount, e.sampleRateHz];
    expect(meta(g)).toEqual(meta(w));
    for (const k of ['raw', 'filtered', 'envelope', 'blanked'] as const) {
      if (!bytes(g[k]).equals(bytes(w[k]))) throw new Error(`epoch ${i} (onset ${w.event.sampleIndex}): ${k} differs`);
    }
  });
}

export function pipelineFor(s: SyntheticSession, config: Partial<PipelineConfig> = {}): Pipeline {
  return createPipeline({ sampleRateHz: s.sampleRateHz, channelCount: s.channelCount, unit: 'uV', ...config });
}

/** Every event known before any sample: the reference. */
export function batch(s: SyntheticSession, config: Partial<PipelineConfig> = {}): StimulusEpoch[] {
  const p = pipelineFor(s, config);
  for (const e of s.events) p.pushStimulation(e);
  const out = [...p.pushBlock(blockOf(s, 0, s.totalSamples))];
  out.push(...p.flush());
  return out;
}

/**
 * Streams `s` in the given chunks. Each event is pushed before the first block whose end passes
 * `sampleIndex + lateness(event)` (lateness 0: before the block holding its first pulse, as a device that
 * confirms sends it). In 'confirmed' mode the confirmation after each block is the truth: the block's
 * end, or the first pulse of the earliest event not pushed yet if that is earlier.
 */
export function stream(
  s: SyntheticSession,
  chunks: readonly number[],
  mode: 'lagging' | 'confirmed',
  lateness: (e: StimulationEvent) => number = () => 0,
  config: Partial<PipelineConfig> = {},
): StimulusEpoch[] {
  const p = pipelineFor(s, { ...config, stimulationReports: mode });
  const out: StimulusEpoch[] = [];
  const waiting = [...s.events];
  let pos = 0;
  let k = 0;
  while (pos < s.totalSamples) {
    const n = Math.min(chunks[k++ % chunks.length]!, s.totalSamples - pos);
    for (let i = 0; i < waiting.length; ) {
      const e = waiting[i]!;
      if (e.sampleIndex + lateness(e) < pos + n) {
        p.pushStimulation(e);
        waiting.splice(i, 1);
      } else i++;
    }
    out.push(...p.pushBlock(blockOf(s, pos, n)));
    pos += n;
    if (mode === 'confirmed') out.push(...p.confirmStimulationsTo(Math.min(pos, ...waiting.map((e) => e.sampleIndex))));
  }
  for (const e of waiting) p.pushStimulation(e);
  out.push(...p.flush());
  return out;
}

