import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StimulationEvent } from '../../../src/domain';
import type { PartialEpoch, StimulusEpoch } from '../../../src/pipeline/epoch';
import type { Pipeline } from '../../../src/pipeline/pipeline';
import { expectSameEpochs, pipelineFor, stream } from './epoch-streams';
import { blockOf, makeSession, singleEvent, trainEvent, type SyntheticSession } from './synthetic';

const fs = 10000;

/** The reference: streamed in 10 ms blocks (the session is longer than the ring: one batch block would overflow it), nothing released. */
const reference = (s: SyntheticSession): StimulusEpoch[] => stream(s, [100], 'lagging');

/** Threshold ramps (1 Hz singles, epochs continuing each other's run) and trains, two lengths of epoch. */
function rampsAndTrains(seed: number): SyntheticSession {
  const events: StimulationEvent[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = 5000 + r * 80000;
    for (let j = 0; j < 4; j++) events.push(singleEvent(t0 + j * 10000 + 37 * j));
    events.push(trainEvent(t0 + 45000 + 13 * r));
  }
  return makeSession({ sampleRateHz: fs, channelCount: 5, seconds: 24, events, respondingChannels: [1, 3], seed });
}

function copyOf(e: StimulusEpoch): StimulusEpoch {
  return { ...e, raw: e.raw.slice(), filtered: e.filtered.slice(), envelope: e.envelope.slice(), blanked: e.blanked.slice(), gaps: [...e.gaps] };
}

const arraysOf = (e: StimulusEpoch): (Float32Array | Uint8Array)[] => [e.raw, e.filtered, e.envelope, e.blanked];

/**
 * Streams `s` in `chunks`, each event pushed `lateness` samples after its first pulse's block (late reports
 * restart runs); every epoch is copied, then (if `release`) its arrays are scribbled over and released.
 */
function streamReleasing(s: SyntheticSession, chunks: readonly number[], lateness: number, release: (e: StimulusEpoch) => boolean, onPart?: (p: Pipeline, v: PartialEpoch) => void): { copies: StimulusEpoch[]; emitted: StimulusEpoch[]; released: Set<StimulusEpoch> } {
  const copies: StimulusEpoch[] = [];
  const emitted: StimulusEpoch[] = [];
  const released = new Set<StimulusEpoch>();
  let p: Pipeline | null = null;
  p = pipelineFor(s, {
    onEpoch: (e) => {
      copies.push(copyOf(e));
      emitted.push(e);
      if (release(e)) {
        // garbage where the next epoch will write: a sample the pipeline failed to rewrite would show
        e.raw.fill(Number.NaN);
        e.filtered.fill(-7);
        e.envelope.fill(Number.POSITIVE_INFINITY);
        e.blanked.fill(3);
        expect(p!.releaseEpoch(e)).toBe(true);
        released.add(e);
      }
    },
    onTrainPartFinal: onPart ? (v) => onPart(p!, v) : undefined,
  });
  const waiting = [...s.events];
  let pos = 0;
  let k = 0;
  while (pos < s.totalSamples) {
    const n = Math.min(chunks[k++ % chunks.length]!, s.totalSamples - pos);
    for (let i = 0; i < waiting.length; ) {
      if (waiting[i]!.sampleIndex + lateness < pos + n) p.pushStimulation(waiting.splice(i, 1)[0]!);
      else i++;
    }
    p.pushBlock(blockOf(s, pos, n));
    pos += n;
  }
  for (const e of waiting) p.pushStimulation(e);
  p.flush();
  return { copies, emitted, released };
}

