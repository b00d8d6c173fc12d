import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeCaseInfo, makeDecision } from '../../src/domain';
import { LATEST_SCHEMA_VERSION, openCaseStore } from '../../src/storage';

const BIN = path.resolve(__dirname, '../../bin/sdrlog.mjs');
let dir: string;

function sdrlog(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, SDRLOG_DB: path.join(dir, 'default.db') } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrlog-cli-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('sdrlog case and verify (spawned CLI)', () => {
  it('case new prints an id; list and show find it; verify passes; tampering is named', async () => {
    const created = await sdrlog('case', 'new', '--db', 'c.db', '--patient', 'P001', '--age', '6', '--diagnosis', 'spastic diplegia', '--plan', 'L4:L=40,R=40', '--plan', 'L5:R=50');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    // decisions made by the app, through the store API
    const store = openCaseStore(path.join(dir, 'c.db'));
    const at = '2024-03-01T09:00:00Z';
    store.decisions.recordFor(id, { level: 'L4', side: 'L', index: 1 }, { decision: makeDecision({ kind: 'cut', decidedBy: 'Dr A', decidedAt: at }) });
    store.decisions.recordFor(id, { level: 'L4', side: 'L', index: 2 }, { decision: makeDecision({ kind: 'partial', fraction: 0.5, decidedBy: 'Dr A', decidedAt: at }) });
    store.decisions.recordFor(id, { level: 'L4', side: 'L', index: 2 }, { decision: makeDecision({ kind: 'spare', decidedBy: 'Dr B', decidedAt: at }) });
    store.rootlets.ensure(id, 'L4', 'L', 3);
    store.close();

    const [list, listJson, show, showJson, verify] = await Promise.all([
      sdrlog('case', 'list', '--db', 'c.db'),
      sdrlog('case', 'list', '--db', 'c.db', '--json'),
      sdrlog('case', 'show', id.slice(0, 8), '--db', 'c.db'),
      sdrlog('case', 'show', id, '--db', 'c.db', '--json'),
      sdrlog('verify', 'c.db'),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+PATIENT\s+AGE\s+CREATED\s+DIAGNOSIS$/);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+P001\\s+6\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+spastic diplegia$`, 'm'));
    expect(JSON.parse(listJson.stdout)).toEqual([expect.objectContaining({ id, patientId: 'P001', ageYears: 6, cutPlan: { L4: { L: 40, R: 40 }, L5: { R: 50 } } })]);

    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`case ${id}`);
    expect(show.stdout).toMatch(/^L4L-1\s+cut\s+Dr A/m);
    expect(show.stdout).toMatch(/^L4L-2\s+spare \(corrected\)\s+Dr B/m);
    expect(show.stdout).toMatch(/^L4L-3\s+undecided$/m);
    // 3 tested, 2 decided, cut 1 -> 50 % of decided rootlets against 40 % planned
    expect(show.stdout).toMatch(/^L4 L\s+3\s+2\s+1\s+50\s+40$/m);
    const shown = JSON.parse(showJson.stdout) as { montage: { channels: unknown[] }; rootlets: { index: number; decision: { kind: string } | null }[]; summary: { level: string; side: string; percentCut: number | null; plannedPercent: number | null }[] };
    expect(shown.montage.channels).toHaveLength(16);
    expect(shown.rootlets.map((r) => [r.index, r.decision?.kind ?? null])).toEqual([[1, 'cut'], [2, 'spare'], [3, null]]);
    expect(shown.summary).toContainEqual(expect.objectContaining({ level: 'L5', side: 'R', percentCut: null, plannedPercent: 50 }));

    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/verified: all checks passed/);

    // tamper with a copy: drop the trigger, edit a decision
    fs.copyFileSync(path.join(dir, 'c.db'), path.join(dir, 'bad.db'));
    const db = new Database(path.join(dir, 'bad.db'));
    db.exec('DROP TRIGGER decisions_no_update');
    db.exec("UPDATE decisions SET decided_by = 'Dr X' WHERE id = 1");
    db.close();
    const bad = await sdrlog('verify', 'bad.db');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL decisions-audited: decision 1 does not match audit entry \d+: decidedBy is "Dr X" in the row but "Dr A" in the audit/);
    expect(bad.stdout).toMatch(/NOT VERIFIED: append-only, decisions-audited failed/);
  });

  it('user errors are one line with exit code 2 and create nothing', async () => {
    const future = path.join(dir, 'future.db');
    const fdb = new Database(future);
    fdb.pragma('user_version = 42');
    fdb.close();
    const results = await Promise.all([
      sdrlog('case', 'show', 'deadbeef', '--db', 'c.db'),
      sdrlog('case', 'new', '--db', 'x.db', '--patient', 'P 1', '--age', '6'),
      sdrlog('case', 'new', '--db', 'x.db', '--patient', 'P1', '--age', '6', '--plan', 'L4:L=140'),
      sdrlog('case', 'list', '--db', 'future.db'),
      sdrlog('verify', 'missing.db'),
    ]);
    const messages = results.map((r) => [r.code, r.stderr.trim()]);
    expect(messages).toEqual([
      [2, "sdrlog: no case with id 'deadbeef'"],
      [2, "sdrlog: patient id must be a pseudonym of 1-64 letters, digits, '.', '_' or '-', got 'P 1'"],
      [2, "sdrlog: --plan 'L4:L=140': a planned cut is 0-100 %, got 140"],
      [2, `sdrlog: database future.db has schema version 42, newer than this sdrlog supports (version ${LATEST_SCHEMA_VERSION}); use a newer sdrlog`],
      [2, 'sdrlog: database not found: missing.db'],
    ]);
    expect(fs.existsSync(path.join(dir, 'x.db'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'missing.db'))).toBe(false);
  });

  it('--db defaults to $SDRLOG_DB, and every command has --help', async () => {
    const seeded = openCaseStore(path.join(dir, 'default.db'));
    const createdId = seeded.cases.create(makeCaseInfo({ patientId: 'P9', ageYears: 4 })).id;
    seeded.close();
    const [list, help1, help3] = await Promise.all([
      sdrlog('case', 'list', '--json'),
      sdrlog('case', 'new', '--help'),
      sdrlog('verify', '--help'),
    ]);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((c) => c.id)).toEqual([createdId]);
    expect(help1.stdout).toMatch(/--plan <level:sides>/);
    expect(help3.stdout).toMatch(/audit hash chain/);
    expect([help1.code, help3.code]).toEqual([0, 0]);
  });
});
