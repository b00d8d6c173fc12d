/** Writes a synthetic case as an EDF+ file (the interchange format the hidden corpus uses), with its truth as JSON Lines. */
import { writeFileSync } from 'node:fs';
import { EdfWriter, fileSink } from '../../src/formats';
import { blocksOf } from './run';
import { montageOf, renderCase, truthOf, type SynthCase, type TruthLine } from './synth';

export function writeCaseEdf(c: SynthCase, edfPath: string, truthPath?: string): TruthLine[] {
  const rc = renderCase(c);
  const w = new EdfWriter(fileSink(edfPath), { montage: montageOf(c), sampleRateHz: rc.sampleRateHz, start: new Date(2024, 0, 15, 9, 0, 0), patientCode: `SYN${c.seed}` });
  for (const e of rc.events) w.addStimulation(e);
  for (const b of blocksOf(rc, 100)) w.writeBlock(b);
  w.close();
  const truth = truthOf(c);
  if (truthPath) writeFileSync(truthPath, truth.map((t) => JSON.stringify(t)).join('\n') + '\n');
  return truth;
}
