import { DomainError } from '../../domain';

/**
 * EDF / EDF+ header: a 256-byte fixed part followed by 256 bytes per signal, all ASCII, every field
 * left-justified and padded with spaces (EDF specification, Kemp et al. 1992; EDF+, Kemp & Olivan 2003).
 * Per-signal fields are stored field by field: all labels, then all transducer types, and so on.
 */
export class EdfFormatError extends DomainError {
  constructor(message: string) {
    super('edf-format', message);
    this.name = 'EdfFormatError';
  }
}

/** Fixed part: field name as the specification calls it, and width in bytes. */
export const FIXED_FIELDS = [
  ['version', 8],
  ['local patient identification', 80],
  ['local recording identification', 80],
  ['startdate', 8],
  ['starttime', 8],
  ['number of bytes in header record', 8],
  ['reserved', 44],
  ['number of data records', 8],
  ['duration of a data record', 8],
  ['number of signals', 4],
] as const;

export const SIGNAL_FIELDS = [
  ['label', 16],
  ['transducer type', 80],
  ['physical dimension', 8],
  ['physical minimum', 8],
  ['physical maximum', 8],
  ['digital minimum', 8],
  ['digital maximum', 8],
  ['prefiltering', 80],
  ['nr of samples in each data record', 8],
  ['reserved', 32],
] as const;

export const FIXED_HEADER_BYTES = 256;
export const SIGNAL_HEADER_BYTES = 256;
export const ANNOTATION_LABEL = 'EDF Annotations';

export type EdfVariant = 'EDF' | 'EDF+C' | 'EDF+D';

export interface EdfSignalHeader {
  readonly label: string;
  readonly transducerType: string;
  readonly physicalDimension: string;
  readonly physicalMinimum: number;
  readonly physicalMaximum: number;
  readonly digitalMinimum: number;
  readonly digitalMaximum: number;
  readonly prefiltering: string;
  readonly samplesPerRecord: number;
  readonly reserved: string;
}

export interface EdfHeader {
  readonly variant: EdfVariant;
  readonly patientId: string;
  readonly recordingId: string;
  /** Start of the recording, local clock time, as written (no time zone in EDF). */
  readonly start: { year: number; month: number; day: number; hour: number; minute: number; second: number };
  readonly headerBytes: number;
  /** -1 while a recording is still being written (EDF+ allows it only then). */
  readonly dataRecords: number;
  readonly recordDurationS: number;
  readonly signals: readonly EdfSignalHeader[];
}

/** True for an `EDF Annotations` signal (EDF+ section 2.2). */
export function isAnnotationSignal(s: Pick<EdfSignalHeader, 'label'>): boolean {
  return s.label === ANNOTATION_LABEL;
}

/** Bytes of one data record: 2 bytes per sample of every signal. */
export function recordBytes(h: Pick<EdfHeader, 'signals'>): number {
  let n = 0;
  for (const s of h.signals) n += s.samplesPerRecord * 2;
  return n;
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `field` is the quoted field description used in messages, e.g. `'label' of signal 2`. */
function ascii(bytes: Uint8Array, offset: number, width: number, field: string): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    const b = bytes[offset + i]!;
    if (b < 32 || b > 126) {
      throw new EdfFormatError(`EDF header: ${field} contains a non-ASCII or control byte 0x${b.toString(16).padStart(2, '0')} at byte ${offset + i} (the header must be printable ASCII)`);
    }
    s += String.fromCharCode(b);
  }
  return s;
}

function parseInteger(raw: string, field: string): number {
  const t = raw.trim();
  if (!INTEGER.test(t)) throw new EdfFormatError(`EDF header: ${field} is '${t}' (expected an integer)`);
  return Number(t);
}

function parseNumber(raw: string, field: string): number {
  const t = raw.trim();
  if (!NUMBER.test(t)) throw new EdfFormatError(`EDF header: ${field} is '${t}' (expected a number)`);
  return Number(t);
}

