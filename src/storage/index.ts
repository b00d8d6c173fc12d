// Public API of the storage layer. Hosts use openCaseStore; nothing outside src/storage sees SQL.
export { openCaseStore, type CaseStore, type CaseStoreOptions } from './store';
export { StorageError } from './errors';
export { defaultDatabasePath } from './paths';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';
export { GENESIS_HASH, auditEntryHash, type AuditEntry, type ChainBreak } from './audit';
export type { MontageRecord } from './cases';
/** Re-exported for callers that take records straight from the store. */
export type { CaseRecord } from '../domain';
export {
  SESSION_SOURCES, SESSION_EVENT_KINDS, type SessionSource, type SessionRecord, type RootRecord, type RootletRecord,
  type StimulationRecord, type GradeRecord, type ThresholdRecord, type SessionEventKind, type SessionEventRecord,
} from './clinical';
export type { DecisionRecord, CurrentDecision, RecordDecisionInput } from './decisions';
export { RawWriter, RAW_ENCODING_INT16_SCALED, type RawRange, type RawExtent, type RawWriterOptions } from './raw';
export { verifyDatabase, parseAuditHead, type VerifyReport, type VerifyCheck, type VerifyOptions } from './verify';
export { canonicalJson, sha256Hex } from './canonical';
export { HOT_QUERIES } from './hot-queries';
export {
  TrainingRepository, normaliseTraineeName, type TraineeRecord, type TrainingAnswerRecord, type TrainingAttemptRecord, type TrainingScores,
  type RecordAttemptInput,
} from './training';
