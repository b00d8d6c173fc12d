import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { buildRendererIfStale, launchChromium, screenshot } from './harness';
import { startHost, type RunningHost } from './host';

/**
 * Alarms the operating room must see: an electrode coming off (banner naming the muscle, lane marked)
 * and the link dropping out (the loss counted, the hole drawn as a gap in the live traces).
 */
describe('device alarms in the UI', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sdrlog-alarms-'));
  let host: RunningHost | null = null;
  let browser: Browser | null = null;

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows electrode-off and gaps', async () => {
    buildRendererIfStale();
    host = await startHost(path.join(dir, 'alarms.db'), {
      faults: { events: [{ atS: 1, kind: 'electrode-off', channel: 3, durationS: 60 }, { atS: 2, kind: 'stall', durationMs: 400 }, { atS: 2.5, kind: 'unplug', durationS: 1 }] },
    });
    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    await page.goto(host.url);
    await page.getByTestId('new-patient').fill('ALARM-1');
    await page.getByTestId('new-age').fill('8');
    await page.getByTestId('create-case').click();
    await expect.poll(() => page.getByTestId('case-chip').textContent()).toBe('ALARM-1 \u00b7 8 y');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('5');
    await page.getByTestId('connect').click();
    // channel 3 of the default montage is the left tibialis anterior
    await expect.poll(() => page.getByTestId('electrode-alarm').textContent(), { timeout: 20_000 }).toContain('L TA');
    await expect.poll(() => page.getByTestId('electrode-off').textContent()).toContain('L TA (ch 3)');
    // the unplugged second is counted as lost samples once the link is back
    await expect.poll(async () => Number(/samples lost(\d+)/.exec((await page.getByTestId('link-counters').textContent()) ?? '')?.[1] ?? 0), { timeout: 20_000 }).toBeGreaterThan(0);
    await page.keyboard.press('1');
    await expect.poll(() => page.evaluate(() => window.__sdrLiveStats?.framesDrawn ?? 0)).toBeGreaterThan(5);
    await screenshot(page, 'alarms');
  }, 90_000);
});
