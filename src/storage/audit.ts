import type { SqliteDatabase } from './db';
import { canonicalJson, sha256Hex } from './canonical';

/** prev_hash of the first audit entry. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly entity: string;
  readonly entityId: string;
  readonly caseId: string | null;
  /** Canonical JSON text of the payload, exactly as hashed. */
  readonly payloadJson: string;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly entity: string;
  readonly entityId: string | number;
  readonly caseId: string | null;
  readonly payload: unknown;
}

interface AuditRow {
  id: number; at: string; actor: string; action: string; entity: string; entity_id: string;
  case_id: string | null; payload_json: string; prev_hash: string; hash: string;
}

/**
 * The hash of an audit entry: SHA-256 (hex) over the canonical JSON array of every field but the hash
 * itself, in a fixed order. Editing any field, reordering or removing an entry breaks the chain.
 */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  return sha256Hex(canonicalJson([e.id, e.at, e.actor, e.action, e.entity, e.entityId, e.caseId, e.payloadJson, e.prevHash]));
}

function fromRow(r: AuditRow): AuditEntry {
  return {
    id: r.id, at: r.at, actor: r.actor, action: r.action, entity: r.entity, entityId: r.entity_id,
    caseId: r.case_id, payloadJson: r.payload_json, prevHash: r.prev_hash, hash: r.hash,
  };
}

/** The first place the chain is broken, in words a reviewer can act on. */
export interface ChainBreak {
  readonly entryId: number;
  readonly problem: string;
}

/** Append-only, hash-chained audit log. Callers append inside their own write transaction. */
export class AuditLog {
  private readonly last;
  private readonly insert;
  private readonly all;
  private readonly byEntity;
  private readonly byCase;

  constructor(private readonly db: SqliteDatabase, private readonly now: () => Date) {
    this.last = db.prepare<[], { id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
    this.insert = db.prepare(`INSERT INTO audit_log (id, at, actor, action, entity, entity_id, case_id, payload_json, prev_hash, hash)
      VALUES (@id, @at, @actor, @action, @entity, @entityId, @caseId, @payloadJson, @prevHash, @hash)`);
    this.all = db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?');
    this.byEntity = db.prepare<[string, string], AuditRow>('SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id');
    this.byCase = db.prepare<[string], AuditRow>('SELECT * FROM audit_log WHERE case_id = ? ORDER BY id');
  }

  /**
   * Appends one entry chained to the last. Must run inside a write transaction (IMMEDIATE), so no other
   * connection can append between reading the last hash and inserting; the unique index on prev_hash
   * makes a fork impossible even so.
   */
  append(input: AuditInput): AuditEntry {
    if (!this.db.inTransaction) throw new Error('audit entries are appended inside the write transaction they record');
    const last = this.last.get();
    const base = {
      id: (last?.id ?? 0) + 1,
      at: this.now().toISOString(),
      actor: input.actor,
      action: input.action,
      entity: input.entity,
      entityId: String(input.entityId),
      caseId: input.caseId,
      payloadJson: canonicalJson(input.payload),
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const entry: AuditEntry = { ...base, hash: auditEntryHash(base) };
    this.insert.run(entry);
    return entry;
  }

  forEntity(entity: string, entityId: string | number): AuditEntry[] {
    return this.byEntity.all(entity, String(entityId)).map(fromRow);
  }

  forCase(caseId: string): AuditEntry[] {
    return this.byCase.all(caseId).map(fromRow);
  }

  /** Walks the whole chain in pages; returns the first break, or null when every link holds. */
  verifyChain(): { entries: number; firstBreak: ChainBreak | null } {
    let prevHash = GENESIS_HASH;
    let prevId = 0;
    let count = 0;
    for (;;) {
      const page = this.all.all(prevId, 1000);
      if (page.length === 0) return { entries: count, firstBreak: null };
      for (const row of page) {
        const e = fromRow(row);
        count++;
        if (e.id !== prevId + 1) {
          return { entries: count, firstBreak: { entryId: e.id, problem: `entry ${prevId + 1} is missing (previous entry is ${prevId}, next is ${e.id})` } };
        }
        if (e.prevHash !== prevHash) {
          return { entries: count, firstBreak: { entryId: e.id, problem: `prev_hash ${e.prevHash.slice(0, 12)}... does not match the hash of entry ${prevId} (${prevHash.slice(0, 12)}...)` } };
        }
        const expected = auditEntryHash(e);
        if (expected !== e.hash) {
          return { entries: count, firstBreak: { entryId: e.id, problem: `stored hash ${e.hash.slice(0, 12)}... does not match its content (recomputed ${expected.slice(0, 12)}...): the entry was altered` } };
        }
        prevHash = e.hash;
        prevId = e.id;
      }
    }
  }
}
