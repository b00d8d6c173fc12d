import type Database from 'better-sqlite3';

/**
 * Numbered schema migrations. The database's `PRAGMA user_version` is the number of the last migration
 * applied; each migration runs in its own transaction together with the version bump, so a crash leaves
 * the database at one version or the next, never in between. Never edit a released migration: append one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Rows that must never change once written: the clinical decision record and its audit trail. */
/** Tables whose rows are never updated or deleted; `sdrlog verify` checks their triggers are still there. */
export const APPEND_ONLY_TABLES = ['decisions', 'audit_log', 'trainees', 'training_attempts', 'training_answers'] as const;

function appendOnly(table: (typeof APPEND_ONLY_TABLES)[number]): string {
  return `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only: write a correcting row instead'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only: rows cannot be deleted'); END;
`;
}

const V1_CLINICAL_RECORD = `
CREATE TABLE cases (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  age_years REAL NOT NULL CHECK (age_years >= 0 AND age_years <= 120),
  diagnosis TEXT NOT NULL DEFAULT '',
  target_muscles_json TEXT NOT NULL DEFAULT '[]',
  cut_plan_json TEXT NOT NULL DEFAULT '{}',
  approach TEXT NOT NULL DEFAULT '',
  anaesthesia_notes TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX cases_by_created ON cases (created_at);

CREATE TABLE montages (
  id INTEGER PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  name TEXT NOT NULL,
  channels_json TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX montages_by_case ON montages (case_id, id);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  montage_id INTEGER REFERENCES montages (id),
  source TEXT NOT NULL CHECK (source IN ('live', 'replay', 'import')),
  started_at TEXT NOT NULL,
  ended_at TEXT,
  device_info_json TEXT NOT NULL DEFAULT '{}',
  sample_rate_hz REAL NOT NULL CHECK (sample_rate_hz > 0),
  channel_count INTEGER NOT NULL CHECK (channel_count BETWEEN 1 AND 64),
  clean_shutdown INTEGER NOT NULL DEFAULT 0 CHECK (clean_shutdown IN (0, 1))
);
CREATE INDEX sessions_by_case ON sessions (case_id, id);

CREATE TABLE roots (
  id INTEGER PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  level TEXT NOT NULL CHECK (level IN ('L1','L2','L3','L4','L5','S1','S2')),
  side TEXT NOT NULL CHECK (side IN ('L','R')),
  kind TEXT NOT NULL CHECK (kind IN ('dorsal','ventral')),
  threshold_ma REAL CHECK (threshold_ma IS NULL OR threshold_ma >= 0),
  sphincter_response INTEGER CHECK (sphincter_response IS NULL OR sphincter_response IN (0, 1)),
  notes TEXT NOT NULL DEFAULT '',
  UNIQUE (case_id, level, side, kind)
);

CREATE TABLE rootlets (
  id INTEGER PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  level TEXT NOT NULL CHECK (level IN ('L1','L2','L3','L4','L5','S1','S2')),
  side TEXT NOT NULL CHECK (side IN ('L','R')),
  rootlet_index INTEGER NOT NULL CHECK (rootlet_index BETWEEN 1 AND 20),
  comment TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  UNIQUE (case_id, level, side, rootlet_index)
);

CREATE TABLE stimulations (
  id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  rootlet_id INTEGER REFERENCES rootlets (id),
  target_level TEXT CHECK (target_level IS NULL OR target_level IN ('L1','L2','L3','L4','L5','S1','S2')),
  target_side TEXT CHECK (target_side IS NULL OR target_side IN ('L','R')),
  target_kind TEXT CHECK (target_kind IS NULL OR target_kind IN ('dorsal','ventral')),
  target_rootlet INTEGER,
  onset_sample INTEGER NOT NULL CHECK (onset_sample >= 0),
  mode TEXT NOT NULL CHECK (mode IN ('single','train')),
  intensity_ma REAL NOT NULL CHECK (intensity_ma >= 0),
  pulse_width_us INTEGER NOT NULL,
  rate_hz REAL,
  duration_s REAL NOT NULL,
  high_intensity INTEGER NOT NULL DEFAULT 0 CHECK (high_intensity IN (0, 1)),
  created_at TEXT NOT NULL
);
CREATE INDEX stimulations_by_session ON stimulations (session_id, onset_sample);
CREATE INDEX stimulations_by_rootlet ON stimulations (rootlet_id, onset_sample);

CREATE TABLE grades (
  id INTEGER PRIMARY KEY,
  stimulation_id INTEGER NOT NULL REFERENCES stimulations (id),
  grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 4),
  pattern TEXT NOT NULL,
  suggestion TEXT NOT NULL CHECK (suggestion IN ('cut','spare','review')),
  responding_json TEXT NOT NULL,
  evidence_json TEXT NOT NULL,
  grader_version TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX grades_by_stimulation ON grades (stimulation_id, id);

CREATE TABLE thresholds (
  id INTEGER PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  session_id INTEGER REFERENCES sessions (id),
  rootlet_id INTEGER REFERENCES rootlets (id),
  target_level TEXT NOT NULL CHECK (target_level IN ('L1','L2','L3','L4','L5','S1','S2')),
  target_side TEXT NOT NULL CHECK (target_side IN ('L','R')),
  target_kind TEXT NOT NULL CHECK (target_kind IN ('dorsal','ventral')),
  target_rootlet INTEGER,
  threshold_ma REAL,
  created_at TEXT NOT NULL
);
CREATE INDEX thresholds_by_case ON thresholds (case_id, target_level, target_side);
CREATE INDEX thresholds_by_rootlet ON thresholds (rootlet_id, id);

CREATE TABLE threshold_channels (
  threshold_id INTEGER NOT NULL REFERENCES thresholds (id),
  channel INTEGER NOT NULL CHECK (channel >= 0),
  threshold_ma REAL,
  latency_ms REAL,
  amplitude_uv REAL,
  PRIMARY KEY (threshold_id, channel)
) WITHOUT ROWID;

CREATE TABLE decisions (
  id INTEGER PRIMARY KEY,
  rootlet_id INTEGER NOT NULL REFERENCES rootlets (id),
  kind TEXT NOT NULL CHECK (kind IN ('cut','spare','partial','spare-sphincter')),
  cut_fraction REAL NOT NULL CHECK (cut_fraction >= 0 AND cut_fraction <= 1),
  decided_by TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  grade_id INTEGER REFERENCES grades (id),
  corrects_id INTEGER REFERENCES decisions (id),
  recorded_at TEXT NOT NULL
);
CREATE INDEX decisions_by_rootlet ON decisions (rootlet_id, id);
-- a decision is corrected at most once: the history of a rootlet is a single line
CREATE UNIQUE INDEX decisions_by_corrects ON decisions (corrects_id) WHERE corrects_id IS NOT NULL;
CREATE TRIGGER decisions_correct_same_rootlet BEFORE INSERT ON decisions
WHEN NEW.corrects_id IS NOT NULL
  AND (SELECT rootlet_id FROM decisions WHERE id = NEW.corrects_id) IS NOT NEW.rootlet_id
BEGIN SELECT RAISE(ABORT, 'a correction must reference a decision of the same rootlet'); END;
${appendOnly('decisions')}

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  case_id TEXT,
  payload_json TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
-- two writers can never both extend the same entry: the chain cannot fork
CREATE UNIQUE INDEX audit_by_prev_hash ON audit_log (prev_hash);
CREATE INDEX audit_by_entity ON audit_log (entity, entity_id);
${appendOnly('audit_log')}
`;

