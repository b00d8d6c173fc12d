import type { RootletMap as RootletMapData } from '../../src/contracts';
import type { Level, Side } from '../../src/domain';
import { LEVELS } from '../../src/domain';
import { useStore, useUi } from '../state/context';
import { decisionLabel, formatMa, formatPct, gradeLabel } from '../labels';
import { ReportActions } from './ReportActions';

type MapRoot = RootletMapData['roots'][number];

/**
 * Levels by sides: each rootlet's threshold, grade and decision, and per-level % cut against the plan.
 * Built to be read from across the room: large type, and every status is written as well as coloured.
 */
export function RootletMap() {
  const ui = useUi();
  const store = useStore();
  const map = ui.map;
  if (!ui.caseDetail) return <div className="map-screen"><div className="empty-note">Open a case to see its rootlet map (4).</div></div>;
  const rootFor = (level: Level, side: Side): MapRoot | undefined => map?.roots.find((r) => r.level === level && r.side === side);
  const cell = (level: Level, side: Side) => {
    const r = rootFor(level, side);
    const over = r && r.cutPct !== null && r.planPct !== null && r.cutPct > r.planPct + 0.5;
    return [
      <td key={`${side}-pct`} className="map-pct num" data-testid={`map-pct-${level}${side}`}>
        <span className={over ? 'over-plan' : ''}>{formatPct(r?.cutPct ?? null)}</span>
        <small>{`plan ${formatPct(r?.planPct ?? null)}`}{over && r?.cutPct != null && r.planPct != null ? ` · ${Math.round(r.cutPct - r.planPct)} over plan` : ''}</small>
        <small>{r ? `${r.decided}/${r.tested} decided` : '0 tested'}</small>
      </td>,
      <td key={`${side}-rl`} data-testid={`map-cell-${level}${side}`}>
        <div className="rootlets">
          {(r?.rootlets ?? []).map((rl) => {
            const current = ui.cursor.level === level && ui.cursor.side === side && ui.cursor.rootlet === rl.rootlet && ui.cursor.kind === 'dorsal';
            return (
              <button
                key={rl.rootlet}
                className={`rl ${rl.decision ?? 'undecided'}${current ? ' current' : ''}`}
                onClick={() => { void store.setCursor({ level, side, kind: 'dorsal', rootlet: rl.rootlet }); store.setScreen('monitor'); }}
                aria-label={`${level} ${side} rootlet ${rl.rootlet}: grade ${gradeLabel(rl.grade)}, ${decisionLabel(rl.decision, rl.cutFraction)}`}
              >
                <span className="rl-n">{`r${rl.rootlet}`}</span>
                <span className="rl-g">{gradeLabel(rl.grade)}</span>
                <span className="rl-d">{decisionLabel(rl.decision, rl.cutFraction)}</span>
                <span className="rl-t">{formatMa(rl.thresholdMa)}</span>
              </button>
            );
          })}
        </div>
        {r && (r.dorsalThresholdMa !== null || r.ventralThresholdMa !== null) && (
          <div className="muted">{`dorsal ${formatMa(r.dorsalThresholdMa)} \u00b7 ventral ${formatMa(r.ventralThresholdMa)}`}</div>
        )}
      </td>,
    ];
  };
  const t = map?.totals;
  return (
    <div className="map-screen" data-testid="rootlet-map">
      <div className="map-totals" data-testid="map-totals">
        <span>{`Patient ${ui.caseDetail.case.patientId}`}</span>
        <span>tested <b data-testid="total-tested">{t?.tested ?? 0}</b></span>
        <span>decided <b data-testid="total-decided">{t?.decided ?? 0}</b></span>
        <span>cut <b data-testid="total-cut">{(t?.cutEquivalent ?? 0).toFixed(1)}</b></span>
        <span>% cut <b data-testid="total-pct">{formatPct(t?.cutPct ?? null)}</b></span>
        <span className="muted">{`grades 0/1+/2+/3+/4+: ${(t?.gradeHistogram ?? [0, 0, 0, 0, 0]).join(' / ')}`}</span>
        <ReportActions caseId={ui.caseDetail.case.id} />
      </div>
      <div className="panel scroll">
        <table className="map-table">
          <thead>
            <tr><th>Level</th><th className="num">Left % cut</th><th>Left rootlets</th><th className="num">Right % cut</th><th>Right rootlets</th></tr>
          </thead>
          <tbody>
            {LEVELS.map((level) => (
              <tr key={level}>
                <td className="map-level">{level}</td>
                {cell(level, 'L')}
                {cell(level, 'R')}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
