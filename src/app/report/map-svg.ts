import { LEVELS, SIDES, type DecisionKind, type Side } from '../../domain';
import type { RootletMap } from '../../contracts';
import { esc, fmtCount, fmtGrade, fmtMa, fmtPct } from './format';

// The rootlet map as an inline SVG figure: levels as rows (rostral at the top), the patient's left and
// right sides as columns, one cell per rootlet with its threshold, latest grade and current decision.
// Every decision is written out in the cell and told apart by fill AND border style, so the figure stays
// readable printed in black and white. Only presentation attributes are used (no style attributes), so
// it renders under a CSP without 'unsafe-inline'.

interface CellLook {
  readonly fill: string;
  readonly stroke: string;
  readonly strokeWidth: number;
  readonly dash: string | null;
  readonly ink: string;
  readonly label: string;
}

const LOOK: Record<DecisionKind | 'open', CellLook> = {
  cut: { fill: '#7f1d1d', stroke: '#000000', strokeWidth: 1.5, dash: null, ink: '#ffffff', label: 'CUT' },
  partial: { fill: '#fdba74', stroke: '#7c2d12', strokeWidth: 2, dash: '5 2', ink: '#000000', label: '' },
  spare: { fill: '#ffffff', stroke: '#166534', strokeWidth: 1.5, dash: null, ink: '#052e16', label: 'spare' },
  'spare-sphincter': { fill: '#bfdbfe', stroke: '#1e3a8a', strokeWidth: 3, dash: null, ink: '#000000', label: 'SPH' },
  open: { fill: '#f3f4f6', stroke: '#6b7280', strokeWidth: 1, dash: '2 2', ink: '#374151', label: 'open' },
};

function lookOf(kind: DecisionKind | null, fraction: number | null): CellLook {
  const look = LOOK[kind ?? 'open'];
  return kind === 'partial' ? { ...look, label: `${Math.round((fraction ?? 0) * 100)} %` } : look;
}

const WIDTH = 720;
const LABEL_W = 46;
const SIDE_GAP = 18;
const SIDE_W = (WIDTH - LABEL_W - SIDE_GAP) / 2;
const CELL_H = 56;
const CELL_GAP = 4;
const SUMMARY_H = 16;
const ROW_GAP = 10;
const HEAD_H = 22;
const LEGEND_H = 64;

function rect(x: number, y: number, w: number, h: number, look: Pick<CellLook, 'fill' | 'stroke' | 'strokeWidth' | 'dash'>, cls: string): string {
  return `<rect class="${cls}" x="${x}" y="${y}" width="${w}" height="${h}" rx="3" fill="${look.fill}" stroke="${look.stroke}" stroke-width="${look.strokeWidth}"${look.dash ? ` stroke-dasharray="${look.dash}"` : ''}/>`;
}

function text(x: number, y: number, s: string, opts: { size: number; fill?: string; weight?: 'bold'; anchor?: 'start' | 'middle' | 'end' }): string {
  return `<text x="${x}" y="${y}" font-size="${opts.size}" text-anchor="${opts.anchor ?? 'middle'}" fill="${opts.fill ?? '#000000'}"${opts.weight ? ' font-weight="bold"' : ''}>${esc(s)}</text>`;
}

