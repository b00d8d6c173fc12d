import { useEffect, useRef, useState } from 'react';
import type { Montage } from '../../src/domain';
import { channelName } from '../../src/domain';
import { LiveRenderer, ringMedian, type LaneInfo } from '../live/liveRenderer';
import type { TraceBuffer } from '../live/traceBuffer';

declare global {
  interface Window {
    /** Live-view timing, read by the UI benchmark. */
    __sdrLiveStats?: LiveRenderer['stats'];
  }
}

const SCALES_UV = [50, 100, 200, 500, 1000, 2000];

export function LiveTraces(props: { buffer: TraceBuffer; montage: Montage | null; electrodeOff: readonly number[]; connected: boolean }) {
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const rendererRef = useRef<LiveRenderer | null>(null);
  const [scaleUv, setScaleUv] = useState(200);
  const [windowS, setWindowS] = useState(4);
  const [fps, setFps] = useState<number | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const r = new LiveRenderer(canvas, props.buffer, { windowS, scaleUv });
    rendererRef.current = r;
    window.__sdrLiveStats = r.stats;
    r.start();
    // The frame-rate readout updates twice a second through React; the drawing itself never does.
    const timer = setInterval(() => {
      const med = ringMedian(r.stats.frameIntervalsMs, r.stats.framesDrawn);
      setFps(med ? Math.round(1000 / med) : null);
    }, 500);
    return () => {
      clearInterval(timer);
      r.stop();
      rendererRef.current = null;
    };
    // The renderer is created once per buffer; options and lanes are pushed by the effects below.
  }, [props.buffer]);

  useEffect(() => {
    rendererRef.current?.setOptions({ windowS, scaleUv });
  }, [windowS, scaleUv]);

  useEffect(() => {
    const off = new Set(props.electrodeOff);
    const lanes: LaneInfo[] = (props.montage?.channels ?? []).map((c) => ({
      label: channelName(c),
      alarm: off.has(c.index) ? 'ELECTRODE OFF' : null,
    }));
    rendererRef.current?.setLanes(lanes);
  }, [props.montage, props.electrodeOff]);

  return (
    <section className="panel live-panel" aria-label="Live EMG traces">
      <div className="live-head">
        <h2>Live EMG</h2>
        <span className="muted">{props.connected ? `${windowS} s window` : 'no device connected'}</span>
        <span className="spacer" />
        <label className="row muted">
          scale
          <select value={scaleUv} onChange={(e) => setScaleUv(Number(e.target.value))} aria-label="Live trace scale">
            {SCALES_UV.map((s) => <option key={s} value={s}>{`\u00b1${s} \u00b5V`}</option>)}
          </select>
        </label>
        <label className="row muted">
          window
          <select value={windowS} onChange={(e) => setWindowS(Number(e.target.value))} aria-label="Live trace window">
            {[2, 4, 8].map((s) => <option key={s} value={s}>{`${s} s`}</option>)}
          </select>
        </label>
        <span className="muted num" data-testid="live-fps">{fps !== null ? `${fps} fps` : ''}</span>
      </div>
      <div className="live-canvas-wrap">
        <canvas ref={canvasRef} data-testid="live-canvas" />
      </div>
    </section>
  );
}
