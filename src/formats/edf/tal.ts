import { EdfFormatError } from './header';

/**
 * Time-stamped Annotation Lists (EDF+ section 2.2.2): inside an `EDF Annotations` signal each TAL is
 *   +onset[\x15duration]\x14text\x14text\x14...\x00
 * onset in seconds relative to the file start, with a mandatory sign; duration without sign. Texts are
 * UTF-8. The first TAL of every data record is the time-keeping TAL `+<record start>\x14\x14\x00`
 * (empty text). Unused bytes at the end of the signal are \x00.
 */
export interface EdfAnnotation {
  readonly onsetS: number;
  /** Null when the TAL gives no duration. */
  readonly durationS: number | null;
  readonly text: string;
}

export interface RecordTals {
  /** Onset of the data record from its time-keeping TAL, or null (plain EDF / missing). */
  readonly recordOnsetS: number | null;
  readonly annotations: EdfAnnotation[];
  readonly warnings: string[];
}

const ONSET = /^[+-](\d+(\.\d*)?|\.\d+)$/;
const DURATION = /^(\d+(\.\d*)?|\.\d+)$/;
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Parses the bytes of the annotation signal of one data record. A malformed TAL gives a warning and
 * ends parsing of that record (the TAL boundaries can no longer be trusted), never an exception.
 * @param where description for messages, e.g. "data record 12".
 */
export function parseRecordTals(bytes: Uint8Array, where: string, expectTimekeeping: boolean): RecordTals {
  const annotations: EdfAnnotation[] = [];
  const warnings: string[] = [];
  let recordOnsetS: number | null = null;
  let pos = 0;
  let first = true;
  while (pos < bytes.length && bytes[pos] !== 0) {
    let end = pos;
    while (end < bytes.length && bytes[end] !== 0) end++;
    if (end >= bytes.length) {
      warnings.push(`${where}: annotation list not terminated by a zero byte; rest of the record's annotations ignored`);
      break;
    }
    const tal = bytes.subarray(pos, end);
    pos = end + 1;
    const parsed = parseTal(tal);
    if (typeof parsed === 'string') {
      warnings.push(`${where}: ${parsed}; rest of the record's annotations ignored`);
      break;
    }
    const { onsetS, durationS, texts } = parsed;
    if (first && expectTimekeeping) {
      if (texts.length === 0 || texts[0] !== '') {
        warnings.push(`${where}: the first annotation is not a time-keeping TAL (empty first text)`);
      } else {
        recordOnsetS = onsetS;
        texts.shift();
      }
    }
    first = false;
    for (const text of texts) {
      if (text.length > 0) annotations.push({ onsetS, durationS, text });
    }
  }
  if (expectTimekeeping && recordOnsetS === null && warnings.length === 0) {
    warnings.push(`${where}: no time-keeping annotation`);
  }
  return { recordOnsetS, annotations, warnings };
}

function parseTal(tal: Uint8Array): { onsetS: number; durationS: number | null; texts: string[] } | string {
  // Onset and duration are ASCII; find the first \x14 that ends them.
  let i = 0;
  while (i < tal.length && tal[i] !== 0x14) i++;
  if (i >= tal.length) return `annotation '${printable(tal)}' has no \\x14 after its onset`;
  const head = decoder.decode(tal.subarray(0, i));
  const [onsetRaw, durationRaw, ...extra] = head.split('\x15');
  if (extra.length > 0) return `annotation onset '${printable(tal.subarray(0, i))}' has more than one duration`;
  if (!ONSET.test(onsetRaw ?? '')) return `annotation onset '${onsetRaw ?? ''}' is not a signed number of seconds`;
  let durationS: number | null = null;
  if (durationRaw !== undefined) {
    if (!DURATION.test(durationRaw)) return `annotation duration '${durationRaw}' is not an unsigned number of seconds`;
    durationS = Number(durationRaw);
  }
  // Texts: \x14-separated, the list itself ends with \x14 just before the \x00.
  const rest = decoder.decode(tal.subarray(i + 1));
  const texts = rest.split('\x14');
  if (texts[texts.length - 1] !== '') return `annotation at ${onsetRaw} does not end with \\x14`;
  texts.pop();
  return { onsetS: Number(onsetRaw), durationS, texts };
}

function printable(b: Uint8Array): string {
  return Array.from(b.subarray(0, 60), (c) => (c >= 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
}

const encoder = new TextEncoder();

/** Seconds as a TAL number: plain decimal, up to 7 places (sub-sample at any EMG rate), no exponent. */
export function formatTalSeconds(s: number): string {
  if (!Number.isFinite(s)) throw new EdfFormatError(`annotation time ${s} is not finite`);
  let t = Math.abs(s).toFixed(7);
  t = t.replace(/0+$/, '').replace(/\.$/, '');
  return t;
}

/** Encodes one TAL with one text. Texts may not contain \x14, \x15 or \x00 (they delimit TALs). */
export function encodeTal(a: EdfAnnotation): Uint8Array {
  if (a.text.includes('\x00') || a.text.includes('\x14') || a.text.includes('\x15')) {
    throw new EdfFormatError(`annotation text '${a.text}' contains a TAL delimiter byte (\\x00, \\x14 or \\x15)`);
  }
  const sign = a.onsetS < 0 ? '-' : '+';
  const dur = a.durationS === null ? '' : `\x15${formatTalSeconds(a.durationS)}`;
  return encoder.encode(`${sign}${formatTalSeconds(a.onsetS)}${dur}\x14${a.text}\x14\x00`);
}

/** The time-keeping TAL that opens every EDF+ data record. */
export function encodeTimekeepingTal(recordOnsetS: number): Uint8Array {
  const sign = recordOnsetS < 0 ? '-' : '+';
  return encoder.encode(`${sign}${formatTalSeconds(recordOnsetS)}\x14\x14\x00`);
}
