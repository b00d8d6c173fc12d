import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createSdrApp } from '../../src/app/sdr-app';
import { openCaseStore } from '../../src/storage';
import type { Level, Result, Side } from '../../src/domain';
import { SynthDevice } from '../unit/app/synth-device';
import { buildRendererIfStale, canvasInk, launchChromium, offscreenElements, ROOT } from './harness';
import { startHost, type RunningHost } from './host';

/**
 * The Replay and Training screens in Chromium through the browser host, over a session recorded live
 * with the simulated patient. Screenshots at 1366x768 go to test-artifacts/screenshots (replay.png, training.png, training-reveal.png).
 */

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrlog-replay-e2e-'));
const dbPath = path.join(dir, 'cases.db');
const SHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');
let host: RunningHost;
let browser: Browser;
let page: Page;
let trains: number[] = [];
let storedGradeLabel = '';

const TARGETS: [Level, Side, number, number][] = [['L4', 'L', 1, 1.5], ['L4', 'R', 1, 1.2], ['L5', 'L', 1, 2], ['L5', 'R', 2, 1.5], ['L5', 'R', 1, 2]];

beforeAll(async () => {
  buildRendererIfStale();
  const rec = await createSdrApp({
    dbPath, stimulationTimeoutMs: 30_000,
    createDevice: () => new SynthDevice(31, [
      { level: 'L4', side: 'R', rootlet: 1, thresholdMa: 0.6, grade: 3, pattern: 'sustained' },
      { level: 'L5', side: 'R', rootlet: 2, thresholdMa: 0.7, grade: 4, pattern: 'clonic' },
    ]),
  });
  try {
    const c = value(await rec.createCase({ patientId: 'TEACH-01', ageYears: 6, diagnosis: 'spastic diplegia' }));
    value(await rec.openCase({ caseId: c.id }));
    value(await rec.connectDevice({ source: 'simulator' }));
    for (const [level, side, rootlet, ma] of TARGETS) {
      value(await rec.setStimulation({ settings: { intensityMa: ma }, target: { level, side, kind: 'dorsal', rootlet } }));
      value(await rec.runTrain({}));
    }
    value(await rec.recordDecision({ caseId: c.id, level: 'L4', side: 'R', rootlet: 1, kind: 'cut', decidedBy: 'Dr Expert' }));
    value(await rec.recordDecision({ caseId: c.id, level: 'L5', side: 'R', rootlet: 2, kind: 'partial', fraction: 0.6, decidedBy: 'Dr Expert' }));
    value(await rec.recordDecision({ caseId: c.id, level: 'L4', side: 'L', rootlet: 1, kind: 'spare', decidedBy: 'Dr Expert' }));
    value(await rec.disconnectDevice({}));
    value(await rec.closeCase({ caseId: c.id }));
  } finally {
    await rec.close();
  }
  const store = openCaseStore(dbPath);
  trains = store.stimulations.forSession(store.sessions.forCaseId(store.cases.all()[0]!.id)[0]!.id).filter((s) => s.stimulation.mode === 'train').map((s) => s.id);
  const g = store.grades.latestForStimulation(trains[1]!)!.grade;
  storedGradeLabel = g === 0 ? '0' : `${g}+`;
  store.close();
  host = await startHost(dbPath);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(host.url);
  fs.mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('replay and training screens', () => {
  it('replays a session at 1x, jumps to a train and shows its graded response', async () => {
    await page.getByTestId('tab-replay').waitFor();
    await page.locator('body').click({ position: { x: 5, y: 740 } });
    await page.keyboard.press('6'); // keyboard reachable: tab 6
    await page.getByTestId('replay-screen').waitFor();
    await page.locator('[data-testid=replay-session] option:not([value=""])').first().waitFor({ state: 'attached' });
    await page.getByTestId('speed-1').click();
    await page.getByTestId('replay-start').click();
    await page.locator('[data-testid=replay-state]', { hasText: 'playing' }).waitFor();
    // jump to the second train (L4 R rootlet 1): its grade appears in the graded-response panel
    await page.getByTestId(`jump-${trains[1]}`).click();
    await page.getByTestId('graded-response').filter({ hasText: 'L4 R rootlet 1' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('replay-pause').click({ timeout: 5000 });
    await page.locator('[data-testid=replay-state]', { hasText: 'paused' }).waitFor();
    // the grade shown is the one stored live for that train
    expect(await page.getByTestId('graded-grade').textContent()).toBe(storedGradeLabel);
    expect((await canvasInk(page, '[data-testid=live-canvas]'))[0]).toBeGreaterThan(0.01);
    expect(await offscreenElements(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'replay.png') });
    await page.getByTestId('replay-stop').click();
  }, 60_000);

  it('runs a blind training attempt, reveals expert and automatic grades, and lists the score', async () => {
    await page.getByTestId('tab-training').click();
    await page.getByTestId('trainee-name').fill('Dr Trainee');
    await page.locator('[data-testid=replay-session] option:not([value=""])').first().waitFor({ state: 'attached' });
    await page.getByTestId('speed-1').click();
    await page.getByTestId('training-start').click();
    await page.getByTestId(`answer-${trains[0]}`).waitFor();
    // grade every train: 3+ sustained cut on L4 R r1, else 1+ spare
    for (const id of trains) {
      const form = page.getByTestId(`answer-${id}`);
      await form.getByRole('button', { name: 'Traces' }).click();
      const strong = id === trains[1];
      await form.getByLabel('Grade').selectOption(strong ? '3' : '1');
      await form.getByLabel('Pattern').selectOption(strong ? 'sustained' : 'decremental');
      await form.getByLabel('Decision').selectOption(strong ? 'cut' : 'spare');
      await form.getByTestId(`save-${id}`).click();
      await form.getByText('\u2713 saved').waitFor();
    }
    expect((await canvasInk(page, '[data-testid=training-epoch]'))[0]).toBeGreaterThan(0.01);
    await page.getByTestId(`answer-${trains[1]}`).getByRole('button', { name: 'Traces' }).click();
    await page.waitForTimeout(500);
    expect(await offscreenElements(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'training.png') });
    await page.getByTestId('training-finish').click();
    const reveal = page.getByTestId('training-reveal');
    await reveal.waitFor({ timeout: 30_000 });
    expect(await reveal.locator('tbody tr').count()).toBe(trains.length);
    await expect.poll(async () => page.getByTestId('training-history').locator('tbody tr').count()).toBe(1);
    expect(await reveal.locator('tbody tr').nth(1).textContent()).toContain('cut (Dr Expert)');
    await page.screenshot({ path: path.join(SHOTS, 'training-reveal.png') });
  }, 90_000);
});
