import type { TraceBuffer } from './traceBuffer';

export interface LaneInfo {
  readonly label: string;
  /** Shown in red across the lane (electrode off, dead channel). */
  readonly alarm: string | null;
}

export interface LiveViewOptions {
  readonly windowS: number;
  /** Half a lane's height corresponds to this many microvolts. */
  readonly scaleUv: number;
}

/** Frame-timing figures of the live view, read by the UI benchmark and the status line. */
export interface LiveStats {
  framesDrawn: number;
  /** Recent intervals between drawn frames, ms (ring of 240). */
  readonly frameIntervalsMs: Float64Array;
  /** Recent trace-frame arrival -> pixels-on-canvas delays, ms (ring of 240). */
  readonly arrivalToDrawMs: Float64Array;
  lastDrawMs: number;
  drawCostMs: number;
  /** Newest sample on screen after each draw that showed new data, and when (epoch ms), ring of 240. */
  readonly shownSample: Float64Array;
  readonly shownAtEpochMs: Float64Array;
  shownCount: number;
}

const LABEL_W = 64;
const RING = 240;
/** No frame for this long: the stream has stopped (device closed or stalled). */
const STALL_MS = 400;
/** Extrapolate the sample clock at most this far past the newest frame. */
const MAX_EXTRAPOLATE_MS = 120;

/**
 * Draws the live traces on a 2D canvas: one lane per channel, each pixel column a min-max bar, stimulus
 * markers and gaps over the lanes. Runs its own requestAnimationFrame loop and redraws at most once per
 * animation frame, only when the buffer changed (Excalidraw style: no React render on the hot path).
 */
export class LiveRenderer {
  readonly stats: LiveStats = {
    framesDrawn: 0,
    frameIntervalsMs: new Float64Array(RING),
    arrivalToDrawMs: new Float64Array(RING),
    lastDrawMs: 0,
    drawCostMs: 0,
    shownSample: new Float64Array(RING),
    shownAtEpochMs: new Float64Array(RING),
    shownCount: 0,
  };
  private raf = 0;
  private drawnVersion = -1;
  private drawnW = 0;
  private drawnH = 0;
  private lanes: readonly LaneInfo[] = [];
  private options: LiveViewOptions;
  private colMin = new Float32Array(0);
  private colMax = new Float32Array(0);
  private dirty = true;
  /** Right edge of the display, in running samples; only moves forward while streaming. */
  private displayEnd = 0;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

