import { existsSync } from 'node:fs';

export interface PrintPdfOptions {
  /** Chromium executable; default $SDRLOG_CHROMIUM, else /usr/bin/chromium (Debian's package). */
  readonly executablePath?: string;
  /** Chromium footer template (see reportPdfFooterTemplate); none when omitted. */
  readonly footerTemplate?: string;
  /** Gives up after this long; default 30 s. */
  readonly timeoutMs?: number;
}

/** Default Chromium for printing: $SDRLOG_CHROMIUM, else Debian's /usr/bin/chromium. */
export function defaultChromiumPath(): string {
  return process.env.SDRLOG_CHROMIUM || '/usr/bin/chromium';
}

/**
 * Prints report HTML to an A4 PDF with headless Chromium (playwright-core driving an installed
 * Chromium; no browser download). Page size and margins come from the report's own @page rule.
 * playwright-core is loaded only here, on demand. Electron hosts use webContents.printToPDF instead.
 */
export async function printReportPdf(html: string, options: PrintPdfOptions = {}): Promise<Uint8Array> {
  const executablePath = options.executablePath ?? defaultChromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: install it (Debian: apt-get install chromium) or set SDRLOG_CHROMIUM`);
  }
  const timeout = options.timeoutMs ?? 30_000;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout,
  });
  try {
    const page = await browser.newPage({ javaScriptEnabled: false });
    // the report loads nothing; refuse any request so a stray reference could never reach the network
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load', timeout });
    await page.emulateMedia({ media: 'print' });
    const footer = options.footerTemplate;
    const pdf = await page.pdf({
      preferCSSPageSize: true,
      printBackground: true,
      ...(footer ? { displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: footer } : {}),
    });
    return new Uint8Array(pdf);
  } finally {
    await browser.close();
  }
}