const V2_RAW_EMG_AND_EVENTS = `
CREATE TABLE raw_chunks (
  id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  start_sample INTEGER NOT NULL CHECK (start_sample >= 0),
  sample_count INTEGER NOT NULL CHECK (sample_count > 0),
  channel_count INTEGER NOT NULL CHECK (channel_count > 0),
  encoding INTEGER NOT NULL,
  scales BLOB NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (session_id, start_sample)
);

CREATE TABLE raw_gaps (
  id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  start_sample INTEGER NOT NULL CHECK (start_sample >= 0),
  length_samples INTEGER NOT NULL CHECK (length_samples > 0),
  reason TEXT NOT NULL CHECK (reason IN ('sequence-gap','disconnected','overflow','unknown'))
);
CREATE INDEX raw_gaps_by_session ON raw_gaps (session_id, start_sample);

CREATE TABLE session_events (
  id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  at TEXT NOT NULL,
  sample_index INTEGER,
  kind TEXT NOT NULL CHECK (kind IN ('alarm','note','electrode-off','electrode-on','device','recovered')),
  channel INTEGER,
  message TEXT NOT NULL,
  data_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX session_events_by_session ON session_events (session_id, id);
`;

/**
 * Training mode: trainees and their scored attempts at grading/deciding a recorded session blind.
 * Append-only like the clinical record: an attempt is written once, when it is finished, with every
 * answer and what it was compared with (the expert's recorded decision and grade, the automatic grade).
 */
