import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { simulateToEdf } from '../../../src/cli/simulate-edf';
import { makeCaseInfo } from '../../../src/domain';
import { openCaseStore } from '../../../src/storage';

/** `sdrlog export` and `sdrlog import`, spawned: help, the printed summary, one-line errors (exit 2). */

const BIN = path.resolve(__dirname, '../../../bin/sdrlog.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrlog-cli-interchange-'));
const db = path.join(dir, 'c.db');
let caseId = '';

function sdrlog(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, SDRLOG_DB: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  simulateToEdf({ outPath: path.join(dir, 'sim.edf'), seed: 3, seconds: 20, levels: ['L5'], sides: ['L'] });
  const store = openCaseStore(db);
  caseId = store.cases.create(makeCaseInfo({ patientId: 'CLI-1', ageYears: 5 })).id;
  store.close();
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('sdrlog import / export', () => {
  it('has --help for both commands', async () => {
    const imp = await sdrlog('import', '--help');
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/--montage <file>/);
    expect(imp.stdout).toMatch(/--case <id>/);
    const exp = await sdrlog('export', '--help');
    expect(exp.code).toBe(0);
    for (const o of ['--edf <file>', '--csv <file>', '--training <folder>', '--session <n>']) expect(exp.stdout).toContain(o);
  }, 30_000);

  it('imports, printing the new session id and a grade summary; exports EDF+ and CSV', async () => {
    const r = await sdrlog('import', 'sim.edf', '--db', db, '--case', caseId.slice(0, 8));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`imported sim.edf as session 1 of case ${caseId}`);
    expect(lines[2]).toMatch(/^graded (\d+) of \1 trains: 0: \d+, 1\+: \d+, 2\+: \d+, 3\+: \d+, 4\+: \d+; suggestions: \d+ cut, \d+ spare, \d+ review/);
    const e = await sdrlog('export', db, '--case', caseId, '--edf', 'out.edf');
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/^exported session 1 of case .* to out\.edf: 16 channels at 10000 Hz, 20\.0 s, \d+ stimulations, \d+ grades, 0 decisions, 0 gaps/);
    expect(fs.statSync(path.join(dir, 'out.edf')).size).toBeGreaterThan(6_000_000);
    const c = await sdrlog('export', db, '--case', caseId, '--csv', 'rootlets.csv');
    expect(c.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'rootlets.csv'), 'utf8').split('\r\n')[0]).toMatch(/^level,side,kind,rootlet,threshold_ma/);
  }, 60_000);

  // In-process through main() (the spawned binary runs the same function): one process per case is slow.
  it('reports user errors as one line with exit code 2', async () => {
    fs.writeFileSync(path.join(dir, 'junk.edf'), 'this is not an EDF file at all'.repeat(20));
    const cases: [string[], RegExp][] = [
      [['export', db, '--case', caseId], /^sdrlog: export: give exactly one of --edf FILE, --csv FILE or --training FOLDER\n$/],
      [['export', db, '--case', caseId, '--edf', 'a.edf', '--csv', 'b.csv'], /^sdrlog: export: give exactly one of/],
      [['export', db, '--case', caseId, '--session', '7', '--edf', 'a.edf'], /^sdrlog: case .* has no session 7 \(its sessions: 1\)\n$/],
      [['export', path.join(dir, 'missing.db'), '--case', caseId, '--csv', 'b.csv'], /^sdrlog: database not found: .*missing\.db\n$/],
      [['import', 'nothing.edf', '--db', db, '--case', caseId], /^sdrlog: no such file: nothing\.edf\n$/],
      [['import', 'sim.edf', '--db', db], /^sdrlog: import: say which case/],
      [['import', 'sim.edf', '--db', db, '--case', 'zzzzzzzz'], /^sdrlog: no case with id 'zzzzzzzz'\n$/],
      [['import', 'junk.edf', '--db', db, '--case', caseId], /^sdrlog: cannot import junk\.edf: EDF header: /],
      [['import', 'sim.edf', '--db', db, '--case', caseId, '--mains', '55'], /^sdrlog: --mains must be off, auto, 50 or 60, got '55'\n$/],
    ];
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      for (const [args, re] of cases) {
        let stderr = '';
        const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
          stderr += String(chunk);
          return true;
        });
        let code: number;
        try {
          code = await main(args);
        } finally {
          spy.mockRestore();
        }
        const r = { code, stderr };
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toMatch(re);
        expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      }
    } finally {
      process.chdir(cwd);
    }
    expect(fs.existsSync(path.join(dir, 'a.edf'))).toBe(false);
  }, 60_000);
});
