import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { exportSessionEdf, importEdf, InterchangeError } from '../../../src/app/interchange';
import { simulateToEdf } from '../../../src/cli/simulate-edf';
import { gradeEdfFile } from '../../../src/cli/grade';
import { DEFAULT_MONTAGE, makeCaseInfo, makeMontage } from '../../../src/domain';
import { openEdfSession } from '../../../src/formats';
import { openCaseStore, type CaseStore } from '../../../src/storage';

/**
 * EDF+ import from a file written by another system (here: `sdrlog simulate --edf`, a file the store
 * has never seen): stored and graded exactly like `sdrlog grade` grades the same file; malformed files
 * are refused naming what is wrong, and the database is left exactly as it was.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrlog-import-'));
const edf = path.join(dir, 'sim.edf');
let bytes: Uint8Array;

beforeAll(() => {
  simulateToEdf({ outPath: edf, seed: 5, seconds: 40, levels: ['L5', 'S1'], sides: ['R'] });
  bytes = new Uint8Array(fs.readFileSync(edf)); // a plain copy: Buffer.slice would share memory
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function newStore(name: string): { store: CaseStore; db: string; caseId: string } {
  const db = path.join(dir, `${name}.db`);
  const store = openCaseStore(db);
  const caseId = store.cases.create(makeCaseInfo({ patientId: `IMP-${name}`, ageYears: 8 })).id;
  return { store, db, caseId };
}

/** Row count of every table: "unchanged" means all of them. */
function rowCounts(db: string): Record<string, number> {
  const d = new Database(db, { readonly: true });
  try {
    const tables = d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    return Object.fromEntries(tables.map((t) => [t.name, (d.prepare(`SELECT COUNT(*) AS n FROM "${t.name}"`).get() as { n: number }).n]));
  } finally {
    d.close();
  }
}

function variant(name: string, mutate: (b: Uint8Array) => Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, mutate(bytes.slice()));
  return p;
}

