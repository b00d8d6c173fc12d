import { useState } from 'react';
import { hasDesktopBridge } from '../api';
import { useStore } from '../state/context';

/** Where the browser host serves a case's report (src/server: GET /report/<id>, /report/<id>.pdf). */
export function reportHref(caseId: string, format: 'html' | 'pdf'): string {
  return `/report/${encodeURIComponent(caseId)}${format === 'pdf' ? '.pdf' : ''}`;
}

/**
 * The case report. In a browser: links to the HTML report and its PDF on this host, opened in a new
 * tab (same origin). Under Electron new windows are denied, so the button asks the main process to
 * save the report (PDF, or HTML for a .html name) where the user chooses.
 */
export function ReportActions({ caseId }: { caseId: string }) {
  const store = useStore();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  if (!hasDesktopBridge()) {
    return (
      <span className="report-actions" data-testid="report-actions">
        <a className="btn" href={reportHref(caseId, 'html')} target="_blank" rel="noopener noreferrer" title="Case report (HTML) in a new tab" data-testid="report-html">Report</a>
        <a className="btn" href={reportHref(caseId, 'pdf')} target="_blank" rel="noopener noreferrer" title="Case report as an A4 PDF" data-testid="report-pdf">PDF</a>
      </span>
    );
  }
  const save = async () => {
    setBusy(true);
    setNote('');
    try {
      const r = await store.api.exportCaseReport({ caseId });
      if (!r.ok) store.reportError(`case report: ${r.error.message}`);
      else if (r.value.saved) setNote(`saved ${r.value.path ?? ''}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="report-actions" data-testid="report-actions">
      <button className="btn" onClick={() => void save()} disabled={busy} title="Save the case report as PDF (or HTML)" data-testid="report-save">{busy ? 'Saving report\u2026' : 'Save report\u2026'}</button>
      {note && <span className="muted" role="status">{note}</span>}
    </span>
  );
}
