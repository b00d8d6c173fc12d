import { channelName } from '../../src/domain';
import { keyCaption, SHORTCUTS } from '../keyboard';
import { useStore, useUi } from '../state/context';
import type { Screen } from '../state/store';
import { connectionPill } from './DevicePanel';

const TABS: readonly { screen: Screen; label: string; key: string }[] = [
  { screen: 'monitor', label: 'Monitor', key: '1' },
  { screen: 'map', label: 'Rootlet map', key: '2' },
  { screen: 'audit', label: 'Audit log', key: '3' },
  { screen: 'setup', label: 'Case setup', key: '4' },
  { screen: 'device', label: 'Device', key: '5' },
  { screen: 'replay', label: 'Replay', key: '6' },
  { screen: 'training', label: 'Training', key: '7' },
];

/** Top bar: case, device state, link health, alarms, sound and help; then the screen tabs. */
export function TopBar() {
  const ui = useUi();
  const store = useStore();
  const d = ui.device;
  const pill = connectionPill(d);
  const errorsOnLink = d ? d.counters.crcFailures + d.counters.sequenceGaps + d.counters.samplesLost : 0;
  const montage = ui.caseDetail?.montage ?? null;
  return (
    <>
      <header className="topbar">
        <div className="brand">sdrlog<small>SDR neuromonitoring</small></div>
        <span className="case-chip" data-testid="case-chip">{ui.caseDetail ? `${ui.caseDetail.case.patientId} \u00b7 ${ui.caseDetail.case.ageYears} y` : 'no case open'}</span>
        <span className={`pill ${pill.cls}`} data-testid="device-pill">{pill.text}</span>
        {d && d.connection === 'open' && (
          <span className={`pill ${errorsOnLink > 0 ? 'warn' : 'ok'}`} title="CRC failures + sequence gaps / samples lost">
            {`link: ${d.counters.crcFailures} CRC \u00b7 ${d.counters.sequenceGaps} gaps \u00b7 ${d.counters.samplesLost} lost`}
          </span>
        )}
        {!ui.link && <span className="pill bad">no connection to sdrlog</span>}
        <span className="spacer" />
        <label className="row muted">
          <button className="btn" aria-pressed={ui.sound.on} onClick={() => store.setSound({ on: !ui.sound.on })} data-testid="sound-toggle">
            {ui.sound.on ? 'Sound on' : 'Sound off'} <kbd>M</kbd>
          </button>
          <select value={String(ui.sound.channel)} aria-label="Sound channel"
            onChange={(e) => store.setSound({ channel: e.target.value === 'mix' ? 'mix' : Number(e.target.value) })}>
            <option value="mix">mix of all</option>
            {(montage?.channels ?? []).map((c) => <option key={c.index} value={c.index}>{channelName(c)}</option>)}
          </select>
        </label>
        <button className="btn" onClick={() => store.toggleHelp()} data-testid="help-button">Keys <kbd>?</kbd></button>
      </header>
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t.screen} role="tab" className="tab" aria-selected={ui.screen === t.screen} onClick={() => store.setScreen(t.screen)} data-testid={`tab-${t.screen}`}>
            {t.label}<kbd>{t.key}</kbd>
          </button>
        ))}
      </nav>
    </>
  );
}

