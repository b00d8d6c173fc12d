import type { Decision, Level, RootKind, Side, SpreadGrade, Suggestion, WaveformPattern } from '../domain';

/**
 * CSV per RFC 4180: records end with CRLF; a field containing a comma, a double quote, CR or LF is
 * enclosed in double quotes, with inner double quotes doubled. Numbers are written in plain decimal.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? formatCsvNumber(value) : value;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function formatCsvNumber(v: number): string {
  if (!Number.isFinite(v)) return '';
  // Plain decimal (no exponent), at most 6 decimals, trailing zeros removed.
  let s = v.toFixed(6);
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

export function csvRecord(fields: readonly (string | number | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** Parses RFC 4180 text into records (used to check round trips; accepts LF-only line ends too). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let any = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field.length === 0) {
      quoted = true;
      any = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      any = true;
      i++;
    } else if (ch === '\r' || ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      any = false;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      any = true;
      i++;
    }
  }
  if (quoted) throw new Error('CSV: unterminated quoted field');
  if (any || field.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** One rootlet of the case, as the rootlet table lists it (shared domain notes, "What the record contains"). */
export interface RootletTableRow {
  readonly level: Level;
  readonly side: Side;
  readonly kind: RootKind;
  /** Rootlet index within the root; null for a whole (e.g. ventral) root. */
  readonly rootlet: number | null;
  readonly thresholdMa: number | null;
  readonly latencyMs: number | null;
  readonly amplitudeUv: number | null;
  /** Intensity of the graded test train. */
  readonly trainMa: number | null;
  readonly grade: SpreadGrade | null;
  readonly pattern: WaveformPattern | null;
  /** Sustained responders, e.g. ["R TA", "R VL"]. */
  readonly responding: readonly string[];
  readonly suggestion: Suggestion | null;
  readonly decision: Decision | null;
  readonly comment: string;
}

/**
 * Columns of the rootlet table, in order:
 * level, side, kind (dorsal|ventral), rootlet (empty for a whole root), threshold_ma, latency_ms,
 * amplitude_uv, train_ma, grade (0..4, meaning 0, 1+, .. 4+), pattern, responding (muscles joined
 * by "; "), suggestion (cut|spare|review), decision (cut|spare|partial|spare-sphincter),
 * cut_fraction (0..1), decided_by, decided_at (ISO 8601), comment. Empty cells mean "not measured /
 * not decided".
 */
export const ROOTLET_TABLE_COLUMNS = [
  'level', 'side', 'kind', 'rootlet', 'threshold_ma', 'latency_ms', 'amplitude_uv', 'train_ma', 'grade', 'pattern',
  'responding', 'suggestion', 'decision', 'cut_fraction', 'decided_by', 'decided_at', 'comment',
] as const;

/**
 * Free text that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe,
 * the usual guard against CSV formula injection; it only touches text typed by people.
 */
function guardText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export function rootletTableCsv(rows: readonly RootletTableRow[]): string {
  let out = csvRecord(ROOTLET_TABLE_COLUMNS);
  for (const r of rows) {
    out += csvRecord([
      r.level,
      r.side,
      r.kind,
      r.rootlet,
      r.thresholdMa,
      r.latencyMs,
      r.amplitudeUv,
      r.trainMa,
      r.grade,
      r.pattern,
      r.responding.join('; '),
      r.suggestion,
      r.decision?.kind ?? null,
      r.decision?.cutFraction ?? null,
      r.decision ? guardText(r.decision.decidedBy) : null,
      r.decision?.decidedAt ?? null,
      guardText(r.comment),
    ]);
  }
  return out;
}
