import { createHash } from 'node:crypto';
import type { CaseReport, ReportEventKind, ReportLevelRow, ReportTotal } from './model';
import { decisionText } from './model';
import { esc, fmtCount, fmtDate, fmtDateTime, fmtDelta, fmtGrade, fmtMa, fmtPct } from './format';
import { gradeHistogramSvg, rootletMapSvg } from './map-svg';

// The case report as one self-contained HTML document: inline CSS and SVG, no script, no remote
// resource, no style attributes. Its only stylesheet is allowed by hash in its own CSP meta tag, so the
// same text works under a strict CSP (hosts serving it send REPORT_CONTENT_SECURITY_POLICY) and prints
// on A4 from Chromium (CLI, browser host) and Electron's printToPDF alike.

const CSS = `
@page { size: A4; margin: 14mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 9.5pt; line-height: 1.35; color: #000; background: #fff; margin: 0; }
@media screen { body { max-width: 190mm; margin: 8mm auto; padding: 0 6mm; } }
h1 { font-size: 17pt; margin: 0 0 1mm; }
.sub { color: #374151; margin: 0 0 3mm; }
h2 { font-size: 12.5pt; margin: 5mm 0 2mm; padding-bottom: 1mm; border-bottom: 1.5px solid #000; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1.5mm; break-after: avoid; }
section.page { break-before: page; }
section.keep, figure, .keep { break-inside: avoid; }
figure { margin: 0; }
figcaption { font-size: 8.5pt; color: #374151; margin-top: 1mm; }
table { border-collapse: collapse; width: 100%; font-size: 8.8pt; margin: 1mm 0 2mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.75px solid #6b7280; padding: 0.9mm 1.4mm; text-align: left; vertical-align: top; }
th { background: #e5e7eb; font-weight: bold; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.narrow { width: auto; min-width: 50%; }
tr.total td { font-weight: bold; border-top: 1.8px solid #000; }
dl.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 0.8mm 8mm; margin: 0 0 3mm; }
dl.fields div { display: flex; gap: 2mm; }
dt { width: 30mm; flex: none; color: #374151; }
dd { margin: 0; font-weight: bold; overflow-wrap: anywhere; }
.keyfigs { display: grid; grid-template-columns: repeat(5, 1fr); border: 1.5px solid #000; margin: 2mm 0 1mm; }
.keyfigs div { padding: 1.5mm 2mm; border-right: 0.75px solid #6b7280; }
.keyfigs div:last-child { border-right: none; }
.keyfigs .v { display: block; font-size: 13pt; font-weight: bold; }
.keyfigs .k { font-size: 8pt; color: #374151; }
.bad { font-weight: bold; text-decoration: underline; }
.mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8.5pt; overflow-wrap: anywhere; }
.note { font-size: 8.5pt; color: #374151; }
ul.checks { margin: 1mm 0; padding-left: 5mm; }
footer { margin-top: 6mm; padding-top: 1.5mm; border-top: 0.75px solid #6b7280; font-size: 8pt; color: #374151; }
`;

const STYLE_HASH = createHash('sha256').update(CSS).digest('base64');

/**
 * CSP of a rendered report: nothing may load or run; the one inline stylesheet is allowed by its hash;
 * images only as data: URLs. The report carries it as a meta tag; a host serving the report over HTTP
 * or a custom scheme sends it as the header.
 */
export const REPORT_CONTENT_SECURITY_POLICY = [
  "default-src 'none'", `style-src 'sha256-${STYLE_HASH}'`, 'img-src data:', "base-uri 'none'", "form-action 'none'",
].join('; ');

const EVENT_LABEL: Record<ReportEventKind, string> = {
  'unclean-session': 'session not closed cleanly', gap: 'data gap', alarm: 'alarm', 'electrode-off': 'electrode off',
  'electrode-on': 'electrode on', device: 'device', recovered: 'recovered', note: 'note', correction: 'decision corrected',
  'high-intensity': 'high intensity',
};

const sideName = (s: 'L' | 'R' | 'both'): string => (s === 'L' ? 'left' : s === 'R' ? 'right' : 'both sides');

function partials(fractions: readonly number[]): string {
  return fractions.length === 0 ? '—' : fractions.map((f) => `${Math.round(f * 100)} %`).join(', ');
}

function levelRow(r: ReportLevelRow): string {
  const spared = r.sparedSphincter > 0 ? `${r.spared + r.sparedSphincter} (${r.sparedSphincter} sph.)` : String(r.spared);
  return `<tr><td>${r.level}</td><td>${sideName(r.side)}</td><td class="num">${r.tested}</td><td class="num">${r.decided}</td>`
    + `<td class="num">${r.cut}</td><td class="num">${partials(r.partialFractions)}</td><td class="num">${spared}</td>`
    + `<td class="num">${fmtCount(r.cutEquivalent)}</td><td class="num">${fmtPct(r.cutPct)}</td><td class="num">${fmtPct(r.planPct)}</td>`
    + `<td class="num">${fmtDelta(r.deltaPct)}</td></tr>`;
}

