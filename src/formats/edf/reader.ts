import {
  DomainError,
  makeSampleBlock,
  unitToMicrovolts,
  type Montage,
  type SampleBlock,
  type SampleGap,
  type SignalUnit,
  type StimulationEvent,
} from '../../domain';
import { montageForLabels, readMontageFile, type MontageFile } from '../montage-file';
import { parseStimAnnotation } from '../stim-annotation';
import {
  ANNOTATION_LABEL,
  EdfFormatError,
  headerLengthFromFixedPart,
  isAnnotationSignal,
  parseEdfHeader,
  recordBytes,
  type EdfHeader,
  type EdfSignalHeader,
} from './header';
import { bytesSource, fileSource, type ByteSource } from './io';
import { parseRecordTals, type EdfAnnotation } from './tal';

export interface OpenEdfOptions {
  /** Montage file (path or parsed) mapping signal labels to muscles; else labels must be `EMG <side> <muscle>`. */
  readonly montageFile?: string | MontageFile | null;
  /** Upper bound on samples per channel in one yielded block (records are never split). Default: about 1 s. */
  readonly maxBlockSamples?: number;
  /** Name for messages when reading from bytes. */
  readonly name?: string;
}

/** A stimulation annotation read from the file, with the event it became. */
export interface EdfStimulation {
  readonly annotation: EdfAnnotation;
  readonly event: StimulationEvent;
}

/**
 * An EDF/EDF+ recording opened for grading, replay or import: the entry point of recorded sessions
 * into the flow at "sample blocks + stimulation events" (architecture.md, data flow).
 */
export interface EdfSession {
  readonly name: string;
  readonly header: EdfHeader;
  readonly montage: Montage;
  /** The EDF label of each montage channel, by montage channel index. */
  readonly channelLabels: readonly string[];
  readonly sampleRateHz: number;
  /** Duration of the complete data records, seconds (for EDF+D, up to the end of the last record). */
  readonly durationS: number;
  /** Number of complete data records that will be read. */
  readonly dataRecords: number;
  /** Stimulation events in onset order; sample indices at the EMG rate, sample 0 = first data record. */
  readonly stimulations: readonly StimulationEvent[];
  readonly stimulationAnnotations: readonly EdfStimulation[];
  /** Every other annotation (including malformed stim annotations), onset order. Ignored by grading. */
  readonly annotations: readonly EdfAnnotation[];
  /** Annotations that start like a stimulation (`stim ...`) but could not be read, with the reason; onset order. */
  readonly unreadableStimulations: readonly { readonly annotation: EdfAnnotation; readonly reason: string }[];
  /** Missing stretches between records of an EDF+D file. */
  readonly gaps: readonly SampleGap[];
  /** Problems that did not stop reading (truncation, malformed annotations, ...). */
  readonly warnings: readonly string[];
  /** Informational notes (signals ignored, unit conversion). */
  readonly notes: readonly string[];
  /**
   * Planar Float32 blocks in uV, in time order, read incrementally from the file. Each call starts
   * again from the first record.
   */
  blocks(): Generator<SampleBlock, void, undefined>;
  close(): void;
}

