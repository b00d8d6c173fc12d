import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import {
  DomainError, makeSampleBlock, type Montage, type SampleBlock, type SampleGap, type SpreadGrade, type Suggestion,
} from '../../domain';
import { openEdfSession, readMontageFile, type EdfSession, type MontageFile } from '../../formats';
import { detectMains } from '../../grading/mains';
import { gradeRecording, type MainsOption } from '../../grading/offline';
import { SUGGESTION_PRESETS } from '../../grading/suggestion';
import type { CaseStore, RawWriter } from '../../storage';
import { GRADER_VERSION, toWireGrade } from '../sdr-app';
import { InterchangeError, requireCase } from './common';

export interface EdfImportOptions {
  readonly file: string;
  readonly caseId: string;
  /** Montage file mapping the file's labels; else labels must read `EMG <side> <muscle>`. */
  readonly montageFile?: string | MontageFile | null;
  /** Suggestion rules preset (src/grading SUGGESTION_PRESETS); default phillips-park, as live. */
  readonly rules?: string;
  /**
   * Mains notch for grading. Default 'off': live acquisition grades without a notch, and an import
   * must grade exactly like it. Files from other systems with hum can ask for 'auto', 50 or 60.
   */
  readonly mains?: MainsOption;
  /** Import files whose reading produced data-loss warnings (truncation, damaged annotations). */
  readonly lenient?: boolean;
  readonly actor?: string;
}

export interface EdfImportSummary {
  readonly caseId: string;
  readonly sessionId: number;
  readonly file: string;
  readonly montageId: number;
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly durationS: number;
  readonly storedSamples: number;
  readonly gaps: number;
  readonly gapSamples: number;
  readonly stimulations: number;
  readonly trains: number;
  readonly graded: number;
  readonly thresholds: number;
  /** Graded trains per spread grade 0..4. */
  readonly gradeHistogram: Readonly<Record<SpreadGrade, number>>;
  readonly suggestions: Readonly<Record<Suggestion, number>>;
  readonly mainsHz: 50 | 60 | null;
  /** Reading warnings (kept as session notes) and trains not graded. */
  readonly warnings: readonly string[];
}

/**
 * Reader warnings that mean data was lost or the file is damaged: an import refuses them (unless
 * lenient), because a session stored from such a file would silently miss data. Other warnings (plain
 * EDF without annotations, unknown keys in a stim annotation) are kept as notes.
 */
const DATA_LOSS_WARNINGS: readonly RegExp[] = [
  /file truncated/, /recording not finalised/, /last data record incomplete/, /bytes after the last data record/,
  /rest of the record's annotations ignored/, /not terminated by a zero byte/, /time-keeping/,
  /^stimulation annotation .* ignored:/, /off the continuous timeline/,
];

/** `gap samples=<n> reason=<r>`: the marker EdfWriter.writeGap puts over zero-filled missing data. */
const GAP_MARKER = /^gap samples=(\d+) reason=(sequence-gap|disconnected|overflow|unknown)$/;

function sameMontage(a: Montage, b: Montage): boolean {
  return a.channels.length === b.channels.length && a.channels.every((c, i) => {
    const d = b.channels[i]!;
    return c.side === d.side && c.muscle === d.muscle && c.roots.length === d.roots.length && c.roots.every((r, k) => d.roots[k] === r);
  });
}

/**
 * Missing stretches of the file: EDF+D holes (the reader's gaps) and gap markers written over zeros by
 * sdrlog's own exports, so a re-imported session has its gaps where the original had them rather than
 * stretches of 0 uV. Sorted, non-overlapping.
 */
function fileGaps(session: EdfSession, endSample: number): SampleGap[] {
  const all: SampleGap[] = [...session.gaps];
  for (const a of session.annotations) {
    const m = GAP_MARKER.exec(a.text.trim());
    if (!m) continue;
    const start = Math.round(a.onsetS * session.sampleRateHz);
    const len = Math.min(Number(m[1]), endSample - start);
    if (start >= 0 && len > 0) all.push({ startSample: start, lengthSamples: len, reason: m[2] as SampleGap['reason'] });
  }
  all.sort((a, b) => a.startSample - b.startSample);
  const out: SampleGap[] = [];
  for (const g of all) {
    const prev = out[out.length - 1];
    const prevEnd = prev ? prev.startSample + prev.lengthSamples : -1;
    if (prev && g.startSample < prevEnd) {
      const end = Math.max(prevEnd, g.startSample + g.lengthSamples);
      out[out.length - 1] = { ...prev, lengthSamples: end - prev.startSample };
    } else {
      out.push(g);
    }
  }
  return out;
}

/**
 * Where the recorded data ends: EdfWriter completes the last data record with zeros and marks the true
 * end with a `recording end` annotation; those padding zeros are not data and are not imported.
 */
