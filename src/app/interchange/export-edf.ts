import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import {
  defaultRoots, makeSampleBlock, type Montage, type SampleGap, type StimulationEvent,
} from '../../domain';
import { EdfWriter, fileSink, formatDecimal, montageFileFor, type ByteSink, type EdfAnnotation } from '../../formats';
import type { CaseStore, SessionRecord } from '../../storage';
import {
  annotationWord, InterchangeError, pickSession, requireCase, sessionMontage, targetFields, type Deidentifier,
} from './common';

export interface EdfExportOptions {
  readonly caseId: string;
  /** Session to export; default the latest session of the case with raw EMG. */
  readonly sessionId?: number | null;
  /** Output file. Written as `<out>.part` and renamed at the end, so a failed export leaves no file. */
  readonly out: string;
  /** Physical range +-uV of the EMG signals (EdfWriter default 10000: 0.305 uV per step). */
  readonly physicalRangeUv?: number;
  /** Training export: anonymised header, shifted times, no names, no free text. */
  readonly deidentify?: Deidentifier | null;
}

export interface EdfExportSummary {
  readonly caseId: string;
  readonly sessionId: number;
  readonly file: string;
  /** Montage file written next to the EDF when the montage's roots differ from the default ones. */
  readonly montageFile: string | null;
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly durationS: number;
  readonly stimulations: number;
  readonly grades: number;
  readonly decisions: number;
  readonly gaps: number;
  readonly gapSamples: number;
  /** Samples beyond the physical range, clipped (stimulus artifacts, usually: they are blanked in grading). */
  readonly clippedSamples: number;
  readonly annotations: number;
  readonly dataRecords: number;
  readonly bytes: number;
  readonly warnings: readonly string[];
}

/** Samples read from the store per step: one second bounds memory whatever the session length. */
const WINDOW_S = 1;
/** EDF header: the recording identification field (EDF+ 2.1.3.2) sits at bytes 88..168. */
const RECORDING_FIELD = { offset: 88, length: 80 } as const;

interface QueuedAnnotation extends EdfAnnotation {
  /** Stimulation annotations go through EdfWriter.addStimulation (the canonical text). */
  readonly stim?: StimulationEvent;
}

/**
 * A sink that blanks the EDF+ recording identification to `Startdate X X X X` (unknown date, code,
 * technician, equipment) as the header passes through: EdfWriter always writes the real start date
 * there, and a training file must not carry it. The header's own start date field is shifted instead.
 */
function anonymisingSink(inner: ByteSink): ByteSink {
  let first = true;
  return {
    append(bytes) {
      if (first) {
        first = false;
        const copy = bytes.slice();
        const field = 'Startdate X X X X'.padEnd(RECORDING_FIELD.length, ' ');
        for (let i = 0; i < RECORDING_FIELD.length; i++) copy[RECORDING_FIELD.offset + i] = field.charCodeAt(i);
        inner.append(copy);
        return;
      }
      inner.append(bytes);
    },
    patch: (offset, bytes) => inner.patch(offset, bytes),
    flush: () => inner.flush(),
    close: () => inner.close(),
  };
}

function hasDefaultRoots(m: Montage): boolean {
  return m.channels.every((c) => {
    const d = defaultRoots(c.muscle);
    return d.length === c.roots.length && d.every((r, i) => c.roots[i] === r);
  });
}

/**
 * The annotations of a session other than the samples: stimulations (canonical `stim ...` text), the
 * latest grade of every graded train, the decisions on every rootlet stimulated in the session (with
 * their corrections), and session events that have a sample index. Onsets in seconds from the first
 * exported sample.
 */
