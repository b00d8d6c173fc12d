import { useCallback, useEffect, useRef, useState } from 'react';
import type { Montage } from '../../src/domain';
import type { ReplaySpeed, ReplayStatus, ReplayStimulation, SessionSummary } from '../../src/contracts';
import type { TraceBuffer } from '../live/traceBuffer';
import { useStore, useUi } from '../state/context';
import { targetLabel } from '../labels';
import { GradedResponse } from './GradedResponse';
import { LiveTraces } from './LiveTraces';
import { formatClock, SessionPicker, SpeedButtons } from './ReplayPicker';

/**
 * Follows the replay stream: status events, the live trace restarting at each start or jump, and the
 * montage of the replayed case. Shared by the replay and training screens.
 */
export function useReplayFeed(buffer: TraceBuffer): { status: ReplayStatus | null; setStatus: (s: ReplayStatus) => void; montage: Montage | null } {
  const store = useStore();
  const [status, setStatusState] = useState<ReplayStatus | null>(null);
  const [montage, setMontage] = useState<Montage | null>(null);
  const generation = useRef(-1);
  const caseRef = useRef<string | null>(null);
  const setStatus = useCallback((s: ReplayStatus) => {
    if (s.generation !== generation.current) {
      generation.current = s.generation;
      buffer.clear(); // a new start or a jump: the trace restarts at another position
    }
    setStatusState(s);
    if (s.caseId && s.caseId !== caseRef.current) {
      caseRef.current = s.caseId;
      void store.api.getCase({ caseId: s.caseId }).then((r) => { if (r.ok) setMontage(r.value.montage); });
    }
  }, [buffer, store]);
  useEffect(() => {
    const off = store.api.subscribe('replay', setStatus);
    void store.api.getReplayStatus({}).then((r) => { if (r.ok) setStatus(r.value); });
    return off;
  }, [store, setStatus]);
  return { status, setStatus, montage };
}

export function ReplayStatusLine(props: { status: ReplayStatus | null }) {
  const s = props.status;
  if (!s || s.sessionId === null || s.sampleRateHz === null) return <div className="muted" data-testid="replay-state">not playing</div>;
  const pos = (s.positionSample - s.startSample) / s.sampleRateHz;
  const dur = (s.endSample - s.startSample) / s.sampleRateHz;
  const pct = dur > 0 ? Math.min(100, (pos / dur) * 100) : 0;
  return (
    <div className="replay-status">
      <div className="row">
        <b data-testid="replay-state">{s.state}</b>
        <span className="num">{`${formatClock(pos)} / ${formatClock(dur)}`}</span>
        <span className="muted num">{`${s.stimulationsPassed}/${s.stimulationsTotal} stimulations`}</span>
      </div>
      <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} aria-label="Replay position">
        <div style={{ width: `${pct}%` }} />
      </div>
      {s.lastError && <div className="warn-text">{s.lastError}</div>}
    </div>
  );
}

/** Stimulations of the replayed session; a button jumps to one (the pipeline restarts just before it). */
export function StimulationJumpList(props: { stimulations: readonly ReplayStimulation[]; status: ReplayStatus | null; onJump: (id: number) => void; label?: (s: ReplayStimulation) => string }) {
  const pos = props.status?.positionSample ?? 0;
  return (
    <ol className="jump-list" aria-label="Stimulations: jump to one">
      {props.stimulations.map((s) => (
        <li key={s.stimulationId} className={s.onsetSample < pos ? 'passed' : ''}>
          <button className="btn" onClick={() => props.onJump(s.stimulationId)} data-testid={`jump-${s.stimulationId}`}>
            <span className="num">{formatClock(s.onsetS)}</span>
            <span>{props.label ? props.label(s) : `${targetLabel(s.stimulation.target)} ${s.stimulation.mode}`}</span>
            <span className="muted num">{`${s.stimulation.intensityMa.toFixed(2)} mA`}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}

/** Replay of a recorded session through the live pipeline and grader, with the monitor's views. */
export function ReplayScreen(props: { buffer: TraceBuffer }) {
  const ui = useUi();
  const store = useStore();
  const [session, setSession] = useState<SessionSummary | null>(null);
  const [speed, setSpeed] = useState<ReplaySpeed>(1);
  const [stimulations, setStimulations] = useState<readonly ReplayStimulation[]>([]);
  const { status, setStatus, montage } = useReplayFeed(props.buffer);
  const active = status !== null && status.state !== 'idle' && !status.training;

  useEffect(() => store.api.subscribe('grade', (g) => {
    // the graded-response panel follows the replay (the grade carries its stored stimulation id)
    if (g.sessionId === status?.sessionId) void store.showTrain(g);
  }), [store, status?.sessionId]);

  const call = async <T,>(p: Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>, what: string): Promise<T | null> => {
    const r = await p;
    if (!r.ok) {
      store.reportError(`${what}: ${r.error.message}`);
      return null;
    }
    return r.value;
  };
  const start = async () => {
    if (!session) return;
    const r = await call(store.api.startReplay({ sessionId: session.sessionId, speed }), 'replay');
    if (r) {
      setStimulations(r.stimulations);
      setStatus(r.status);
    }
  };
  const control = async (req: Parameters<typeof store.api.controlReplay>[0]) => {
    const r = await call(store.api.controlReplay(req), 'replay');
    if (r) setStatus(r);
  };
  const changeSpeed = (s: ReplaySpeed) => {
    setSpeed(s);
    if (active) void control({ action: 'speed', speed: s });
  };

  return (
    <div className="monitor replay" data-testid="replay-screen">
      <div className="col scroll">
        <section className="panel" aria-label="Replay">
          <h2>Replay a recorded session</h2>
          <SessionPicker value={session?.sessionId ?? null} onChange={setSession} />
          <div className="field"><span>Speed</span><SpeedButtons value={speed} onChange={changeSpeed} /></div>
          <div className="row">
            <button className="btn primary" disabled={!session} onClick={() => void start()} data-testid="replay-start">{active ? 'Restart' : 'Play'}</button>
            {status?.state === 'playing' && !status.training && <button className="btn" onClick={() => void control({ action: 'pause' })} data-testid="replay-pause">Pause</button>}
            {status?.state === 'paused' && !status.training && <button className="btn" onClick={() => void control({ action: 'resume' })} data-testid="replay-resume">Resume</button>}
            {active && <button className="btn" onClick={() => void call(store.api.stopReplay({}), 'stop').then((s) => s && setStatus(s))} data-testid="replay-stop">Stop</button>}
          </div>
          <ReplayStatusLine status={status?.training ? null : status} />
          <p className="muted small">Replay runs the stored EMG and stimulations through the same pipeline and grader as live acquisition: the grades are those the case received.</p>
        </section>
      </div>
      <div className="center">
        <LiveTraces buffer={props.buffer} montage={montage} electrodeOff={[]} connected={active} />
        <GradedResponse train={ui.lastTrain?.sessionId === status?.sessionId ? ui.lastTrain : null} epoch={ui.lastTrain?.sessionId === status?.sessionId ? ui.epoch : null} montage={montage} busy={null} />
      </div>
      <div className="col scroll">
        <section className="panel" aria-label="Stimulations">
          <h2>{`Stimulations (${stimulations.length})`}</h2>
          {stimulations.length === 0 ? <div className="muted">Play a session to list its stimulations.</div>
            : <StimulationJumpList stimulations={stimulations} status={status} onJump={(id) => void control({ action: 'seek', stimulationId: id })} />}
        </section>
      </div>
    </div>
  );
}
