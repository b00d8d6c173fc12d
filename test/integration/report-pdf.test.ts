// `sdrlog report` end to end: a case written through the store, the real CLI printing an A4 PDF with
// Debian's Chromium, the PDF's text read back with poppler's pdftotext; and the HTML laid out in
// Chromium under its own CSP at A4 print width, with nothing cut off.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderCaseReportHtml } from '../../src/app/report';
import { pdfPageCount } from '../../src/cli/report';
import { tempDir } from '../unit/storage/helpers';
import { buildFixtureCase } from '../unit/report/fixture';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const hasPdftotext = spawnSync('pdftotext', ['-v'], { encoding: 'utf8' }).error === undefined;

let tmp: ReturnType<typeof tempDir>;
let dbPath: string;
let caseId: string;
let html: string;

beforeAll(() => {
  tmp = tempDir('sdrlog-report-pdf-');
  const built = buildFixtureCase(tmp.dir);
  dbPath = built.dbPath;
  caseId = built.caseId;
  html = renderCaseReportHtml(built.store, caseId, { timeZone: 'UTC' });
  built.store.close();
});
afterAll(() => tmp.cleanup());

function sdrlog(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'sdrlog.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 45_000 });
}

describe('sdrlog report', () => {
  it('prints an A4 PDF and the HTML of a case', () => {
    expect(hasPdftotext, 'pdftotext missing: run bash .ci/install-system-deps.sh (poppler-utils)').toBe(true);
    const pdfPath = path.join(tmp.dir, 'case.pdf');
    const htmlPath = path.join(tmp.dir, 'case.html');
    const t0 = Date.now();
    const r = sdrlog('report', dbPath, '--case', caseId.slice(0, 8), '--pdf', pdfPath, '--html', htmlPath, '--time-zone', 'UTC');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const pdf = readFileSync(pdfPath);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-8).toString('latin1')).toContain('%%EOF');
    const pages = pdfPageCount(pdf);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(r.stdout).toContain(`wrote ${pdfPath} (PDF, ${pages} pages`);
    expect(readFileSync(htmlPath, 'utf8')).toContain('class="rootlet-map"');

    const info = spawnSync('pdfinfo', [pdfPath], { encoding: 'utf8' }).stdout;
    expect(info).toMatch(new RegExp(`Pages:\\s+${pages}\\b`));
    // A4 is 595 x 842 points
    expect(info).toMatch(/Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)/);

    const text = spawnSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' }).stdout.replace(/[ \t]+/g, ' ');
    const page1 = text.split('\f')[0]!;
    for (const s of ['Selective dorsal rhizotomy: case report', 'SDR-2024-017', 'Spastic diplegia (GMFCS II)', 'Rootlet map', "Patient's left", 'page 1 of']) {
      expect(page1).toContain(s);
    }
    // the map's root summaries and the key figures
    expect(page1).toContain('4 tested · 1.5 of 4 cut = 37.5 % (plan 50 %)');
    expect(page1).toContain('12.1 / 26');
    for (const s of ['Total, both sides 27 26 11', '46.5 % 47.5 % −1 pp', 'L5 left #2 spare (Dr Rivera) cut Dr Okafor', 'Grade histogram', 'verified']) {
      expect(text).toContain(s);
    }
  });

  it('refuses a missing --case, an unknown case and a missing database with one line and exit 2', async () => {
    const { main } = await import('../../src/cli/main');
    const run = async (...args: string[]) => {
      const err: string[] = [];
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
      try {
        return { code: await main(args), stderr: err.join('') };
      } finally {
        spy.mockRestore();
      }
    };
    const a = await run('report', dbPath);
    expect(a).toEqual({ code: 2, stderr: 'sdrlog: report: say which case, e.g. --case <id> (see sdrlog case list)\n' });
    const b = await run('report', dbPath, '--case', 'ffffffff-0000');
    expect(b).toEqual({ code: 2, stderr: "sdrlog: no case with id 'ffffffff-0000'\n" });
    const c = await run('report', path.join(tmp.dir, 'missing.db'), '--case', caseId);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^sdrlog: database not found: .*missing\.db\n$/);
    const d = await run('report', dbPath, '--case', caseId, '--time-zone', 'Mars/Olympus');
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('--time-zone must be an IANA zone');
  });

  it('lays out under its own CSP at A4 print width with no table or figure cut off', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      // A4 content width: 210 mm - 2 x 14 mm margins = 182 mm = 688 CSS px
      const page = await browser.newPage({ viewport: { width: 688, height: 1000 } });
      const violations: string[] = [];
      page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url()); });
      await page.setContent(html, { waitUntil: 'load' });
      await page.emulateMedia({ media: 'print' });
      const layout = await page.evaluate(() => {
        const h1 = document.querySelector('h1')!;
        const overflowing = Array.from(document.querySelectorAll('table, svg, figure, dl, .keyfigs'))
          .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .map((el) => el.className.toString() || el.tagName);
        return {
          h1Size: getComputedStyle(h1).fontSize, scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth, overflowing, cells: document.querySelectorAll('svg.rootlet-map g.rootlet').length,
        };
      });
      expect(violations).toEqual([]);
      expect(requests).toEqual([]);
      // the hashed stylesheet applied: 17pt headline
      expect(parseFloat(layout.h1Size)).toBeCloseTo(22.67, 1);
      expect(layout.overflowing).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
      expect(layout.cells).toBe(27);
      const shot = path.join(ROOT, 'test-artifacts', 'report');
      mkdirSync(shot, { recursive: true });
      writeFileSync(path.join(shot, 'report-a4-width.png'), await page.screenshot({ fullPage: true }));
    } finally {
      await browser.close();
    }
  });
});