/** The rootlet map figure; `data-rootlet="L4R-3"` marks each rootlet's cell. */
export function rootletMapSvg(map: RootletMap): string {
  const levels = LEVELS.filter((l) => map.roots.some((r) => r.level === l));
  const maxCount = Math.max(1, ...map.roots.map((r) => r.rootlets.length));
  const perRow = Math.min(8, Math.max(5, maxCount));
  const pitch = SIDE_W / perRow;
  const cellW = pitch - CELL_GAP;
  const out: string[] = [];
  let y = HEAD_H;
  out.push(text(LABEL_W + SIDE_W / 2, 15, "Patient's left", { size: 13, weight: 'bold' }));
  out.push(text(LABEL_W + SIDE_W + SIDE_GAP + SIDE_W / 2, 15, "Patient's right", { size: 13, weight: 'bold' }));

  for (const level of levels) {
    const roots = SIDES.map((side) => map.roots.find((r) => r.level === level && r.side === side) ?? null);
    const lines = Math.max(1, ...roots.map((r) => Math.ceil((r?.rootlets.length ?? 0) / perRow)));
    const rowH = lines * (CELL_H + CELL_GAP) + SUMMARY_H;
    out.push(`<line x1="0" y1="${y - ROW_GAP / 2}" x2="${WIDTH}" y2="${y - ROW_GAP / 2}" stroke="#9ca3af" stroke-width="0.75"/>`);
    out.push(text(LABEL_W / 2 - 2, y + (rowH - SUMMARY_H) / 2 + 6, level, { size: 17, weight: 'bold' }));
    roots.forEach((root, i) => {
      const side: Side = SIDES[i]!;
      const x0 = LABEL_W + i * (SIDE_W + SIDE_GAP);
      if (!root || root.rootlets.length === 0) {
        out.push(text(x0 + SIDE_W / 2, y + CELL_H / 2 + 4, root ? 'no rootlets recorded' : 'not tested', { size: 10, fill: '#4b5563' }));
      }
      root?.rootlets.forEach((r, k) => {
        const cx = x0 + (k % perRow) * pitch;
        const cy = y + Math.floor(k / perRow) * (CELL_H + CELL_GAP);
        const look = lookOf(r.decision, r.cutFraction);
        const mid = cx + cellW / 2;
        const id = `${level}${side}-${r.rootlet}`;
        const title = `${level} ${side === 'L' ? 'left' : 'right'} rootlet ${r.rootlet}: threshold ${fmtMa(r.thresholdMa)} mA, grade ${fmtGrade(r.grade)}, ${r.decision ?? 'undecided'}`;
        out.push(`<g class="rootlet" data-rootlet="${esc(id)}"><title>${esc(title)}</title>`);
        out.push(rect(cx, cy, cellW, CELL_H, look, 'cell'));
        out.push(text(mid, cy + 11, `#${r.rootlet}`, { size: 9, fill: look.ink }));
        out.push(text(mid, cy + 24, fmtMa(r.thresholdMa), { size: 11, fill: look.ink }));
        out.push(text(mid, cy + 37, r.grade === null ? '—' : `G${fmtGrade(r.grade)}`, { size: 11, fill: look.ink, ...(r.grade !== null && r.grade >= 3 ? { weight: 'bold' as const } : {}) }));
        out.push(text(mid, cy + 50, look.label, { size: 10, fill: look.ink, weight: 'bold' }));
        out.push('</g>');
      });
      if (root && root.rootlets.length > 0) {
        const plan = root.planPct === null ? 'no plan' : `plan ${fmtPct(root.planPct)}`;
        const summary = `${root.tested} tested · ${fmtCount(root.cutEquivalent)} of ${root.decided} cut = ${fmtPct(root.cutPct)} (${plan})`;
        out.push(text(x0, y + lines * (CELL_H + CELL_GAP) + 10, summary, { size: 10, anchor: 'start', fill: '#111827' }));
      } else if (root?.planPct != null) {
        out.push(text(x0, y + lines * (CELL_H + CELL_GAP) + 10, `plan ${fmtPct(root.planPct)}`, { size: 10, anchor: 'start' }));
      }
    });
    y += rowH + ROW_GAP;
  }
  if (levels.length === 0) {
    out.push(text(WIDTH / 2, y + 20, 'No rootlets recorded for this case.', { size: 12 }));
    y += 40;
  }

  // legend: one sample cell per decision, then how to read a cell
  const ly = y + 2;
  out.push(`<line x1="0" y1="${ly - 6}" x2="${WIDTH}" y2="${ly - 6}" stroke="#9ca3af" stroke-width="0.75"/>`);
  const samples: [DecisionKind | 'open', string][] = [['cut', 'cut'], ['partial', 'partial (fraction cut)'], ['spare', 'spared'], ['spare-sphincter', 'spared: sphincter/pudendal'], ['open', 'no decision']];
  let lx = 0;
  for (const [kind, words] of samples) {
    const look = lookOf(kind === 'open' ? null : kind, kind === 'partial' ? 0.6 : null);
    out.push(rect(lx, ly, 40, 22, look, 'legend'));
    out.push(text(lx + 20, ly + 15, look.label, { size: 9, fill: look.ink, weight: 'bold' }));
    out.push(text(lx + 46, ly + 15, words, { size: 10, anchor: 'start' }));
    lx += 46 + words.length * 5.6 + 16;
  }
  out.push(text(0, ly + 42, 'Each cell, top to bottom: rootlet number, threshold (mA), latest grade (Phillips & Park 0 to 4+, 3+ and 4+ in bold), decision.',
    { size: 10, anchor: 'start' }));
  out.push(text(0, ly + 56, 'Line under each root: rootlets stimulated, cut (partials count their fraction) of rootlets decided, % cut, pre-operative plan.',
    { size: 10, anchor: 'start' }));
  const height = ly + LEGEND_H;
  return `<svg class="rootlet-map" role="img" aria-label="Rootlet map" viewBox="0 0 ${WIDTH} ${height}" width="100%" font-family="Helvetica, Arial, sans-serif">${out.join('')}</svg>`;
}

