import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simulateToEdf } from '../../../src/cli/simulate-edf';
import { main } from '../../../src/cli/main';
import { openEdfSession } from '../../../src/formats';
import { simulateSession } from '../../../hardware/simulated';

describe('simulate --edf', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'simedf-'));

  it('writes the simulated session: same samples (within quantisation), same stimulations, truth per train', () => {
    const out = path.join(dir, 's.edf');
    const truth = path.join(dir, 's.json');
    const { session, summary } = simulateToEdf({ outPath: out, seed: 11, seconds: 40, sampleRateHz: 2000, levels: ['L5'], truthPath: truth });
    expect(summary.clippedSamples).toBe(0);
    const s = openEdfSession(out);
    expect(s.warnings).toEqual([]);
    expect(s.sampleRateHz).toBe(2000);
    expect(s.durationS).toBe(40);
    expect(s.montage.channels).toEqual(session.montage.channels);
    expect(s.stimulations).toEqual(session.events);
    expect(s.stimulations.some((e) => e.stimulation.mode === 'train')).toBe(true);
    expect(s.stimulations.some((e) => e.stimulation.target?.kind === 'ventral')).toBe(true);

    // independent regeneration of the same seed
    const again = simulateSession({ seed: 11, durationS: 40, sampleRateHz: 2000, levels: ['L5'] });
    const want = again.blocks(80000).next().value!;
    const got = s.blocks().next().value!;
    expect(got.samplesPerChannel).toBe(2000);
    let maxErr = 0;
    for (let c = 0; c < want.channelCount; c++) {
      for (let i = 0; i < 2000; i++) maxErr = Math.max(maxErr, Math.abs(got.data[c * 2000 + i]! - want.data[c * want.samplesPerChannel + i]!));
    }
    expect(maxErr).toBeLessThanOrEqual(10000 / 32767 / 2 + 1e-3);

    const t = JSON.parse(readFileSync(truth, 'utf8')) as { trains: { onset_s: number; root: string; side: string; rootlet: number; grade: number }[] };
    expect(t.trains.length).toBe(session.trains.length);
    expect(t.trains.length).toBeGreaterThan(0);
    const trainEvents = s.stimulations.filter((e) => e.stimulation.mode === 'train');
    t.trains.forEach((tr, k) => {
      expect(tr.onset_s).toBe(trainEvents[k]!.sampleIndex / 2000);
      expect([tr.root, tr.side, tr.rootlet]).toEqual([trainEvents[k]!.stimulation.target!.level, trainEvents[k]!.stimulation.target!.side, trainEvents[k]!.stimulation.target!.rootlet]);
      expect(tr.grade).toBe(session.trains[k]!.grade);
    });
  });

  it('is deterministic for a seed', () => {
    const a = path.join(dir, 'a.edf');
    const b = path.join(dir, 'b.edf');
    simulateToEdf({ outPath: a, seed: 5, seconds: 3, sampleRateHz: 2000, levels: ['S1'] });
    simulateToEdf({ outPath: b, seed: 5, seconds: 3, sampleRateHz: 2000, levels: ['S1'] });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('reports bad options as one-line user errors (exit 2)', async () => {
    const errs: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['simulate', '--edf', path.join(dir, 'x.edf'), '--levels', 'L4,T12'])).toBe(2);
      expect(await main(['simulate', '--edf', path.join(dir, 'x.edf'), '--seconds', 'abc'])).toBe(2);
      expect(await main(['simulate'])).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(errs.slice(0, 2)).toEqual([
      "sdrlog: --levels: level must be one of L1, L2, L3, L4, L5, S1, S2, got 'T12'\n",
      "sdrlog: --seconds must be a number in 0.1..86400, got 'abc'\n",
    ]);
    // other outputs (e.g. --pty) may be listed after --edf
    expect(errs[2]).toMatch(/^sdrlog: simulate: say where the session goes, e\.g\. --edf session\.edf.*\n$/);
    expect(errs).toHaveLength(3);
  });
});
