import { useEffect, useRef } from 'react';
import { actionForKey } from './keyboard';
import { EmgSound } from './live/emgSound';
import type { TraceBuffer } from './live/traceBuffer';
import { useStore, useUi } from './state/context';
import { AuditLog } from './components/AuditLog';
import { CaseSetup } from './components/CaseSetup';
import { Banners, EvidenceOverlay, HelpOverlay, TopBar } from './components/Chrome';
import { DevicePanel } from './components/DevicePanel';
import { Monitor } from './components/Monitor';
import { RootletMap } from './components/RootletMap';
import { ReplayScreen } from './components/ReplayScreen';
import { TrainingScreen } from './components/TrainingScreen';

export function App(props: { buffer: TraceBuffer }) {
  const ui = useUi();
  const store = useStore();

  // One global key handler drives the whole workflow (keyboard.ts holds the table).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const action = actionForKey({
        key: e.key, ctrlKey: e.ctrlKey, altKey: e.altKey, metaKey: e.metaKey,
        targetTag: target?.tagName, targetEditable: target?.isContentEditable === true,
      });
      if (!action) return;
      if (action === 'escape' && target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) target.blur();
      e.preventDefault();
      void store.act(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  // EMG sound: the trace stream feeds WebAudio only while sound is on.
  const soundRef = useRef<EmgSound | null>(null);
  useEffect(() => {
    if (!ui.sound.on) return;
    const sound = soundRef.current ?? new EmgSound();
    soundRef.current = sound;
    try {
      sound.enable();
    } catch (e) {
      store.reportError(`sound unavailable: ${String(e)}`);
      return;
    }
    const off = store.api.subscribe('trace', (f) => sound.feed(f, f.sampleRateHz));
    return () => {
      off();
      sound.disable();
    };
  }, [ui.sound.on, store]);
  useEffect(() => {
    if (soundRef.current) soundRef.current.channel = ui.sound.channel;
  }, [ui.sound.channel, ui.sound.on]);

  return (
    <div className="app">
      <TopBar />
      <Banners />
      <main className="screen">
        {ui.screen === 'monitor' && <Monitor buffer={props.buffer} />}
        {ui.screen === 'map' && <RootletMap />}
        {ui.screen === 'audit' && <AuditLog />}
        {ui.screen === 'setup' && <CaseSetup />}
        {ui.screen === 'device' && <DevicePanel />}
        {ui.screen === 'replay' && <ReplayScreen buffer={props.buffer} />}
        {ui.screen === 'training' && <TrainingScreen buffer={props.buffer} />}
      </main>
      {ui.help && <HelpOverlay />}
      {ui.evidence && <EvidenceOverlay />}
    </div>
  );
}