/** Grade histogram as a stacked bar chart (left dark, right light with a dark outline), counts written on it. */
export function gradeHistogramSvg(hist: { L: readonly number[]; R: readonly number[]; both: readonly number[] }): string {
  const W = 460;
  const H = 210;
  const top = 24;
  const base = H - 36;
  const x0 = 40;
  const bw = 56;
  const pitch = (W - x0) / 5;
  const max = Math.max(1, ...hist.both);
  const scale = (base - top) / max;
  const out: string[] = [];
  out.push(`<line x1="${x0 - 6}" y1="${base}" x2="${W}" y2="${base}" stroke="#000000" stroke-width="1"/>`);
  for (let g = 0; g < 5; g++) {
    const cx = x0 + g * pitch + (pitch - bw) / 2;
    const l = hist.L[g] ?? 0;
    const r = hist.R[g] ?? 0;
    const hl = l * scale;
    const hr = r * scale;
    if (l > 0) out.push(`<rect x="${cx}" y="${base - hl}" width="${bw}" height="${hl}" fill="#374151" stroke="#000000" stroke-width="1"/>`);
    if (r > 0) out.push(`<rect x="${cx}" y="${base - hl - hr}" width="${bw}" height="${hr}" fill="#e5e7eb" stroke="#000000" stroke-width="1"/>`);
    if (l > 0 && hl >= 14) out.push(text(cx + bw / 2, base - hl / 2 + 4, String(l), { size: 10, fill: '#ffffff' }));
    if (r > 0 && hr >= 14) out.push(text(cx + bw / 2, base - hl - hr / 2 + 4, String(r), { size: 10 }));
    out.push(text(cx + bw / 2, base - hl - hr - 5, String(hist.both[g] ?? 0), { size: 11, weight: 'bold' }));
    out.push(text(cx + bw / 2, base + 15, `grade ${fmtGrade(g)}`, { size: 11 }));
  }
  out.push(`<rect x="${x0}" y="${H - 14}" width="12" height="10" fill="#374151" stroke="#000000"/>`);
  out.push(text(x0 + 16, H - 5, 'left (lower part)', { size: 10, anchor: 'start' }));
  out.push(`<rect x="${x0 + 130}" y="${H - 14}" width="12" height="10" fill="#e5e7eb" stroke="#000000"/>`);
  out.push(text(x0 + 146, H - 5, 'right (upper part); total on top', { size: 10, anchor: 'start' }));
  return `<svg class="histogram" role="img" aria-label="Grade histogram" viewBox="0 0 ${W} ${H}" width="${W}" font-family="Helvetica, Arial, sans-serif">${out.join('')}</svg>`;
}
