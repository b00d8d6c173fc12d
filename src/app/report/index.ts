// Case reports: the report model built from the store, its self-contained HTML, and PDF printing.
// Hosts: the CLI (`sdrlog report`), the app service (an API method can return renderCaseReportHtml's
// text; Electron prints it with webContents.printToPDF), the browser host (serve it with
// REPORT_CONTENT_SECURITY_POLICY as its CSP header).
import type { CaseStore } from '../../storage';
import { buildCaseReport, type CaseReportOptions } from './model';
import { renderReportHtml } from './html';

export {
  buildCaseReport, decisionText, SOFTWARE_VERSION, REPORT_EVENT_KINDS,
  type CaseReport, type CaseReportOptions, type ReportLevelRow, type ReportTotal, type ReportThresholdRow,
  type ReportCorrection, type ReportEvent, type ReportEventKind, type ReportSession, type ReportAudit,
} from './model';
export { renderReportHtml, reportPdfFooterTemplate, REPORT_CONTENT_SECURITY_POLICY } from './html';
export { rootletMapSvg, gradeHistogramSvg } from './map-svg';
export { rootletMapFromStore } from './case-data';
export { printReportPdf, type PrintPdfOptions } from './pdf';

/** The case's report as one self-contained HTML document (inline CSS and SVG, no script). */
export function renderCaseReportHtml(store: CaseStore, caseId: string, options: CaseReportOptions = {}): string {
  return renderReportHtml(buildCaseReport(store, caseId, options));
}
