import { openDatabase } from './db';
import { AuditLog } from './audit';
import { canonicalJson } from './canonical';
import { decisionAuditPayload } from './decisions';
import { APPEND_ONLY_TABLES, schemaVersion } from './migrations';
import { StorageError } from './errors';

export interface VerifyCheck {
  readonly name: 'integrity' | 'foreign-keys' | 'append-only' | 'audit-chain' | 'decisions-audited' | 'audit-head';
  readonly ok: boolean;
  /** What was checked, or the first thing found broken (entry/row id and what mismatched). */
  readonly detail: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly path: string;
  readonly schemaVersion: number;
  readonly checks: readonly VerifyCheck[];
  /**
   * The last audit entry. Recorded elsewhere (a printed report, another machine), it lets a later
   * `verify --head` prove that no entries were cut off the end, which the chain alone cannot show.
   */
  readonly head: { readonly id: number; readonly hash: string } | null;
}

export interface VerifyOptions {
  /** A head recorded earlier: that entry must still exist with that hash (hash prefix of >= 12 hex digits). */
  readonly expectHead?: { readonly id: number; readonly hash: string };
}

/** Parses `ID:HASH` as printed by verify. */
export function parseAuditHead(text: string): { id: number; hash: string } {
  const m = /^\s*(\d+):([0-9a-fA-F]{12,64})\s*$/.exec(text);
  if (!m) throw new StorageError('invalid-head', `audit head must look like 42:1f2e3d4c5b6a (entry id, colon, at least 12 hex digits of its hash), got '${text}'`);
  return { id: Number(m[1]), hash: m[2]!.toLowerCase() };
}


/**
 * Checks a case database without changing it: SQLite page integrity, foreign keys, the append-only
 * triggers, the audit hash chain (first broken link named), and that every decision row matches the
 * audit entry written with it (an edited decision is caught even when the chain itself is intact).
 * Throws StorageError for a missing, foreign or newer-version file.
 */
export function verifyDatabase(path: string, options: VerifyOptions = {}): VerifyReport {
  const db = openDatabase(path, { create: false, migrate: false });
  try {
    const version = schemaVersion(db);
    const checks: VerifyCheck[] = [];

    const integrity = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    const integrityOk = integrity.length === 1 && integrity[0]!.integrity_check === 'ok';
    checks.push({ name: 'integrity', ok: integrityOk, detail: integrityOk ? 'ok' : integrity.slice(0, 5).map((r) => r.integrity_check).join('; ') });

    const fk = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    checks.push({ name: 'foreign-keys', ok: fk.length === 0, detail: fk.length === 0 ? 'ok'
      : `${fk.length} row(s) reference missing rows; first: ${fk[0]!.table} row ${fk[0]!.rowid} -> ${fk[0]!.parent}` });

    if (version < 1) {
      checks.push({ name: 'audit-chain', ok: true, detail: 'empty database (schema version 0)' });
      return { ok: checks.every((c) => c.ok), path, schemaVersion: version, checks, head: null };
    }

    const triggers = new Set(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'trigger'").all().map((r) => r.name));
    const tables = new Set(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name));
    // decisions and audit_log exist in every version; the training tables from schema v3 on
    const missing = APPEND_ONLY_TABLES.filter((t) => tables.has(t) || t === 'decisions' || t === 'audit_log')
      .flatMap((t) => [`${t}_no_update`, `${t}_no_delete`])
      .filter((t) => !triggers.has(t));
    checks.push({ name: 'append-only', ok: missing.length === 0, detail: missing.length === 0 ? 'ok' : `trigger(s) removed: ${missing.join(', ')}` });

    const chain = new AuditLog(db, () => new Date()).verifyChain();
    checks.push({ name: 'audit-chain', ok: chain.firstBreak === null, detail: chain.firstBreak === null
      ? `${chain.entries} entries, every link ok`
      : `audit entry ${chain.firstBreak.entryId}: ${chain.firstBreak.problem}` });

    checks.push(checkDecisionsAudited(db));
    const head = db.prepare<[], { id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1').get() ?? null;
    if (options.expectHead) {
      const want = options.expectHead;
      const row = db.prepare<[number], { hash: string }>('SELECT hash FROM audit_log WHERE id = ?').get(want.id);
      const ok = row !== undefined && row.hash.startsWith(want.hash.toLowerCase());
      checks.push({ name: 'audit-head', ok, detail: ok
        ? `entry ${want.id} still has the recorded hash`
        : row === undefined
          ? `audit entry ${want.id} recorded earlier is missing (the log now ends at ${head?.id ?? 'nothing'}): entries were removed`
          : `audit entry ${want.id}: hash ${row.hash.slice(0, 12)}... differs from the recorded ${want.hash.slice(0, 12)}...` });
    }
    return { ok: checks.every((c) => c.ok), path, schemaVersion: version, checks, head: head ? { id: head.id, hash: head.hash } : null };
  } finally {
    db.close();
  }
}

function checkDecisionsAudited(db: ReturnType<typeof openDatabase>): VerifyCheck {
  const rows = db.prepare(`SELECT d.*, r.case_id, r.level, r.side, r.rootlet_index,
      (SELECT COUNT(*) FROM audit_log a WHERE a.entity = 'decision' AND a.entity_id = CAST(d.id AS TEXT)) AS audit_count,
      (SELECT a.payload_json FROM audit_log a WHERE a.entity = 'decision' AND a.entity_id = CAST(d.id AS TEXT) ORDER BY a.id LIMIT 1) AS payload_json,
      (SELECT a.id FROM audit_log a WHERE a.entity = 'decision' AND a.entity_id = CAST(d.id AS TEXT) ORDER BY a.id LIMIT 1) AS audit_id
    FROM decisions d LEFT JOIN rootlets r ON r.id = d.rootlet_id ORDER BY d.id`).iterate() as IterableIterator<Parameters<typeof decisionAuditPayload>[0] & { id: number; audit_count: number; payload_json: string | null; audit_id: number | null }>;
  let n = 0;
  for (const row of rows) {
    n++;
    if (row.audit_count !== 1 || row.payload_json === null) {
      return { name: 'decisions-audited', ok: false, detail: `decision ${row.id} has ${row.audit_count} audit entries (expected exactly 1)` };
    }
    const expected = JSON.parse(canonicalJson(decisionAuditPayload(row))) as Record<string, unknown>;
    const recorded = JSON.parse(row.payload_json) as Record<string, unknown>;
    for (const key of Object.keys({ ...expected, ...recorded }).sort()) {
      if (canonicalJson(expected[key] ?? null) !== canonicalJson(recorded[key] ?? null)) {
        return { name: 'decisions-audited', ok: false,
          detail: `decision ${row.id} does not match audit entry ${row.audit_id}: ${key} is ${canonicalJson(expected[key] ?? null)} in the row but ${canonicalJson(recorded[key] ?? null)} in the audit` };
      }
    }
  }
  return { name: 'decisions-audited', ok: true, detail: `${n} decisions, each matches its audit entry` };
}

