import { channelLabel, DomainError, type Montage, type SampleBlock, type SampleGap, type StimulationEvent } from '../../domain';
import { formatStimAnnotation } from '../stim-annotation';
import {
  ANNOTATION_LABEL,
  DATA_RECORDS_OFFSET,
  EdfFormatError,
  edfPlusDate,
  edfSubfield,
  formatDataRecordsField,
  formatEdfHeader,
  type EdfSignalHeader,
} from './header';
import type { ByteSink } from './io';
import { encodeTal, encodeTimekeepingTal, type EdfAnnotation } from './tal';

export interface EdfWriterOptions {
  readonly montage: Montage;
  readonly sampleRateHz: number;
  /**
   * Data record duration in seconds. Default 0.1 s when the rate gives a whole number of samples in
   * 0.1 s (records then stay under the 61440-byte size the EDF specification recommends for 16
   * channels at 10 kHz, and a crash loses at most 0.1 s), else 1 s.
   */
  readonly recordDurationS?: number;
  /**
   * Physical range +-rangeUv written to the header. Default 10000 uV: EMG responses (tens of uV to a
   * few mV) and most stimulus artifacts fit; larger values are clipped and counted. Digital range is
   * the symmetric -32767..32767, so 0 uV is exact and one step is rangeUv / 32767 (0.305 uV at the
   * default); the round-trip error is at most half a step.
   */
  readonly physicalRangeUv?: number;
  /** Bytes of the `EDF Annotations` signal in each record (even). Default 512. */
  readonly annotationBytesPerRecord?: number;
  /** Start of the recording (local clock time in the header). Default: now. */
  readonly start?: Date;
  /** Pseudonymous patient code for the EDF+ patient field; sex, birthdate and name are always 'X'. */
  readonly patientCode?: string | null;
  /** Hospital administration code of the investigation (EDF+ recording field). */
  readonly recordingCode?: string | null;
  readonly technician?: string | null;
  /** Written in the EDF+ 'equipment' subfield. */
  readonly equipment?: string;
  /** Prefiltering field of every EMG signal, e.g. "HP:10Hz LP:3000Hz". */
  readonly prefiltering?: string;
  readonly transducer?: string;
}

export interface EdfWriteSummary {
  readonly dataRecords: number;
  /** Recorded length in seconds (before padding the last record). */
  readonly recordedS: number;
  /** Samples outside the physical range, clipped to it. */
  readonly clippedSamples: number;
  /** Zero samples added per channel to complete the last data record, plus any for gaps. */
  readonly paddedSamples: number;
  readonly annotations: number;
  readonly bytes: number;
}

/** Default annotation capacity: time-keeping TAL plus about four stimulation TALs per record. */
export const DEFAULT_ANNOTATION_BYTES = 512;

/**
 * Streaming EDF+C writer. Writes the header at once with `number of data records` = -1 (the EDF+
 * value for a recording in progress), then each data record as soon as its samples have arrived, and
 * patches the record count in `close()`. A file left by a crash is therefore a valid EDF+ file in
 * progress, which openEdfSession reads up to its last complete record.
 *
 * Annotations (stimulations and free text) queue and go into the next data record written; when one
 * record's annotation signal is full the rest spill into the following records. Onsets are absolute,
 * so the record an annotation sits in does not matter to readers (EDF+ 2.2.4).
 */
export class EdfWriter {
  private readonly channelCount: number;
  private readonly spr: number;
  private readonly recordDurationS: number;
  private readonly annotationWords: number;
  private readonly recordWords: number;
  private readonly record: Int16Array;
  private readonly recordBytesView: Uint8Array;
  private readonly scale: number;
  private readonly rangeUv: number;
  private readonly pending: Uint8Array[] = [];
  private filled = 0;
  private nextSample = 0;
  private records = 0;
  private clipped = 0;
  private padded = 0;
  private annotationCount = 0;
  private bytesWritten = 0;
  private closed = false;

  constructor(
    private readonly sink: ByteSink,
    private readonly options: EdfWriterOptions,
  ) {
    const { montage, sampleRateHz } = options;
    if (!(Number.isFinite(sampleRateHz) && sampleRateHz > 0)) throw new EdfFormatError(`EDF writer: sampleRateHz must be positive, got ${sampleRateHz}`);
    this.channelCount = montage.channels.length;
    const dur = options.recordDurationS ?? (isWhole(sampleRateHz * 0.1) ? 0.1 : 1);
    const spr = sampleRateHz * dur;
    if (!(dur > 0) || !isWhole(spr)) {
      throw new EdfFormatError(`EDF writer: record duration ${dur} s at ${sampleRateHz} Hz is not a whole number of samples; choose another record duration`);
    }
    this.recordDurationS = dur;
    this.spr = Math.round(spr);
    const annBytes = options.annotationBytesPerRecord ?? DEFAULT_ANNOTATION_BYTES;
    if (!Number.isInteger(annBytes) || annBytes < 64 || annBytes % 2 !== 0) {
      throw new EdfFormatError(`EDF writer: annotationBytesPerRecord must be an even integer >= 64, got ${annBytes}`);
    }
    this.annotationWords = annBytes / 2;
    this.rangeUv = options.physicalRangeUv ?? 10000;
    if (!(this.rangeUv > 0 && Number.isFinite(this.rangeUv))) throw new EdfFormatError(`EDF writer: physicalRangeUv must be positive, got ${this.rangeUv}`);
    this.scale = 32767 / this.rangeUv;
    this.recordWords = this.channelCount * this.spr + this.annotationWords;
    this.record = new Int16Array(this.recordWords);
    this.recordBytesView = new Uint8Array(this.record.buffer);
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new EdfFormatError('EDF writer: big-endian hosts are not supported');
    this.writeHeader();
  }

