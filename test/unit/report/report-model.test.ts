import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCaseReport, renderCaseReportHtml, renderReportHtml, REPORT_CONTENT_SECURITY_POLICY, SOFTWARE_VERSION, type CaseReport,
} from '../../../src/app/report';
import { tempDir } from '../storage/helpers';
import { buildFixtureCase, ROOTLETS, type BuiltCase } from './fixture';

let tmp: ReturnType<typeof tempDir>;
let built: BuiltCase;
let report: CaseReport;
const GENERATED = new Date('2024-03-01T15:30:00Z');

beforeAll(() => {
  tmp = tempDir('sdrlog-report-');
  built = buildFixtureCase(tmp.dir);
  report = buildCaseReport(built.store, built.caseId, { now: () => GENERATED, timeZone: 'UTC' });
});
afterAll(() => {
  built.store.close();
  tmp.cleanup();
});

const row = (level: string, side: string) => report.levels.find((r) => r.level === level && r.side === side)!;

describe('case report model', () => {
  it('has the case header and the operation date of the first session', () => {
    expect(report.case.patientId).toBe('SDR-2024-017');
    expect(report.case.ageYears).toBe(6);
    expect(report.case.diagnosis).toBe('Spastic diplegia (GMFCS II)');
    expect(report.case.approach).toBe('Single-level laminectomy at the conus (L1)');
    expect(report.operationDate.slice(0, 10)).toBe('2024-03-01');
    expect(report.generatedAt).toBe('2024-03-01T15:30:00.000Z');
    expect(report.softwareVersion).toBe(SOFTWARE_VERSION);
    expect(report.graderVersions).toEqual(['fixture-grader-1']);
  });

  it('software version matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SOFTWARE_VERSION).toBe(pkg.version);
  });

  it('counts rootlets tested, cut and partly cut per level and side, with % cut against the plan', () => {
    expect(report.levels.map((r) => `${r.level}${r.side}`)).toEqual(['L2L', 'L4L', 'L4R', 'L5L', 'L5R', 'S1L', 'S1R', 'S2R']);
    expect(row('L2', 'L')).toMatchObject({ tested: 3, decided: 3, cut: 1, partialFractions: [], spared: 2, cutEquivalent: 1, cutPct: 33.3, planPct: 30, deltaPct: 3.3 });
    expect(row('L4', 'L')).toMatchObject({ tested: 4, decided: 4, cut: 2, cutEquivalent: 2, cutPct: 50, planPct: 40, deltaPct: 10 });
    // one full cut and one 50 % partial of four decided
    expect(row('L4', 'R')).toMatchObject({ tested: 4, decided: 4, cut: 1, partialFractions: [0.5], spared: 2, cutEquivalent: 1.5, cutPct: 37.5, planPct: 50, deltaPct: -12.5 });
    // the corrected rootlet counts with its current decision (cut); #4 was tested but never decided
    expect(row('L5', 'L')).toMatchObject({ tested: 4, decided: 3, cut: 2, spared: 1, cutEquivalent: 2, cutPct: 66.7, planPct: 50 });
    expect(row('S1', 'R')).toMatchObject({ tested: 4, decided: 4, cut: 2, partialFractions: [0.6], cutEquivalent: 2.6, cutPct: 65, planPct: 60, deltaPct: 5 });
    expect(row('S2', 'R')).toMatchObject({ tested: 2, decided: 2, cut: 0, spared: 0, sparedSphincter: 2, cutPct: 0, planPct: null, deltaPct: null });
  });

  it('totals per side and overall, the plan weighted by rootlets decided at planned levels', () => {
    expect(report.totals.L).toMatchObject({ tested: 14, decided: 13, cut: 6, cutEquivalent: 6, cutPct: 46.2, planPct: 42.3, deltaPct: 3.9 });
    // right: 1.5 + 2 + 2.6 + 0 of 13; plan (50x4 + 50x3 + 60x4) / 11 (S2 has no plan)
    expect(report.totals.R).toMatchObject({ tested: 13, decided: 13, cut: 5, partialFractions: [0.5, 0.6], cutEquivalent: 6.1, cutPct: 46.9, planPct: 53.6, deltaPct: -6.7 });
    expect(report.totals.both).toMatchObject({ tested: 27, decided: 26, cut: 11, cutEquivalent: 12.1, cutPct: 46.5, planPct: 47.5, deltaPct: -1 });
    // the same totals as the app's rootlet map
    expect(report.map.totals).toMatchObject({ tested: 27, decided: 26, cutEquivalent: 12.1, cutPct: 46.5 });
  });

  it('reports dorsal and ventral root thresholds and the latest rootlet thresholds', () => {
    const l4l = report.thresholds.find((t) => t.level === 'L4' && t.side === 'L')!;
    expect(l4l).toMatchObject({ dorsalMa: 1.1, ventralMa: 0.12, dorsalVentralRatio: 9.2, rootletCount: 4, rootletMinMa: 0.8, rootletMedianMa: 1, rootletMaxMa: 1.2 });
    const l4r = report.thresholds.find((t) => t.level === 'L4' && t.side === 'R')!;
    // rootlet 2 was ramped twice (0.9 then 0.7 mA): the later ramp counts
    expect(l4r).toMatchObject({ dorsalMa: 0.95, ventralMa: 0.1, dorsalVentralRatio: 9.5, rootletMinMa: 0.7, rootletMaxMa: 1.3 });
    expect(report.map.roots.find((r) => r.level === 'L4' && r.side === 'R')!.rootlets[1]!.thresholdMa).toBe(0.7);
    expect(report.thresholds.find((t) => t.level === 'S1' && t.side === 'R')).toMatchObject({ dorsalMa: 0.7, ventralMa: 0.08, dorsalVentralRatio: 8.8 });
    expect(report.thresholds.find((t) => t.level === 'L5' && t.side === 'R')).toMatchObject({ dorsalMa: null, ventralMa: null, rootletCount: 3 });
  });

  it('histograms the latest grade of every rootlet, per side', () => {
    expect(report.histogram.L).toEqual([1, 4, 4, 4, 1]);
    expect(report.histogram.R).toEqual([0, 2, 3, 6, 2]);
    expect(report.histogram.both).toEqual([1, 6, 7, 10, 3]);
    expect(report.histogram.ungraded).toBe(0);
    // L4 left #2 was graded 2+ then 3+: only the latest counts
    expect(report.map.roots.find((r) => r.level === 'L4' && r.side === 'L')!.rootlets[1]!.grade).toBe(3);
    expect(report.histogram.both.reduce((a, b) => a + b, 0)).toBe(ROOTLETS.length);
  });

  it('lists the correction with who, when and why', () => {
    expect(report.corrections).toHaveLength(1);
    expect(report.corrections[0]).toMatchObject({
      level: 'L5', side: 'L', rootlet: 2, from: { kind: 'spare', cutFraction: 0, by: 'Dr Rivera' }, to: { kind: 'cut', cutFraction: 1, by: 'Dr Okafor' },
      reason: 'repeat train: sustained spread',
    });
    expect(report.corrections[0]!.correctsId).toBeLessThan(report.corrections[0]!.decisionId);
  });

  it('collects notable events: gap, alarm, electrode-off/on, high intensity, crashed session, correction', () => {
    expect(report.eventCounts).toMatchObject({ gap: 1, alarm: 1, 'electrode-off': 1, 'electrode-on': 1, 'high-intensity': 1, 'unclean-session': 1, correction: 1, note: 0 });
    const gap = report.events.find((e) => e.kind === 'gap')!;
    expect(gap.text).toContain('0.250 s (2500 samples)');
    // the gap starts 1000 samples (0.1 s) into session 1
    expect(Date.parse(gap.at!) - Date.parse(report.sessions[0]!.startedAt)).toBe(100);
    const high = report.events.find((e) => e.kind === 'high-intensity')!;
    expect(high.text).toContain('25 mA on L4 right dorsal rootlet 1');
    expect(report.events.find((e) => e.kind === 'electrode-off')!.text).toBe('channel 4: R TA electrode off');
    expect(report.stimulations).toEqual({ total: 57, trains: 29, singles: 28, highIntensity: 1 });
    expect(report.sessions.map((s) => [s.stimulations, s.cleanShutdown])).toEqual([[57, true], [0, false]]);
    const times = report.events.map((e) => e.at ?? '');
    expect([...times].sort()).toEqual(times);
  });

  it('caps the events listed per kind but counts them all', () => {
    const capped = buildCaseReport(built.store, built.caseId, { maxEventsPerKind: 0, timeZone: 'UTC' });
    expect(capped.events).toHaveLength(0);
    expect(capped.eventCounts.gap).toBe(1);
    expect(renderReportHtml(capped)).toContain('Not listed (counted above): 1 more session not closed cleanly');
  });

  it('summarises the audit with the verified chain and its head', () => {
    expect(report.audit.caseEntries).toBe(33);
    expect(report.audit.byAction).toEqual({
      'case.create': 1, 'montage.set': 1, 'session.start': 2, 'session.end': 1, 'session.recover': 1, 'decision.record': 26, 'decision.correct': 1,
    });
    expect(report.audit.chainOk).toBe(true);
    expect(report.audit.chainDetail).toBe('33 entries, every link ok');
    expect(report.audit.checks.map((c) => [c.name, c.ok])).toEqual([
      ['integrity', true], ['foreign-keys', true], ['append-only', true], ['audit-chain', true], ['decisions-audited', true],
    ]);
    expect(report.audit.head?.id).toBe(33);
    expect(report.audit.head?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('resolves a case id prefix and refuses an unknown case', () => {
    expect(buildCaseReport(built.store, built.caseId.slice(0, 8)).case.id).toBe(built.caseId);
    expect(() => buildCaseReport(built.store, 'nope-nope')).toThrow(/no case/);
  });
});

describe('case report HTML', () => {
  let html: string;
  beforeAll(() => {
    html = renderCaseReportHtml(built.store, built.caseId, { now: () => GENERATED, timeZone: 'UTC' });
  });

  it('draws the rootlet map as inline SVG with one cell per rootlet', () => {
    const svg = /<svg class="rootlet-map"[\s\S]*?<\/svg>/.exec(html)![0];
    const cells = [...svg.matchAll(/data-rootlet="([A-Z0-9]+-\d+)"/g)].map((m) => m[1]);
    expect(cells).toHaveLength(ROOTLETS.length);
    expect(new Set(cells)).toEqual(new Set(ROOTLETS.map((r) => `${r.level}${r.side}-${r.index}`)));
    // each cell writes out threshold, grade and decision (readable without colour)
    const cell = (id: string) => new RegExp(`data-rootlet="${id}">([\\s\\S]*?)</g>`).exec(svg)![1]!;
    expect(cell('S1R-1')).toMatch(/>0\.50<[\s\S]*>G4\+<[\s\S]*>60 %</);
    expect(cell('L5L-2')).toMatch(/>0\.80<[\s\S]*>G2\+<[\s\S]*>CUT</);
    expect(cell('S2R-2')).toMatch(/>SPH</);
    expect(cell('L5L-4')).toMatch(/>G0<[\s\S]*>open</);
  });

  it('shows the per-level table, histogram, correction and audit head', () => {
    expect(html).toContain('<td>L4</td><td>right</td><td class="num">4</td><td class="num">4</td><td class="num">1</td><td class="num">50 %</td>');
    expect(html).toContain('<td class="num">37.5 %</td><td class="num">50 %</td><td class="num">−12.5 pp</td>');
    expect(html).toContain('Total, both sides</td><td class="num">27</td><td class="num">26</td><td class="num">11</td>');
    expect(html).toMatch(/<tr class="total"><td>both sides<\/td><td class="num">1<\/td><td class="num">6<\/td><td class="num">7<\/td><td class="num">10<\/td><td class="num">3<\/td>/);
    expect(html).toContain('<td>L5 left #2</td><td>spare (Dr Rivera)</td><td><b>cut</b></td><td>Dr Okafor</td>');
    expect(html).toContain(`${report.audit.head!.id}:${report.audit.head!.hash}`);
    expect(html).toContain('SDR-2024-017');
    expect(html).toContain('Generated 2024-03-01 15:30:00 (UTC) by sdrlog 0.1.0');
  });

  it('is self-contained and CSP-clean: no script, no remote resource, no style attribute, style allowed by hash', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = /'sha256-([^']+)'/.exec(REPORT_CONTENT_SECURITY_POLICY)![1];
    expect(hash).toBe(createHash('sha256').update(css).digest('base64'));
    expect(html).toContain('<meta http-equiv="Content-Security-Policy"');
    expect(html).toContain('@page { size: A4;');
  });

  it('escapes text entered by users', () => {
    built.store.cases.update(built.caseId, { notes: 'check <b>L5</b> & "S1"' });
    const out = renderCaseReportHtml(built.store, built.caseId, { timeZone: 'UTC' });
    expect(out).toContain('check &lt;b&gt;L5&lt;/b&gt; &amp; &quot;S1&quot;');
    expect(out).not.toContain('<b>L5</b>');
  });
});

describe('case report of an empty case', () => {
  it('renders with nothing recorded: no map cells, no totals, no events, chain checked in memory', async () => {
    const { openCaseStore } = await import('../../../src/storage');
    const { makeCaseInfo } = await import('../../../src/domain');
    const store = openCaseStore(':memory:');
    try {
      const c = store.cases.create(makeCaseInfo({ patientId: 'P-EMPTY', ageYears: 4, cutPlan: { L4: { L: 40 } } }));
      const r = buildCaseReport(store, c.id, { timeZone: 'UTC' });
      expect(r.levels).toEqual([expect.objectContaining({ level: 'L4', side: 'L', tested: 0, decided: 0, cutPct: null, planPct: 40 })]);
      expect(r.totals.both).toMatchObject({ tested: 0, decided: 0, cutPct: null, planPct: null });
      expect(r.events).toEqual([]);
      expect(r.audit).toMatchObject({ caseEntries: 1, chainOk: true, head: null });
      const html = renderReportHtml(r);
      expect(html).not.toContain('data-rootlet=');
      expect(html).toContain('None: no gaps, alarms');
    } finally {
      store.close();
    }
  });
});