describe('epoch array reuse (Pipeline.releaseEpoch)', () => {
  it('reuses released arrays for later epochs of the same length, and the epochs stay identical', () => {
    const s = rampsAndTrains(3);
    const want = reference(s);
    const { copies, emitted, released } = streamReleasing(s, [100], 0, () => true);
    expectSameEpochs(copies, want);
    // every epoch after the first of its length (and of the pool's reach) came in released arrays
    const seen = new Set<Float32Array | Uint8Array>();
    let reused = 0;
    for (const e of emitted) {
      if (seen.has(e.raw)) reused++;
      for (const a of arraysOf(e)) seen.add(a);
    }
    expect(released.size).toBe(emitted.length);
    expect(reused).toBeGreaterThanOrEqual(emitted.length - 4);
  });

  it('never hands out arrays of an epoch that was not released, whatever the chunking, release pattern and report lateness', () => {
    const s = rampsAndTrains(5);
    const want = reference(s);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 2500 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
        fc.constantFrom(0, 50, 400),
        (chunks, pattern, lateness) => {
          let k = 0;
          const { copies, emitted, released } = streamReleasing(s, chunks, lateness, () => pattern[k++ % pattern.length]!);
          expectSameEpochs(copies, want);
          // an array held by an unreleased epoch belongs to that epoch alone
          const owner = new Map<Float32Array | Uint8Array, StimulusEpoch>();
          for (const e of emitted) {
            for (const a of arraysOf(e)) {
              const prev = owner.get(a);
              if (prev !== undefined) expect(released.has(prev)).toBe(true);
              owner.set(a, e);
            }
          }
          // and its content is still exactly what was emitted
          emitted.forEach((e, i) => {
            if (!released.has(e)) expectSameEpochs([e], [copies[i]!]);
          });
        },
      ),
      { numRuns: 12 },
    );
  });

  it('takes back only arrays it emitted, once, all four together and still attached', () => {
    const s = rampsAndTrains(7);
    const p = pipelineFor(s);
    const other = pipelineFor(s);
    for (const e of s.events) {
      p.pushStimulation(e);
      other.pushStimulation(e);
    }
    const got: StimulusEpoch[] = [];
    const fromOther: StimulusEpoch[] = [];
    for (let pos = 0; pos < s.totalSamples; pos += 1000) {
      got.push(...p.pushBlock(blockOf(s, pos, 1000)));
      fromOther.push(...other.pushBlock(blockOf(s, pos, 1000)));
    }
    got.push(...p.flush());
    fromOther.push(...other.flush());
    expect(got.length).toBeGreaterThanOrEqual(6);
    const [a, b, c, d, e] = got as [StimulusEpoch, StimulusEpoch, StimulusEpoch, StimulusEpoch, StimulusEpoch];
    expect(p.releaseEpoch(copyOf(a))).toBe(false); // a copy
    expect(p.releaseEpoch(fromOther[0]!)).toBe(false); // another pipeline's epoch
    expect(p.releaseEpoch({ ...b, envelope: c.envelope })).toBe(false); // mixed arrays
    expect(p.releaseEpoch(a)).toBe(true);
    expect(p.releaseEpoch(a)).toBe(false); // twice
    structuredClone(d.filtered.buffer, { transfer: [d.filtered.buffer] }); // transferred away: detached
    expect(d.filtered.byteLength).toBe(0);
    expect(p.releaseEpoch(d)).toBe(false);
    p.dispose();
    expect(p.releaseEpoch(e)).toBe(false);
  });

  it('ignores the partial view of an epoch still being filled (onTrainPartFinal)', () => {
    const s = rampsAndTrains(9);
    const results: boolean[] = [];
    const { copies } = streamReleasing(s, [100], 0, () => false, (p, v) => results.push(p.releaseEpoch(v)));
    expect(results.length).toBe(3);
    expect(results.every((r) => !r)).toBe(true);
    expectSameEpochs(copies, reference(s));
  });
});

/** An epoch's four arrays as they come back from another thread: same content, new identities. */
function transferredBack(e: StimulusEpoch): Pick<StimulusEpoch, 'raw' | 'filtered' | 'envelope' | 'blanked'> {
  const arrays = { raw: e.raw, filtered: e.filtered, envelope: e.envelope, blanked: e.blanked };
  return structuredClone(arrays, { transfer: [e.raw.buffer, e.filtered.buffer, e.envelope.buffer, e.blanked.buffer] as ArrayBuffer[] });
}

