/** Runs the grader over synthetic cases through the real pipeline, and scores it against the rule-defined truth. */
import { makeSampleBlock, type SampleBlock } from '../../src/domain';
import { quadraticWeightedKappa, percentAgreement } from '../../src/grading/agreement';
import { gradeRecording, type RecordingGrades } from '../../src/grading/offline';
import { makeCase, montageOf, renderCase, truthOf, type CaseVariation, type TruthLine } from './synth';

/** Planar sample blocks of `blockMs` from a rendered case (any generator's: per-channel arrays plus rate). */
export function* blocksOf(rc: { readonly sampleRateHz: number; readonly raw: readonly Float32Array[] }, blockMs = 100): Generator<SampleBlock> {
  const fs = rc.sampleRateHz;
  const per = Math.max(1, Math.round((blockMs * fs) / 1000));
  const n = rc.raw[0]!.length;
  const ch = rc.raw.length;
  for (let s = 0; s < n; s += per) {
    const len = Math.min(per, n - s);
    const data = new Float32Array(ch * len);
    for (let c = 0; c < ch; c++) data.set(rc.raw[c]!.subarray(s, s + len), c * len);
    yield makeSampleBlock(s, fs, ch, data);
  }
}

export interface CorpusScore {
  readonly trains: number;
  readonly kappa: number;
  readonly exactGrade: number;
  readonly suggestAgreement: number;
  readonly cutSpareAgreement: number;
  readonly confusion: string[];
}

export interface GradedCase {
  readonly seed: number;
  readonly truth: TruthLine[];
  readonly graded: RecordingGrades;
}

export function gradeCase(seed: number, v: CaseVariation): GradedCase {
  const c = makeCase(seed, v);
  const rc = renderCase(c);
  const graded = gradeRecording({ sampleRateHz: rc.sampleRateHz, channelCount: rc.raw.length, blocks: blocksOf(rc), events: rc.events }, { montage: montageOf(c), mains: 'auto' });
  return { seed, truth: truthOf(c), graded };
}

export function score(cases: readonly GradedCase[]): CorpusScore {
  const t: number[] = [];
  const g: number[] = [];
  const ts: string[] = [];
  const gs: string[] = [];
  const confusion: string[] = [];
  for (const c of cases) {
    if (c.graded.trains.length !== c.truth.length) throw new Error(`seed ${c.seed}: graded ${c.graded.trains.length} trains, truth has ${c.truth.length}`);
    c.truth.forEach((tr, i) => {
      const gr = c.graded.trains[i]!;
      t.push(tr.grade);
      g.push(gr.grade);
      ts.push(tr.suggest);
      gs.push(gr.suggestion);
      if (tr.grade !== gr.grade) confusion.push(`seed ${c.seed} train ${i} ${tr.root}${tr.side}: truth ${tr.grade} [${tr.responding.join(', ')}] graded ${gr.grade} [${gr.responding.join(', ')}]`);
    });
  }
  const cs = (s: string): string => (s === 'cut' ? 'cut' : 'not-cut');
  return {
    trains: t.length,
    kappa: quadraticWeightedKappa(t, g, 5),
    exactGrade: percentAgreement(t, g),
    suggestAgreement: percentAgreement(ts, gs),
    cutSpareAgreement: percentAgreement(ts.map(cs), gs.map(cs)),
    confusion,
  };
}
