/**
 * `npx tsx test/corpus/generate.ts OUTDIR [N] [FIRST_SEED]`: writes N varied synthetic EDF+ cases with
 * their rule-defined truth (case-<seed>.edf + case-<seed>.truth.jsonl) for grading with `sdrlog grade`.
 * Every fourth case has low-amplitude responses, every third a harsher recording (strong mains, long
 * artifact tails, baseline wander); sample rates 5-20 kHz.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeCaseEdf } from './edf';
import { makeCase } from './synth';

const [outDir, nArg, firstArg] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: tsx test/corpus/generate.ts OUTDIR [N] [FIRST_SEED]');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const n = Number(nArg ?? 10);
const first = Number(firstArg ?? 1000);
for (let k = 0; k < n; k++) {
  const seed = first + k;
  const c = makeCase(seed, { lowAmplitude: k % 4 === 3, hard: k % 3 === 2, withRamps: k % 2 === 0 });
  const truth = writeCaseEdf(c, path.join(outDir, `case-${seed}.edf`), path.join(outDir, `case-${seed}.truth.jsonl`));
  console.log(`case-${seed}.edf: ${c.sampleRateHz} Hz, ${c.channels.length} ch, ${truth.length} trains`);
}