function dataEnd(session: EdfSession): number {
  const total = Math.round(session.durationS * session.sampleRateHz);
  const spr = Math.round(session.header.recordDurationS * session.sampleRateHz);
  for (const a of session.annotations) {
    if (a.text.trim() !== 'recording end') continue;
    const at = Math.round(a.onsetS * session.sampleRateHz);
    if (at > 0 && at <= total && total - at < spr) return at;
  }
  return total;
}

/**
 * Blocks of the file with the gaps cut out and the padding dropped; each piece is written to the raw
 * store as it passes (gaps too), so the file is streamed once for storage and grading together.
 */
function* storedBlocks(source: Iterable<SampleBlock>, gaps: readonly SampleGap[], end: number, raw: RawWriter, counts: { samples: number }): Generator<SampleBlock> {
  let gi = 0;
  let cursor = 0;
  const emit = (b: SampleBlock, from: number, to: number): SampleBlock | null => {
    if (to <= from) return null;
    const n = b.samplesPerChannel;
    const len = to - from;
    let data: Float32Array;
    if (from === b.startSample && len === n) {
      data = b.data;
    } else {
      data = new Float32Array(b.channelCount * len);
      for (let c = 0; c < b.channelCount; c++) data.set(b.data.subarray(c * n + (from - b.startSample), c * n + (to - b.startSample)), c * len);
    }
    const piece = makeSampleBlock(from, b.sampleRateHz, b.channelCount, data);
    raw.append(piece);
    counts.samples += len;
    return piece;
  };
  for (const b of source) {
    const bEnd = Math.min(end, b.startSample + b.samplesPerChannel);
    cursor = Math.max(cursor, b.startSample);
    while (gi < gaps.length && gaps[gi]!.startSample < bEnd) {
      const g = gaps[gi++]!;
      if (g.startSample > cursor) {
        const p = emit(b, cursor, g.startSample);
        if (p) yield p;
      }
      raw.appendGap(g);
      cursor = Math.max(cursor, g.startSample + g.lengthSamples);
    }
    if (cursor < bEnd) {
      const p = emit(b, cursor, bEnd);
      if (p) yield p;
      cursor = bEnd;
    }
  }
  // gaps after the last block (a trailing gap marker) are recorded too
  while (gi < gaps.length && gaps[gi]!.startSample < end) raw.appendGap(gaps[gi++]!);
}

/** Seconds of signal looked at to detect mains hum (as gradeRecording's 'auto' does). */
const MAINS_DETECT_S = 5;

/**
 * 'auto' decided up front from the file's first seconds, so grading can stream: gradeRecording's own
 * 'auto' holds the whole recording in memory, which a multi-hour import cannot afford.
 */
function resolveMains(session: EdfSession, mains: MainsOption): MainsOption {
  if (mains !== 'auto') return mains;
  const want = Math.round(MAINS_DETECT_S * session.sampleRateHz);
  const channels = session.montage.channels.map(() => new Float32Array(want));
  let at = 0;
  for (const b of session.blocks()) {
    const take = Math.min(b.samplesPerChannel, want - at);
    channels.forEach((x, c) => x.set(b.data.subarray(c * b.samplesPerChannel, c * b.samplesPerChannel + take), at));
    at += take;
    if (at >= want) break;
  }
  return detectMains(channels.map((x) => x.subarray(0, at)), session.sampleRateHz).mainsHz ?? 'off';
}

/**
 * Imports an EDF/EDF+ recording as a new session (source 'import') of a case: raw EMG as chunks, gaps,
 * every stimulation with its target from the `stim` annotations, then grades it with the same offline
 * grader and settings as live acquisition (src/grading gradeRecording) and stores the grades and
 * thresholds, so the session replays and re-grades like a live one.
 *
 * All or nothing: everything is written in one IMMEDIATE transaction (the raw writer's own
 * transactions nest inside it as savepoints), so a file that turns out to be malformed halfway leaves
 * the database exactly as it was. Other writers wait for the import to finish (busy timeout); do not
 * import into a database that is recording a live case.
 */