/** Reads the number of signals from the first 256 bytes, to know how much header to read. */
export function headerLengthFromFixedPart(fixed: Uint8Array): number {
  if (fixed.length < FIXED_HEADER_BYTES) {
    throw new EdfFormatError(`EDF header: file is ${fixed.length} bytes, shorter than the 256-byte fixed header`);
  }
  checkVersion(fixed);
  const ns = parseInteger(ascii(fixed, 252, 4, "'number of signals'"), "'number of signals'");
  if (ns < 1) throw new EdfFormatError(`EDF header: 'number of signals' is ${ns} (expected at least 1)`);
  return FIXED_HEADER_BYTES + ns * SIGNAL_HEADER_BYTES;
}

function checkVersion(bytes: Uint8Array): void {
  if (bytes[0] === 0xff) {
    throw new EdfFormatError("EDF header: 'version' starts with byte 0xFF: this is a BDF (24-bit) file, not EDF");
  }
  const v = ascii(bytes, 0, 8, "'version'");
  if (v !== '0       ') throw new EdfFormatError(`EDF header: 'version' is '${v.trim()}' (expected '0')`);
}

/**
 * Parses and validates the whole header. Every field is checked; a bad one is named in the error.
 * `bytes` must hold at least the full header (see headerLengthFromFixedPart).
 */