  get samplesPerRecord(): number {
    return this.spr;
  }
  get recordDuration(): number {
    return this.recordDurationS;
  }
  /** Running sample index the next block must start at. */
  get sampleCount(): number {
    return this.nextSample;
  }

  private writeHeader(): void {
    const start = this.options.start ?? new Date();
    const year = start.getFullYear();
    const month = start.getMonth() + 1;
    const day = start.getDate();
    const emg: EdfSignalHeader[] = this.options.montage.channels.map((c) => ({
      label: channelLabel(c),
      transducerType: this.options.transducer ?? 'EMG electrode',
      physicalDimension: 'uV',
      physicalMinimum: -this.rangeUv,
      physicalMaximum: this.rangeUv,
      digitalMinimum: -32767,
      digitalMaximum: 32767,
      prefiltering: this.options.prefiltering ?? '',
      samplesPerRecord: this.spr,
      reserved: '',
    }));
    const annotations: EdfSignalHeader = {
      label: ANNOTATION_LABEL,
      transducerType: '',
      physicalDimension: '',
      physicalMinimum: -1,
      physicalMaximum: 1,
      digitalMinimum: -32768,
      digitalMaximum: 32767,
      prefiltering: '',
      samplesPerRecord: this.annotationWords,
      reserved: '',
    };
    const header = formatEdfHeader({
      variant: 'EDF+C',
      // EDF+ 2.1.3.1: code, sex, birthdate, name; only the pseudonym is ever written.
      patientId: `${edfSubfield(this.options.patientCode)} X X X`,
      // EDF+ 2.1.3.2: Startdate dd-MMM-yyyy, admin code, technician, equipment.
      recordingId: `Startdate ${edfPlusDate(year, month, day)} ${edfSubfield(this.options.recordingCode)} ${edfSubfield(this.options.technician)} ${edfSubfield(this.options.equipment ?? 'sdrlog')}`,
      start: { year, month, day, hour: start.getHours(), minute: start.getMinutes(), second: start.getSeconds() },
      dataRecords: -1,
      recordDurationS: this.recordDurationS,
      signals: [...emg, annotations],
    });
    this.append(header);
  }

  private append(bytes: Uint8Array): void {
    this.sink.append(bytes);
    this.bytesWritten += bytes.length;
  }

  private checkOpen(): void {
    if (this.closed) throw new EdfFormatError('EDF writer: already closed');
  }

  /** Appends a block; blocks must follow each other without gaps (use writeGap for a known gap). */
  writeBlock(block: SampleBlock): void {
    this.checkOpen();
    if (block.channelCount !== this.channelCount) {
      throw new DomainError('edf-write', `EDF writer: block has ${block.channelCount} channels, the montage ${this.channelCount}`);
    }
    if (block.sampleRateHz !== this.options.sampleRateHz) {
      throw new DomainError('edf-write', `EDF writer: block at ${block.sampleRateHz} Hz, file at ${this.options.sampleRateHz} Hz`);
    }
    if (block.startSample !== this.nextSample) {
      throw new DomainError(
        'edf-write',
        `EDF writer: block starts at sample ${block.startSample}, expected ${this.nextSample} (EDF+C is continuous: report a gap with writeGap)`,
      );
    }
    const n = block.samplesPerChannel;
    const data = block.data;
    let done = 0;
    while (done < n) {
      const take = Math.min(n - done, this.spr - this.filled);
      for (let c = 0; c < this.channelCount; c++) {
        const src = c * n + done;
        const dst = c * this.spr + this.filled;
        for (let i = 0; i < take; i++) {
          let d = Math.round(data[src + i]! * this.scale);
          if (d > 32767) {
            d = 32767;
            this.clipped++;
          } else if (d < -32767) {
            d = -32767;
            this.clipped++;
          } else if (d !== d) {
            d = 0; // NaN: no signal
          }
          this.record[dst + i] = d;
        }
      }
      this.filled += take;
      done += take;
      if (this.filled === this.spr) this.emitRecord();
    }
    this.nextSample += n;
  }

