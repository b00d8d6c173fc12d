import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SdrHandlers } from '../../../src/contracts';
import { tempDir } from '../storage/helpers';

interface FakeWindow {
  options: Record<string, unknown>;
  loadURL: ReturnType<typeof vi.fn>;
  close: ReturnType<typeof vi.fn>;
  closed: boolean;
  webContents: { printToPDF: ReturnType<typeof vi.fn> };
}

const windows: FakeWindow[] = [];
const PDF_BYTES = Buffer.from('%PDF-1.7\n% fake report\n%%EOF\n', 'latin1');
let saveChoice: { canceled: boolean; filePath?: string } = { canceled: true };
let printFails = false;
const showSaveDialog = vi.fn(async (..._args: unknown[]) => saveChoice);

vi.mock('electron', () => {
  class BrowserWindow implements FakeWindow {
    closed = false;
    loadURL = vi.fn(async () => undefined);
    close = vi.fn(() => { this.closed = true; });
    webContents = {
      printToPDF: vi.fn(async () => {
        if (printFails) throw new Error('printing failed');
        return PDF_BYTES;
      }),
    };
    constructor(public options: Record<string, unknown>) {
      windows.push(this);
    }
    isDestroyed(): boolean {
      return this.closed;
    }
    static getFocusedWindow(): null {
      return null;
    }
  }
  return { BrowserWindow, dialog: { showSaveDialog } };
});

const { withReportExport, saveCaseReport } = await import('../../../electron/report-export');

const REPORT = {
  html: '<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'"></head><body><svg class="rootlet-map"></svg>ü</body></html>',
  fileBaseName: 'sdr-report-SDR-7-2024-03-01',
  footerTemplate: '<div>SDR case report · SDR-7 · page <span class="pageNumber"></span></div>',
};

const tmp = tempDir('sdrlog-electron-report-');
afterAll(() => tmp.cleanup());

beforeEach(() => {
  windows.length = 0;
  showSaveDialog.mockClear();
  printFails = false;
});

function handlersWith(getCaseReport: SdrHandlers['getCaseReport']): SdrHandlers {
  return { getCaseReport } as unknown as SdrHandlers;
}

describe('Electron case report export', () => {
  it('prints in a hidden, sandboxed window with JavaScript off and no preload, and writes the chosen file', async () => {
    const target = path.join(tmp.dir, 'chosen.pdf');
    saveChoice = { canceled: false, filePath: target };
    const getCaseReport = vi.fn(() => REPORT);
    const handlers = withReportExport(handlersWith(getCaseReport), { defaultDir: () => '/home/dr/Documents' });
    const result = await handlers.exportCaseReport({ caseId: 'abcd1234' });

    expect(getCaseReport).toHaveBeenCalledWith({ caseId: 'abcd1234' });
    expect(result).toEqual({ saved: true, path: target, format: 'pdf', bytes: PDF_BYTES.length });
    expect(readFileSync(target)).toEqual(PDF_BYTES);

    // the dialog: suggested name in the documents folder, PDF first, HTML offered
    const [options] = showSaveDialog.mock.calls[0]! as [{ defaultPath: string; filters: { extensions: string[] }[] }];
    expect(options.defaultPath).toBe(path.join('/home/dr/Documents', 'sdr-report-SDR-7-2024-03-01.pdf'));
    expect(options.filters.map((f) => f.extensions[0])).toEqual(['pdf', 'html']);

    expect(windows).toHaveLength(1);
    const w = windows[0]!;
    expect(w.options.show).toBe(false);
    const prefs = w.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, javascript: false, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(prefs).not.toHaveProperty('preload');
    // the report itself is loaded, nothing else
    const url = String(w.loadURL.mock.calls[0]![0]);
    expect(url.startsWith('data:text/html;charset=utf-8;base64,')).toBe(true);
    expect(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64').toString('utf8')).toBe(REPORT.html);
    expect(w.webContents.printToPDF).toHaveBeenCalledWith({
      pageSize: 'A4', preferCSSPageSize: true, printBackground: true, margins: { top: 0, bottom: 0, left: 0, right: 0 },
      displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: REPORT.footerTemplate,
    });
    expect(w.close).toHaveBeenCalledTimes(1);
  });

  it('cancel writes nothing and opens no window', async () => {
    const dir = tmp.dir;
    const before = readdirSync(dir);
    saveChoice = { canceled: true };
    const result = await saveCaseReport(REPORT, { defaultDir: () => dir });
    expect(result).toEqual({ saved: false, path: null, format: null, bytes: 0 });
    expect(windows).toHaveLength(0);
    expect(readdirSync(dir)).toEqual(before);
    saveChoice = { canceled: false, filePath: '' };
    expect((await saveCaseReport(REPORT, { defaultDir: () => dir })).saved).toBe(false);
    expect(readdirSync(dir)).toEqual(before);
  });

  it('a .html name saves the HTML itself without printing', async () => {
    const target = path.join(tmp.dir, 'case.html');
    saveChoice = { canceled: false, filePath: target };
    const result = await saveCaseReport(REPORT, { defaultDir: () => tmp.dir });
    expect(result).toMatchObject({ saved: true, path: target, format: 'html' });
    expect(readFileSync(target, 'utf8')).toBe(REPORT.html);
    expect(windows).toHaveLength(0);
  });

  it('a failed print closes the window and writes nothing; a failed getCaseReport opens no dialog', async () => {
    const target = path.join(tmp.dir, 'failed.pdf');
    saveChoice = { canceled: false, filePath: target };
    printFails = true;
    await expect(saveCaseReport(REPORT, { defaultDir: () => tmp.dir })).rejects.toThrow('printing failed');
    expect(windows[0]!.close).toHaveBeenCalledTimes(1);
    expect(existsSync(target)).toBe(false);

    showSaveDialog.mockClear();
    const handlers = withReportExport(handlersWith(() => { throw new Error("no case with id 'x'"); }), { defaultDir: () => tmp.dir });
    await expect(handlers.exportCaseReport({ caseId: 'x' })).rejects.toThrow('no case');
    expect(showSaveDialog).not.toHaveBeenCalled();
  });
});
