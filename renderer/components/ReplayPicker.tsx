import { useEffect, useState } from 'react';
import type { ReplaySpeed, SessionSummary } from '../../src/contracts';
import { REPLAY_SPEEDS } from '../../src/contracts';
import { useStore, useUi } from '../state/context';

export const speedLabel = (s: ReplaySpeed): string => (s === 'max' ? 'max' : `${s}x`);

export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** Case and recorded-session picker shared by the replay and training screens. */
export function SessionPicker(props: { value: number | null; onChange: (s: SessionSummary | null) => void; disabled?: boolean }) {
  const ui = useUi();
  const store = useStore();
  const [caseId, setCaseId] = useState<string>(ui.caseDetail?.case.id ?? ui.cases[0]?.id ?? '');
  const [sessions, setSessions] = useState<readonly SessionSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const { onChange } = props;

  useEffect(() => {
    if (!caseId && ui.cases[0]) setCaseId(ui.cases[0].id);
  }, [caseId, ui.cases]);

  useEffect(() => {
    if (!caseId) return;
    let live = true;
    void store.api.listSessions({ caseId }).then((r) => {
      if (!live) return;
      if (!r.ok) {
        setError(r.error.message);
        setSessions([]);
        return;
      }
      setError(null);
      const withData = r.value.sessions.filter((s) => s.durationS > 0);
      setSessions(withData);
      onChange(withData[withData.length - 1] ?? null);
    });
    return () => { live = false; };
  }, [caseId, store, onChange]);

  return (
    <div className="picker">
      <label className="field">
        <span>Case</span>
        <select value={caseId} disabled={props.disabled} onChange={(e) => setCaseId(e.target.value)} aria-label="Case to replay" data-testid="replay-case">
          {ui.cases.map((c) => <option key={c.id} value={c.id}>{`${c.patientId} \u00b7 ${c.createdAt.slice(0, 10)}`}</option>)}
        </select>
      </label>
      <label className="field">
        <span>Session</span>
        <select value={props.value ?? ''} disabled={props.disabled || sessions.length === 0} aria-label="Recorded session" data-testid="replay-session"
          onChange={(e) => onChange(sessions.find((s) => s.sessionId === Number(e.target.value)) ?? null)}>
          {sessions.length === 0 && <option value="">no recorded session</option>}
          {sessions.map((s) => (
            <option key={s.sessionId} value={s.sessionId}>
              {`#${s.sessionId} ${s.source} \u00b7 ${s.startedAt.slice(0, 16).replace('T', ' ')} \u00b7 ${formatClock(s.durationS)} \u00b7 ${s.trains} trains`}
            </option>
          ))}
        </select>
      </label>
      {error && <div className="bad-text">{error}</div>}
    </div>
  );
}

/** Speed buttons: 1x 2x 5x 10x max. */
export function SpeedButtons(props: { value: ReplaySpeed; onChange: (s: ReplaySpeed) => void; disabled?: boolean }) {
  return (
    <div className="seg" role="group" aria-label="Replay speed">
      {REPLAY_SPEEDS.map((s) => (
        <button key={String(s)} className="btn" aria-pressed={props.value === s} disabled={props.disabled} onClick={() => props.onChange(s)} data-testid={`speed-${s}`}>
          {speedLabel(s)}
        </button>
      ))}
    </div>
  );
}