/** Recovery after a crash, electrode-off alarms, and errors from the API. */
export function Banners() {
  const ui = useUi();
  const store = useStore();
  const d = ui.device;
  const rec = ui.recovery;
  const montage = ui.caseDetail?.montage ?? null;
  const off = (d?.electrodeOff ?? []).map((i) => {
    const c = montage?.channels.find((x) => x.index === i);
    return c ? channelName(c) : `ch ${i}`;
  });
  return (
    <div className="banners">
      {rec && rec.recovered.length > 0 && !ui.recoveryDismissed && (
        <div className="banner recovery" role="alert" data-testid="recovery-banner">
          <strong>Case resumed after an unexpected stop.</strong>
          <span className="grow">
            {rec.recovered.map((r) => `Case ${ui.cases.find((c) => c.id === r.caseId)?.patientId ?? r.caseId} (session ${r.sessionId}, started ${new Date(r.startedAt).toLocaleTimeString()}): ${r.decisionsIntact} decision${r.decisionsIntact === 1 ? '' : 's'} intact; ${r.lostDescription}`).join(' ')}
          </span>
          <button className="btn" onClick={() => store.dismissRecovery()}>Dismiss</button>
        </div>
      )}
      {d && d.connection === 'disconnected' && (
        <div className="banner alarm" role="alert">{`Device disconnected${d.reason ? `: ${d.reason}` : ''}. Data during the outage is marked as a gap.`}</div>
      )}
      {off.length > 0 && (
        <div className="banner alarm" role="alert" data-testid="electrode-alarm">{`ELECTRODE OFF: ${off.join(', ')} \u2014 excluded from grading until fixed.`}</div>
      )}
      {ui.errors.map((e) => (
        <div className="banner error" role="alert" key={e.id} data-testid="error-banner">
          <span className="grow">{e.text}</span>
          <button className="btn" onClick={() => store.dismissError(e.id)}>Dismiss</button>
        </div>
      ))}
    </div>
  );
}

export function HelpOverlay() {
  const store = useStore();
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={() => store.toggleHelp(false)} data-testid="help-overlay">
      <div className="dialog" onClick={(e) => e.stopPropagation()}>
        <h1>Keyboard shortcuts</h1>
        <div className="keys">
          {SHORTCUTS.map((s) => (
            <div key={s.action}>
              <span>{s.keys.map((k) => <kbd key={k}>{keyCaption(k)}</kbd>)}</span>
              <span>{s.label}</span>
            </div>
          ))}
        </div>
        <p className="muted">Keys work everywhere except while typing in a field (Esc leaves the field). Decisions made by key are saved at once; a second key on the same rootlet records a correction.</p>
      </div>
    </div>
  );
}

/** The full per-channel evidence of the last train: what was measured and which rule fired. */
export function EvidenceOverlay() {
  const ui = useUi();
  const store = useStore();
  const t = ui.lastTrain;
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label="Evidence" onClick={() => store.toggleEvidence(false)} data-testid="evidence-overlay">
      <div className="dialog" onClick={(e) => e.stopPropagation()}>
        <h1>{t ? `Evidence \u00b7 ${t.grade.target.level} ${t.grade.target.side} rootlet ${t.grade.target.rootlet ?? '-'} \u00b7 ${t.stimulation.intensityMa.toFixed(2)} mA` : 'Evidence'}</h1>
        {!t ? <div className="muted">No train graded yet.</div> : (
          <>
            <p>{`Suggestion ${t.grade.suggestion.toUpperCase()}: ${t.grade.suggestionReason}`}</p>
            <table>
              <thead>
                <tr><th>channel</th><th>state</th><th className="num">baseline &micro;V</th><th className="num">median &micro;V</th><th className="num">peak &micro;V</th><th className="num">% above</th><th className="num">late/early</th><th>after</th><th>sustained</th><th>pattern</th><th>relation</th><th>notes</th></tr>
              </thead>
              <tbody>
                {t.grade.channels.map((c) => (
                  <tr key={c.channel} className={c.state !== 'ok' ? 'warn-text' : c.sustained ? 'bad-text' : ''}>
                    <td>{`${c.side} ${c.muscle}`}</td>
                    <td>{c.state}</td>
                    <td className="num">{c.baselineUv.toFixed(1)}</td>
                    <td className="num">{c.trainMedianUv.toFixed(1)}</td>
                    <td className="num">{c.peakUv.toFixed(0)}</td>
                    <td className="num">{Math.round(c.fractionAbove * 100)}</td>
                    <td className="num">{c.lateEarlyRatio.toFixed(2)}</td>
                    <td>{c.afterDischarge ? 'yes' : ''}</td>
                    <td>{c.sustained ? 'YES' : c.responding ? 'unsustained' : ''}</td>
                    <td>{c.pattern}</td>
                    <td>{c.relation ?? ''}{c.nearestRoot ? ` (${c.nearestRoot})` : ''}</td>
                    <td>{c.notes.join('; ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {t.grade.warnings.length > 0 && <ul className="errors">{t.grade.warnings.map((w) => <li key={w}>{w}</li>)}</ul>}
          </>
        )}
      </div>
    </div>
  );
}
