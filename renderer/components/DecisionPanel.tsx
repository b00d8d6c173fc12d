import type { GradedTrain } from '../../src/contracts';
import { useStore, useUi } from '../state/context';
import { decisionLabel, gradeLabel } from '../labels';

/** The grader's suggestion with its reasons. Worded and styled as a suggestion: the clinician decides. */
export function SuggestionPanel(props: { train: GradedTrain | null; forCursor: boolean }) {
  const store = useStore();
  const t = props.train;
  if (!t || !props.forCursor) {
    return (
      <section className="panel suggestion" aria-label="Suggestion">
        <h2>Suggestion</h2>
        <div className="muted">No graded train for this rootlet yet. Ramp (R) to find the threshold, then train (T).</div>
      </section>
    );
  }
  const g = t.grade;
  const excluded = g.channels.filter((c) => c.state !== 'ok');
  return (
    <section className="panel suggestion" aria-label="Suggestion" data-testid="suggestion">
      <h2>Suggestion <span className="disclaimer">(the clinician decides)</span></h2>
      <div className="row">
        <div className="grade-big" data-testid="grade">{gradeLabel(g.grade)}</div>
        <div>
          <div>grade &middot; pattern <b data-testid="pattern">{g.pattern}</b></div>
          <div>suggests <span className={`tag ${g.suggestion}`} data-testid="suggest">{g.suggestion.toUpperCase()}</span></div>
        </div>
      </div>
      <div className="muted">{g.suggestionReason}</div>
      <div><span className="muted">responders </span>{g.responding.length ? g.responding.join(', ') : 'none'}</div>
      {excluded.length > 0 && (
        <div className="warn-text" data-testid="excluded">
          {`Excluded: ${excluded.map((c) => `${c.side} ${c.muscle} (${c.state})`).join(', ')}`}
        </div>
      )}
      {g.warnings.map((w) => <div key={w} className="warn-text">{`\u26a0 ${w}`}</div>)}
      <button className="btn" onClick={() => store.toggleEvidence(true)}>Evidence <kbd>E</kbd></button>
    </section>
  );
}

/** Cut / spare / partial / spare-for-sphincter on the rootlet under the cursor; corrections are audited. */
export function DecisionPanel() {
  const store = useStore();
  const ui = useUi();
  const { cursor, rootlet, save } = ui;
  const current = rootlet?.decision ?? null;
  const disabled = ui.caseDetail === null || cursor.kind !== 'dorsal' || save.status === 'saving';
  return (
    <section className="panel" aria-label="Decision" data-testid="decision-panel">
      <h2>Decision &middot; {`${cursor.level} ${cursor.side} rootlet ${cursor.rootlet}`}</h2>
      <div className="row" data-testid="current-decision">
        current: <b>{current ? decisionLabel(current.decision.kind, current.decision.cutFraction) : 'undecided'}</b>
        {current && <span className="muted">{`#${current.decisionId} by ${current.decision.decidedBy}`}</span>}
      </div>
      <div className="decision-grid">
        <button className="btn big cut" disabled={disabled} onClick={() => void store.decide('cut')} data-testid="btn-cut">Cut <kbd>C</kbd></button>
        <button className="btn big spare" disabled={disabled} onClick={() => void store.decide('spare')} data-testid="btn-spare">Spare <kbd>S</kbd></button>
        <button className="btn big partial" disabled={disabled} onClick={() => void store.decide('partial')} data-testid="btn-partial">{`Partial ${Math.round(ui.partialFraction * 100)}%`} <kbd>P</kbd></button>
        <button className="btn big sphincter" disabled={disabled} onClick={() => void store.decide('spare-sphincter')} data-testid="btn-sphincter">Spare sphincter <kbd>X</kbd></button>
      </div>
      <div className="grid2">
        <label className="field">partial fraction %
          <input type="number" min="5" max="95" step="5" value={Math.round(ui.partialFraction * 100)} aria-label="Partial fraction percent"
            onChange={(e) => { const v = Number(e.target.value); if (v > 0 && v < 100) store.setPartialFraction(v / 100); }} />
        </label>
        <label className="field">decided by
          <input value={ui.clinician} onChange={(e) => store.setClinician(e.target.value)} aria-label="Decided by" />
        </label>
      </div>
      <label className="field">reason (optional)
        <input value={ui.decisionReason} onChange={(e) => store.setDecisionReason(e.target.value)} aria-label="Decision reason" placeholder="e.g. 3+ sustained, spreads to contralateral" />
      </label>
      {save.status !== 'idle' && <div className={`save-state ${save.status}`} data-testid="save-state" role="status">{save.status === 'saved' ? `\u2713 ${save.message}` : save.message}</div>}
      {rootlet && rootlet.decisionHistory.length > 1 && (
        <ol className="history" aria-label="Decision history">
          {rootlet.decisionHistory.map((d) => (
            <li key={d.decisionId} className={d.correctsId !== null ? 'correction' : ''}>
              {`#${d.decisionId} ${decisionLabel(d.decision.kind, d.decision.cutFraction)}${d.correctsId !== null ? ` (corrects #${d.correctsId})` : ''} \u00b7 ${d.decision.decidedBy} \u00b7 ${new Date(d.recordedAt).toLocaleTimeString()}`}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
