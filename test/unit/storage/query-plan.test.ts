import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HOT_QUERIES, openCaseStore } from '../../../src/storage';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let db: Database.Database;

beforeAll(() => {
  tmp = tempDir();
  const file = path.join(tmp.dir, 'plan.db');
  openCaseStore(file).close();
  db = new Database(file);
});
afterAll(() => {
  db.close();
  tmp.cleanup();
});

function plan(sql: string, params: unknown[]): string[] {
  return db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((r) => (r as { detail: string }).detail);
}

describe('hot queries use their indexes (EXPLAIN QUERY PLAN)', () => {
  it('rootlets of a case: the unique (case, level, side, index) index, no sort', () => {
    const p = plan(HOT_QUERIES.rootletsOfCase, ['c']);
    expect(p.join(' | ')).toMatch(/SEARCH rootlets USING INDEX sqlite_autoindex_rootlets_1 \(case_id=\?\)/);
    expect(p.join(' | ')).not.toMatch(/TEMP B-TREE|SCAN rootlets/);
  });

  it('stimulations of a rootlet: stimulations_by_rootlet, no sort', () => {
    const p = plan(HOT_QUERIES.stimulationsOfRootlet, [1]);
    expect(p.join(' | ')).toMatch(/SEARCH stimulations USING INDEX stimulations_by_rootlet \(rootlet_id=\?\)/);
    expect(p.join(' | ')).not.toMatch(/TEMP B-TREE|SCAN stimulations/);
  });

  it('raw chunks in a time range of a session: bounded range search on (session, start)', () => {
    const p = plan(HOT_QUERIES.rawChunksInRange, [{ session: 1, from: 0, to: 1000 }]).join(' | ');
    expect(p).toMatch(/SEARCH raw_chunks USING INDEX sqlite_autoindex_raw_chunks_1 \(session_id=\? AND start_sample>\? AND start_sample<\?\)/);
    expect(p).not.toMatch(/SCAN raw_chunks|TEMP B-TREE/);
  });

  it('current decisions of a case: rootlets by case, decisions by rootlet, audit by entity', () => {
    const p = plan(HOT_QUERIES.currentDecisionsOfCase, ['c']).join(' | ');
    expect(p).toMatch(/SEARCH r USING (COVERING )?INDEX sqlite_autoindex_rootlets_1 \(case_id=\?\)/);
    expect(p).toMatch(/decisions_by_rootlet/);
    expect(p).toMatch(/SEARCH a USING (COVERING )?INDEX audit_by_entity \(entity=\? AND entity_id=\?\)/);
    expect(p).not.toMatch(/SCAN (d|decisions|a|audit_log)\b/);
  });
});
