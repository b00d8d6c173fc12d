import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeDecision, type Decision, type DecisionKind } from '../../../src/domain';

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'sdrlog-storage-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic clock: each call advances one second from 2024-03-01T08:00:00Z. */
export function steppingClock(): () => Date {
  let t = Date.parse('2024-03-01T08:00:00Z');
  return () => new Date((t += 1000));
}

export function decision(kind: DecisionKind, by = 'Dr A', fraction?: number): Decision {
  return makeDecision({ kind, fraction, decidedBy: by, decidedAt: '2024-03-01T09:00:00Z', reason: `${kind} test` });
}
