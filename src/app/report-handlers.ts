// The case-report methods of the contract. getCaseReport renders the same document as `sdrlog report`;
// exportCaseReport needs a save dialog and print-to-PDF, so only the Electron host implements it (it
// replaces this handler in electron/main.ts); the browser host serves /report/<id>(.pdf) instead.
import type { ResponseOf } from '../contracts';
import type { CaseStore } from '../storage';
// the modules, not ./report's index: the Electron bundle must not pull in pdf.ts (playwright-core)
import { buildCaseReport, type CaseReportOptions } from './report/model';
import { renderReportHtml, reportPdfFooterTemplate } from './report/html';
import { fmtDate } from './report/format';
import { DomainError } from '../domain';

/** A file-name-safe "sdr-report-<patient>-<date>" (no extension). */
export function reportFileBaseName(patientId: string, date: string): string {
  const safe = (s: string) => s.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|[._]+$/g, '').slice(0, 60);
  return ['sdr-report', safe(patientId) || 'case', safe(date)].filter((s) => s !== '').join('-');
}

export function createReportHandlers(store: CaseStore, options: CaseReportOptions = {}) {
  return {
    getCaseReport(req: { caseId: string }): ResponseOf<'getCaseReport'> {
      const report = buildCaseReport(store, req.caseId, options);
      return {
        html: renderReportHtml(report),
        fileBaseName: reportFileBaseName(report.case.patientId, fmtDate(report.operationDate, report.timeZone)),
        footerTemplate: reportPdfFooterTemplate(report),
      };
    },
    exportCaseReport(): ResponseOf<'exportCaseReport'> {
      throw new DomainError('unsupported-host', 'saving a report file is done by the desktop app; in a browser open /report/<case id> (HTML) or /report/<case id>.pdf');
    },
  };
}