describe('epoch arrays given back from another thread (Pipeline.reuseEpochArrays)', () => {
  it('refills arrays transferred back with later epochs of their length, the epochs identical to a run that never reuses', () => {
    const s = rampsAndTrains(11);
    const want = reference(s);
    const back: Pick<StimulusEpoch, 'raw' | 'filtered' | 'envelope' | 'blanked'>[] = [];
    const copies: StimulusEpoch[] = [];
    const emitted: StimulusEpoch[] = [];
    let p: Pipeline | null = null;
    p = pipelineFor(s, {
      onEpoch: (e) => {
        copies.push(copyOf(e));
        emitted.push(e);
        // posted away (detached here), given back one epoch later with its content scribbled over
        const returned = transferredBack(e);
        returned.raw.fill(Number.NaN);
        returned.filtered.fill(-7);
        returned.envelope.fill(Number.POSITIVE_INFINITY);
        returned.blanked.fill(3);
        const previous = back.shift();
        if (previous) expect(p!.reuseEpochArrays(previous)).toBe(true);
        back.push(returned);
      },
    });
    for (const e of s.events) p.pushStimulation(e);
    for (let pos = 0; pos < s.totalSamples; pos += 100) p.pushBlock(blockOf(s, pos, Math.min(100, s.totalSamples - pos)));
    p.flush();
    expectSameEpochs(copies, want);
    // every epoch after the first two of each length began in arrays given back
    expect(emitted.length).toBe(15);
    expect(p.stats().reusedEpochArrays).toBeGreaterThanOrEqual(emitted.length - 4);
    const given = new Set(back.map((a) => a.raw));
    expect(emitted.some((e) => given.has(e.raw))).toBe(false); // the last one given back is still in the pool
  });

  it('takes only four distinct whole arrays of a consistent shape that it is not using', () => {
    const s = rampsAndTrains(13);
    const p = pipelineFor(s);
    for (const e of s.events) p.pushStimulation(e);
    const got: StimulusEpoch[] = [];
    for (let pos = 0; pos < s.totalSamples; pos += 1000) got.push(...p.pushBlock(blockOf(s, pos, 1000)));
    got.push(...p.flush());
    const [a, b] = got as [StimulusEpoch, StimulusEpoch];
    const ch = s.channelCount;
    const fresh = (len: number) => ({ raw: new Float32Array(len * ch), filtered: new Float32Array(len * ch), envelope: new Float32Array(len * ch), blanked: new Uint8Array(len) });
    expect(p.reuseEpochArrays(a)).toBe(false); // emitted and not released: still the consumer's
    expect(p.reuseEpochArrays({ ...fresh(100), raw: new Float32Array(99 * ch) })).toBe(false); // inconsistent lengths
    expect(p.reuseEpochArrays(fresh(0))).toBe(false);
    const shared = new Float32Array(300 * ch);
    expect(p.reuseEpochArrays({ ...fresh(100), filtered: shared.subarray(0, 100 * ch) })).toBe(false); // a view into a larger buffer
    const one = fresh(100);
    expect(p.reuseEpochArrays({ ...one, envelope: one.raw })).toBe(false); // the same array twice
    expect(p.reuseEpochArrays({ ...fresh(100), blanked: new Int8Array(100) as unknown as Uint8Array })).toBe(false); // wrong type
    expect(p.reuseEpochArrays(one)).toBe(true);
    expect(p.reuseEpochArrays(one)).toBe(false); // already pooled
    expect(p.releaseEpoch(b)).toBe(true);
    expect(p.reuseEpochArrays(b)).toBe(false); // pooled by releaseEpoch already
    p.dispose();
    expect(p.reuseEpochArrays(fresh(100))).toBe(false);
  });
});
