import { openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from './db';
import { AuditLog } from './audit';
import { CaseRepository, MontageRepository } from './cases';
import {
  GradeRepository, RootletRepository, RootRepository, SessionEventRepository, SessionRepository,
  StimulationRepository, ThresholdRepository,
} from './clinical';
import { DecisionRepository } from './decisions';
import { RawRepository } from './raw';
import { TrainingRepository } from './training';
import { schemaVersion } from './migrations';

export interface CaseStoreOptions extends OpenDatabaseOptions {
  /** Clock for recorded timestamps (tests inject one). */
  readonly now?: () => Date;
}

/**
 * The durable case record: one SQLite database, typed repositories, all SQL inside src/storage.
 * Every method is synchronous; a method that returns has committed. One store per process and file;
 * `close()` releases it.
 */
export interface CaseStore {
  readonly path: string;
  readonly schemaVersion: number;
  readonly cases: CaseRepository;
  readonly montages: MontageRepository;
  readonly sessions: SessionRepository;
  readonly roots: RootRepository;
  readonly rootlets: RootletRepository;
  readonly stimulations: StimulationRepository;
  readonly grades: GradeRepository;
  readonly thresholds: ThresholdRepository;
  readonly decisions: DecisionRepository;
  readonly events: SessionEventRepository;
  readonly raw: RawRepository;
  /** Training mode: trainees and their scored attempts (append-only). */
  readonly training: TrainingRepository;
  readonly audit: AuditLog;
  /** Runs `fn` in one IMMEDIATE transaction (all or nothing). */
  transaction<T>(fn: () => T): T;
  /** Moves the WAL into the main file and truncates it (before copying the file by hand). */
  checkpoint(): void;
  /**
   * Copies the whole database, consistently, to `file` (e.g. a USB stick after the case) while the store
   * stays usable; SQLite's online backup, so writes during the copy are included or not, never torn.
   */
  backupTo(file: string): Promise<void>;
  /** Flushes and closes open raw writers, then the database. Idempotent. */
  close(): void;
}

export function openCaseStore(path: string, options: CaseStoreOptions = {}): CaseStore {
  const db = openDatabase(path, options);
  return createStore(db, path, options.now ?? (() => new Date()));
}

function createStore(db: SqliteDatabase, path: string, now: () => Date): CaseStore {
  const audit = new AuditLog(db, now);
  const rootlets = new RootletRepository(db, now);
  let open = true;
  const raw = new RawRepository(db);
  return {
    path,
    schemaVersion: schemaVersion(db),
    cases: new CaseRepository(db, audit, now),
    montages: new MontageRepository(db, audit, now),
    sessions: new SessionRepository(db, audit, now),
    roots: new RootRepository(db),
    rootlets,
    stimulations: new StimulationRepository(db, rootlets, now),
    grades: new GradeRepository(db, now),
    thresholds: new ThresholdRepository(db, rootlets, now),
    decisions: new DecisionRepository(db, audit, rootlets, now),
    events: new SessionEventRepository(db, now),
    raw,
    training: new TrainingRepository(db, now),
    audit,
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    checkpoint: () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    backupTo: async (file: string) => {
      await db.backup(file);
    },
    close: () => {
      if (!open) return;
      open = false;
      try {
        raw.closeWriters(); // the last buffered second is written, and no timer outlives the database
      } finally {
        db.close();
      }
    },
  };
}