function totalRow(t: ReportTotal): string {
  return `<tr class="total"><td colspan="2">Total, ${sideName(t.side)}</td><td class="num">${t.tested}</td><td class="num">${t.decided}</td>`
    + `<td class="num">${t.cut}</td><td class="num">${t.partialFractions.length <= 3 ? partials(t.partialFractions) : `${t.partialFractions.length} rootlets`}</td><td class="num"></td>`
    + `<td class="num">${fmtCount(t.cutEquivalent)}</td><td class="num">${fmtPct(t.cutPct)}</td><td class="num">${fmtPct(t.planPct)}</td>`
    + `<td class="num">${fmtDelta(t.deltaPct)}</td></tr>`;
}

function field(name: string, value: string): string {
  return `<div><dt>${esc(name)}</dt><dd>${value === '' ? '—' : esc(value)}</dd></div>`;
}

/** Renders a built report model as a self-contained HTML document. */
export function renderReportHtml(report: CaseReport): string {
  const c = report.case;
  const tz = report.timeZone;
  const t = report.totals;
  const h: string[] = [];
  h.push('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">');
  h.push(`<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_CONTENT_SECURITY_POLICY)}">`);
  h.push('<meta name="color-scheme" content="light">');
  h.push(`<title>SDR case report ${esc(c.patientId)} ${esc(fmtDate(report.operationDate, tz))}</title>`);
  h.push(`<style>${CSS}</style></head><body>`);

  // ----- header -----
  h.push('<header>');
  h.push(`<h1>Selective dorsal rhizotomy: case report</h1>`);
  h.push(`<p class="sub">Patient ${esc(c.patientId)} · operation ${esc(fmtDate(report.operationDate, tz))} · generated ${esc(fmtDateTime(report.generatedAt, tz))} (${esc(tz)}) by sdrlog ${esc(report.softwareVersion)}</p>`);
  h.push('<dl class="fields">');
  h.push(field('Patient', `${c.patientId} (pseudonym)`));
  h.push(field('Age', `${c.ageYears} years`));
  h.push(field('Diagnosis', c.diagnosis));
  h.push(field('Date of operation', fmtDate(report.operationDate, tz)));
  h.push(field('Approach', c.approach));
  h.push(field('Target muscles', c.targetMuscles.join(', ')));
  h.push(field('Montage', report.montage ? `${report.montage.name} (${report.montage.channels} channels)` : ''));
  h.push(field('Case id', c.id));
  if (c.anaesthesiaNotes) h.push(field('Anaesthesia', c.anaesthesiaNotes));
  if (c.notes) h.push(field('Notes', c.notes));
  h.push('</dl>');
  const correctionsN = report.eventCounts.correction;
  h.push('<div class="keyfigs">');
  h.push(`<div><span class="v">${t.both.tested}</span><span class="k">rootlets tested</span></div>`);
  h.push(`<div><span class="v">${fmtCount(t.both.cutEquivalent)} / ${t.both.decided}</span><span class="k">cut / decided (partials as fractions)</span></div>`);
  h.push(`<div><span class="v">${fmtPct(t.both.cutPct)}</span><span class="k">cut overall (plan ${fmtPct(t.both.planPct)})</span></div>`);
  h.push(`<div><span class="v">${correctionsN}</span><span class="k">decision${correctionsN === 1 ? '' : 's'} corrected</span></div>`);
  h.push(`<div><span class="v${report.audit.chainOk ? '' : ' bad'}">${report.audit.chainOk ? 'verified' : 'BROKEN'}</span><span class="k">audit chain</span></div>`);
  h.push('</div>');
  h.push('</header>');

  // ----- rootlet map -----
  h.push('<section class="map"><h2>Rootlet map</h2><figure>');
  h.push(rootletMapSvg(report.map));
  h.push('<figcaption>Decisions are the current ones (after corrections); grades are each rootlet\'s latest graded train. The software suggests; the clinicians decided.</figcaption>');
  h.push('</figure></section>');

  // ----- per level -----
  h.push('<section class="page"><h2>Rootlets tested and cut per level, against the plan</h2>');
  h.push('<table class="levels"><thead><tr><th>Level</th><th>Side</th><th class="num">Tested</th><th class="num">Decided</th><th class="num">Cut</th>'
    + '<th class="num">Partial</th><th class="num">Spared</th><th class="num">Cut equiv.</th><th class="num">% cut</th><th class="num">Plan</th><th class="num">vs plan</th></tr></thead><tbody>');
  for (const r of report.levels) h.push(levelRow(r));
  if (report.levels.length === 0) h.push('<tr><td colspan="11">Nothing recorded.</td></tr>');
  h.push(totalRow(t.L), totalRow(t.R), totalRow(t.both));
  h.push('</tbody></table>');
  h.push('<p class="note">Tested: rootlets stimulated at least once. % cut = cut equivalent (a partly cut rootlet counts as its fraction) / rootlets decided. '
    + 'Totals compare with the plan weighted by the rootlets decided at each planned level. "sph.": spared for sphincter/pudendal protection whatever the grade.</p>');

  h.push('<h2>Thresholds</h2>');
  h.push('<table class="thresholds keep"><thead><tr><th>Level</th><th>Side</th><th class="num">Dorsal root mA</th><th class="num">Ventral root mA</th>'
    + '<th class="num">Dorsal / ventral</th><th class="num">Rootlets</th><th class="num">Rootlet min mA</th><th class="num">median</th><th class="num">max</th></tr></thead><tbody>');
  for (const r of report.thresholds) {
    h.push(`<tr><td>${r.level}</td><td>${sideName(r.side)}</td><td class="num">${fmtMa(r.dorsalMa)}</td><td class="num">${fmtMa(r.ventralMa)}</td>`
      + `<td class="num">${r.dorsalVentralRatio === null ? '—' : `${r.dorsalVentralRatio}×`}</td><td class="num">${r.rootletCount}</td>`
      + `<td class="num">${fmtMa(r.rootletMinMa)}</td><td class="num">${fmtMa(r.rootletMedianMa)}</td><td class="num">${fmtMa(r.rootletMaxMa)}</td></tr>`);
  }
  if (report.thresholds.length === 0) h.push('<tr><td colspan="9">No thresholds recorded.</td></tr>');
  h.push('</tbody></table>');
  h.push('<p class="note">Single-pulse thresholds (lowest intensity with a reproducible response in any muscle); the latest ramp counts. '
    + 'Ventral roots usually respond at about a tenth of the dorsal threshold; the ratio is shown, not used as a rule.</p>');
  h.push('</section>');

  // ----- grades -----
  const hist = report.histogram;
  h.push('<section class="page keep"><h2>Grade histogram</h2>');
  h.push('<p class="note">Rootlets per latest grade (Phillips &amp; Park spread grade 0 to 4+; 3+ and 4+ are the usual cut candidates).</p>');
  h.push(`<figure>${gradeHistogramSvg(hist)}</figure>`);
  h.push('<table class="histogram-table narrow"><thead><tr><th>Side</th>');
  for (let g = 0; g < 5; g++) h.push(`<th class="num">${fmtGrade(g)}</th>`);
  h.push('<th class="num">Graded</th></tr></thead><tbody>');
  for (const [name, row] of [['left', hist.L], ['right', hist.R], ['both sides', hist.both]] as const) {
    h.push(`<tr${name === 'both sides' ? ' class="total"' : ''}><td>${name}</td>${row.map((n) => `<td class="num">${n}</td>`).join('')}<td class="num">${row.reduce((a, b) => a + b, 0)}</td></tr>`);
  }
  h.push('</tbody></table>');
  h.push(`<p class="note">${hist.ungraded > 0 ? `${hist.ungraded} rootlet${hist.ungraded === 1 ? '' : 's'} without a graded train ${hist.ungraded === 1 ? 'is' : 'are'} not counted. ` : ''}`
    + `Stimulations: ${report.stimulations.total} (${report.stimulations.trains} trains, ${report.stimulations.singles} single pulses).</p>`);
  h.push('</section>');

  // ----- events -----
  h.push('<section><h2>Notable events</h2>');
  const counted = (Object.entries(report.eventCounts) as [ReportEventKind, number][]).filter(([, n]) => n > 0);
  h.push(`<p>${counted.length === 0 ? 'None: no gaps, alarms, electrode problems, corrections or high-intensity stimulations were recorded.'
    : counted.map(([k, n]) => `${esc(EVENT_LABEL[k])}: <b>${n}</b>`).join(' · ')}</p>`);
  if (report.corrections.length > 0) {
    h.push('<h3>Corrected decisions</h3>');
    h.push('<table class="corrections"><thead><tr><th>Rootlet</th><th>Was</th><th>Now</th><th>Corrected by</th><th>When</th><th>Reason</th></tr></thead><tbody>');
    for (const k of report.corrections) {
      h.push(`<tr><td>${k.level} ${sideName(k.side)} #${k.rootlet}</td><td>${esc(decisionText(k.from.kind, k.from.cutFraction))} (${esc(k.from.by)})</td>`
        + `<td><b>${esc(decisionText(k.to.kind, k.to.cutFraction))}</b></td><td>${esc(k.to.by)}</td><td class="num">${esc(fmtDateTime(k.decidedAt, tz))}</td><td>${esc(k.reason) || '—'}</td></tr>`);
    }
    h.push('</tbody></table>');
  }
  if (report.events.length > 0) {
    h.push('<h3>Event log</h3>');
    h.push('<table class="events"><thead><tr><th>Time</th><th class="num">Session</th><th>Event</th><th>Details</th></tr></thead><tbody>');
    for (const e of report.events) {
      h.push(`<tr><td class="num">${esc(fmtDateTime(e.at, tz))}</td><td class="num">${e.sessionId ?? '—'}</td><td>${esc(EVENT_LABEL[e.kind])}</td><td>${esc(e.text)}</td></tr>`);
    }
    h.push('</tbody></table>');
  }
  const omitted = counted.map(([k, n]) => [k, n - report.events.filter((e) => e.kind === k).length] as const).filter(([, n]) => n > 0);
  if (omitted.length > 0) h.push(`<p class="note">Not listed (counted above): ${omitted.map(([k, n]) => `${n} more ${esc(EVENT_LABEL[k])}`).join(', ')}.</p>`);
  if (report.sessions.length > 0) {
    h.push('<h3>Sessions</h3>');
    h.push('<table class="sessions"><thead><tr><th class="num">#</th><th>Source</th><th>Started</th><th>Ended</th><th class="num">Stimulations</th><th class="num">Trains</th><th class="num">High intensity</th><th>Closed</th></tr></thead><tbody>');
    for (const s of report.sessions) {
      h.push(`<tr><td class="num">${s.id}</td><td>${esc(s.source)}</td><td class="num">${esc(fmtDateTime(s.startedAt, tz))}</td><td class="num">${esc(fmtDateTime(s.endedAt, tz))}</td>`
        + `<td class="num">${s.stimulations}</td><td class="num">${s.trains}</td><td class="num">${s.highIntensity}</td><td>${s.cleanShutdown ? 'cleanly' : '<span class="bad">not cleanly</span>'}</td></tr>`);
    }
    h.push('</tbody></table>');
  }
  h.push('</section>');

  // ----- audit -----
  const a = report.audit;
  h.push('<section class="keep"><h2>Audit</h2>');
  h.push(`<p>Audit entries about this case: <b>${a.caseEntries}</b> (${esc(Object.entries(a.byAction).map(([k, n]) => `${k} ${n}`).join(', '))}).</p>`);
  h.push(`<p>Audit hash chain: ${a.chainOk ? `<b>verified</b> (${esc(a.chainDetail)})` : `<span class="bad">BROKEN, first broken link: ${esc(a.chainDetail)}</span>`}</p>`);
  if (a.checks.length > 0) {
    h.push('<ul class="checks">');
    for (const k of a.checks) h.push(`<li>${esc(k.name)}: ${k.ok ? 'ok' : '<span class="bad">FAILED</span>'}${k.detail && k.detail !== 'ok' ? ` (${esc(k.detail)})` : ''}</li>`);
    h.push('</ul>');
  }
  if (a.head) {
    h.push(`<p>Audit head when this report was generated: <span class="mono">${a.head.id}:${esc(a.head.hash)}</span></p>`);
    h.push('<p class="note">Keep this head with the report: <span class="mono">sdrlog verify DB --head ID:HASH</span> later proves that no audit entry was removed or altered since.</p>');
  }
  h.push('</section>');

  h.push(`<footer>Generated ${esc(fmtDateTime(report.generatedAt, tz))} (${esc(tz)}) by sdrlog ${esc(report.softwareVersion)}`
    + `${report.graderVersions.length ? ` · grader ${esc(report.graderVersions.join(', '))}` : ''} · case ${esc(c.id)}. `
    + 'The software suggests; the clinician decides.</footer>');
  h.push('</body></html>');
  return h.join('\n');
}

/**
 * Footer for Chromium/Electron print-to-PDF (`footerTemplate`): patient pseudonym and page x of y.
 * Printed by the browser outside the document, so it is not subject to the report's CSP.
 */
export function reportPdfFooterTemplate(report: CaseReport): string {
  return `<div style="font-family: Helvetica, Arial, sans-serif; font-size: 7.5pt; width: 100%; padding: 0 14mm; color: #374151; display: flex; justify-content: space-between;">`
    + `<span>SDR case report · ${esc(report.case.patientId)} · ${esc(fmtDate(report.operationDate, report.timeZone))}</span>`
    + '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>';
}
