import { randomInt } from 'node:crypto';
import { DEFAULT_MONTAGE, DomainError, LEVELS, type CaseRecord, type Montage, type StimulationTarget } from '../../domain';
import type { CaseStore, SessionRecord } from '../../storage';

/** A refused export or import: one line naming what is wrong (the CLI prints it, exit 2). */
export class InterchangeError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'InterchangeError';
  }
}

export function requireCase(store: CaseStore, caseIdOrPrefix: string): CaseRecord {
  try {
    return store.cases.resolve(caseIdOrPrefix);
  } catch (e) {
    throw new InterchangeError('unknown-case', e instanceof Error ? e.message : String(e));
  }
}

/**
 * The session to export: the one asked for (it must belong to the case), else the latest session of
 * the case that holds raw EMG.
 */
export function pickSession(store: CaseStore, caseId: string, sessionId?: number | null): SessionRecord {
  const sessions = store.sessions.forCaseId(caseId);
  if (sessionId !== undefined && sessionId !== null) {
    const s = sessions.find((x) => x.id === sessionId);
    if (!s) {
      throw new InterchangeError('unknown-session', `case ${caseId} has no session ${sessionId} (its sessions: ${sessions.map((x) => x.id).join(', ') || 'none'})`);
    }
    return s;
  }
  const withRaw = sessions.filter((s) => store.raw.extentOf(s.id).chunkCount > 0);
  const last = withRaw[withRaw.length - 1];
  if (!last) throw new InterchangeError('no-session', `case ${caseId} has no recorded session with raw EMG to export`);
  return last;
}

/**
 * The montage a session was recorded with. A session without a montage id was recorded while the case
 * had none, so the app used the default montage (sdr-app currentMontage); the same applies here.
 */
export function sessionMontage(store: CaseStore, session: SessionRecord): Montage {
  if (session.montageId === null) return DEFAULT_MONTAGE;
  const m = store.montages.get(session.montageId);
  if (!m) throw new InterchangeError('unknown-montage', `session ${session.id} refers to montage ${session.montageId}, which is missing`);
  return m.montage;
}

/** `root=L4 side=R rootlet=3` (rootlet=0 plus kind=ventral for a ventral root), as in stim annotations. */
export function targetFields(t: StimulationTarget | null): string {
  if (t === null) return 'target=unknown';
  const base = `root=${t.level} side=${t.side} rootlet=${t.rootlet ?? 0}`;
  return t.kind === 'ventral' ? `${base} kind=ventral` : base;
}

/** Free text made safe for one annotation key: whitespace runs become '_', TAL delimiters dropped, bounded. */
export function annotationWord(text: string, max = 120): string {
  // control characters (TAL delimiters among them) become spaces, then every whitespace run one '_'
  const s = Array.from(text, (ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? ' ' : ch)).join('').trim().replace(/\s+/g, '_');
  return s.length > max ? s.slice(0, max) : s;
}

export function levelOrder(level: string): number {
  return (LEVELS as readonly string[]).indexOf(level);
}

/**
 * De-identification for training exports. The training code is random; the date shift is a random
 * whole number of days (so times of day and all intervals stay true) drawn once per export and kept
 * nowhere, so shifted dates cannot be mapped back. Clinician names become `clinician-<n>` in order of
 * first appearance (the mapping lives only in memory during the export).
 */
export interface Deidentifier {
  readonly trainingCode: string;
  shiftDate(d: Date): Date;
  shiftIso(iso: string): string;
  person(name: string): string;
}

/** Bounds of the shift: at least a month, at most about 10 years, either direction. */
const MIN_SHIFT_DAYS = 30;
const MAX_SHIFT_DAYS = 3650;
const DAY_MS = 86_400_000;

/**
 * @param reference a date of the case (its creation): the direction of the shift is chosen so that it
 *   stays inside the years an EDF header can hold (1985..2084).
 */
export function createDeidentifier(reference: Date, random: (maxExclusive: number) => number = (n) => randomInt(n)): Deidentifier {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no look-alikes (I/1, O/0)
  let code = 'TR-';
  for (let i = 0; i < 8; i++) code += alphabet[random(alphabet.length)]!;
  const days = MIN_SHIFT_DAYS + random(MAX_SHIFT_DAYS - MIN_SHIFT_DAYS + 1);
  let shiftMs = (random(2) === 0 ? -1 : 1) * days * DAY_MS;
  const year = new Date(reference.getTime() + shiftMs).getFullYear();
  if (year < 1986 || year > 2083) shiftMs = -shiftMs;
  const people = new Map<string, string>();
  return {
    trainingCode: code,
    shiftDate(d: Date): Date {
      return new Date(d.getTime() + shiftMs);
    },
    shiftIso(iso: string): string {
      const t = Date.parse(iso);
      if (Number.isNaN(t)) return '';
      return this.shiftDate(new Date(t)).toISOString();
    },
    person(name: string): string {
      const key = name.trim().toLowerCase();
      let p = people.get(key);
      if (!p) {
        p = `clinician-${people.size + 1}`;
        people.set(key, p);
      }
      return p;
    },
  };
}
