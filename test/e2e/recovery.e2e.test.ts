import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { buildRendererIfStale, launchChromium, ROOT, screenshot } from './harness';
import { startHost, type RunningHost } from './host';

async function call(url: string, method: string, body: unknown): Promise<unknown> {
  const r = await fetch(`${url}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await r.json()) as { ok: boolean; value?: unknown; error?: { message: string } };
  if (!json.ok) throw new Error(`${method}: ${json.error?.message}`);
  return json.value;
}

/**
 * After a crash (the host process killed while recording, with a decision saved), the next start
 * resumes the case and the UI says so, and what was lost, in a banner; the saved decision is there.
 */
describe('recovery banner', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sdrlog-recovery-'));
  let host: RunningHost | null = null;
  let browser: Browser | null = null;

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the clinician the case was resumed and what was lost', async () => {
    buildRendererIfStale();
    const db = path.join(dir, 'crash.db');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'sdrlog.mjs'), 'web', '--db', db, '--port', '0', '--no-build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /open (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`sdrlog web exited early (${code}): ${out}`)));
    });
    const created = (await call(url, 'createCase', { patientId: 'CRASH-1', ageYears: 5 })) as { id: string };
    await call(url, 'openCase', { caseId: created.id });
    await call(url, 'connectDevice', { source: 'simulator' });
    await call(url, 'recordDecision', { caseId: created.id, level: 'L5', side: 'R', rootlet: 2, kind: 'cut', decidedBy: 'dr test' });
    await new Promise((r) => setTimeout(r, 1500)); // some raw EMG reaches the disk
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    host = await startHost(db);
    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 }, reducedMotion: 'reduce' })).newPage();
    await page.goto(host.url);
    const banner = page.getByTestId('recovery-banner');
    await banner.waitFor({ timeout: 15_000 });
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain('Case resumed after an unexpected stop.');
    expect(text).toContain('Case CRASH-1 (session');
    expect(text).toContain('1 decision intact');
    // the banner carries the host's own account of what was lost
    const info = (await call(host.url.replace(/\/$/, ''), 'getRecoveryInfo', {})) as { recovered: { lostDescription: string }[] };
    expect(info.recovered).toHaveLength(1);
    expect(text).toContain(info.recovered[0]!.lostDescription);
    // the resumed case is open and its decision is on the map
    await expect.poll(() => page.getByTestId('case-chip').textContent()).toBe('CRASH-1 \u00b7 5 y');
    await screenshot(page, 'recovery');
    await page.keyboard.press('2');
    await expect.poll(() => page.getByTestId('map-cell-L5R').textContent()).toContain('CUT');
    await page.getByRole('button', { name: 'Dismiss' }).first().click();
    await banner.waitFor({ state: 'detached' });
  }, 90_000);
});
