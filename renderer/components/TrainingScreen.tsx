import { useCallback, useEffect, useRef, useState } from 'react';
import type { EpochTraces, ReplaySpeed, ResponseOf, SessionSummary, TrainingAttempt, TrainingRun } from '../../src/contracts';
import { DECISION_KINDS, PATTERNS, type DecisionKind, type SpreadGrade, type WaveformPattern } from '../../src/domain';
import type { TraceBuffer } from '../live/traceBuffer';
import { useStore } from '../state/context';
import { gradeLabel } from '../labels';
import { LiveTraces } from './LiveTraces';
import { SessionPicker, SpeedButtons, formatClock } from './ReplayPicker';
import { ReplayStatusLine, useReplayFeed } from './ReplayScreen';

type Reveal = ResponseOf<'finishTraining'>;
interface Draft { grade: SpreadGrade; pattern: WaveformPattern; decision: DecisionKind; fraction: number }
const DEFAULT_DRAFT: Draft = { grade: 0, pattern: 'none', decision: 'spare', fraction: 0.6 };
const GRADES: readonly SpreadGrade[] = [0, 1, 2, 3, 4];
const TRAINEE_KEY = 'sdrlog.trainee';

const pct = (v: number | null): string => (v === null ? '\u2013' : `${Math.round(v * 100)}%`);
const kappa = (v: number | null): string => (v === null ? '\u2013' : v.toFixed(2));
const decisionText = (k: DecisionKind | null, f: number | null): string =>
  k === null ? '\u2013' : k === 'partial' ? `partial ${Math.round((f ?? 0) * 100)}%` : k === 'spare-sphincter' ? 'spare: sphincter' : k;
const isCut = (k: DecisionKind | null): boolean | null => (k === null ? null : k === 'cut' || k === 'partial');

