import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { rootletTableCsv } from '../../formats';
import type { CaseStore } from '../../storage';
import { GRADER_VERSION } from '../sdr-app';
import { createDeidentifier, InterchangeError, pickSession, requireCase, type Deidentifier } from './common';
import { exportSessionEdf, type EdfExportSummary } from './export-edf';
import { rootletTableRows } from './rootlet-table';

export interface TrainingExportOptions {
  readonly caseId: string;
  /** One session; default every session of the case that holds raw EMG. */
  readonly sessionId?: number | null;
  readonly outDir: string;
  readonly physicalRangeUv?: number;
  /** Source of randomness (tests pass a seeded one); default crypto.randomInt. */
  readonly random?: (maxExclusive: number) => number;
}

/** One exported session of a training set, as listed in training.json. */
export type TrainingSessionEntry = Pick<EdfExportSummary,
  'file' | 'montageFile' | 'channels' | 'sampleRateHz' | 'durationS' | 'stimulations' | 'grades' | 'decisions' | 'gaps'>;

/** training.json: what a teaching set needs, and nothing that leads back to the patient. */
export interface TrainingManifest {
  readonly format: 'sdrlog-training';
  readonly version: 1;
  readonly trainingCode: string;
  readonly ageYears: number;
  readonly cutPlan: Readonly<Record<string, unknown>>;
  readonly graderVersion: string;
  readonly rootletTable: string;
  readonly sessions: readonly TrainingSessionEntry[];
  readonly deidentification: string;
}

export interface TrainingExportSummary {
  readonly dir: string;
  readonly trainingCode: string;
  readonly files: readonly string[];
  readonly manifest: TrainingManifest;
  readonly warnings: readonly string[];
}

const DEIDENTIFICATION_NOTE = 'patient id, case and session ids, names and free text removed; clinicians numbered; '
  + 'all dates shifted by one random offset that was not recorded; EDF patient and recording fields X X X X';

function emptyOrMissing(dir: string): boolean {
  if (!existsSync(dir)) return true;
  if (!statSync(dir).isDirectory()) throw new InterchangeError('bad-output', `${dir} exists and is not a folder`);
  return readdirSync(dir).length === 0;
}

/**
 * A de-identified teaching export of a case in a folder: `session-<n>.edf` per session (anonymised
 * header, shifted start, `decision` annotations with numbered clinicians and shifted times, no free
 * text), `rootlets.csv` (decided_by numbered, decided_at shifted, no comments) and `training.json`.
 * No patient id, case id, names or notes are written; the random date shift and the training code are
 * not stored anywhere, so the export cannot be linked back through sdrlog either. Written into a
 * temporary folder first and moved into place, so a failure leaves nothing half-written.
 */
export function exportTraining(store: CaseStore, options: TrainingExportOptions): TrainingExportSummary {
  const c = requireCase(store, options.caseId);
  if (!emptyOrMissing(options.outDir)) throw new InterchangeError('bad-output', `${options.outDir} is not empty: give a new or empty folder for a training export`);
  const sessions = options.sessionId !== undefined && options.sessionId !== null
    ? [pickSession(store, c.id, options.sessionId)]
    : store.sessions.forCaseId(c.id).filter((s) => store.raw.extentOf(s.id).chunkCount > 0);
  if (sessions.length === 0) throw new InterchangeError('no-session', `case ${c.id} has no recorded session with raw EMG to export`);
  const deid: Deidentifier = createDeidentifier(new Date(c.createdAt), options.random);
  const parent = path.dirname(path.resolve(options.outDir));
  mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.sdrlog-training-${randomBytes(6).toString('hex')}`);
  mkdirSync(tmp);
  try {
    const entries: TrainingSessionEntry[] = [];
    const warnings: string[] = [];
    const files: string[] = [];
    sessions.forEach((s, i) => {
      const file = `session-${i + 1}.edf`;
      const r = exportSessionEdf(store, {
        caseId: c.id, sessionId: s.id, out: path.join(tmp, file), deidentify: deid,
        ...(options.physicalRangeUv !== undefined ? { physicalRangeUv: options.physicalRangeUv } : {}),
      });
      const montageFile = r.montageFile ? path.basename(r.montageFile) : null;
      files.push(file, ...(montageFile ? [montageFile] : []));
      warnings.push(...r.warnings.map((w) => `${file}: ${w}`));
      entries.push({
        file, montageFile, channels: r.channels, sampleRateHz: r.sampleRateHz, durationS: r.durationS,
        stimulations: r.stimulations, grades: r.grades, decisions: r.decisions, gaps: r.gaps,
      });
    });
    const oneSession = sessions.length === 1 ? sessions[0]!.id : null;
    writeFileSync(path.join(tmp, 'rootlets.csv'), rootletTableCsv(rootletTableRows(store, { caseId: c.id, sessionId: oneSession, deidentify: deid })));
    const manifest: TrainingManifest = {
      format: 'sdrlog-training', version: 1, trainingCode: deid.trainingCode, ageYears: c.ageYears,
      cutPlan: c.cutPlan as Record<string, unknown>, graderVersion: GRADER_VERSION, rootletTable: 'rootlets.csv',
      sessions: entries, deidentification: DEIDENTIFICATION_NOTE,
    };
    writeFileSync(path.join(tmp, 'training.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    files.push('rootlets.csv', 'training.json');
    if (existsSync(options.outDir)) rmdirSync(options.outDir); // empty, checked above
    renameSync(tmp, options.outDir);
    return { dir: options.outDir, trainingCode: deid.trainingCode, files, manifest, warnings };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
