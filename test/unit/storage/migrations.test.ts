import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, openCaseStore } from '../../../src/storage';
import { migrate } from '../../../src/storage/migrations';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => { tmp = tempDir(); });
afterEach(() => tmp.cleanup());

function tables(db: Database.Database): string[] {
  return db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
}

describe('migrations', () => {
  it('are numbered 1..N without holes', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('v1 on an empty database creates the clinical record', () => {
    const db = new Database(':memory:');
    expect(migrate(db, 1)).toBe(1);
    expect(tables(db)).toEqual(['audit_log', 'cases', 'decisions', 'grades', 'montages', 'rootlets', 'roots', 'sessions', 'stimulations', 'threshold_channels', 'thresholds']);
    db.close();
  });

  it('v2 on an empty database (through v1) adds raw chunks, gaps and session events', () => {
    const db = new Database(':memory:');
    expect(migrate(db, 2)).toBe(2);
    expect(tables(db)).toEqual(expect.arrayContaining(['raw_chunks', 'raw_gaps', 'session_events']));
    db.close();
  });

  it('v2 on a v1 database with data keeps the data and the audit chain', () => {
    const file = path.join(tmp.dir, 'v1.db');
    const db = new Database(file);
    migrate(db, 1);
    db.prepare("INSERT INTO cases (id, patient_id, age_years, created_at) VALUES ('c1', 'P9', 7, '2024-01-01T00:00:00Z')").run();
    db.prepare("INSERT INTO sessions (case_id, source, started_at, sample_rate_hz, channel_count) VALUES ('c1', 'live', '2024-01-01T00:00:00Z', 10000, 16)").run();
    db.close();

    const store = openCaseStore(file);
    try {
      expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(store.cases.get('c1')!.patientId).toBe('P9');
      const s = store.sessions.get(1)!;
      expect(s.sampleRateHz).toBe(10_000);
      // the new tables work against the old rows
      store.events.record(s.id, { kind: 'note', message: 'after upgrade' });
      expect(store.raw.extentOf(s.id).chunkCount).toBe(0);
    } finally {
      store.close();
    }
  });

  it('v3 adds trainees, training attempts and answers, append-only, on a v2 database with data', () => {
    const file = path.join(tmp.dir, 'v2.db');
    const db = new Database(file);
    migrate(db, 2);
    db.prepare("INSERT INTO cases (id, patient_id, age_years, created_at) VALUES ('c1', 'P9', 7, '2024-01-01T00:00:00Z')").run();
    db.prepare("INSERT INTO sessions (case_id, source, started_at, sample_rate_hz, channel_count) VALUES ('c1', 'live', '2024-01-01T00:00:00Z', 10000, 16)").run();
    db.prepare("INSERT INTO stimulations (session_id, target_level, target_side, target_kind, target_rootlet, onset_sample, mode, intensity_ma, pulse_width_us, rate_hz, duration_s, created_at) VALUES (1, 'L4', 'R', 'dorsal', 1, 5000, 'train', 1.5, 100, 50, 1, '2024-01-01T00:00:00Z')").run();
    expect(migrate(db, 3)).toBe(3);
    expect(tables(db)).toEqual(expect.arrayContaining(['trainees', 'training_answers', 'training_attempts']));
    db.close();
    const store = openCaseStore(file, { now: () => new Date('2025-03-01T10:00:00Z') });
    try {
      const a = store.training.recordAttempt({
        trainee: '  Dr  Trainee ', caseId: 'c1', sessionId: 1, startedAt: '2025-03-01T09:50:00Z', graderVersion: 'g1',
        scores: { trainsTotal: 1, trainsAnswered: 1, rootlets: 1, gradesCompared: 1, gradeExact: 1, gradeKappa: Number.NaN, decisionsCompared: 0, cutSpareAgreement: null },
        answers: [{ stimulationId: 1, level: 'L4', side: 'R', rootlet: 1, grade: 3, pattern: 'sustained', decision: 'cut', cutFraction: 1, answeredAt: '2025-03-01T09:55:00Z',
          expertGrade: 3, expertPattern: 'sustained', expertDecision: null, expertCutFraction: null, expertDecisionId: null, autoGrade: 3, autoPattern: 'sustained', autoSuggestion: 'cut' }],
      });
      expect(a).toMatchObject({ trainee: 'Dr Trainee', caseId: 'c1', sessionId: 1, finishedAt: '2025-03-01T10:00:00.000Z', scores: { gradeExact: 1, gradeKappa: null, cutSpareAgreement: null } });
      expect(store.training.attempts({ trainee: 'dr trainee' })).toEqual([]); // names are exact (after trimming)
      expect(store.training.attempts({ trainee: 'Dr Trainee' }).map((x) => x.id)).toEqual([a.id]);
      expect(store.training.answers(a.id)[0]).toMatchObject({ grade: 3, decision: 'cut', expertGrade: 3, autoSuggestion: 'cut' });
    } finally {
      store.close();
    }
    const raw = new Database(file);
    expect(() => raw.prepare('UPDATE training_attempts SET grade_exact = 0').run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM training_answers').run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM trainees').run()).toThrow(/append-only/);
    raw.close();
  });

  it('re-running migrations is a no-op', () => {
    const db = new Database(':memory:');
    migrate(db);
    expect(migrate(db)).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database from a newer version, naming both versions, and leaves it untouched', () => {
    const file = path.join(tmp.dir, 'future.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openCaseStore(file)).toThrow(`database ${file} has schema version 99, newer than this sdrlog supports (version ${LATEST_SCHEMA_VERSION})`);
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(99);
    expect(tables(again)).toEqual([]);
    again.close();
  });

  it('refuses a file that is not a database with a clear message', async () => {
    const fs = await import('node:fs');
    const file = path.join(tmp.dir, 'notes.txt');
    fs.writeFileSync(file, 'this is not sqlite at all, just some text that is long enough to look like a header...');
    expect(() => openCaseStore(file)).toThrow(/is not an sdrlog database/);
  });

  it('does not create a missing file when asked not to', () => {
    expect(() => openCaseStore(path.join(tmp.dir, 'none.db'), { create: false })).toThrow(/database not found: .*none\.db/);
  });
});
