import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_MONTAGE, makeCaseInfo, makeMontage, makeStimulation, type TrainGrade } from '../../../src/domain';
import { GENESIS_HASH, LATEST_SCHEMA_VERSION, auditEntryHash, openCaseStore, type CaseStore } from '../../../src/storage';
import { decision, steppingClock, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let store: CaseStore;
let file: string;

beforeEach(() => {
  tmp = tempDir();
  file = path.join(tmp.dir, 'nested', 'cases.db');
  store = openCaseStore(file, { now: steppingClock() });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function newCase(patientId = 'P001'): string {
  return store.cases.create(makeCaseInfo({ patientId, ageYears: 6, diagnosis: 'spastic diplegia', cutPlan: { L4: { L: 40, R: 45 } } })).id;
}

describe('case store: pragmas and cases', () => {
  it('opens in WAL with synchronous FULL and foreign keys on, creating the folder', () => {
    const db = new Database(file);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
  });

  it('creates, reads back and lists cases with their cut plan', () => {
    const a = newCase('P001');
    const b = newCase('P002');
    const got = store.cases.get(a)!;
    expect(got.patientId).toBe('P001');
    expect(got.ageYears).toBe(6);
    expect(got.cutPlan).toEqual({ L4: { L: 40, R: 45 } });
    expect(got.createdAt).toBe('2024-03-01T08:00:01.000Z');
    expect(store.cases.all().map((c) => c.id)).toEqual([a, b]);
    expect(store.cases.resolve(a.slice(0, 8)).id).toBe(a);
    expect(() => store.cases.resolve('nope-nope')).toThrow(/no case with id 'nope-nope'/);
  });

  it('stores montages as versions and validates them on the way back', () => {
    const c = newCase();
    store.montages.set(c, DEFAULT_MONTAGE);
    const edited = makeMontage('with sentinel', [{ side: 'L', muscle: 'TA' }, { side: 'R', muscle: 'TA', roots: ['L4'] }, { side: 'L', muscle: 'DELT' }]);
    const m2 = store.montages.set(c, edited);
    expect(store.montages.current(c)!.id).toBe(m2.id);
    expect(store.montages.current(c)!.montage).toEqual(edited);
    expect(store.montages.history(c)).toHaveLength(2);
    expect(store.montages.history(c)[0]!.montage.channels).toHaveLength(16);
  });

  it('refuses a montage for a case that does not exist (foreign key)', () => {
    expect(() => store.montages.set('missing', DEFAULT_MONTAGE)).toThrow(/FOREIGN KEY/);
  });
});

describe('decisions and audit', () => {
  it('records a decision with its audit entry in the same transaction, chained from genesis', () => {
    const c = newCase();
    const rootlet = store.rootlets.ensure(c, 'L5', 'R', 2);
    const d = store.decisions.record({ rootletId: rootlet.id, decision: decision('cut') });
    expect(d.decision.kind).toBe('cut');
    expect(d.decision.cutFraction).toBe(1);
    expect(d.correctsId).toBeNull();
    const entries = store.audit.forCase(c);
    // case.create then decision.record
    expect(entries.map((e) => e.action)).toEqual(['case.create', 'decision.record']);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(entries[1]!.id).toBe(d.auditId);
    expect(auditEntryHash(entries[1]!)).toBe(entries[1]!.hash);
    expect(JSON.parse(entries[1]!.payloadJson)).toMatchObject({ level: 'L5', side: 'R', rootlet: 2, kind: 'cut', cutFraction: 1, decidedBy: 'Dr A' });
    expect(store.audit.verifyChain()).toEqual({ entries: 2, firstBreak: null });
  });

  it('a correction is a new row referencing the old one; the current decision is the latest', () => {
    const c = newCase();
    const r = store.rootlets.ensure(c, 'S1', 'L', 1);
    const first = store.decisions.record({ rootletId: r.id, decision: decision('cut') });
    const second = store.decisions.record({ rootletId: r.id, decision: decision('partial', 'Dr B', 0.6), correctsId: first.id });
    expect(second.correctsId).toBe(first.id);
    expect(store.decisions.current(r.id)!.id).toBe(second.id);
    expect(store.decisions.current(r.id)!.decision.cutFraction).toBe(0.6);
    // without correctsId, the current decision is corrected implicitly
    const third = store.decisions.record({ rootletId: r.id, decision: decision('spare-sphincter') });
    expect(third.correctsId).toBe(second.id);
    expect(store.decisions.history(r.id).map((h) => h.decision.kind)).toEqual(['cut', 'partial', 'spare-sphincter']);
    expect(store.audit.forEntity('decision', third.id)[0]!.action).toBe('decision.correct');
  });

  it('refuses a stale correction and leaves no trace of it', () => {
    const c = newCase();
    const r = store.rootlets.ensure(c, 'L4', 'L', 3);
    const first = store.decisions.record({ rootletId: r.id, decision: decision('cut') });
    store.decisions.record({ rootletId: r.id, decision: decision('spare') });
    const auditBefore = store.audit.verifyChain().entries;
    expect(() => store.decisions.record({ rootletId: r.id, decision: decision('cut'), correctsId: first.id })).toThrow(/not the current decision/);
    expect(() => store.decisions.record({ rootletId: r.id, decision: decision('cut'), correctsId: null })).toThrow(/must correct it/);
    expect(store.decisions.history(r.id)).toHaveLength(2);
    expect(store.audit.verifyChain().entries).toBe(auditBefore);
  });

  it('decisions and audit entries cannot be updated or deleted', () => {
    const c = newCase();
    const d = store.decisions.recordFor(c, { level: 'L3', side: 'R', index: 1 }, { decision: decision('cut') });
    expect(() => store.transaction(() => { store.rootlets.comment(d.rootletId, 'ok'); })).not.toThrow();
    // reach the raw connection only through a second store-independent handle, as an attacker would
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE decisions SET kind = 'spare' WHERE id = ?").run(d.id)).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM decisions WHERE id = ?').run(d.id)).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(store.decisions.current(d.rootletId)!.decision.kind).toBe('cut');
  });

  it('lists the current decision of every decided rootlet of a case', () => {
    const c = newCase();
    const other = newCase('P002');
    store.decisions.recordFor(c, { level: 'L5', side: 'L', index: 1 }, { decision: decision('cut') });
    store.decisions.recordFor(c, { level: 'L5', side: 'L', index: 1 }, { decision: decision('spare') });
    store.decisions.recordFor(c, { level: 'L4', side: 'R', index: 2 }, { decision: decision('partial', 'Dr A', 0.5) });
    store.rootlets.ensure(c, 'S1', 'R', 1); // undecided
    store.decisions.recordFor(other, { level: 'L4', side: 'R', index: 2 }, { decision: decision('cut') });
    const current = store.decisions.currentForCase(c);
    expect(current.map((d) => [d.level, d.side, d.rootletIndex, d.decision.kind])).toEqual([
      ['L4', 'R', 2, 'partial'],
      ['L5', 'L', 1, 'spare'],
    ]);
    expect(current.every((d) => d.auditId > 0)).toBe(true);
  });

  it('a correction cannot reference another rootlet\'s decision (trigger)', () => {
    const c = newCase();
    const a = store.decisions.recordFor(c, { level: 'L5', side: 'L', index: 1 }, { decision: decision('cut') });
    const db = new Database(file);
    try {
      const other = store.rootlets.ensure(c, 'L5', 'L', 2);
      expect(() => db.prepare(`INSERT INTO decisions (rootlet_id, kind, cut_fraction, decided_by, decided_at, corrects_id, recorded_at)
        VALUES (?, 'spare', 0, 'x', 'now', ?, 'now')`).run(other.id, a.id)).toThrow(/same rootlet/);
    } finally {
      db.close();
    }
  });
});

describe('sessions, roots, stimulations, grades, thresholds, events', () => {
  it('records a session with its stimulations, grades and thresholds, and flags high intensity', () => {
    const c = newCase();
    const m = store.montages.set(c, DEFAULT_MONTAGE);
    const s = store.sessions.start({ caseId: c, source: 'live', sampleRateHz: 10_000, channelCount: 16, montageId: m.id, deviceInfo: { model: 'sim', serial: 'X1' } });
    expect(s.cleanShutdown).toBe(false);
    expect(store.sessions.openSessions().map((x) => x.id)).toEqual([s.id]);
    store.roots.record(c, { level: 'S2', side: 'L', kind: 'dorsal', thresholdMa: 1.2, sphincterResponse: true });
    store.roots.record(c, { level: 'S2', side: 'L', kind: 'dorsal', notes: 'spare for continence' });
    expect(store.roots.get(c, 'S2', 'L', 'dorsal')).toMatchObject({ thresholdMa: 1.2, sphincterResponse: true, notes: 'spare for continence' });

    const target = { level: 'L5' as const, side: 'R' as const, kind: 'dorsal' as const, rootlet: 2 };
    const thr = store.thresholds.record(c, { target, thresholdMa: 0.8, perChannel: [
      { channel: 3, thresholdMa: 0.8, latencyMs: 14.5, amplitudeUv: 310 },
      { channel: 11, thresholdMa: null, latencyMs: null, amplitudeUv: null },
    ] }, s.id);
    expect(thr.perChannel).toEqual([
      { channel: 3, thresholdMa: 0.8, latencyMs: 14.5, amplitudeUv: 310 },
      { channel: 11, thresholdMa: null, latencyMs: null, amplitudeUv: null },
    ]);
    const train = makeStimulation({ mode: 'train', intensityMa: 0.8, pulseWidthUs: 100, rateHz: 50, durationS: 1, target });
    const st1 = store.stimulations.record(s.id, { sampleIndex: 120_000, stimulation: train });
    expect(st1.highIntensity).toBe(false);
    const strong = makeStimulation({ mode: 'single', intensityMa: 16, pulseWidthUs: 200, target });
    const st2 = store.stimulations.record(s.id, { sampleIndex: 100_000, stimulation: strong });
    expect(st2.highIntensity).toBe(true); // 16 mA >= 20 x 0.8 mA
    const rootlet = store.rootlets.find(c, 'L5', 'R', 2)!;
    expect(st1.rootletId).toBe(rootlet.id);
    expect(store.stimulations.forRootlet(rootlet.id).map((x) => x.onsetSample)).toEqual([100_000, 120_000]);
    expect(store.stimulations.get(st1.id)!.stimulation).toEqual(train);

    const tg: TrainGrade = {
      target, onsetSample: 120_000, onsetS: 12, intensityMa: 0.8, grade: 3, pattern: 'sustained',
      responding: ['R TA', 'R VL', 'R GAS'], suggestion: 'cut', suggestionReason: 'grade 3+', channels: [], warnings: [],
    };
    const g = store.grades.record(st1.id, tg, 'grader-1.0');
    expect(store.grades.get(g.id)).toMatchObject({ grade: 3, pattern: 'sustained', suggestion: 'cut', responding: ['R TA', 'R VL', 'R GAS'], graderVersion: 'grader-1.0' });
    expect(store.grades.latestForStimulation(st1.id)!.evidence).toEqual(tg);

    const ev = store.events.record(s.id, { kind: 'electrode-off', message: 'R TA electrode off', channel: 11, sampleIndex: 130_000 });
    expect(store.events.forSession(s.id)).toEqual([ev]);

    const ended = store.sessions.end(s.id);
    expect(ended.cleanShutdown).toBe(true);
    expect(ended.endedAt).not.toBeNull();
    expect(store.sessions.openSessions()).toEqual([]);
  });

  it('rejects invalid grades and sessions with clear messages', () => {
    const c = newCase();
    expect(() => store.sessions.start({ caseId: c, source: 'live', sampleRateHz: 0, channelCount: 16 })).toThrow(/sample rate must be positive/);
    expect(() => store.sessions.start({ caseId: c, source: 'tape' as 'live', sampleRateHz: 1000, channelCount: 16 })).toThrow(/live, replay or import/);
  });
});

describe('audit chain under concurrent connections and random histories', () => {
  it('two connections writing decisions in turn extend one unbroken chain', () => {
    const c = newCase();
    const other = openCaseStore(file);
    try {
      for (let i = 0; i < 20; i++) {
        const s = i % 2 === 0 ? store : other;
        s.decisions.recordFor(c, { level: 'L4', side: i % 3 === 0 ? 'L' : 'R', index: 1 + (i % 4) }, { decision: decision(i % 2 ? 'cut' : 'spare') });
      }
      expect(other.audit.verifyChain()).toEqual({ entries: 21, firstBreak: null });
      const ids = store.audit.forCase(c).map((e) => e.id);
      expect(ids).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    } finally {
      other.close();
    }
  });

  it('any sequence of decisions and corrections keeps one current decision per rootlet, equal to the last written', async () => {
    const fc = (await import('fast-check')).default;
    const c = newCase();
    const kinds = ['cut', 'spare', 'partial', 'spare-sphincter'] as const;
    const levels = ['L1', 'L2', 'L3', 'L4', 'L5', 'S1', 'S2'] as const;
    fc.assert(fc.property(fc.constantFrom(...levels), fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.constantFrom(...kinds)), { minLength: 1, maxLength: 25 }), (level, ops) => {
      const last = new Map<number, string>();
      for (const [index, kind] of ops) {
        const d = store.decisions.recordFor(c, { level, side: 'L', index }, { decision: decision(kind, 'Dr P', kind === 'partial' ? 0.55 : undefined) });
        last.set(d.rootletId, kind);
        const hist = store.decisions.history(d.rootletId);
        // the history is a line: each row corrects the one before it
        hist.forEach((h, i) => expect(h.correctsId).toBe(i === 0 ? null : hist[i - 1]!.id));
      }
      for (const [rootletId, kind] of last) expect(store.decisions.current(rootletId)!.decision.kind).toBe(kind);
      return true;
    }), { numRuns: 15 });
    expect(store.audit.verifyChain().firstBreak).toBeNull();
  });
});

describe('checkpoint and backup', () => {
  it('backs up a consistent copy that verifies and holds the decisions', async () => {
    const { verifyDatabase } = await import('../../../src/storage');
    const c = newCase();
    const d = store.decisions.recordFor(c, { level: 'S1', side: 'R', index: 4 }, { decision: decision('cut') });
    const copy = path.join(tmp.dir, 'backup', 'copy.db');
    const fs = await import('node:fs');
    fs.mkdirSync(path.dirname(copy));
    await store.backupTo(copy);
    store.checkpoint();
    expect(verifyDatabase(copy).ok).toBe(true);
    const b = openCaseStore(copy, { create: false });
    try {
      expect(b.decisions.get(d.id)!.decision.kind).toBe('cut');
      expect(b.cases.get(c)!.patientId).toBe('P001');
    } finally {
      b.close();
    }
    expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0);
  });
});
