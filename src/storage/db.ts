import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from './migrations';
import { StorageError } from './errors';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** Create the file (and its folder) when missing. Default true; false gives a 'db-not-found' error. */
  readonly create?: boolean;
  /** Apply pending migrations. Default true; `verify` opens without migrating. */
  readonly migrate?: boolean;
  /** Milliseconds to wait for another connection's write lock before failing. */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens an sdrlog database with the settings the clinical record needs: WAL (readers never block the
 * writer), synchronous=FULL (a committed transaction survives power loss, so a decision shown as saved
 * is on disk), foreign keys on, a busy timeout. Refuses a database written by a newer sdrlog.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const create = options.create ?? true;
  const memory = file === ':memory:';
  if (!memory) {
    if (!fs.existsSync(file)) {
      if (!create) throw new StorageError('db-not-found', `database not found: ${file}`);
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    } else if (fs.statSync(file).isDirectory()) {
      throw new StorageError('not-a-database', `${file} is a folder, not a database file`);
    }
  }
  let db: SqliteDatabase;
  try {
    // Under Electron, better-sqlite3 must be the build for Electron's ABI; `npm start` builds one beside
    // the Node build used by tests and passes its path here (scripts/start-electron.mjs).
    const nativeBinding = process.env.SDRLOG_SQLITE_BINDING || undefined;
    db = new Database(file, { fileMustExist: !create && !memory, ...(nativeBinding ? { nativeBinding } : {}) });
  } catch (e) {
    throw new StorageError('db-open-failed', `cannot open database ${file}: ${(e as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? 5000))}`);
    let version: number;
    try {
      version = schemaVersion(db);
    } catch (e) {
      throw new StorageError('not-a-database', `${file} is not an sdrlog database (${(e as Error).message})`);
    }
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StorageError('newer-version',
        `database ${file} has schema version ${version}, newer than this sdrlog supports (version ${LATEST_SCHEMA_VERSION}); use a newer sdrlog`);
    }
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    if (options.migrate ?? true) migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}