  /**
   * A known gap (sequence gap, disconnection): EDF+C has no holes, so the gap is written as zeros and
   * marked by an annotation `gap samples=<n> reason=<reason>` spanning it; it is never silently spliced.
   */
  writeGap(gap: SampleGap): void {
    this.checkOpen();
    if (gap.startSample !== this.nextSample) {
      throw new DomainError('edf-write', `EDF writer: gap starts at sample ${gap.startSample}, expected ${this.nextSample}`);
    }
    this.addAnnotation({
      onsetS: gap.startSample / this.options.sampleRateHz,
      durationS: gap.lengthSamples / this.options.sampleRateHz,
      text: `gap samples=${gap.lengthSamples} reason=${gap.reason}`,
    });
    let left = gap.lengthSamples;
    while (left > 0) {
      const take = Math.min(left, this.spr - this.filled);
      for (let c = 0; c < this.channelCount; c++) this.record.fill(0, c * this.spr + this.filled, c * this.spr + this.filled + take);
      this.filled += take;
      left -= take;
      this.padded += take;
      if (this.filled === this.spr) this.emitRecord();
    }
    this.nextSample += gap.lengthSamples;
  }

  /** Queues a stimulation annotation: onset = first pulse, duration = train length (0 for a single pulse). */
  addStimulation(event: StimulationEvent): void {
    this.addAnnotation({
      onsetS: event.sampleIndex / this.options.sampleRateHz,
      durationS: event.stimulation.durationS,
      text: formatStimAnnotation(event.stimulation),
    });
  }

  /** Queues a free-text annotation (carried along, ignored by grading). */
  addAnnotation(a: EdfAnnotation): void {
    this.checkOpen();
    if (!(Number.isFinite(a.onsetS) && a.onsetS >= 0)) throw new DomainError('edf-write', `EDF writer: annotation onset must be >= 0 s, got ${a.onsetS}`);
    if (a.durationS !== null && !(Number.isFinite(a.durationS) && a.durationS >= 0)) {
      throw new DomainError('edf-write', `EDF writer: annotation duration must be >= 0 s, got ${a.durationS}`);
    }
    const tal = encodeTal(a);
    const maxTal = this.annotationWords * 2 - encodeTimekeepingTal(1e6).length;
    if (tal.length > maxTal) {
      throw new DomainError('edf-write', `EDF writer: annotation '${a.text.slice(0, 40)}' needs ${tal.length} bytes, more than the ${maxTal} a record holds`);
    }
    this.pending.push(tal);
    this.annotationCount++;
  }

  private emitRecord(): void {
    // Annotation signal: time-keeping TAL, then queued TALs while they fit, zero-filled.
    const annStart = this.channelCount * this.spr * 2;
    const annBytes = this.annotationWords * 2;
    this.recordBytesView.fill(0, annStart, annStart + annBytes);
    const tk = encodeTimekeepingTal(this.records * this.recordDurationS);
    this.recordBytesView.set(tk, annStart);
    let pos = tk.length;
    while (this.pending.length > 0 && pos + this.pending[0]!.length <= annBytes) {
      const tal = this.pending.shift()!;
      this.recordBytesView.set(tal, annStart + pos);
      pos += tal.length;
    }
    this.append(this.recordBytesView);
    this.records++;
    this.filled = 0;
  }

  /** Makes what was written so far durable (fsync on a file sink). */
  flush(): void {
    this.sink.flush();
  }

  /**
   * Completes the last data record with zeros (marked by a `recording end` annotation at the true
   * end), writes any annotations still queued (adding zero records if needed), patches the record
   * count, and closes the sink.
   */
  close(): EdfWriteSummary {
    this.checkOpen();
    const recordedS = this.nextSample / this.options.sampleRateHz;
    if (this.filled > 0 || this.records === 0) {
      this.addAnnotation({ onsetS: recordedS, durationS: null, text: 'recording end' });
    }
    while (this.filled > 0 || this.pending.length > 0 || this.records === 0) {
      const pad = this.spr - this.filled;
      for (let c = 0; c < this.channelCount; c++) this.record.fill(0, c * this.spr + this.filled, (c + 1) * this.spr);
      this.padded += pad;
      this.filled = this.spr;
      this.emitRecord();
    }
    this.closed = true;
    this.sink.patch(DATA_RECORDS_OFFSET, formatDataRecordsField(this.records));
    this.sink.flush();
    this.sink.close();
    return {
      dataRecords: this.records,
      recordedS,
      clippedSamples: this.clipped,
      paddedSamples: this.padded,
      annotations: this.annotationCount,
      bytes: this.bytesWritten,
    };
  }
}

function isWhole(x: number): boolean {
  return Math.abs(x - Math.round(x)) < 1e-9 && Math.round(x) >= 1;
}
