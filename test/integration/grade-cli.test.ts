import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCaseEdf } from '../corpus/edf';
import { makeCase, type TruthLine } from '../corpus/synth';

const BIN = path.resolve(__dirname, '../../bin/sdrlog.mjs');
let dir = '';
let edf = '';
let truth: TruthLine[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sdrlog-grade-'));
  edf = path.join(dir, 'case.edf');
  // 5 kHz keeps the file small; dead channels, crosstalk and artifacts as the seed draws them
  truth = writeCaseEdf(makeCase(9201, { trains: 5, sampleRatesHz: [5000] }), edf);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sdrlog grade', () => {
  it('prints exactly one JSON object per train, in onset order, agreeing with the truth', () => {
    const out = execFileSync(process.execPath, [BIN, 'grade', edf, '--json'], { encoding: 'utf8' });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(truth.length);
    const keys = ['onset_s', 'root', 'side', 'rootlet', 'grade', 'pattern', 'responding', 'suggest'];
    lines.forEach((l, i) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      expect(Object.keys(o)).toEqual(keys);
      const t = truth[i]!;
      expect(o.onset_s).toBeCloseTo(t.onset_s, 3);
      expect(o.root).toBe(t.root);
      expect(o.side).toBe(t.side);
      expect(o.rootlet).toBe(t.rootlet);
      expect(o.grade).toBe(t.grade);
      expect(o.suggest).toBe(t.suggest);
      expect([...(o.responding as string[])].sort()).toEqual([...t.responding].sort());
    });
  }, 120_000);

  it('prints a readable table without --json', () => {
    const out = execFileSync(process.execPath, [BIN, 'grade', edf], { encoding: 'utf8' });
    expect(out).toMatch(/onset s\s+root\s+rootlet\s+mA\s+grade\s+pattern\s+suggest/);
    expect(out).toContain(`${truth.length} trains; suggestions:`);
  }, 120_000);

  it('refuses bad input with one line and a non-zero exit', () => {
    const missing = spawnSync(process.execPath, [BIN, 'grade', path.join(dir, 'nope.edf'), '--json'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/no such file/);
    const junk = path.join(dir, 'junk.edf');
    writeFileSync(junk, 'this is not an EDF file at all');
    const bad = spawnSync(process.execPath, [BIN, 'grade', junk, '--json'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    // One stimulation annotation damaged (same length, so the file stays valid EDF+): the rest is graded, with a summary.
    const bytes = readFileSync(edf);
    const at = bytes.indexOf(Buffer.from(' ma='));
    expect(at).toBeGreaterThan(0);
    Buffer.from(' mx=').copy(bytes, at);
    const damaged = path.join(dir, 'damaged.edf');
    writeFileSync(damaged, bytes);
    const partly = spawnSync(process.execPath, [BIN, 'grade', damaged, '--json'], { encoding: 'utf8' });
    expect(partly.status).toBe(0);
    expect(partly.stdout.trim().split('\n')).toHaveLength(truth.length - 1);
    expect(partly.stderr).toContain(`sdrlog: warning: 1 of ${truth.length} stimulation annotations unreadable and skipped`);
    const rules = spawnSync(process.execPath, [BIN, 'grade', edf, '--rules', 'nonsense'], { encoding: 'utf8' });
    expect(rules.status).toBe(2);
    expect(rules.stderr).toMatch(/unknown rule preset/);
  }, 120_000);
});
