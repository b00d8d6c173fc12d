import { useStore, useUi } from '../state/context';
import { decisionLabel } from '../labels';

/** Every decision in order (corrections point at what they correct) and the hash-chained audit trail. */
export function AuditLog() {
  const ui = useUi();
  const store = useStore();
  if (!ui.caseDetail) return <div className="audit-screen"><div className="empty-note">Open a case to see its audit log (4).</div></div>;
  const chainBreak = ui.audit?.chainBreak ?? null;
  return (
    <div className="audit-screen" data-testid="audit-log">
      <div className="row">
        <h2>Audit &middot; {ui.caseDetail.case.patientId}</h2>
        {ui.audit && (chainBreak
          ? <span className="pill bad">{`Chain broken at entry #${chainBreak.entryId}: ${chainBreak.problem}`}</span>
          : <span className="pill ok" data-testid="chain-ok">{`Hash chain verified (${ui.audit.entries.length} entries)`}</span>)}
        <button className="btn" onClick={() => void store.refreshAudit()}>Refresh</button>
      </div>
      <section className="panel scroll" aria-label="Decisions">
        <h2>Decisions</h2>
        <table>
          <thead>
            <tr><th>#</th><th>time</th><th>rootlet</th><th>decision</th><th>by</th><th>reason</th><th>correction of</th></tr>
          </thead>
          <tbody>
            {ui.decisions.map((d) => (
              <tr key={d.decisionId} className={d.correctsId !== null ? 'correction' : ''} data-testid="decision-row">
                <td className="num">{d.decisionId}</td>
                <td className="num">{new Date(d.recordedAt).toLocaleTimeString()}</td>
                <td>{`${d.level} ${d.side} r${d.rootlet}`}</td>
                <td><b>{decisionLabel(d.decision.kind, d.decision.cutFraction)}</b></td>
                <td>{d.decision.decidedBy}</td>
                <td>{d.decision.reason || <span className="muted">&ndash;</span>}</td>
                <td>{d.correctsId !== null ? `corrects #${d.correctsId}` : ''}</td>
              </tr>
            ))}
            {ui.decisions.length === 0 && <tr><td colSpan={7} className="muted">No decisions yet.</td></tr>}
          </tbody>
        </table>
      </section>
      <section className="panel scroll" aria-label="Audit trail">
        <h2>Audit trail</h2>
        <table>
          <thead>
            <tr><th>#</th><th>time</th><th>actor</th><th>action</th><th>entity</th><th>hash</th></tr>
          </thead>
          <tbody>
            {(ui.audit?.entries ?? []).map((e) => (
              <tr key={e.id}>
                <td className="num">{e.id}</td>
                <td className="num">{new Date(e.at).toLocaleTimeString()}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{`${e.entity} ${e.entityId}`}</td>
                <td className="mono muted" title={e.hash}>{e.hash.slice(0, 12)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
