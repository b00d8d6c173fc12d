import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Montage, StimulationEvent } from '../../../src/domain';
import { gradeRecording } from '../../../src/grading/offline';
import { gradeTrain } from '../../../src/grading/train';
import { createPipeline } from '../../../src/pipeline';
import type { StimulusEpoch } from '../../../src/pipeline/epoch';
import { HARSH_CONDITIONS, harshMontage, makeHarshCase, renderHarsh } from '../../corpus/harsh';
import { blocksOf } from '../../corpus/run';
import { makeCase, montageOf, renderCase } from '../../corpus/synth';

/**
 * Golden dump of grading: the grades (every field, evidence included) of synthetic and harsh recordings,
 * graded in one go (gradeTrain on each emitted epoch) and through the streaming path (gradeRecording:
 * pipeline hooks, two-phase grading), hashed per recording and compared with test/fixtures/grading-golden.json,
 * recorded before two-phase grading became incremental. Grading must not change by a byte whatever path
 * computes it. `SDRLOG_UPDATE_GOLDEN=1 npx vitest run test/unit/grading/golden.test.ts` rewrites the file
 * (only for a deliberate change of grading).
 */

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/grading-golden.json');

interface Rendered {
  readonly sampleRateHz: number;
  readonly raw: readonly Float32Array[];
  readonly events: readonly StimulationEvent[];
}

interface Recording {
  readonly name: string;
  readonly montage: Montage;
  readonly rc: Rendered;
  readonly mains: 50 | null;
}

function recordings(): Recording[] {
  const out: Recording[] = [];
  for (const [seed, v] of [[4242, { sampleRatesHz: [10000], trains: 4 }], [7002, { hard: true, trains: 4 }], [9001, { sampleRatesHz: [5000], trains: 3 }]] as const) {
    const c = makeCase(seed, v);
    out.push({ name: `synth-${seed}`, montage: montageOf(c), rc: renderCase(c), mains: seed === 7002 ? 50 : null });
  }
  for (const cond of HARSH_CONDITIONS) {
    const c = makeHarshCase(50000, cond, 2);
    out.push({ name: `harsh-${cond}`, montage: harshMontage(c), rc: renderHarsh(c), mains: 50 });
  }
  return out;
}

function oneGo(r: Recording): string {
  const epochs: StimulusEpoch[] = [];
  const p = createPipeline({
    sampleRateHz: r.rc.sampleRateHz,
    channelCount: r.rc.raw.length,
    unit: 'uV',
    ...(r.mains ? { settings: { filter: { notch: { mainsHz: r.mains, q: 15, harmonics: 3 } } } } : {}),
    onEpoch: (e) => {
      if (e.event.stimulation.mode === 'train' && e.event.stimulation.target) epochs.push(e);
    },
  });
  let ei = 0;
  for (const b of blocksOf(r.rc, 100)) {
    while (ei < r.rc.events.length && r.rc.events[ei]!.sampleIndex < b.startSample + b.samplesPerChannel) p.pushStimulation(r.rc.events[ei++]!);
    p.pushBlock(b);
  }
  p.flush();
  p.dispose();
  return JSON.stringify(epochs.map((e) => gradeTrain(e, { montage: r.montage })));
}

function streamed(r: Recording): string {
  const g = gradeRecording(
    { sampleRateHz: r.rc.sampleRateHz, channelCount: r.rc.raw.length, blocks: blocksOf(r.rc, 10), events: r.rc.events },
    { montage: r.montage, mains: r.mains ?? 'off' },
  );
  return JSON.stringify(g.events);
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('grading golden dump', () => {
  it('grades every recording exactly as recorded, in one go and streamed', () => {
    const got: Record<string, { oneGo: string; streamed: string }> = {};
    for (const r of recordings()) got[r.name] = { oneGo: sha(oneGo(r)), streamed: sha(streamed(r)) };
    if (process.env.SDRLOG_UPDATE_GOLDEN === '1') writeFileSync(FIXTURE, `${JSON.stringify(got, null, 2)}\n`);
    const want = JSON.parse(readFileSync(FIXTURE, 'utf8')) as typeof got;
    expect(got).toEqual(want);
  }, 300_000);
});
