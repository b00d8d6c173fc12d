/**
 * The desktop app's case report: the renderer may not open windows, so the main process asks where to
 * save, prints the report HTML (getCaseReport, the same document as `sdrlog report`) to an A4 PDF in a
 * hidden, sandboxed window with JavaScript off and no preload, and writes the file. Choosing a .html
 * name in the dialog saves the HTML itself.
 */
import { BrowserWindow, dialog, type PrintToPDFOptions, type SaveDialogOptions } from 'electron';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CaseReportDocument, ResponseOf, SdrHandlers } from '../src/contracts';
import { SECURE_WEB_PREFERENCES } from './security';

/** The hidden print window: a sandboxed page that can run nothing and reach nothing of ours. */
export const REPORT_WINDOW_PREFERENCES = { ...SECURE_WEB_PREFERENCES, javascript: false } as const;

/** A4 with the report's own @page margins (as the CLI's Chromium print), backgrounds, and the page footer. */
export function reportPdfOptions(footerTemplate: string): PrintToPDFOptions {
  return {
    pageSize: 'A4',
    preferCSSPageSize: true,
    printBackground: true,
    margins: { top: 0, bottom: 0, left: 0, right: 0 },
    displayHeaderFooter: true,
    headerTemplate: '<span></span>',
    footerTemplate,
  };
}

/** Prints report HTML to PDF in a hidden window, which is closed afterwards whatever happens. */
export async function printReportToPdf(report: Pick<CaseReportDocument, 'html' | 'footerTemplate'>): Promise<Uint8Array> {
  const win = new BrowserWindow({ show: false, width: 794, height: 1123, webPreferences: { ...REPORT_WINDOW_PREFERENCES } });
  try {
    // a data: URL: the document carries its CSP as a meta tag and loads nothing
    await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(report.html, 'utf8').toString('base64')}`);
    return new Uint8Array(await win.webContents.printToPDF(reportPdfOptions(report.footerTemplate)));
  } finally {
    if (!win.isDestroyed()) win.close();
  }
}

export interface ReportExportOptions {
  /** Folder the save dialog starts in (the user's documents). */
  readonly defaultDir: () => string;
  /** Window the dialog is attached to; default the focused window. */
  readonly parent?: () => BrowserWindow | null;
}

/** Asks where to save the report, then writes it there (PDF, or HTML for a .html name); cancel writes nothing. */
export async function saveCaseReport(report: CaseReportDocument, options: ReportExportOptions): Promise<ResponseOf<'exportCaseReport'>> {
  const dialogOptions: SaveDialogOptions = {
    title: 'Save case report',
    defaultPath: path.join(options.defaultDir(), `${report.fileBaseName}.pdf`),
    filters: [{ name: 'PDF document', extensions: ['pdf'] }, { name: 'HTML document', extensions: ['html', 'htm'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
  const parent = (options.parent ?? (() => BrowserWindow.getFocusedWindow()))();
  const choice = parent ? await dialog.showSaveDialog(parent, dialogOptions) : await dialog.showSaveDialog(dialogOptions);
  if (choice.canceled || !choice.filePath) return { saved: false, path: null, format: null, bytes: 0 };
  const format = /\.html?$/i.test(choice.filePath) ? 'html' : 'pdf';
  const data = format === 'html' ? Buffer.from(report.html, 'utf8') : await printReportToPdf(report);
  await writeFile(choice.filePath, data);
  return { saved: true, path: choice.filePath, format, bytes: data.byteLength };
}

/** The app's handlers with exportCaseReport implemented by the desktop host (the report comes from getCaseReport). */
export function withReportExport(handlers: SdrHandlers, options: ReportExportOptions): SdrHandlers {
  return {
    ...handlers,
    async exportCaseReport(req) {
      return saveCaseReport(await handlers.getCaseReport(req), options);
    },
  };
}
