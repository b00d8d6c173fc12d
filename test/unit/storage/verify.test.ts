import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeCaseInfo } from '../../../src/domain';
import { LATEST_SCHEMA_VERSION, openCaseStore, parseAuditHead, verifyDatabase } from '../../../src/storage';
import { decision, steppingClock, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let file: string;
let decisionIds: number[];

beforeEach(() => {
  tmp = tempDir();
  file = path.join(tmp.dir, 'v.db');
  const store = openCaseStore(file, { now: steppingClock() });
  const c = store.cases.create(makeCaseInfo({ patientId: 'P1', ageYears: 8 }));
  decisionIds = [
    store.decisions.recordFor(c.id, { level: 'L4', side: 'L', index: 1 }, { decision: decision('cut') }).id,
    store.decisions.recordFor(c.id, { level: 'L4', side: 'L', index: 2 }, { decision: decision('spare') }).id,
    store.decisions.recordFor(c.id, { level: 'L4', side: 'L', index: 1 }, { decision: decision('partial', 'Dr B', 0.5) }).id,
  ];
  store.close();
});
afterEach(() => tmp.cleanup());

/** Opens the file as someone bypassing sdrlog would: drops the append-only triggers first. */
function tamper(sql: string, keepTriggers = false): void {
  const db = new Database(file);
  try {
    if (!keepTriggers) {
      for (const t of ['decisions_no_update', 'decisions_no_delete', 'audit_log_no_update', 'audit_log_no_delete']) db.exec(`DROP TRIGGER ${t}`);
    }
    db.exec(sql);
  } finally {
    db.close();
  }
}

function failed(report: ReturnType<typeof verifyDatabase>): Record<string, string> {
  return Object.fromEntries(report.checks.filter((c) => !c.ok).map((c) => [c.name, c.detail]));
}

describe('verifyDatabase', () => {
  it('passes an untouched database, naming the number of entries checked', () => {
    const r = verifyDatabase(file);
    expect(r.ok).toBe(true);
    expect(r.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(r.checks.find((c) => c.name === 'audit-chain')!.detail).toBe('4 entries, every link ok');
    expect(r.checks.find((c) => c.name === 'decisions-audited')!.detail).toBe('3 decisions, each matches its audit entry');
  });

  it('names a removed append-only trigger of the training tables', () => {
    tamper('DROP TRIGGER training_answers_no_delete', true);
    const f = failed(verifyDatabase(file));
    expect(f['append-only']).toBe('trigger(s) removed: training_answers_no_delete');
  });

  it('names the decision whose row was edited and what differs from its audit entry', () => {
    tamper(`UPDATE decisions SET kind = 'spare', cut_fraction = 0 WHERE id = ${decisionIds[0]}`);
    const f = failed(verifyDatabase(file));
    expect(f['decisions-audited']).toBe(`decision ${decisionIds[0]} does not match audit entry 2: cutFraction is 0 in the row but 1 in the audit`);
    expect(f['append-only']).toMatch(/decisions_no_update/);
    expect(f['audit-chain']).toBeUndefined();
  });

  it('names the audit entry whose content was altered', () => {
    tamper("UPDATE audit_log SET actor = 'someone else' WHERE id = 3");
    const f = failed(verifyDatabase(file));
    expect(f['audit-chain']).toMatch(/^audit entry 3: stored hash [0-9a-f]{12}\.\.\. does not match its content \(recomputed [0-9a-f]{12}\.\.\.\): the entry was altered$/);
  });

  it('names the link broken by rewriting an entry and its hash consistently', async () => {
    const { auditEntryHash } = await import('../../../src/storage');
    const db = new Database(file);
    const row = db.prepare('SELECT * FROM audit_log WHERE id = 2').get() as Record<string, string | number | null>;
    db.close();
    const forged = { id: 2, at: String(row.at), actor: 'forger', action: String(row.action), entity: String(row.entity), entityId: String(row.entity_id),
      caseId: row.case_id as string | null, payloadJson: String(row.payload_json), prevHash: String(row.prev_hash) };
    tamper(`UPDATE audit_log SET actor = 'forger', hash = '${auditEntryHash(forged)}' WHERE id = 2`);
    const f = failed(verifyDatabase(file));
    expect(f['audit-chain']).toMatch(/^audit entry 3: prev_hash [0-9a-f]{12}\.\.\. does not match the hash of entry 2/);
  });

  it('names a deleted audit entry and the decision left without one', () => {
    tamper('DELETE FROM audit_log WHERE id = 3');
    const f = failed(verifyDatabase(file));
    expect(f['audit-chain']).toBe('audit entry 4: entry 3 is missing (previous entry is 2, next is 4)');
    expect(f['decisions-audited']).toBe(`decision ${decisionIds[1]} has 0 audit entries (expected exactly 1)`);
  });

  it('reports foreign-key violations', () => {
    const db = new Database(file);
    db.pragma('foreign_keys = OFF');
    db.prepare("INSERT INTO rootlets (case_id, level, side, rootlet_index, created_at) VALUES ('ghost', 'L5', 'R', 1, 'x')").run();
    db.close();
    const f = failed(verifyDatabase(file));
    expect(f['foreign-keys']).toMatch(/^1 row\(s\) reference missing rows; first: rootlets row \d+ -> cases$/);
  });

  it('reports page corruption found by integrity_check', () => {
    // overwrite bytes in the middle of a b-tree page of a checkpointed copy
    const db = new Database(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    db.close();
    const buf = fs.readFileSync(file);
    const pageSize = buf.readUInt16BE(16);
    for (let p = 2; p * pageSize < buf.length; p++) buf.fill(0x5a, p * pageSize + 8, p * pageSize + 40);
    fs.writeFileSync(file, buf);
    let report: ReturnType<typeof verifyDatabase> | null = null;
    let error: Error | null = null;
    try {
      report = verifyDatabase(file);
    } catch (e) {
      error = e as Error;
    }
    // either the checks fail, or the file is refused outright as malformed: never a silent pass
    if (report) expect(report.ok).toBe(false);
    else expect(error!.message).toMatch(/malformed|not a database|corrupt/i);
  });

  it('refuses a missing file and a newer-version file with one clear message', () => {
    expect(() => verifyDatabase(path.join(tmp.dir, 'nope.db'))).toThrow(/^database not found: .*nope\.db$/);
    tamper('PRAGMA user_version = 7', true);
    expect(() => verifyDatabase(file)).toThrow(`schema version 7, newer than this sdrlog supports (version ${LATEST_SCHEMA_VERSION})`);
  });

  it('a recorded head proves that entries cut off the end are missing', () => {
    const before = verifyDatabase(file);
    expect(before.head!.id).toBe(4);
    const head = parseAuditHead(`${before.head!.id}:${before.head!.hash.slice(0, 16)}`);
    expect(verifyDatabase(file, { expectHead: head }).ok).toBe(true);
    // remove the last decision and its audit entry together: the chain that is left is intact
    tamper(`DELETE FROM audit_log WHERE id = 4; DELETE FROM decisions WHERE id = ${decisionIds[2]}`);
    expect(verifyDatabase(file).checks.find((c) => c.name === 'audit-chain')!.ok).toBe(true);
    const f = failed(verifyDatabase(file, { expectHead: head }));
    expect(f['audit-head']).toBe('audit entry 4 recorded earlier is missing (the log now ends at 3): entries were removed');
    expect(() => parseAuditHead('4:abc')).toThrow(/at least 12 hex digits/);
  });
});