export function parseEdfHeader(bytes: Uint8Array): EdfHeader {
  const fullLength = headerLengthFromFixedPart(bytes);
  if (bytes.length < fullLength) {
    throw new EdfFormatError(`EDF header: file is ${bytes.length} bytes, shorter than its ${fullLength}-byte header`);
  }
  const fixed: string[] = [];
  let off = 0;
  for (const [name, width] of FIXED_FIELDS) {
    fixed.push(ascii(bytes, off, width, `'${name}'`));
    off += width;
  }
  const [, patientId, recordingId, startdate, starttime, headerBytesRaw, reserved, recordsRaw, durationRaw, nsRaw] = fixed as [
    string, string, string, string, string, string, string, string, string, string,
  ];

  const d = /^(\d\d)\.(\d\d)\.(\d\d)$/.exec(startdate);
  if (!d) throw new EdfFormatError(`EDF header: 'startdate' is '${startdate.trim()}' (expected dd.mm.yy)`);
  const day = Number(d[1]);
  const month = Number(d[2]);
  const yy = Number(d[3]);
  // EDF: yy 85-99 means 1985-1999, 00-84 means 2000-2084.
  let year = yy >= 85 ? 1900 + yy : 2000 + yy;
  // EDF+ (section 2.1.3.2) carries the 4-digit year in the recording identification.
  const ridYear = /^Startdate \d\d-[A-Z]{3}-(\d{4}) /.exec(recordingId);
  if (ridYear && Number(ridYear[1]) % 100 === yy) year = Number(ridYear[1]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new EdfFormatError(`EDF header: 'startdate' is '${startdate}' (not a calendar date)`);
  }
  const t = /^(\d\d)\.(\d\d)\.(\d\d)$/.exec(starttime);
  if (!t || Number(t[1]) > 23 || Number(t[2]) > 59 || Number(t[3]) > 60) {
    throw new EdfFormatError(`EDF header: 'starttime' is '${starttime.trim()}' (expected hh.mm.ss)`);
  }

  const ns = parseInteger(nsRaw, "'number of signals'");
  const headerBytes = parseInteger(headerBytesRaw, "'number of bytes in header record'");
  if (headerBytes !== fullLength) {
    throw new EdfFormatError(`EDF header: 'number of bytes in header record' is ${headerBytes} (expected ${fullLength} = 256 * (1 + ${ns} signals))`);
  }
  const res = reserved.trimEnd();
  const variant: EdfVariant = res.startsWith('EDF+C') ? 'EDF+C' : res.startsWith('EDF+D') ? 'EDF+D' : 'EDF';
  if (variant === 'EDF' && res.startsWith('EDF+')) {
    throw new EdfFormatError(`EDF header: 'reserved' is '${res}' (EDF+ files must say EDF+C or EDF+D)`);
  }
  const dataRecords = parseInteger(recordsRaw, "'number of data records'");
  if (dataRecords < -1) throw new EdfFormatError(`EDF header: 'number of data records' is ${dataRecords} (expected -1 or more)`);
  const recordDurationS = parseNumber(durationRaw, "'duration of a data record'");
  if (!(recordDurationS > 0)) {
    throw new EdfFormatError(`EDF header: 'duration of a data record' is ${durationRaw.trim()} (expected a positive number of seconds)`);
  }

  const cols: string[][] = [];
  for (const [name, width] of SIGNAL_FIELDS) {
    const col: string[] = [];
    for (let i = 0; i < ns; i++) {
      col.push(ascii(bytes, off, width, `'${name}' of signal ${i + 1}`));
      off += width;
    }
    cols.push(col);
  }
  const signals: EdfSignalHeader[] = [];
  for (let i = 0; i < ns; i++) {
    const f = (k: number): string => cols[k]![i]!;
    const label = f(0).trim();
    // Messages name the field and the signal: 'physical minimum' of signal 3 ('EMG L TA')
    const where = (field: string) => `'${field}' of signal ${i + 1} ('${label}')`;
    const physicalMinimum = parseNumber(f(3), where('physical minimum'));
    const physicalMaximum = parseNumber(f(4), where('physical maximum'));
    const digitalMinimum = parseInteger(f(5), where('digital minimum'));
    const digitalMaximum = parseInteger(f(6), where('digital maximum'));
    const samplesPerRecord = parseInteger(f(8), where('nr of samples in each data record'));
    const name = (field: string) => `EDF header: ${where(field)}`;
    if (physicalMinimum === physicalMaximum) {
      throw new EdfFormatError(`${name('physical maximum')} equals its physical minimum ${physicalMinimum} (no scale)`);
    }
    if (digitalMinimum < -32768 || digitalMinimum > 32767) {
      throw new EdfFormatError(`${name('digital minimum')} is ${digitalMinimum} (expected -32768..32767 for 16-bit EDF)`);
    }
    if (digitalMaximum < -32768 || digitalMaximum > 32767) {
      throw new EdfFormatError(`${name('digital maximum')} is ${digitalMaximum} (expected -32768..32767 for 16-bit EDF)`);
    }
    if (digitalMaximum <= digitalMinimum) {
      throw new EdfFormatError(`${name('digital maximum')} is ${digitalMaximum}, not above the digital minimum ${digitalMinimum}`);
    }
    if (samplesPerRecord < 1) {
      throw new EdfFormatError(`${name('nr of samples in each data record')} is ${samplesPerRecord} (expected at least 1)`);
    }
    signals.push({
      label,
      transducerType: f(1).trim(),
      physicalDimension: f(2).trim(),
      physicalMinimum,
      physicalMaximum,
      digitalMinimum,
      digitalMaximum,
      prefiltering: f(7).trim(),
      samplesPerRecord,
      reserved: f(9).trim(),
    });
  }
  return {
    variant,
    patientId: patientId.trimEnd(),
    recordingId: recordingId.trimEnd(),
    start: { year, month, day, hour: Number(t[1]), minute: Number(t[2]), second: Number(t[3]) },
    headerBytes,
    dataRecords,
    recordDurationS,
    signals,
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Left-justifies `value` in a field of `width`; throws if it does not fit or is not printable ASCII. */
function field(value: string, width: number, name: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new EdfFormatError(`EDF header: '${name}' must be printable ASCII, got '${value}'`);
  if (value.length > width) throw new EdfFormatError(`EDF header: '${name}' '${value}' is longer than ${width} characters`);
  return value.padEnd(width, ' ');
}

/**
 * Shortest decimal text of at most `width` characters for a header number (physical min/max,
 * record duration). Throws when the value cannot be written within the width without changing it by
 * more than a relative 1e-6.
 */
export function formatHeaderNumber(value: number, width: number, name: string): string {
  if (!Number.isFinite(value)) throw new EdfFormatError(`EDF header: '${name}' must be finite, got ${value}`);
  const plain = String(value);
  if (plain.length <= width && !/e/i.test(plain)) return plain;
  for (let decimals = width; decimals >= 0; decimals--) {
    let s = value.toFixed(decimals);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
    if (s.length <= width) {
      const err = Math.abs(Number(s) - value);
      if (err <= Math.abs(value) * 1e-6 || err === 0) return s;
      break;
    }
  }
  throw new EdfFormatError(`EDF header: '${name}' ${value} does not fit in ${width} characters`);
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** EDF+ date as used in the identification fields: 02-MAR-2002. */
export function edfPlusDate(year: number, month: number, day: number): string {
  return `${String(day).padStart(2, '0')}-${MONTHS[month - 1]}-${year}`;
}

/**
 * Replaces characters that would break an EDF+ identification subfield: spaces separate subfields
 * (EDF+ 2.1.3.1), so spaces become '_', and anything outside printable ASCII becomes '_'. Empty is 'X'.
 */
export function edfSubfield(value: string | null | undefined): string {
  const v = (value ?? '').trim().replace(/[^\x21-\x7e]/g, '_');
  return v.length === 0 ? 'X' : v;
}

/** Serialises a header. `dataRecords` may be -1 (recording in progress). */
export function formatEdfHeader(h: Omit<EdfHeader, 'headerBytes'>): Uint8Array {
  const ns = h.signals.length;
  if (ns < 1 || ns > 9999) throw new EdfFormatError(`EDF header: 'number of signals' is ${ns} (expected 1..9999)`);
  const { year, month, day, hour, minute, second } = h.start;
  if (year < 1985 || year > 2084) throw new EdfFormatError(`EDF header: 'startdate' year ${year} outside 1985..2084`);
  const two = (n: number) => String(n).padStart(2, '0');
  const headerBytes = FIXED_HEADER_BYTES + ns * SIGNAL_HEADER_BYTES;
  let text =
    field('0', 8, 'version') +
    field(h.patientId, 80, 'local patient identification') +
    field(h.recordingId, 80, 'local recording identification') +
    field(`${two(day)}.${two(month)}.${two(year % 100)}`, 8, 'startdate') +
    field(`${two(hour)}.${two(minute)}.${two(second)}`, 8, 'starttime') +
    field(String(headerBytes), 8, 'number of bytes in header record') +
    field(h.variant === 'EDF' ? '' : h.variant, 44, 'reserved') +
    field(String(h.dataRecords), 8, 'number of data records') +
    field(formatHeaderNumber(h.recordDurationS, 8, 'duration of a data record'), 8, 'duration of a data record') +
    field(String(ns), 4, 'number of signals');
  const col = (get: (s: EdfSignalHeader) => string, width: number, name: string) => {
    for (const s of h.signals) text += field(get(s), width, `${name}' of signal '${s.label}`);
  };
  col((s) => s.label, 16, 'label');
  col((s) => s.transducerType, 80, 'transducer type');
  col((s) => s.physicalDimension, 8, 'physical dimension');
  col((s) => formatHeaderNumber(s.physicalMinimum, 8, 'physical minimum'), 8, 'physical minimum');
  col((s) => formatHeaderNumber(s.physicalMaximum, 8, 'physical maximum'), 8, 'physical maximum');
  col((s) => String(s.digitalMinimum), 8, 'digital minimum');
  col((s) => String(s.digitalMaximum), 8, 'digital maximum');
  col((s) => s.prefiltering, 80, 'prefiltering');
  col((s) => String(s.samplesPerRecord), 8, 'nr of samples in each data record');
  col((s) => s.reserved, 32, 'reserved');
  const out = new Uint8Array(headerBytes);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Writes `value` as the 8-byte 'number of data records' field, at its fixed offset 236. */
export const DATA_RECORDS_OFFSET = 236;
export function formatDataRecordsField(value: number): Uint8Array {
  const s = field(String(value), 8, 'number of data records');
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