  constructor(private readonly canvas: HTMLCanvasElement, private readonly buffer: TraceBuffer, options: LiveViewOptions) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('2D canvas unavailable');
    this.ctx = ctx;
    this.options = options;
  }

  setLanes(lanes: readonly LaneInfo[]): void {
    this.lanes = lanes;
    this.dirty = true;
  }

  setOptions(options: LiveViewOptions): void {
    this.options = options;
    this.dirty = true;
  }

  start(): void {
    const loop = (now: number): void => {
      this.raf = requestAnimationFrame(loop);
      this.frame(now);
    };
    this.raf = requestAnimationFrame(loop);
  }

  stop(): void {
    cancelAnimationFrame(this.raf);
  }

  private frame(now: number): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (w !== this.drawnW || h !== this.drawnH) {
      this.canvas.width = w;
      this.canvas.height = h;
      this.drawnW = w;
      this.drawnH = h;
      this.dirty = true;
    }
    // While data streams, scroll smoothly every animation frame: the right edge follows the sample clock
    // extrapolated from the newest frame's arrival (host frames come about every 50 ms). When the stream
    // stops, stop scrolling and draw only on change.
    const b = this.buffer;
    const sinceArrivalMs = b.lastArrivalMs > 0 ? performance.now() - b.lastArrivalMs : Infinity;
    // Users who ask for reduced motion get a redraw per data frame (about 20 per second) instead of
    // continuous scrolling; it also spares the CPU on slow machines.
    const streaming = sinceArrivalMs < STALL_MS && !this.reducedMotion.matches;
    if (!streaming && !this.dirty && b.version === this.drawnVersion) return;
    const extrapolated = b.newestSample + Math.min(sinceArrivalMs, MAX_EXTRAPOLATE_MS) * (b.sampleRateHz / 1000);
    const target = streaming ? extrapolated : b.newestSample;
    // Never scroll backwards (late frames), but do not run ahead of the data by more than the cap.
    this.displayEnd = target < this.displayEnd && this.displayEnd - target < b.sampleRateHz ? this.displayEnd : target;
    const t0 = performance.now();
    this.draw(w, h, dpr);
    const t1 = performance.now();
    const s = this.stats;
    const i = s.framesDrawn % RING;
    s.frameIntervalsMs[i] = s.lastDrawMs > 0 ? now - s.lastDrawMs : 0;
    s.arrivalToDrawMs[i] = this.buffer.lastArrivalMs > 0 ? t1 - this.buffer.lastArrivalMs : 0;
    s.lastDrawMs = now;
    s.drawCostMs = t1 - t0;
    s.framesDrawn++;
    if (this.buffer.version !== this.drawnVersion) {
      const j = s.shownCount % RING;
      s.shownSample[j] = b.newestSample;
      s.shownAtEpochMs[j] = performance.timeOrigin + t1;
      s.shownCount++;
    }
    this.drawnVersion = this.buffer.version;
    this.dirty = false;
  }

  private draw(w: number, h: number, dpr: number): void {
    const ctx = this.ctx;
    const b = this.buffer;
    const lanes = Math.max(1, Math.min(b.channelCount, this.lanes.length || b.channelCount));
    ctx.fillStyle = '#0a0e13';
    ctx.fillRect(0, 0, w, h);
    const labelW = Math.round(LABEL_W * dpr);
    const plotW = Math.max(1, w - labelW);
    const laneH = h / lanes;
    const span = Math.round(this.options.windowS * b.sampleRateHz);
    const end = Math.round(this.displayEnd);
    const start = end - span;
    if (this.colMin.length < plotW) {
      this.colMin = new Float32Array(plotW);
      this.colMax = new Float32Array(plotW);
    }
    const xOf = (sample: number): number => labelW + ((sample - start) / span) * plotW;

    // Gaps first (under the traces): a hatched band says "data missing here", never a flat line.
    for (const g of b.gapMarkers()) {
      const x0 = Math.max(labelW, xOf(g.sample));
      const x1 = Math.min(w, xOf(g.sample + g.lengthSamples));
      if (x1 <= labelW || x0 >= w) continue;
      ctx.fillStyle = 'rgba(248, 81, 73, 0.18)';
      ctx.fillRect(x0, 0, Math.max(2 * dpr, x1 - x0), h);
      ctx.fillStyle = '#f85149';
      ctx.font = `${Math.round(11 * dpr)}px sans-serif`;
      ctx.fillText('GAP', x0 + 2 * dpr, h - 4 * dpr);
    }
    // Stimulus markers: a band over a train, a line at each single pulse (labels go on top, below).
    for (const m of b.stimulusMarkers()) {
      const x0 = xOf(m.sample);
      const x1 = xOf(m.sample + m.lengthSamples);
      if (x0 > w || x1 < labelW) continue;
      if (m.lengthSamples > 0) {
        ctx.fillStyle = 'rgba(242, 204, 96, 0.10)';
        ctx.fillRect(Math.max(labelW, x0), 0, Math.min(w, x1) - Math.max(labelW, x0), h);
      }
      ctx.fillStyle = '#f2cc60';
      if (x0 >= labelW) ctx.fillRect(x0, 0, Math.max(1, dpr), h);
    }

    const scale = this.options.scaleUv;
    ctx.font = `${Math.round(Math.min(12, laneH / dpr - 2) * dpr)}px sans-serif`;
    for (let c = 0; c < lanes; c++) {
      const top = c * laneH;
      const mid = top + laneH / 2;
      const half = (laneH / 2) * 0.9;
      const lane = this.lanes[c];
      ctx.fillStyle = c % 2 === 0 ? '#0d1218' : '#0a0e13';
      ctx.fillRect(0, top, labelW, laneH);
      ctx.fillStyle = lane?.alarm ? '#f85149' : '#c9d1d9';
      ctx.textBaseline = 'middle';
      ctx.fillText(lane?.label ?? `ch ${c}`, 4 * dpr, mid);
      ctx.strokeStyle = '#1b232c';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(labelW, Math.round(mid) + 0.5);
      ctx.lineTo(w, Math.round(mid) + 0.5);
      ctx.stroke();

      b.decimate(c, start, span, plotW, this.colMin, this.colMax);
      ctx.strokeStyle = lane?.alarm ? '#7d3b38' : '#7ee787';
      ctx.beginPath();
      const mn = this.colMin;
      const mx = this.colMax;
      for (let k = 0; k < plotW; k++) {
        const lo = mn[k]!;
        const hi = mx[k]!;
        if (lo !== lo) continue; // NaN: nothing held for this column
        const x = labelW + k + 0.5;
        const yHi = mid - Math.max(-1, Math.min(1, hi / scale)) * half;
        const yLo = mid - Math.max(-1, Math.min(1, lo / scale)) * half;
        ctx.moveTo(x, yHi);
        ctx.lineTo(x, yLo + 1);
      }
      ctx.stroke();
      if (lane?.alarm) {
        // The alarm text sits on a box so it stays readable over the (hum-filled) trace.
        const tw = ctx.measureText(lane.alarm).width;
        ctx.fillStyle = '#3a1113';
        ctx.fillRect(labelW + 4 * dpr, mid - laneH / 2 + 1, tw + 8 * dpr, laneH - 2);
        ctx.fillStyle = '#ff9b94';
        ctx.textBaseline = 'middle';
        ctx.fillText(lane.alarm, labelW + 8 * dpr, mid);
      }
    }
    ctx.textBaseline = 'alphabetic';
    ctx.font = `${Math.round(11 * dpr)}px sans-serif`;
    for (const m of b.stimulusMarkers()) {
      const x0 = xOf(m.sample);
      if (x0 > w || xOf(m.sample + m.lengthSamples) < labelW) continue;
      const x = Math.max(labelW, x0) + 2 * dpr;
      const tw = ctx.measureText(m.label).width;
      ctx.fillStyle = 'rgba(10, 14, 19, 0.85)';
      ctx.fillRect(x, 0, tw + 6 * dpr, 14 * dpr);
      ctx.fillStyle = '#f2cc60';
      ctx.fillText(m.label, x + 3 * dpr, 11 * dpr);
    }
  }
}

/** Median of the filled part of a stats ring. */
export function ringMedian(ring: Float64Array, count: number): number | null {
  const n = Math.min(count, ring.length);
  if (n === 0) return null;
  const v = Array.from(ring.subarray(0, n)).filter((x) => x > 0).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v[Math.floor(v.length / 2)]!;
}