function storedTrainee(): string {
  try {
    return window.localStorage.getItem(TRAINEE_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Stimulus-locked filtered EMG of one train, every channel a lane, drawn without any grade. */
function EpochStrip(props: { traces: EpochTraces | null; title: string }) {
  const ref = useRef<HTMLCanvasElement | null>(null);
  useEffect(() => {
    const canvas = ref.current;
    const t = props.traces;
    if (!canvas) return;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    if (!t || t.channels.length === 0) return;
    const n = t.channels[0]!.minUv.length;
    const msPerPoint = (t.samplesPerPoint / t.sampleRateHz) * 1000;
    const x = (ms: number) => 70 + ((ms - t.startMs) / (n * msPerPoint)) * (w - 80);
    g.fillStyle = 'rgba(242,204,96,0.10)';
    g.fillRect(x(0), 0, x(t.stimMs) - x(0), h);
    const lane = h / t.channels.length;
    const peak = Math.max(20, ...t.channels.flatMap((c) => [...c.maxUv.map(Math.abs), ...c.minUv.map(Math.abs)]).sort((a, b) => a - b).slice(-Math.ceil(n * 0.2), -1));
    g.font = '11px system-ui, sans-serif';
    t.channels.forEach((c, i) => {
      const mid = lane * (i + 0.5);
      const yScale = (lane * 0.48) / peak;
      g.fillStyle = '#8b98a5';
      g.fillText(c.name, 4, mid + 4);
      g.strokeStyle = '#7fb3ff';
      g.lineWidth = 1;
      g.beginPath();
      for (let k = 0; k < n; k++) {
        const px = x(t.startMs + (k + 0.5) * msPerPoint);
        g.moveTo(px, mid - Math.max(-lane / 2, Math.min(lane / 2, c.maxUv[k]! * yScale)));
        g.lineTo(px, mid - Math.max(-lane / 2, Math.min(lane / 2, c.minUv[k]! * yScale)) + 0.5);
      }
      g.stroke();
    });
  }, [props.traces]);
  return (
    <section className="panel epoch-strip" aria-label="Train response, ungraded">
      <h2>{props.title}</h2>
      <div className="strip-wrap"><canvas ref={ref} data-testid="training-epoch" /></div>
    </section>
  );
}

function RevealTable(props: { reveal: Reveal }) {
  const { attempt, reveal } = props.reveal;
  const s = attempt.scores;
  return (
    <section className="panel scroll reveal" aria-label="Reveal" data-testid="training-reveal">
      <h2>{`Reveal \u00b7 ${attempt.trainee}: grade exact ${pct(s.gradeExact)}, kappa ${kappa(s.gradeKappa)}, cut/spare ${pct(s.cutSpareAgreement)} (${s.decisionsCompared} decided), ${s.rootlets} rootlets`}</h2>
      <table>
        <thead>
          <tr><th>time</th><th>rootlet</th><th>mA</th><th>your grade</th><th>expert grade</th><th>automatic</th><th>your decision</th><th>expert decision</th></tr>
        </thead>
        <tbody>
          {reveal.map((r) => {
            const gradeOk = r.trainee && r.expert.grade !== null ? r.trainee.grade === r.expert.grade : null;
            const cutOk = r.trainee && r.expert.decision ? isCut(r.trainee.decision) === isCut(r.expert.decision) : null;
            return (
              <tr key={r.stimulationId}>
                <td className="num">{formatClock(r.onsetS)}</td>
                <td>{`${r.level} ${r.side} r${r.rootlet ?? '-'}`}</td>
                <td className="num">{r.intensityMa.toFixed(2)}</td>
                <td className={gradeOk === null ? '' : gradeOk ? 'ok-text' : 'bad-text'}>{r.trainee ? `${gradeLabel(r.trainee.grade)} ${r.trainee.pattern}` : 'not answered'}</td>
                <td>{r.expert.grade === null ? '\u2013' : `${gradeLabel(r.expert.grade)} ${r.expert.pattern ?? ''}`}</td>
                <td>{r.automatic ? `${gradeLabel(r.automatic.grade)} ${r.automatic.pattern} \u2192 ${r.automatic.suggestion}` : '\u2013'}</td>
                <td className={cutOk === null ? '' : cutOk ? 'ok-text' : 'bad-text'}>{r.trainee ? decisionText(r.trainee.decision, r.trainee.cutFraction) : '\u2013'}</td>
                <td>{r.expert.decision ? `${decisionText(r.expert.decision, r.expert.cutFraction)}${r.expert.decidedBy ? ` (${r.expert.decidedBy})` : ''}` : 'none recorded'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function ScoreHistory(props: { attempts: readonly TrainingAttempt[] }) {
  return (
    <section className="panel history" aria-label="Score history" data-testid="training-history">
      <h2>Scores over time</h2>
      {props.attempts.length === 0 ? <div className="muted">No finished attempt yet.</div> : (
        <table>
          <thead><tr><th>date</th><th title="session">#</th><th title="exact grade agreement">exact</th><th title="quadratic-weighted kappa">κ</th><th title="cut/spare agreement">cut/sp</th><th title="rootlets">n</th></tr></thead>
          <tbody>
            {[...props.attempts].reverse().map((a) => (
              <tr key={a.attemptId}>
                <td className="num" title={a.finishedAt}>{a.finishedAt.slice(5, 16).replace('T', ' ')}</td>
                <td className="num">{a.sessionId}</td>
                <td className="num">{pct(a.scores.gradeExact)}</td>
                <td className="num">{kappa(a.scores.gradeKappa)}</td>
                <td className="num">{pct(a.scores.cutSpareAgreement)}</td>
                <td className="num">{a.scores.rootlets}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * Training: a recorded session replayed blind. The trainee grades each train and decides its rootlet;
 * finishing reveals the expert's recorded grade and decision and the automatic grade side by side.
 */
export function TrainingScreen(props: { buffer: TraceBuffer }) {
  const store = useStore();
  const [trainee, setTrainee] = useState(storedTrainee);
  const [session, setSession] = useState<SessionSummary | null>(null);
  const [speed, setSpeed] = useState<ReplaySpeed>(2);
  const [run, setRun] = useState<TrainingRun | null>(null);
  const [drafts, setDrafts] = useState<Record<number, Draft>>({});
  const [selected, setSelected] = useState<number | null>(null);
  const [traces, setTraces] = useState<EpochTraces | null>(null);
  const [reveal, setReveal] = useState<Reveal | null>(null);
  const [history, setHistory] = useState<readonly TrainingAttempt[]>([]);
  const { status, montage } = useReplayFeed(props.buffer);

  const report = useCallback((what: string, r: { ok: boolean; error?: { message: string } }) => {
    if (!r.ok) store.reportError(`${what}: ${r.error?.message ?? ''}`);
    return r.ok;
  }, [store]);

  const refreshHistory = useCallback(async (name: string) => {
    const r = await store.api.listTrainingScores(name.trim() ? { trainee: name.trim() } : {});
    if (r.ok) setHistory(r.value.attempts);
  }, [store]);

  useEffect(() => {
    void store.api.getTraining({}).then((r) => { if (r.ok && r.value.run) setRun(r.value.run); });
  }, [store]);
  useEffect(() => { void refreshHistory(run?.trainee ?? trainee); }, [refreshHistory, run?.trainee, trainee]);

  const start = async () => {
    if (!session || !trainee.trim()) return;
    try {
      window.localStorage.setItem(TRAINEE_KEY, trainee.trim());
    } catch { /* not remembered */ }
    const r = await store.api.startTraining({ sessionId: session.sessionId, trainee: trainee.trim(), speed });
    if (!report('training', r) || !r.ok) return;
    setRun(r.value);
    setReveal(null);
    setDrafts({});
    setSelected(null);
    setTraces(null);
  };

  const select = async (stimulationId: number) => {
    if (!run) return;
    setSelected(stimulationId);
    setTraces(null);
    const r = await store.api.getEpochTraces({ caseId: run.caseId, stimulationId, maxPoints: 500, signal: 'filtered' });
    if (report('traces', r) && r.ok) setTraces(r.value);
  };

  const save = async (stimulationId: number) => {
    const d = drafts[stimulationId] ?? DEFAULT_DRAFT;
    const r = await store.api.submitTrainingAnswer({ stimulationId, grade: d.grade, pattern: d.pattern, decision: d.decision, ...(d.decision === 'partial' ? { fraction: d.fraction } : {}) });
    if (report('answer', r) && r.ok) setRun(r.value);
  };

  const finish = async () => {
    const r = await store.api.finishTraining({});
    if (!report('finish', r) || !r.ok) return;
    setReveal(r.value);
    setRun(null);
    void refreshHistory(r.value.attempt.trainee);
  };

  const cancel = async () => {
    const r = await store.api.cancelTraining({});
    if (report('cancel', r)) setRun(null);
  };

  const setDraft = (id: number, patch: Partial<Draft>) => setDrafts((all) => ({ ...all, [id]: { ...(all[id] ?? DEFAULT_DRAFT), ...patch } }));
  const selectedItem = run?.items.find((i) => i.stimulationId === selected) ?? null;

  return (
    <div className="monitor training" data-testid="training-screen">
      <div className="col scroll">
        <section className="panel" aria-label="Training run">
          <h2>Training</h2>
          {run ? (
            <>
              <div className="row"><b>{run.trainee}</b><span className="muted">{`session #${run.sessionId} \u00b7 ${run.answered.length}/${run.items.length} answered`}</span></div>
              <div className="field"><span>Speed</span><SpeedButtons value={status?.speed ?? speed} onChange={(s) => void store.api.controlReplay({ action: 'speed', speed: s })} /></div>
              <div className="row">
                {status?.state === 'playing' && <button className="btn" onClick={() => void store.api.controlReplay({ action: 'pause' })}>Pause</button>}
                {status?.state === 'paused' && <button className="btn" onClick={() => void store.api.controlReplay({ action: 'resume' })}>Resume</button>}
                <button className="btn primary" disabled={run.answered.length === 0} onClick={() => void finish()} data-testid="training-finish">Finish and reveal</button>
                <button className="btn" onClick={() => void cancel()}>Cancel</button>
              </div>
              <ReplayStatusLine status={status} />
              <p className="muted small">Recorded grades and decisions are hidden until you finish.</p>
            </>
          ) : (
            <>
              <label className="field">
                <span>Trainee</span>
                <input value={trainee} onChange={(e) => setTrainee(e.target.value)} maxLength={100} placeholder="your name" aria-label="Trainee name" data-testid="trainee-name" />
              </label>
              <SessionPicker value={session?.sessionId ?? null} onChange={setSession} />
              <div className="field"><span>Speed</span><SpeedButtons value={speed} onChange={setSpeed} /></div>
              <button className="btn primary" disabled={!session || !trainee.trim()} onClick={() => void start()} data-testid="training-start">Start blind replay</button>
            </>
          )}
        </section>
        <ScoreHistory attempts={history} />
      </div>
      <div className="center">
        <LiveTraces buffer={props.buffer} montage={montage} electrodeOff={[]} connected={run !== null} />
        {reveal ? <RevealTable reveal={reveal} /> : (
          <EpochStrip traces={traces} title={selectedItem ? `Response to ${selectedItem.level} ${selectedItem.side} rootlet ${selectedItem.rootlet ?? '-'} at ${selectedItem.intensityMa.toFixed(2)} mA (ungraded)` : 'Choose a train to see its response'} />
        )}
      </div>
      <div className="col scroll">
        <section className="panel" aria-label="Your answers">
          <h2>{run ? `Your answers (${run.answered.length}/${run.items.length})` : 'Your answers'}</h2>
          {!run && <div className="muted">Start a run to grade its trains.</div>}
          {run?.items.map((item) => {
            const d = drafts[item.stimulationId] ?? DEFAULT_DRAFT;
            const done = run.answered.includes(item.stimulationId);
            const id = item.stimulationId;
            return (
              <fieldset key={id} className={`answer${selected === id ? ' current' : ''}`} data-testid={`answer-${id}`}>
                <legend>
                  <span className="num">{formatClock(item.onsetS)}</span>{` ${item.level} ${item.side} r${item.rootlet ?? '-'} \u00b7 ${item.intensityMa.toFixed(2)} mA `}
                  {done && <span className="ok-text">{'\u2713 saved'}</span>}
                </legend>
                <div className="row">
                  <button className="btn" onClick={() => void select(id)}>Traces</button>
                  <button className="btn" onClick={() => void store.api.controlReplay({ action: 'seek', stimulationId: id })}>Jump</button>
                  <select value={d.grade} aria-label="Grade" onChange={(e) => setDraft(id, { grade: Number(e.target.value) as SpreadGrade })}>
                    {GRADES.map((g) => <option key={g} value={g}>{gradeLabel(g)}</option>)}
                  </select>
                  <select value={d.pattern} aria-label="Pattern" onChange={(e) => setDraft(id, { pattern: e.target.value as WaveformPattern })}>
                    {PATTERNS.map((p) => <option key={p} value={p}>{p}</option>)}
                  </select>
                  <select value={d.decision} aria-label="Decision" onChange={(e) => setDraft(id, { decision: e.target.value as DecisionKind })}>
                    {DECISION_KINDS.map((k) => <option key={k} value={k}>{decisionText(k, d.fraction)}</option>)}
                  </select>
                  {d.decision === 'partial' && (
                    <input type="number" min={0.05} max={0.95} step={0.05} value={d.fraction} aria-label="Fraction cut" className="short"
                      onChange={(e) => setDraft(id, { fraction: Number(e.target.value) })} />
                  )}
                  <button className="btn primary" onClick={() => void save(id)} data-testid={`save-${id}`}>{done ? 'Update' : 'Save'}</button>
                </div>
              </fieldset>
            );
          })}
        </section>
      </div>
    </div>
  );
}
