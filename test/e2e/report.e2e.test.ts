import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildFixtureCase } from '../unit/report/fixture';
import { buildRendererIfStale, launchChromium, offscreenElements, screenshot } from './harness';
import { startHost, type RunningHost } from './host';

/**
 * The case report from the browser UI: on the rootlet map, "Report" and "PDF" link to the browser
 * host's /report/<id> and /report/<id>.pdf, reachable by Tab; the report opens in a new tab under its
 * own CSP (no violations, its stylesheet applied) and the PDF link answers a PDF.
 */

let dir = '';
let host: RunningHost | null = null;
let browser: Browser | null = null;
let page: Page;
let caseId = '';
const pageErrors: string[] = [];

describe('case report in the browser UI', () => {
  beforeAll(async () => {
    buildRendererIfStale();
    dir = mkdtempSync(path.join(os.tmpdir(), 'sdrlog-e2e-report-'));
    const built = buildFixtureCase(dir);
    caseId = built.caseId;
    built.store.close();
    host = await startHost(built.dbPath);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, reducedMotion: 'reduce' });
    page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('links the HTML and PDF report from the rootlet map, keyboard reachable; the report opens in a new tab', async () => {
    await page.goto(host!.url);
    await page.getByTestId('tab-setup').click();
    await page.getByRole('button', { name: 'Open', exact: true }).first().click();
    await page.getByTestId('case-chip').filter({ hasText: 'SDR-2024-017' }).waitFor();
    await page.getByTestId('tab-map').click();
    await page.getByTestId('total-tested').filter({ hasText: '27' }).waitFor();

    const html = page.getByTestId('report-html');
    const pdf = page.getByTestId('report-pdf');
    expect(await html.getAttribute('href')).toBe(`/report/${caseId}`);
    expect(await html.getAttribute('target')).toBe('_blank');
    expect(await pdf.getAttribute('href')).toBe(`/report/${caseId}.pdf`);
    expect(await pdf.getAttribute('target')).toBe('_blank');

    // reachable with Tab from the top of the page
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'report-html');
    }
    expect(reached, 'the Report link is not reachable with Tab').toBe(true);
    await html.blur();

    // the fixture case has no raw EMG: dismiss the banners saying so before the screenshot
    const banners = page.getByTestId('error-banner');
    for (let i = 0; i < 10 && (await banners.count()) > 0; i++) await banners.first().getByRole('button', { name: 'Dismiss' }).click();
    const file = await screenshot(page, 'map-report-button');
    expect(await offscreenElements(page), path.basename(file)).toEqual([]);

    // the report in a new tab, under its own CSP: nothing blocked, the stylesheet applied
    const [popup] = await Promise.all([page.waitForEvent('popup'), html.click()]);
    const popupErrors: string[] = [];
    popup.on('console', (m) => { if (m.type() === 'error') popupErrors.push(m.text()); });
    await popup.waitForLoadState('load');
    expect(popup.url()).toBe(`${host!.url}report/${caseId}`);
    await popup.locator('svg.rootlet-map').waitFor();
    expect(await popup.locator('h1').first().textContent()).toContain('case report');
    expect(await popup.evaluate(() => getComputedStyle(document.body).fontFamily)).toMatch(/Helvetica/);
    expect(await popup.locator('script').count()).toBe(0);
    await popup.waitForTimeout(200);
    expect(popupErrors).toEqual([]);
    await screenshot(popup, 'report-tab');
    await popup.close();

    // the PDF link answers a PDF from the same host
    const res = await page.request.get(new URL(`/report/${caseId}.pdf`, host!.url).toString(), { timeout: 60_000 });
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('application/pdf');
    expect((await res.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