export function importEdf(store: CaseStore, options: EdfImportOptions): EdfImportSummary {
  if (!existsSync(options.file)) throw new InterchangeError('no-file', `no such file: ${options.file}`);
  const c = requireCase(store, options.caseId);
  const rules = SUGGESTION_PRESETS[options.rules ?? 'phillips-park'];
  if (!rules) throw new InterchangeError('unknown-rules', `unknown rule preset '${options.rules}' (known: ${Object.keys(SUGGESTION_PRESETS).join(', ')})`);
  const montageFile = typeof options.montageFile === 'string' ? readMontageFile(options.montageFile) : (options.montageFile ?? null);
  const name = basename(options.file);
  let session: EdfSession;
  try {
    session = openEdfSession(options.file, { montageFile });
  } catch (e) {
    if (e instanceof DomainError) throw new InterchangeError('edf-format', `cannot import ${name}: ${e.message.replace(`${options.file}: `, '')}`);
    throw e;
  }
  try {
    const lossy = session.warnings.filter((w) => DATA_LOSS_WARNINGS.some((re) => re.test(w)));
    if (lossy.length > 0 && !options.lenient) {
      throw new InterchangeError('edf-damaged', `cannot import ${name}: ${lossy[0]}${lossy.length > 1 ? ` (and ${lossy.length - 1} more problems)` : ''}; nothing was imported`);
    }
    const fs = session.sampleRateHz;
    const montage = session.montage;
    const end = dataEnd(session);
    const gaps = fileGaps(session, end);
    const actor = options.actor ?? 'sdrlog import';
    const mains = resolveMains(session, options.mains ?? 'off');

    return store.transaction((): EdfImportSummary => {
      // The session needs a montage row. Reuse the case's current one when it matches; otherwise the
      // file's montage is stored, and a case that had a different current montage gets it back as
      // the latest version, so importing never changes the montage the next live session records with.
      const current = store.montages.current(c.id);
      let montageId: number;
      if (current && sameMontage(current.montage, montage)) {
        montageId = current.id;
      } else {
        montageId = store.montages.set(c.id, montage, actor).id;
        if (current) store.montages.set(c.id, current.montage, actor);
      }
      const rec = store.sessions.start({
        caseId: c.id, source: 'import', sampleRateHz: fs, channelCount: montage.channels.length, montageId, actor,
        deviceInfo: {
          importedFrom: name, edfVariant: session.header.variant, dataRecords: session.dataRecords,
          labels: [...session.channelLabels], mains, rules: options.rules ?? 'phillips-park', graderVersion: GRADER_VERSION,
        },
      });
      const raw = store.raw.writer(rec.id, { timer: false });
      const counts = { samples: 0 };
      let result;
      try {
        for (const e of session.stimulations) store.stimulations.record(rec.id, e);
        result = gradeRecording(
          { sampleRateHz: fs, channelCount: montage.channels.length, blocks: storedBlocks(session.blocks(), gaps, end, raw, counts), events: session.stimulations, gaps },
          { montage, rules, mains },
        );
      } finally {
        raw.close(); // flushes inside the transaction: rolled back with everything else on failure
      }

      const stims = store.stimulations.forSession(rec.id);
      const bySample = new Map<number, number[]>();
      for (const s of stims) if (s.stimulation.mode === 'train') bySample.set(s.onsetSample, [...(bySample.get(s.onsetSample) ?? []), s.id]);
      const histogram: Record<SpreadGrade, number> = { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 };
      const suggestions: Record<Suggestion, number> = { cut: 0, spare: 0, review: 0 };
      let graded = 0;
      for (const t of result.trains) {
        const ids = bySample.get(t.onsetSample);
        const id = ids?.shift();
        if (id === undefined) throw new InterchangeError('import-internal', `a grade for sample ${t.onsetSample} has no stored train`);
        store.grades.record(id, toWireGrade(t), GRADER_VERSION);
        histogram[t.grade]++;
        suggestions[t.suggestion]++;
        graded++;
      }
      let thresholds = 0;
      for (const t of result.thresholds) {
        if (t.thresholdMa === null) continue;
        store.thresholds.record(c.id, { target: t.target, thresholdMa: t.thresholdMa, perChannel: t.perChannel }, rec.id);
        if (t.target.rootlet === null) store.roots.record(c.id, { level: t.target.level, side: t.target.side, kind: t.target.kind, thresholdMa: t.thresholdMa });
        thresholds++;
      }
      const warnings = [...session.warnings];
      for (const e of result.events) if (e.type === 'skipped') warnings.push(`train at ${(e.onsetSample / fs).toFixed(3)} s not graded: ${e.reason}`);
      for (const w of warnings) store.events.record(rec.id, { kind: 'note', message: `import: ${w}` });
      store.sessions.end(rec.id, true, actor);
      const gapSamples = gaps.reduce((s, g) => s + g.lengthSamples, 0);
      return {
        caseId: c.id, sessionId: rec.id, file: options.file, montageId, channels: montage.channels.length, sampleRateHz: fs,
        durationS: end / fs, storedSamples: counts.samples, gaps: gaps.length, gapSamples, stimulations: stims.length,
        trains: stims.filter((s) => s.stimulation.mode === 'train').length, graded, thresholds,
        gradeHistogram: histogram, suggestions, mainsHz: result.mainsHz, warnings,
      };
    });
  } finally {
    session.close();
  }
}
