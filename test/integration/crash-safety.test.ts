import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openCaseStore, verifyDatabase } from '../../src/storage';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(__dirname, 'crash-safety-child.ts');
const ITERATIONS = 20;
/** Children loading ahead of the one running. */
const PREPARED = 3;
const RATE = 10_000;

interface Acks {
  sessionId: number | null;
  lastRawEnd: number;
  decisions: { id: number; rootletId: number; kind: string }[];
}

/** A child started ahead of time: its modules load while the previous iteration runs. */
function prepareChild(db: string, seed: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, db, String(seed)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Lets a prepared child go, kills it with SIGKILL `killAfterMs` after it is ready, returns what it acknowledged. */
function runAndKill(child: ChildProcess, killAfterMs: number): Promise<Acks> {
  return new Promise((resolve, reject) => {
    const acks: Acks = { sessionId: null, lastRawEnd: 0, decisions: [] };
    let pending = '';
    let stderr = '';
    let timer: ReturnType<typeof setTimeout> | null = null;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [tag, a, b, c] = line.split(' ');
        if (tag === 'ready') {
          acks.sessionId = Number(a);
          timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        } else if (tag === 'raw') acks.lastRawEnd = Number(b);
        else if (tag === 'decision') acks.decisions.push({ id: Number(a), rootletId: Number(b), kind: c! });
      }
    });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child ended by itself (code ${code}): ${stderr}`));
      else resolve(acks);
    });
    child.stdin!.write('go\n');
  });
}

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrlog-crash-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('crash safety: SIGKILL at random moments', () => {
  it(`loses no acknowledged decision and at most 1 s of raw data over ${ITERATIONS} kills`, async () => {
    const db = path.join(dir, 'crash.db');
    const allAcked: Acks['decisions'] = [];
    let rng = 12345;
    const next = (): number => { rng = (rng * 1103515245 + 12345) % 2147483648; return rng / 2147483648; };
    let totalDecisions = 0;
    let minMarginSamples = Infinity;
    const prepared: ChildProcess[] = [];
    for (let i = 0; i < Math.min(PREPARED, ITERATIONS); i++) prepared.push(prepareChild(db, i + 1));
    for (let i = 0; i < ITERATIONS; i++) {
      const child = prepared.shift()!;
      if (i + PREPARED < ITERATIONS) prepared.push(prepareChild(db, i + PREPARED + 1));
      const acks = await runAndKill(child, 10 + Math.floor(next() * 400));
      allAcked.push(...acks.decisions);
      totalDecisions += acks.decisions.length;

      // SQLite-level health of the file as left by the kill
      const raw = new Database(db);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();

      const store = openCaseStore(db, { create: false });
      try {
        for (const d of allAcked) {
          const got = store.decisions.get(d.id);
          expect(got, `acknowledged decision ${d.id} missing after kill ${i}`).not.toBeNull();
          expect(got!.rootletId).toBe(d.rootletId);
          expect(got!.decision.kind).toBe(d.kind);
        }
        expect(store.audit.verifyChain().firstBreak).toBeNull();
        if (acks.sessionId !== null && acks.lastRawEnd > 0) {
          const ext = store.raw.extentOf(acks.sessionId);
          const stored = ext.endSample ?? 0;
          // everything handed over up to 1 s (in samples) before the last acknowledged sample is stored...
          expect(stored).toBeGreaterThanOrEqual(acks.lastRawEnd - RATE);
          minMarginSamples = Math.min(minMarginSamples, stored - (acks.lastRawEnd - RATE));
          // ...contiguously from the session's first sample
          if (stored > 0) expect(store.raw.read(acks.sessionId, 0, stored).gaps).toEqual([]);
        }
        // crash recovery: the killed session is still open; close it as not cleanly shut down
        const open = store.sessions.openSessions();
        expect(open.map((s) => s.id)).toContain(acks.sessionId);
        for (const s of open) store.sessions.end(s.id, false, 'recovery');
      } finally {
        store.close();
      }
    }
    const report = verifyDatabase(db);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    // the test is only meaningful if the children actually wrote decisions between kills
    expect(totalDecisions).toBeGreaterThan(ITERATIONS);
    expect(minMarginSamples).toBeGreaterThanOrEqual(0);
  }, 90_000);
});
