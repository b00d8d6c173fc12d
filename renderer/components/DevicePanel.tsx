import { useState } from 'react';
import type { DeviceStatus } from '../../src/contracts';
import { channelName } from '../../src/domain';
import { useStore, useUi } from '../state/context';

/** Connection state as a pill: colour and words. */
export function connectionPill(d: DeviceStatus | null): { cls: string; text: string } {
  if (!d || d.source === 'none' || d.connection === 'closed') return { cls: '', text: 'no device' };
  const src = d.source === 'simulator' ? 'simulator' : d.path ?? 'serial';
  switch (d.connection) {
    case 'open':
      return { cls: 'ok', text: `${src} connected` };
    case 'opening':
      return { cls: 'warn', text: `${src} connecting` };
    case 'reconnecting':
      return { cls: 'bad', text: `${src} reconnecting` };
    case 'disconnected':
      return { cls: 'bad', text: `${src} DISCONNECTED` };
  }
}

export function DevicePanel() {
  const ui = useUi();
  const store = useStore();
  const [source, setSource] = useState<'simulator' | 'serial'>('simulator');
  const [path, setPath] = useState('');
  const [seed, setSeed] = useState('');
  const d = ui.device;
  const pill = connectionPill(d);
  const connected = d !== null && d.connection !== 'closed' && d.source !== 'none';
  const connect = () => {
    if (source === 'simulator') {
      const n = Number(seed);
      void store.connect(seed.trim() !== '' && Number.isInteger(n) && n >= 0 ? { source: 'simulator', seed: n } : { source: 'simulator' });
    } else if (path.trim()) {
      void store.connect({ source: 'serial', path: path.trim() });
    } else {
      store.reportError('Choose a serial port or type its path (e.g. /dev/ttyUSB0 or COM3).');
    }
  };
  const montage = ui.caseDetail?.montage ?? null;
  const offNames = (d?.electrodeOff ?? []).map((i) => {
    const ch = montage?.channels.find((c) => c.index === i);
    return ch ? `${channelName(ch)} (ch ${i})` : `ch ${i}`;
  });
  return (
    <div className="device-screen" data-testid="device-screen">
      <section className="panel form-col" aria-label="Connect device">
        <h2>Device</h2>
        <div className="seg" role="radiogroup" aria-label="Source">
          <button className="btn" aria-pressed={source === 'simulator'} onClick={() => setSource('simulator')} data-testid="src-simulator">Simulated patient</button>
          <button className="btn" aria-pressed={source === 'serial'} onClick={() => { setSource('serial'); void store.refreshPorts(); }} data-testid="src-serial">Serial port</button>
        </div>
        {source === 'simulator' ? (
          <label className="field">seed (optional, for a reproducible patient)
            <input inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} aria-label="Simulator seed" />
          </label>
        ) : (
          <>
            <div className="row">
              <label className="field spacer">detected ports
                <select value={path} onChange={(e) => setPath(e.target.value)} aria-label="Serial port">
                  <option value="">{ui.ports?.ports.length ? 'choose\u2026' : 'none found'}</option>
                  {(ui.ports?.ports ?? []).map((p) => <option key={p.path} value={p.path}>{`${p.path}${p.manufacturer ? ` \u00b7 ${p.manufacturer}` : ''}`}</option>)}
                </select>
              </label>
              <button className="btn" onClick={() => void store.refreshPorts()}>Rescan</button>
            </div>
            {ui.ports?.listError && <div className="warn-text">{`Port list unavailable (${ui.ports.listError}); type the path instead.`}</div>}
            <label className="field">port path
              <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/dev/ttyUSB0, /dev/pts/3, COM3" aria-label="Serial port path" data-testid="serial-path" />
            </label>
          </>
        )}
        <div className="row">
          <button className="btn primary" onClick={connect} disabled={ui.busy === 'connect'} data-testid="connect">{connected ? 'Reconnect' : 'Connect'}</button>
          <button className="btn" onClick={() => void store.disconnect()} disabled={!connected} data-testid="disconnect">Disconnect</button>
        </div>
        <span className={`pill ${pill.cls}`} data-testid="device-state">{pill.text}</span>
        {d?.reason && <div className="warn-text">{d.reason}</div>}
        {d?.lastError && <div className="bad-text">{`last error: ${d.lastError}`}</div>}
      </section>
      <section className="panel scroll" aria-label="Device status">
        <h2>Status</h2>
        {d?.info ? (
          <dl className="kv">
            <dt>model</dt><dd>{`${d.info.model} (firmware ${d.info.firmware})`}</dd>
            <dt>channels</dt><dd>{`${d.info.channelCount} at ${d.info.sampleRateHz} Hz`}</dd>
            <dt>stimulator</dt><dd>{d.info.canStimulate ? 'yes' : 'no (recording only)'}</dd>
            <dt>recording</dt><dd>{d.recording ? `case ${d.recording.caseId}, session ${d.recording.sessionId}` : 'not recording (open a case)'}</dd>
          </dl>
        ) : <div className="muted">No device information yet.</div>}
        <h2>Link</h2>
        <table data-testid="link-counters">
          <tbody>
            <tr><td>bytes received</td><td className="num">{d?.counters.bytesReceived ?? 0}</td></tr>
            <tr><td>frames decoded</td><td className="num">{d?.counters.framesDecoded ?? 0}</td></tr>
            <tr><td>bytes dropped (resync)</td><td className={`num${(d?.counters.bytesDropped ?? 0) > 0 ? ' warn-text' : ''}`}>{d?.counters.bytesDropped ?? 0}</td></tr>
            <tr><td>CRC failures</td><td className={`num${(d?.counters.crcFailures ?? 0) > 0 ? ' warn-text' : ''}`}>{d?.counters.crcFailures ?? 0}</td></tr>
            <tr><td>sequence gaps</td><td className={`num${(d?.counters.sequenceGaps ?? 0) > 0 ? ' bad-text' : ''}`}>{d?.counters.sequenceGaps ?? 0}</td></tr>
            <tr><td>samples lost</td><td className={`num${(d?.counters.samplesLost ?? 0) > 0 ? ' bad-text' : ''}`}>{d?.counters.samplesLost ?? 0}</td></tr>
            <tr><td>live frames dropped (display only)</td><td className="num">{d?.liveFramesDropped ?? 0}</td></tr>
          </tbody>
        </table>
        <h2>Electrodes</h2>
        {offNames.length ? <div className="bad-text" data-testid="electrode-off">{`ELECTRODE OFF: ${offNames.join(', ')}`}</div> : <div className="ok-text">all electrodes on</div>}
        <h2>Grading latency</h2>
        <div className="num">
          {d && d.gradeLatency.count > 0
            ? `last ${fmt(d.gradeLatency.lastMs)} \u00b7 median ${fmt(d.gradeLatency.p50Ms)} \u00b7 p95 ${fmt(d.gradeLatency.p95Ms)} \u00b7 max ${fmt(d.gradeLatency.maxMs)} (${d.gradeLatency.count} trains)`
            : 'no trains graded yet'}
        </div>
      </section>
    </div>
  );
}

function fmt(ms: number | null): string {
  return ms === null ? '\u2013' : `${Math.round(ms)} ms`;
}