const V3_TRAINING = `
CREATE TABLE trainees (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  created_at TEXT NOT NULL
);

CREATE TABLE training_attempts (
  id INTEGER PRIMARY KEY,
  trainee_id INTEGER NOT NULL REFERENCES trainees (id),
  case_id TEXT NOT NULL REFERENCES cases (id),
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  trains_total INTEGER NOT NULL CHECK (trains_total >= 0),
  trains_answered INTEGER NOT NULL CHECK (trains_answered >= 0),
  rootlets INTEGER NOT NULL CHECK (rootlets >= 0),
  grades_compared INTEGER NOT NULL CHECK (grades_compared >= 0),
  grade_exact REAL CHECK (grade_exact IS NULL OR (grade_exact >= 0 AND grade_exact <= 1)),
  grade_kappa REAL,
  decisions_compared INTEGER NOT NULL CHECK (decisions_compared >= 0),
  cut_spare_agreement REAL CHECK (cut_spare_agreement IS NULL OR (cut_spare_agreement >= 0 AND cut_spare_agreement <= 1)),
  grader_version TEXT NOT NULL
);
CREATE INDEX training_attempts_by_trainee ON training_attempts (trainee_id, id);

CREATE TABLE training_answers (
  attempt_id INTEGER NOT NULL REFERENCES training_attempts (id),
  stimulation_id INTEGER NOT NULL REFERENCES stimulations (id),
  level TEXT NOT NULL CHECK (level IN ('L1','L2','L3','L4','L5','S1','S2')),
  side TEXT NOT NULL CHECK (side IN ('L','R')),
  rootlet_index INTEGER,
  grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 4),
  pattern TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('cut','spare','partial','spare-sphincter')),
  cut_fraction REAL NOT NULL CHECK (cut_fraction >= 0 AND cut_fraction <= 1),
  answered_at TEXT NOT NULL,
  expert_grade INTEGER CHECK (expert_grade IS NULL OR expert_grade BETWEEN 0 AND 4),
  expert_pattern TEXT,
  expert_decision TEXT CHECK (expert_decision IS NULL OR expert_decision IN ('cut','spare','partial','spare-sphincter')),
  expert_cut_fraction REAL,
  expert_decision_id INTEGER REFERENCES decisions (id),
  auto_grade INTEGER CHECK (auto_grade IS NULL OR auto_grade BETWEEN 0 AND 4),
  auto_pattern TEXT,
  auto_suggestion TEXT CHECK (auto_suggestion IS NULL OR auto_suggestion IN ('cut','spare','review')),
  PRIMARY KEY (attempt_id, stimulation_id)
) WITHOUT ROWID;
${appendOnly('trainees')}
${appendOnly('training_attempts')}
${appendOnly('training_answers')}
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'clinical record: cases, montages, sessions, roots, rootlets, stimulations, grades, thresholds, decisions, audit', sql: V1_CLINICAL_RECORD },
  { version: 2, name: 'raw EMG chunks, gaps and session events', sql: V2_RAW_EMG_AND_EVENTS },
  { version: 3, name: 'training mode: trainees, attempts and answers (append-only)', sql: V3_TRAINING },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration above the database's version, up to `target` (default: latest). Each runs in
 * an IMMEDIATE transaction with its version bump.
 */
export function migrate(db: Database.Database, target: number = LATEST_SCHEMA_VERSION): number {
  for (const m of MIGRATIONS) {
    if (m.version > target) break;
    const apply = db.transaction(() => {
      // re-read inside the write lock: another process may have migrated meanwhile
      if (schemaVersion(db) >= m.version) return;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    });
    apply.immediate();
  }
  return schemaVersion(db);
}