function sessionAnnotations(
  store: CaseStore, session: SessionRecord, originSample: number, durationS: number, deid: Deidentifier | null, warnings: string[],
): { list: QueuedAnnotation[]; stimulations: number; grades: number; decisions: number } {
  const fs = session.sampleRateHz;
  const list: QueuedAnnotation[] = [];
  let grades = 0;
  let stimulations = 0;
  let before = 0;
  const rootletIds = new Set<number>();
  for (const s of store.stimulations.forSession(session.id)) {
    if (s.onsetSample < originSample) {
      before++;
      continue;
    }
    const onsetS = (s.onsetSample - originSample) / fs;
    list.push({ onsetS, durationS: s.stimulation.durationS, text: '', stim: { sampleIndex: s.onsetSample - originSample, stimulation: s.stimulation } });
    stimulations++;
    if (s.rootletId !== null) rootletIds.add(s.rootletId);
    const g = store.grades.latestForStimulation(s.id);
    if (g) {
      const responding = g.responding.map((r) => r.replace(/\s+/g, '_')).join(',');
      list.push({
        onsetS, durationS: null,
        text: `grade ${targetFields(s.stimulation.target)} grade=${g.grade} pattern=${g.pattern} suggest=${g.suggestion} responding=${responding || 'none'} ma=${formatDecimal(s.stimulation.intensityMa, 4)}`,
      });
      grades++;
    }
  }
  if (before > 0) warnings.push(`${before} stimulations before the first stored sample were left out`);

  // Decisions are placed at their wall-clock time relative to the session start, inside the recording.
  const startedMs = Date.parse(session.startedAt);
  let decisions = 0;
  for (const rootletId of rootletIds) {
    const rootlet = store.rootlets.get(rootletId);
    if (!rootlet) continue;
    for (const d of store.decisions.history(rootletId)) {
      const atMs = Date.parse(d.decision.decidedAt);
      const onsetS = Math.min(durationS, Math.max(0, (atMs - startedMs) / 1000));
      const by = deid ? deid.person(d.decision.decidedBy) : annotationWord(d.decision.decidedBy, 60);
      const at = deid ? deid.shiftIso(d.decision.decidedAt) : d.decision.decidedAt;
      let text = `decision root=${rootlet.level} side=${rootlet.side} rootlet=${rootlet.index} kind=${d.decision.kind} fraction=${formatDecimal(d.decision.cutFraction, 4)} by=${by} at=${at}`;
      if (d.correctsId !== null) text += ' correction=yes';
      if (!deid && d.decision.reason) text += ` reason=${annotationWord(d.decision.reason)}`;
      list.push({ onsetS: Number.isFinite(onsetS) ? onsetS : 0, durationS: null, text });
      decisions++;
    }
  }

  for (const e of store.events.forSession(session.id)) {
    if (e.sampleIndex === null || e.sampleIndex < originSample) continue;
    // Training files keep only electrode state changes: other events carry free text (notes, alarms).
    if (deid && e.kind !== 'electrode-off' && e.kind !== 'electrode-on') continue;
    let text = `event kind=${e.kind}`;
    if (e.channel !== null) text += ` channel=${e.channel}`;
    if (!deid && e.message) text += ` message=${annotationWord(e.message)}`;
    list.push({ onsetS: (e.sampleIndex - originSample) / fs, durationS: null, text });
  }
  list.sort((a, b) => a.onsetS - b.onsetS);
  return { list, stimulations, grades, decisions };
}

/**
 * Exports one recorded session of a case as an EDF+C file (architecture.md, interchange conventions):
 * the raw EMG read back from the store's chunks, one `EMG <side> <muscle>` signal per montage channel,
 * every stimulation as a `stim ...` annotation, grades and decisions as `grade ...` / `decision ...`
 * annotations, gaps as zeros plus a `gap samples=<n> reason=<r>` annotation (EdfWriter.writeGap), never
 * spliced. Time 0 of the file is the session's first stored sample.
 */
