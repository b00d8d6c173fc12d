/**
 * `npx tsx test/corpus/harsh-eval.ts [SEEDS] [TRAINS] [FIRST_SEED] [CONDITIONS]`: grades harsh synthetic
 * cases (test/corpus/harsh.ts) per condition through the real pipeline (mains 'auto', as `sdrlog grade`)
 * and prints kappa, exact grade, cut/spare and pattern agreement per condition and overall.
 * Development used seeds 1..; the default first seed 50000 is held out.
 */
import { gradeRecording } from '../../src/grading/offline';
import { HARSH_CONDITIONS, harshMontage, harshTruth, makeHarshCase, renderHarsh, type HarshCondition } from './harsh';
import { blocksOf, score, type GradedCase } from './run';

export interface HarshGraded extends GradedCase {
  /** Per train: the truth's responder patterns (for pattern agreement). */
  readonly truthPatterns: string[][];
}

export function gradeHarsh(seed: number, condition: HarshCondition, trains: number): HarshGraded {
  const c = makeHarshCase(seed, condition, trains);
  const rc = renderHarsh(c);
  const graded = gradeRecording({ sampleRateHz: rc.sampleRateHz, channelCount: rc.raw.length, blocks: blocksOf(rc), events: rc.events }, { montage: harshMontage(c), mains: 'auto' });
  const truthPatterns = c.trains.map((t) => t.responses.filter((x) => x.sustained && c.channels[x.channel]!.dead === null).map((x) => (x.pattern === 'after-discharge' ? 'sustained' : x.pattern)));
  return { seed, truth: harshTruth(c), graded, truthPatterns };
}

/** Pattern agreement over trains with sustained responders in both: the graded pattern is one of the truth's responder patterns. */
export function patternAgreement(cases: readonly HarshGraded[]): { n: number; agree: number } {
  let n = 0;
  let agree = 0;
  for (const c of cases) {
    c.truthPatterns.forEach((ps, i) => {
      const g = c.graded.trains[i]!;
      if (ps.length === 0 || g.grade === 0) return;
      n++;
      if (ps.includes(g.pattern)) agree++;
    });
  }
  return { n, agree };
}

const isMain = process.argv[1]?.endsWith('harsh-eval.ts') ?? false;
if (isMain) {
  const [seedsArg, trainsArg, firstArg, condArg] = process.argv.slice(2);
  const nSeeds = Number(seedsArg ?? 4);
  const nTrains = Number(trainsArg ?? 6);
  const first = Number(firstArg ?? 50000);
  const conds = condArg ? (condArg.split(',') as HarshCondition[]) : HARSH_CONDITIONS;
  const all: HarshGraded[] = [];
  const verbose = process.env.VERBOSE === '1';
  console.log('condition    trains  kappa  exact  cut/spare  pattern');
  for (const cond of conds) {
    const cases: HarshGraded[] = [];
    for (let k = 0; k < nSeeds; k++) cases.push(gradeHarsh(first + k, cond, nTrains));
    all.push(...cases);
    const sc = score(cases);
    const pa = patternAgreement(cases);
    console.log(`${cond.padEnd(12)} ${String(sc.trains).padStart(6)}  ${sc.kappa.toFixed(3)}  ${sc.exactGrade.toFixed(3)}  ${sc.cutSpareAgreement.toFixed(3)}      ${pa.n ? (pa.agree / pa.n).toFixed(2) : ' -  '} (${pa.n})`);
    if (verbose) for (const l of sc.confusion) console.log(`    ${cond} ${l}`);
  }
  const sc = score(all);
  const pa = patternAgreement(all);
  console.log(`${'overall'.padEnd(12)} ${String(sc.trains).padStart(6)}  ${sc.kappa.toFixed(3)}  ${sc.exactGrade.toFixed(3)}  ${sc.cutSpareAgreement.toFixed(3)}      ${pa.n ? (pa.agree / pa.n).toFixed(2) : ' -  '} (${pa.n})`);
}
