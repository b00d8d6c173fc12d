import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RENDERER_DIST = path.join(ROOT, 'dist', 'renderer');
export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds the renderer with Vite unless dist/renderer is newer than every source it is built from, so
 * a test run after an edit never drives a stale UI and repeated runs skip the build.
 */
export function buildRendererIfStale(): void {
  const index = path.join(RENDERER_DIST, 'index.html');
  const fresh = (): boolean => {
    const sources = ['renderer', 'src/contracts', 'src/domain'].map((d) => newestMtimeMs(path.join(ROOT, d)));
    const config = statSync(path.join(ROOT, 'vite.renderer.config.ts')).mtimeMs;
    return existsSync(index) && statSync(index).mtimeMs > Math.max(config, ...sources);
  };
  if (fresh()) return;
  // Test files run in parallel workers: one builds, the others wait for it (mkdir is atomic).
  const lock = path.join(ROOT, 'dist', '.renderer-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the longest build is left over from a killed run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) rmdirSync(lock);
      if (Date.now() > deadline) throw new Error(`renderer build lock ${lock} held too long`);
      Atomics.wait(sleeper, 0, 0, 250);
    }
  }
  try {
    if (!fresh()) runViteBuild();
  } finally {
    rmdirSync(lock);
  }
}

function runViteBuild(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', 'vite.renderer.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`renderer build failed:\n${r.stdout}\n${r.stderr}`);
}

/** Debian's Chromium, headless; no Playwright browser download. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const vp = page.viewportSize();
  const file = path.join(SCREENSHOT_DIR, `${name}-${vp ? `${vp.width}x${vp.height}` : 'page'}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Elements whose content overflows horizontally out of the viewport (something cut off). */
export async function offscreenElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const w = window.innerWidth;
    const h = window.innerHeight;
    for (const el of Array.from(document.querySelectorAll('button, h1, h2, .panel, canvas, .pill, .tab'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      // Inside a scrolling panel is fine (reachable); outside the window is not.
      let scroller: Element | null = el.parentElement;
      let inScroll = false;
      while (scroller) {
        const s = getComputedStyle(scroller);
        if (/(auto|scroll)/.test(s.overflowY) || /(auto|scroll)/.test(s.overflowX)) { inScroll = true; break; }
        scroller = scroller.parentElement;
      }
      if (inScroll) continue;
      if (r.right > w + 1 || r.bottom > h + 1 || r.left < -1) out.push(`${el.tagName.toLowerCase()}.${(el as HTMLElement).className} "${(el.textContent ?? '').slice(0, 30)}" ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return out;
  });
}

/** Share of a canvas's pixels that differ from its most common colour (0 = empty/blank canvas). */
export async function canvasInk(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(selector, (canvases) => (canvases as HTMLCanvasElement[]).map((c) => {
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return 0;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const counts = new Map<number, number>();
    for (let i = 0; i < d.length; i += 16) {
      const key = (d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let top = 0;
    for (const v of counts.values()) top = Math.max(top, v);
    const total = d.length / 16;
    return 1 - top / total;
  }));
}