/** Accepted spellings of the physical dimension of an EMG signal, and their unit. */
function emgUnit(dim: string): SignalUnit | null {
  if (dim === 'uV' || dim === 'uv' || dim === 'UV') return 'uV';
  if (dim === 'mV' || dim === 'mv') return 'mV';
  if (dim === 'V' || dim === 'v') return 'V';
  return null;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Bytes read per I/O call when streaming records. */
const READ_CHUNK_BYTES = 4 << 20;

/**
 * Opens an EDF or EDF+ file (path) or bytes. Validates the header (errors name the field), reads every
 * annotation up front (one small read per record), maps labels to a montage, and returns a session
 * whose `blocks()` streams the samples.
 *
 * Decisions, documented in src/formats/README.md:
 * - A truncated file (crash while recording) is read up to its last complete record with a warning;
 *   the partial record is dropped. `number of data records` = -1 (still recording) is derived from
 *   the file size, with a warning.
 * - All EMG signals must share one sample rate; otherwise the file is rejected, naming the rates.
 * - EDF+D records are placed by their time-keeping annotation; the holes become SampleGaps.
 */
export function openEdfSession(input: string | Uint8Array, options: OpenEdfOptions = {}): EdfSession {
  const source = typeof input === 'string' ? fileSource(input) : bytesSource(input, options.name ?? '(bytes)');
  try {
    return openFromSource(source, options);
  } catch (e) {
    source.close();
    if (e instanceof DomainError) {
      // Messages name the file once.
      if (!e.message.startsWith(source.name)) throw new EdfFormatError(`${source.name}: ${e.message}`);
    }
    throw e;
  }
}

function openFromSource(source: ByteSource, options: OpenEdfOptions): EdfSession {
  const warnings: string[] = [];
  const notes: string[] = [];
  const fixed = source.read(0, 256);
  const headerLength = headerLengthFromFixedPart(fixed);
  const header = parseEdfHeader(source.read(0, headerLength));
  const bytesPerRecord = recordBytes(header);

  // Size check against the header.
  const available = Math.max(0, source.size - header.headerBytes);
  const completeInFile = Math.floor(available / bytesPerRecord);
  const partialBytes = available - completeInFile * bytesPerRecord;
  let dataRecords: number;
  if (header.dataRecords === -1) {
    dataRecords = completeInFile;
    warnings.push(`'number of data records' is -1 (recording not finalised): read the ${completeInFile} complete records present`);
    if (partialBytes > 0) warnings.push(`last data record incomplete (${partialBytes} of ${bytesPerRecord} bytes): dropped`);
  } else if (completeInFile < header.dataRecords) {
    dataRecords = completeInFile;
    warnings.push(
      `file truncated: header says ${header.dataRecords} data records but only ${completeInFile} are complete` +
        (partialBytes > 0 ? ` (${partialBytes} bytes of a partial record dropped)` : ''),
    );
  } else {
    dataRecords = header.dataRecords;
    const extra = available - dataRecords * bytesPerRecord;
    if (extra > 0) warnings.push(`${extra} bytes after the last data record ignored`);
  }
  if (dataRecords === 0) throw new EdfFormatError('no complete data record in the file');

  // Signals: EMG candidates vs annotation signals.
  const sigOffsets: number[] = [];
  let acc = 0;
  for (const s of header.signals) {
    sigOffsets.push(acc);
    acc += s.samplesPerRecord * 2;
  }
  const annotationSignals = header.signals.map((s, i) => (isAnnotationSignal(s) ? i : -1)).filter((i) => i >= 0);
  if (header.variant === 'EDF' && annotationSignals.length > 0) {
    notes.push("plain EDF file with an 'EDF Annotations' signal: annotations read as EDF+");
  }
  if (header.variant === 'EDF' && annotationSignals.length === 0) {
    warnings.push('plain EDF file (not EDF+): no annotations, so no stimulation events');
  }
  if (header.variant !== 'EDF' && annotationSignals.length === 0) {
    // Not conformant EDF+ (some converters write it); the samples are still usable.
    warnings.push(`'reserved' says ${header.variant} but no signal is labelled '${ANNOTATION_LABEL}': no annotations, so no stimulation events`);
  }

  const montageFile = typeof options.montageFile === 'string' ? readMontageFile(options.montageFile) : (options.montageFile ?? null);
  const labels = header.signals.map((s) => s.label);
  const baseName = source.name.replace(/^.*[\\/]/, '');
  const mapping = montageForLabels(labels, (i) => !isAnnotationSignal(header.signals[i]!), montageFile, `EDF ${baseName}`);
  warnings.push(...mapping.warnings);
  for (const ig of mapping.ignored) notes.push(`signal ${ig.index + 1} '${ig.label}' ignored: ${ig.reason}`);

  const emgSignals: EdfSignalHeader[] = mapping.signalIndex.map((i) => header.signals[i]!);
  const spr = emgSignals[0]!.samplesPerRecord;
  const rates = emgSignals.map((s) => s.samplesPerRecord / header.recordDurationS);
  if (emgSignals.some((s) => s.samplesPerRecord !== spr)) {
    const list = emgSignals.map((s, k) => `'${s.label}' ${formatRate(rates[k]!)} Hz`).join(', ');
    throw new EdfFormatError(`EMG signals have different sample rates (${list}); all EMG channels of a session must share one rate`);
  }
  // Header durations like 0.0005 are decimal text: snap a rate within 1 ppm of an integer to it.
  const rawRate = spr / header.recordDurationS;
  const sampleRateHz = Math.abs(rawRate - Math.round(rawRate)) <= rawRate * 1e-6 ? Math.round(rawRate) : rawRate;

  // Scaling to uV: physical = (digital - digMin) * (physMax - physMin) / (digMax - digMin) + physMin.
  const gains = new Float64Array(emgSignals.length);
  const offsets = new Float64Array(emgSignals.length);
  emgSignals.forEach((s, k) => {
    const unit = emgUnit(s.physicalDimension);
    if (unit === null) {
      throw new EdfFormatError(
        `EDF header: 'physical dimension' of signal ${mapping.signalIndex[k]! + 1} ('${s.label}') is '${s.physicalDimension}' (expected uV, mV or V for EMG)`,
      );
    }
    const toUv = unitToMicrovolts(unit);
    if (unit !== 'uV') notes.push(`signal '${s.label}' in ${unit}: converted to uV`);
    const g = (s.physicalMaximum - s.physicalMinimum) / (s.digitalMaximum - s.digitalMinimum);
    gains[k] = g * toUv;
    offsets[k] = (s.physicalMinimum - s.digitalMinimum * g) * toUv;
  });

  // Annotations: one pass over the annotation signal(s) of every record.
  const recordOnsets = new Float64Array(dataRecords);
  const allAnnotations: EdfAnnotation[] = [];
  const isPlus = header.variant !== 'EDF' || annotationSignals.length > 0;
  let onsetMismatch = 0;
  for (let r = 0; r < dataRecords; r++) {
    let onset: number | null = null;
    annotationSignals.forEach((si, k) => {
      const bytes = source.read(header.headerBytes + r * bytesPerRecord + sigOffsets[si]!, header.signals[si]!.samplesPerRecord * 2);
      const tals = parseRecordTals(bytes, `data record ${r + 1}`, k === 0);
      if (k === 0) onset = tals.recordOnsetS;
      allAnnotations.push(...tals.annotations);
      warnings.push(...tals.warnings);
    });
    const nominal = r * header.recordDurationS;
    if (onset === null) {
      recordOnsets[r] = r === 0 ? 0 : recordOnsets[r - 1]! + header.recordDurationS;
    } else {
      recordOnsets[r] = onset;
      if (header.variant !== 'EDF+D' && Math.abs(onset - (recordOnsets[0]! + nominal)) > 0.5 / sampleRateHz) onsetMismatch++;
    }
  }
  if (isPlus && onsetMismatch > 0) {
    warnings.push(`${onsetMismatch} data records of this EDF+C file have a time-keeping onset off the continuous timeline (ignored: records taken as contiguous)`);
  }

  // Sample index of each record; EDF+D may jump forward (gap) but never backward.
  const t0 = recordOnsets[0]!;
  const recordStart = new Float64Array(dataRecords);
  const gaps: SampleGap[] = [];
  for (let r = 0; r < dataRecords; r++) {
    if (header.variant !== 'EDF+D') {
      recordStart[r] = r * spr;
      continue;
    }
    const s = Math.round((recordOnsets[r]! - t0) * sampleRateHz);
    const prevEnd = r === 0 ? 0 : recordStart[r - 1]! + spr;
    if (r > 0 && s < prevEnd) {
      throw new EdfFormatError(`EDF+D data record ${r + 1} starts at ${recordOnsets[r]} s, before the previous record ends (records must be in time order)`);
    }
    if (s > prevEnd) gaps.push({ startSample: prevEnd, lengthSamples: s - prevEnd, reason: 'unknown' });
    recordStart[r] = s;
  }
  const durationS = (recordStart[dataRecords - 1]! + spr) / sampleRateHz;

  // Split annotations into stimulations and the rest.
  allAnnotations.sort((a, b) => a.onsetS - b.onsetS);
  const stimulationAnnotations: EdfStimulation[] = [];
  const annotations: EdfAnnotation[] = [];
  const unreadableStimulations: { annotation: EdfAnnotation; reason: string }[] = [];
  for (const a of allAnnotations) {
    const p = parseStimAnnotation(a.text, a.durationS);
    if (p.kind === 'not-stim') {
      annotations.push(a);
    } else if (p.kind === 'malformed') {
      warnings.push(`stimulation annotation at ${a.onsetS} s '${a.text}' ignored: ${p.reason}`);
      annotations.push(a);
      unreadableStimulations.push({ annotation: a, reason: p.reason });
    } else {
      const sampleIndex = Math.round((a.onsetS - t0) * sampleRateHz);
      if (sampleIndex < 0) {
        warnings.push(`stimulation annotation at ${a.onsetS} s '${a.text}' ignored: before the first sample`);
        annotations.push(a);
        continue;
      }
      for (const n of p.notes) warnings.push(`stimulation annotation at ${a.onsetS} s '${a.text}': ${n}`);
      stimulationAnnotations.push({ annotation: a, event: { sampleIndex, stimulation: p.stimulation } });
    }
  }

  const channelCount = emgSignals.length;
  const sigWordOffsets = mapping.signalIndex.map((i) => sigOffsets[i]! / 2);
  const recordWords = bytesPerRecord / 2;
  const maxBlockSamples = Math.max(spr, Math.floor(options.maxBlockSamples ?? Math.max(spr, Math.round(sampleRateHz))));
  const recordsPerBlock = Math.max(1, Math.floor(maxBlockSamples / spr));
  const recordsPerRead = Math.max(recordsPerBlock, Math.floor(READ_CHUNK_BYTES / bytesPerRecord / recordsPerBlock) * recordsPerBlock);
  let closed = false;

  function* blocks(): Generator<SampleBlock, void, undefined> {
    for (let first = 0; first < dataRecords; first += recordsPerRead) {
      if (closed) throw new EdfFormatError(`${source.name}: session closed`);
      const count = Math.min(recordsPerRead, dataRecords - first);
      const bytes = source.read(header.headerBytes + first * bytesPerRecord, count * bytesPerRecord);
      if (bytes.length < count * bytesPerRecord) throw new EdfFormatError(`${source.name}: file shrank while reading`);
      const words = LITTLE_ENDIAN ? new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2) : null;
      const view = words ? null : new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      let r = 0;
      while (r < count) {
        // A block: up to recordsPerBlock contiguous records.
        let n = 1;
        while (n < recordsPerBlock && r + n < count && recordStart[first + r + n]! === recordStart[first + r + n - 1]! + spr) n++;
        const len = n * spr;
        const data = new Float32Array(channelCount * len);
        for (let c = 0; c < channelCount; c++) {
          const g = gains[c]!;
          const o = offsets[c]!;
          const outBase = c * len;
          for (let k = 0; k < n; k++) {
            const inBase = (r + k) * recordWords + sigWordOffsets[c]!;
            const out = outBase + k * spr;
            if (words) {
              for (let i = 0; i < spr; i++) data[out + i] = words[inBase + i]! * g + o;
            } else {
              for (let i = 0; i < spr; i++) data[out + i] = view!.getInt16((inBase + i) * 2, true) * g + o;
            }
          }
        }
        yield makeSampleBlock(recordStart[first + r]!, sampleRateHz, channelCount, data);
        r += n;
      }
    }
  }

  return {
    name: source.name,
    header,
    montage: mapping.montage,
    channelLabels: emgSignals.map((s) => s.label),
    sampleRateHz,
    durationS,
    dataRecords,
    stimulations: stimulationAnnotations.map((s) => s.event),
    stimulationAnnotations,
    unreadableStimulations,
    annotations,
    gaps,
    warnings,
    notes,
    blocks,
    close() {
      closed = true;
      source.close();
    },
  };
}

function formatRate(hz: number): string {
  return Number.isInteger(hz) ? String(hz) : hz.toFixed(3);
}