describe('EDF+ import', () => {
  it('stores raw EMG, stimulations and grades identical to sdrlog grade on the same file', () => {
    const { store, caseId } = newStore('ok');
    try {
      const r = importEdf(store, { file: edf, caseId });
      const expected = gradeEdfFile(edf, { mains: 'off' });
      const file = openEdfSession(edf);
      try {
        expect(r.stimulations).toBe(file.stimulations.length);
        expect(r.durationS).toBeCloseTo(file.durationS, 6);
        expect(r.storedSamples).toBe(Math.round(file.durationS * file.sampleRateHz));
      } finally {
        file.close();
      }
      expect(r.trains).toBe(expected.lines.length);
      expect(r.graded).toBe(expected.lines.length);
      const stored = store.stimulations.forSession(r.sessionId).filter((s) => s.stimulation.mode === 'train')
        .map((s) => ({ s, g: store.grades.latestForStimulation(s.id)! }));
      expect(stored.map(({ s, g }) => ({
        onset_s: s.onsetSample / 10_000, root: s.stimulation.target!.level, side: s.stimulation.target!.side, rootlet: s.stimulation.target!.rootlet,
        grade: g.grade, pattern: g.pattern, responding: g.responding, suggest: g.suggestion,
      }))).toEqual(expected.lines.map((l) => ({ ...l, onset_s: expect.closeTo(l.onset_s, 4) })));
      const hist = [0, 1, 2, 3, 4].map((g) => expected.lines.filter((l) => l.grade === g).length);
      expect(Object.values(r.gradeHistogram)).toEqual(hist);
      expect(store.sessions.get(r.sessionId)).toMatchObject({ source: 'import', cleanShutdown: true, channelCount: 16 });
      expect(store.sessions.get(r.sessionId)!.endedAt).not.toBeNull();
      // the samples went into raw chunks: compare a stretch with the file
      const file2 = openEdfSession(edf);
      try {
        const first = file2.blocks().next().value!;
        const n = first.samplesPerChannel;
        const back = store.raw.read(r.sessionId, 0, n);
        let worst = 0;
        for (let i = 0; i < first.data.length; i++) worst = Math.max(worst, Math.abs(first.data[i]! - back.data[i]!));
        expect(worst).toBeLessThan(0.35); // the store's per-chunk 16-bit step is finer than the file's 0.305 uV
      } finally {
        file2.close();
      }
    } finally {
      store.close();
    }
  }, 60_000);

  it("with --mains auto, detects hum like sdrlog grade does and grades the same", () => {
    const { store, caseId } = newStore('auto');
    try {
      const r = importEdf(store, { file: edf, caseId, mains: 'auto' });
      const expected = gradeEdfFile(edf, { mains: 'auto' });
      const got = store.stimulations.forSession(r.sessionId).filter((s) => s.stimulation.mode === 'train')
        .map((s) => store.grades.latestForStimulation(s.id)!).map((g) => [g.grade, g.pattern, g.suggestion, g.responding]);
      expect(got).toEqual(expected.lines.map((l) => [l.grade, l.pattern, l.suggest, l.responding]));
      expect(r.mainsHz).toBe(50); // the simulated patient carries 50 Hz hum
      expect(store.sessions.get(r.sessionId)!.deviceInfo).toMatchObject({ mains: 50 });
    } finally {
      store.close();
    }
  }, 60_000);

  it('refuses a truncated file naming the truncation, and leaves the database unchanged', () => {
    const { store, db, caseId } = newStore('trunc');
    store.close();
    const before = rowCounts(db);
    const cut = variant('truncated.edf', (b) => b.subarray(0, b.length - 12345));
    const s = openCaseStore(db);
    try {
      expect(() => importEdf(s, { file: cut, caseId })).toThrow(/cannot import truncated\.edf: file truncated: header says \d+ data records but only \d+ are complete.*nothing was imported/);
    } finally {
      s.close();
    }
    expect(rowCounts(db)).toEqual(before);
  });

  it('refuses a corrupted header and damaged annotations with a named reason; nothing is stored', () => {
    const { store, db, caseId } = newStore('corrupt');
    const before = rowCounts(db);
    try {
      const header = variant('bad-header.edf', (b) => {
        b.set(new TextEncoder().encode('x1  '), 252); // 'number of signals'
        return b;
      });
      expect(() => importEdf(store, { file: header, caseId })).toThrow(InterchangeError);
      expect(() => importEdf(store, { file: header, caseId })).toThrow(/cannot import bad-header\.edf: .*number of signals/);

      // A stim annotation with a mistyped mode: the stimulation would be lost, so the file is refused.
      const text = Buffer.from(bytes).toString('latin1');
      const at = text.indexOf('mode=train');
      expect(at).toBeGreaterThan(0);
      const badStim = variant('bad-stim.edf', (b) => {
        b.set(new TextEncoder().encode('mode=trian'), at);
        return b;
      });
      expect(() => importEdf(store, { file: badStim, caseId })).toThrow(/cannot import bad-stim\.edf: stimulation annotation at [\d.]+ s .* ignored: mode must be single or train, got 'trian'/);

      // A broken TAL (onset sign overwritten) in the annotation signal of a record.
      const tal = text.indexOf('\x14\x14\x00', at) ; // end of the next time-keeping TAL
      const badTal = variant('bad-tal.edf', (b) => {
        let p = tal;
        while (b[p - 1] !== 0x2b) p--; // back to the '+' that starts the time-keeping TAL
        b[p - 1] = 0x3f; // '?'
        return b;
      });
      expect(() => importEdf(store, { file: badTal, caseId })).toThrow(/cannot import bad-tal\.edf: data record \d+: .*annotation/);
    } finally {
      store.close();
    }
    expect(rowCounts(db)).toEqual(before);
  });

  it('rolls back everything when the import fails late (after raw chunks and stimulations were written)', () => {
    const { store, db, caseId } = newStore('late');
    const before = rowCounts(db);
    try {
      const spy = vi.spyOn(store.grades, 'record').mockImplementation(() => {
        throw new Error('disk full');
      });
      expect(() => importEdf(store, { file: edf, caseId })).toThrow('disk full');
      spy.mockRestore();
    } finally {
      store.close();
    }
    expect(rowCounts(db)).toEqual(before);
    // and the same database accepts the import afterwards
    const again = openCaseStore(db);
    try {
      expect(importEdf(again, { file: edf, caseId }).graded).toBeGreaterThan(0);
    } finally {
      again.close();
    }
  }, 60_000);

  it('maps foreign labels through a montage file and keeps the case montage current', () => {
    const { store, caseId } = newStore('montage');
    try {
      const own = store.montages.set(caseId, makeMontage('theatre 1', [{ side: 'L', muscle: 'TA' }, { side: 'R', muscle: 'TA' }]));
      // relabel the 16 signals as a commercial system would
      const relabelled = variant('foreign.edf', (b) => {
        DEFAULT_MONTAGE.channels.forEach((c, i) => b.set(new TextEncoder().encode(`Ch${String(i + 1).padEnd(14)}`), 256 + i * 16));
        return b;
      });
      expect(() => importEdf(store, { file: relabelled, caseId })).toThrow(/no EMG signal found: labels must read 'EMG <side> <muscle>'/);
      const montageFile = {
        name: 'foreign system',
        channels: DEFAULT_MONTAGE.channels.map((c, i) => ({ label: `Ch${i + 1}`, side: c.side, muscle: c.muscle, ...(c.muscle === 'HAM' ? { roots: ['L5', 'S1', 'S2'] } : {}) })),
      };
      const r = importEdf(store, { file: relabelled, caseId, montageFile });
      const session = store.sessions.get(r.sessionId)!;
      expect(store.montages.get(session.montageId!)!.montage.channels.find((c) => c.muscle === 'HAM')!.roots).toEqual(['L5', 'S1', 'S2']);
      expect(store.montages.current(caseId)!.montage).toEqual(own.montage);
      expect(r.graded).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  }, 60_000);

  it('re-exports an imported session: same samples within one EDF step, same stim annotations', () => {
    const { store, caseId } = newStore('reexport');
    try {
      const r = importEdf(store, { file: edf, caseId });
      const out = path.join(dir, 'reexport.edf');
      exportSessionEdf(store, { caseId, sessionId: r.sessionId, out });
      const a = openEdfSession(edf);
      const b = openEdfSession(out);
      try {
        expect(b.channelLabels).toEqual(a.channelLabels);
        expect(b.stimulationAnnotations.map((s) => [s.annotation.text, s.annotation.onsetS, s.annotation.durationS]))
          .toEqual(a.stimulationAnnotations.map((s) => [s.annotation.text, s.annotation.onsetS, s.annotation.durationS]));
        const ba = a.blocks();
        const bb = b.blocks();
        let worst = 0;
        for (let k = 0; k < 5; k++) {
          const x = ba.next().value!;
          const y = bb.next().value!;
          expect(y.startSample).toBe(x.startSample);
          for (let i = 0; i < x.data.length; i++) worst = Math.max(worst, Math.abs(x.data[i]! - y.data[i]!));
        }
        expect(worst).toBeLessThanOrEqual(10000 / 32767); // one step of the file plus the store's finer one
      } finally {
        a.close();
        b.close();
      }
    } finally {
      store.close();
    }
  }, 60_000);
});