export function exportSessionEdf(store: CaseStore, options: EdfExportOptions): EdfExportSummary {
  const c = requireCase(store, options.caseId);
  const session = pickSession(store, c.id, options.sessionId);
  const montage = sessionMontage(store, session);
  const deid = options.deidentify ?? null;
  const m = montage.channels.length;
  if (m > session.channelCount) {
    throw new InterchangeError('montage-mismatch', `session ${session.id} records ${session.channelCount} channels but its montage has ${m}`);
  }
  const extent = store.raw.extentOf(session.id);
  if (extent.firstSample === null || extent.endSample === null) {
    throw new InterchangeError('no-raw', `session ${session.id} holds no raw EMG to export`);
  }
  const origin = extent.firstSample;
  const end = extent.endSample;
  const fs = session.sampleRateHz;
  const durationS = (end - origin) / fs;
  const warnings: string[] = [];
  if (session.channelCount > m) warnings.push(`${session.channelCount - m} recorded channels outside the montage were not exported`);
  const ann = sessionAnnotations(store, session, origin, durationS, deid, warnings);

  const part = `${options.out}.part`;
  const startedAt = new Date(session.startedAt);
  const sink = deid ? anonymisingSink(fileSink(part)) : fileSink(part);
  let writer: EdfWriter | null = null;
  try {
    writer = new EdfWriter(sink, {
      montage, sampleRateHz: fs,
      start: deid ? deid.shiftDate(startedAt) : startedAt,
      patientCode: deid ? null : c.patientId,
      recordingCode: deid ? null : `session-${session.id}`,
      equipment: deid ? undefined : `sdrlog_${session.source}`,
      ...(options.physicalRangeUv !== undefined ? { physicalRangeUv: options.physicalRangeUv } : {}),
    });
    const w = writer;
    let next = 0; // next annotation to hand to the writer
    const queueUntil = (onsetS: number): void => {
      while (next < ann.list.length && ann.list[next]!.onsetS < onsetS) {
        const a = ann.list[next++]!;
        if (a.stim) w.addStimulation(a.stim);
        else w.addAnnotation({ onsetS: a.onsetS, durationS: a.durationS, text: a.text });
      }
    };
    // A gap waiting to be written: gaps cut by the read window, or listed twice, merge into one annotation.
    const pending: { gap: SampleGap | null } = { gap: null };
    let gaps = 0;
    let gapSamples = 0;
    const flushGap = (): void => {
      if (!pending.gap) return;
      w.writeGap(pending.gap);
      gaps++;
      gapSamples += pending.gap.lengthSamples;
      pending.gap = null;
    };
    const window = Math.max(1, Math.round(WINDOW_S * fs));
    for (let from = origin; from < end; from += window) {
      const to = Math.min(end, from + window);
      queueUntil((to - origin) / fs);
      const range = store.raw.read(session.id, from, to);
      const n = range.samplesPerChannel;
      let cursor = from;
      const writeData = (a: number, b: number): void => {
        if (b <= a) return;
        flushGap();
        const len = b - a;
        const data = new Float32Array(m * len);
        for (let ch = 0; ch < m; ch++) data.set(range.data.subarray(ch * n + (a - from), ch * n + (b - from)), ch * len);
        w.writeBlock(makeSampleBlock(a - origin, fs, m, data));
      };
      for (const g of range.gaps) {
        writeData(cursor, g.startSample);
        const p = pending.gap;
        if (p !== null && p.startSample + p.lengthSamples === g.startSample - origin && p.reason === g.reason) {
          pending.gap = { ...p, lengthSamples: p.lengthSamples + g.lengthSamples };
        } else {
          flushGap();
          pending.gap = { startSample: g.startSample - origin, lengthSamples: g.lengthSamples, reason: g.reason };
        }
        cursor = g.startSample + g.lengthSamples;
      }
      writeData(cursor, to);
    }
    flushGap();
    queueUntil(Infinity);
    const summary = w.close();
    writer = null;
    renameSync(part, options.out);
    let montageFile: string | null = null;
    if (!hasDefaultRoots(montage)) {
      // The EDF labels carry side and muscle only; roots edited for this case travel in a montage file.
      montageFile = `${options.out.replace(/\.edf$/i, '')}.montage.json`;
      writeFileSync(montageFile, `${JSON.stringify(montageFileFor(montage), null, 2)}\n`);
    }
    if (summary.clippedSamples > 0) {
      warnings.push(`${summary.clippedSamples} samples beyond +-${options.physicalRangeUv ?? 10000} uV were clipped (stimulus artifacts are blanked by the grader)`);
    }
    return {
      caseId: c.id, sessionId: session.id, file: options.out, montageFile, channels: m, sampleRateHz: fs, durationS,
      stimulations: ann.stimulations, grades: ann.grades, decisions: ann.decisions, gaps, gapSamples,
      clippedSamples: summary.clippedSamples, annotations: summary.annotations, dataRecords: summary.dataRecords, bytes: summary.bytes,
      warnings,
    };
  } catch (e) {
    try {
      sink.close();
    } catch {
      // already closed or never opened: the part file is removed below either way
    }
    if (existsSync(part)) rmSync(part, { force: true });
    throw e;
  }
}

