import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildCaseReport, printReportPdf, renderReportHtml, reportPdfFooterTemplate } from '../app/report';
import { withStore } from './case';
import { UserError, type CommandRegistrar } from './main';

export interface ReportCliOptions {
  readonly case?: string;
  readonly pdf?: string;
  readonly html?: string;
  readonly timeZone?: string;
  readonly chromium?: string;
}

function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return tz;
  } catch {
    throw new UserError(`--time-zone must be an IANA zone such as Europe/Berlin or UTC, got '${tz}'`);
  }
}

/** Number of pages in a PDF written by Chromium (its page objects). */
export function pdfPageCount(pdf: Uint8Array): number {
  return (Buffer.from(pdf).toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
}

/**
 * `sdrlog report DB --case ID [--pdf OUT.pdf] [--html OUT.html]`: the case report for the surgeon.
 * Without --pdf or --html the HTML goes to standard output. Returns the lines it prints.
 */
export async function runReport(db: string, opts: ReportCliOptions, stdout: (s: string) => void = (s) => process.stdout.write(s)): Promise<string[]> {
  if (!opts.case) throw new UserError('report: say which case, e.g. --case <id> (see sdrlog case list)');
  const timeZone = opts.timeZone === undefined ? undefined : checkTimeZone(opts.timeZone);
  const caseId = opts.case;
  const report = withStore(db, false, (store) => buildCaseReport(store, caseId, timeZone ? { timeZone } : {}));
  const html = renderReportHtml(report);
  const lines: string[] = [];
  if (opts.html === undefined && opts.pdf === undefined) {
    stdout(html);
    return lines;
  }
  if (opts.html !== undefined) {
    writeFileSync(opts.html, html);
    lines.push(`wrote ${opts.html} (HTML report of case ${report.case.id}, patient ${report.case.patientId})`);
  }
  if (opts.pdf !== undefined) {
    let pdf: Uint8Array;
    try {
      pdf = await printReportPdf(html, { footerTemplate: reportPdfFooterTemplate(report), ...(opts.chromium ? { executablePath: opts.chromium } : {}) });
    } catch (e) {
      throw new UserError(`report: printing the PDF failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    writeFileSync(opts.pdf, pdf);
    const pages = pdfPageCount(pdf);
    lines.push(`wrote ${opts.pdf} (PDF, ${pages} page${pages === 1 ? '' : 's'}, case ${report.case.id}, patient ${report.case.patientId})`);
  }
  return lines;
}

export const registerReport: CommandRegistrar = (program: Command) => {
  program.command('report')
    .description('case report for the surgeon: rootlet map, cut per level against the plan, thresholds, grade histogram, notable events, audit (HTML and/or A4 PDF)')
    .argument('<db>', 'case database')
    .option('--case <id>', 'case id (or an unambiguous prefix of at least 4 characters)')
    .option('--pdf <file>', 'write an A4 PDF (printed by headless Chromium)')
    .option('--html <file>', 'write the self-contained HTML report')
    .option('--time-zone <zone>', "IANA time zone for printed times (default: this machine's)")
    .option('--chromium <path>', 'Chromium executable for --pdf (default: $SDRLOG_CHROMIUM or /usr/bin/chromium)')
    .action(async (db: string, opts: ReportCliOptions) => {
      for (const line of await runReport(db, opts)) process.stdout.write(`${line}\n`);
    });
};
