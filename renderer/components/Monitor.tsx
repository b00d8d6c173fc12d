import { useStore, useUi } from '../state/context';
import type { TraceBuffer } from '../live/traceBuffer';
import { LiveTraces } from './LiveTraces';
import { GradedResponse } from './GradedResponse';
import { StimPanel } from './StimPanel';
import { DecisionPanel, SuggestionPanel } from './DecisionPanel';
import { decisionLabel, gradeLabel } from '../labels';

/** The working screen during stimulation: target and stimulator, live EMG, graded response, decision. */
export function Monitor(props: { buffer: TraceBuffer }) {
  const ui = useUi();
  const store = useStore();
  const t = ui.lastTrain?.grade.target;
  const c = ui.cursor;
  const trainForCursor = t !== undefined && t.level === c.level && t.side === c.side && t.kind === c.kind && (c.kind === 'ventral' || t.rootlet === c.rootlet);
  const levelRoot = ui.map?.roots.find((r) => r.level === c.level && r.side === c.side);
  const trains = (ui.rootlet?.stimulations ?? []).filter((s) => s.grade !== null);
  return (
    <div className="monitor" data-testid="monitor">
      <div className="col scroll">
        <StimPanel />
      </div>
      <div className="center">
        <LiveTraces buffer={props.buffer} montage={ui.caseDetail?.montage ?? null} electrodeOff={ui.device?.electrodeOff ?? []} connected={ui.device?.connection === 'open'} />
        <GradedResponse train={ui.lastTrain} epoch={ui.epoch} montage={ui.caseDetail?.montage ?? null} busy={ui.busy} />
      </div>
      <div className="col scroll">
        <SuggestionPanel train={ui.lastTrain} forCursor={trainForCursor} />
        <DecisionPanel />
        <section className="panel" aria-label="This level">
          <h2>{`${c.level} ${c.side} \u00b7 ${levelRoot ? `${Math.round(levelRoot.cutPct ?? 0)}% cut of ${levelRoot.decided} decided, plan ${levelRoot.planPct ?? '\u2013'}%` : 'nothing tested yet'}`}</h2>
          <div className="rootlets">
            {(levelRoot?.rootlets ?? []).map((rl) => (
              <button key={rl.rootlet} className={`rl ${rl.decision ?? 'undecided'}${c.kind === 'dorsal' && rl.rootlet === c.rootlet ? ' current' : ''}`}
                onClick={() => void store.setCursor({ ...c, kind: 'dorsal', rootlet: rl.rootlet })}>
                <span className="rl-n">{`r${rl.rootlet}`}</span>
                <span className="rl-g">{gradeLabel(rl.grade)}</span>
                <span className="rl-d">{decisionLabel(rl.decision, rl.cutFraction)}</span>
              </button>
            ))}
          </div>
          {trains.length > 1 && (
            <div className="row muted">
              {'trains on this rootlet: '}
              {trains.map((s) => (
                <button key={s.stimulationId} className="btn" onClick={() => {
                  const caseId = ui.caseDetail?.case.id;
                  if (!caseId || !s.grade) return;
                  void store.showTrain({ stimulationId: s.stimulationId, gradeId: s.gradeId, caseId, sessionId: s.sessionId, stimulation: s.stimulation, grade: s.grade, latencyMs: null, highIntensity: s.highIntensity });
                }}>{`${s.stimulation.intensityMa.toFixed(2)} mA ${gradeLabel(s.grade?.grade ?? null)}`}</button>
              ))}
            </div>
          )}
        </section>
      </div>
    </div>
  );
}
