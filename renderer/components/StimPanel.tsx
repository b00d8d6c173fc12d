import { LEVELS } from '../../src/domain';
import { useStore, useUi } from '../state/context';
import { formatMa, targetLabel } from '../labels';

/** Target choice (level, side, rootlet, dorsal/ventral) and the stimulation actions, all with keys. */
export function StimPanel() {
  const store = useStore();
  const ui = useUi();
  const { cursor, stim, busy, lastRamp, lastPulse, rootlet } = ui;
  const settings = stim?.settings;
  const threshold = ui.rampThreshold?.ma ?? latestThreshold(rootlet);
  const ready = ui.device?.connection === 'open' && ui.caseDetail !== null;
  return (
    <section className="panel col" aria-label="Stimulation">
      <h2>Target</h2>
      <div className="target-big" data-testid="target">{targetLabel({ ...cursor, rootlet: cursor.kind === 'ventral' ? null : cursor.rootlet })}</div>
      <div className="levels" role="group" aria-label="Level">
        {LEVELS.map((l) => (
          <button key={l} className="btn" aria-pressed={cursor.level === l} onClick={() => void store.setCursor({ ...cursor, level: l, rootlet: 1 })}>{l}</button>
        ))}
      </div>
      <div className="seg" role="group" aria-label="Side">
        {(['L', 'R'] as const).map((s) => (
          <button key={s} className="btn" aria-pressed={cursor.side === s} onClick={() => void store.setCursor({ ...cursor, side: s, rootlet: 1 })}>{s === 'L' ? 'Left' : 'Right'}</button>
        ))}
      </div>
      <div className="seg" role="group" aria-label="Root">
        {(['dorsal', 'ventral'] as const).map((k) => (
          <button key={k} className="btn" aria-pressed={cursor.kind === k} onClick={() => void store.setCursor({ ...cursor, kind: k })}>{k}</button>
        ))}
      </div>
      <div className="row">
        <button className="btn" aria-label="Previous rootlet" onClick={() => void store.act('rootlet-prev')} disabled={cursor.kind === 'ventral'}>{'\u2190'}</button>
        <span className="spacer">rootlet <b className="num">{cursor.kind === 'ventral' ? 'whole root' : cursor.rootlet}</b></span>
        <button className="btn" aria-label="Next rootlet" onClick={() => void store.act('rootlet-next')} disabled={cursor.kind === 'ventral'}>{'\u2192'}</button>
      </div>

      <h2>Stimulator</h2>
      <div className="grid2">
        <label className="field">intensity mA
          <input type="number" step="0.05" min="0" max="100" value={settings?.intensityMa ?? ''} aria-label="Intensity mA"
            onChange={(e) => { const v = Number(e.target.value); if (Number.isFinite(v) && v >= 0) void store.setStimSettings({ intensityMa: v }); }} />
        </label>
        <label className="field">pulse µs
          <input type="number" step="10" min="10" max="2000" value={settings?.pulseWidthUs ?? ''} aria-label="Pulse width us"
            onChange={(e) => { const v = Number(e.target.value); if (Number.isInteger(v) && v >= 10) void store.setStimSettings({ pulseWidthUs: v }); }} />
        </label>
        <label className="field">train Hz
          <input type="number" step="1" min="1" max="500" value={settings?.trainRateHz ?? ''} aria-label="Train rate Hz"
            onChange={(e) => { const v = Number(e.target.value); if (v > 0) void store.setStimSettings({ trainRateHz: v }); }} />
        </label>
        <label className="field">train s
          <input type="number" step="0.1" min="0.1" max="30" value={settings?.trainDurationS ?? ''} aria-label="Train duration s"
            onChange={(e) => { const v = Number(e.target.value); if (v > 0) void store.setStimSettings({ trainDurationS: v }); }} />
        </label>
        <label className="field">ramp from mA
          <input type="number" step="0.05" min="0" value={ui.ramp.startMa} aria-label="Ramp start mA"
            onChange={(e) => store.setRamp({ startMa: Number(e.target.value) })} />
        </label>
        <label className="field">ramp step mA
          <input type="number" step="0.05" min="0.01" value={ui.ramp.stepMa} aria-label="Ramp step mA"
            onChange={(e) => store.setRamp({ stepMa: Number(e.target.value) })} />
        </label>
        <label className="field">ramp max mA
          <input type="number" step="0.5" min="0.1" max="100" value={ui.ramp.maxMa} aria-label="Ramp max mA"
            onChange={(e) => store.setRamp({ maxMa: Number(e.target.value) })} />
        </label>
        <label className="field">ramp Hz
          <input type="number" step="0.5" min="0.1" max="5" value={ui.ramp.rateHz} aria-label="Ramp rate Hz"
            onChange={(e) => store.setRamp({ rateHz: Number(e.target.value) })} />
        </label>
      </div>
      <div className="stim-actions">
        <button className="btn primary" onClick={() => void store.act('ramp')} disabled={!ready || busy !== null} data-testid="btn-ramp">Ramp <kbd>R</kbd></button>
        <button className="btn primary" onClick={() => void store.act('train')} disabled={!ready || busy !== null} data-testid="btn-train">Train <kbd>T</kbd></button>
        <button className="btn" onClick={() => void store.act('repeat')} disabled={!ready || busy !== null || !stim?.last}>Again <kbd>A</kbd></button>
      </div>
      {busy && <div className="busy" data-testid="busy">{busy === 'ramp' ? 'Threshold ramp running\u2026' : busy === 'train' ? 'Train running\u2026' : busy === 'connect' ? 'Connecting\u2026' : 'Stimulating\u2026'}</div>}
      {!ready && <div className="muted">{ui.caseDetail ? 'Connect a device to stimulate (5).' : 'Open a case first (4).'}</div>}

      <dl className="kv">
        <dt>threshold</dt>
        <dd><span data-testid="threshold">{formatMa(threshold)}</span>{ui.rampThreshold?.source === 'pulses' && <span className="muted">{` (from ${ui.ramp.repeatsPerStep} responding pulses; grader estimate pending)`}</span>}</dd>
        <dt>last pulse</dt>
        <dd>{lastPulse ? `${lastPulse.intensityMa.toFixed(2)} mA, ${lastPulse.responding ? `${lastPulse.channels.filter((c) => c.responding).length} ch responding` : 'no response'}` : '\u2013'}</dd>
        {lastRamp && sameRootlet(lastRamp.result.target, cursor) && <><dt>ramp</dt><dd>{`${lastRamp.pulses.length} pulses`}</dd></>}
      </dl>
    </section>
  );
}

function sameRootlet(t: { level: string; side: string; kind: string; rootlet: number | null }, c: { level: string; side: string; kind: string; rootlet: number }): boolean {
  return t.level === c.level && t.side === c.side && t.kind === c.kind && (c.kind === 'ventral' || t.rootlet === c.rootlet);
}

function latestThreshold(r: { thresholds: readonly { thresholdMa: number | null }[] } | null): number | null {
  const t = r?.thresholds ?? [];
  return t.length ? t[t.length - 1]!.thresholdMa : null;
}
