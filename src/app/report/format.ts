// Small text helpers shared by the report's HTML and SVG: escaping and number/time formats.

/** Escapes text for HTML and SVG element content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** A current in mA: two decimals below 10 mA, one above; a dash when unknown. */
export function fmtMa(ma: number | null): string {
  if (ma === null) return '—';
  return ma < 10 ? ma.toFixed(2) : ma.toFixed(1);
}

/** A percentage with at most one decimal ("40 %", "37.5 %"), a dash when unknown. */
export function fmtPct(pct: number | null): string {
  return pct === null ? '—' : `${Number(pct.toFixed(1))} %`;
}

/** Signed percentage points against the plan ("+5 pp", "-12.5 pp"). */
export function fmtDelta(pp: number | null): string {
  if (pp === null) return '—';
  const v = Number(pp.toFixed(1));
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v)} pp`;
}

/** A count that may be fractional (cut equivalents): "3", "2.6". */
export function fmtCount(n: number): string {
  return String(Number(n.toFixed(2)));
}

/** Phillips & Park grade as written in the clinic: 0, 1+ .. 4+. */
export function fmtGrade(g: number | null): string {
  return g === null ? '—' : g === 0 ? '0' : `${g}+`;
}

function parts(iso: string, timeZone: string): Record<string, string> | null {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return null;
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  return Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
}

/** "2024-03-01 09:05:12" in the given zone. */
export function fmtDateTime(iso: string | null, timeZone: string): string {
  const p = iso === null ? null : parts(iso, timeZone);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}` : '—';
}

/** "2024-03-01" in the given zone. */
export function fmtDate(iso: string, timeZone: string): string {
  const p = parts(iso, timeZone);
  return p ? `${p.year}-${p.month}-${p.day}` : '—';
}
