import { useEffect, useMemo, useRef } from 'react';
import {
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  type ChartDataset,
} from 'chart.js';
import type { EpochTraces, GradedTrain } from '../../src/contracts';
import type { ChannelEvidence, Montage } from '../../src/domain';
import { channelName } from '../../src/domain';
import { gradeLabel } from '../labels';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler);

interface ChannelTraces {
  readonly timesMs: Float64Array;
  readonly minUv: readonly number[];
  readonly maxUv: readonly number[];
  readonly envelopeUv: readonly number[];
}

function tracesFor(channel: number, filtered: EpochTraces, envelope: EpochTraces): ChannelTraces | null {
  const f = filtered.channels.find((c) => c.channel === channel);
  const e = envelope.channels.find((c) => c.channel === channel);
  if (!f) return null;
  const msPerPoint = (filtered.samplesPerPoint / filtered.sampleRateHz) * 1000;
  const timesMs = new Float64Array(f.minUv.length);
  for (let i = 0; i < timesMs.length; i++) timesMs[i] = filtered.startMs + (i + 0.5) * msPerPoint;
  return { timesMs, minUv: f.minUv, maxUv: f.maxUv, envelopeUv: e ? e.maxUv : [] };
}

/**
 * One channel's stimulus-locked response: the filtered EMG as a min/max band, its envelope, the
 * pre-stimulus baseline and the train window, so the evidence behind the grade is visible at a glance.
 */
function ChannelChart(props: { traces: ChannelTraces; evidence: ChannelEvidence | undefined; stimMs: number; envStartMs: number; envMsPerPoint: number; scaleUv: number }) {
  const ref = useRef<HTMLCanvasElement | null>(null);
  const chartRef = useRef<Chart<'line', { x: number; y: number }[]> | null>(null);

  const { traces, evidence, stimMs, envStartMs, envMsPerPoint, scaleUv } = props;
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const band = (arr: readonly number[]) => arr.map((y, i) => ({ x: traces.timesMs[i]!, y }));
    const env = traces.envelopeUv.map((y, i) => ({ x: envStartMs + (i + 0.5) * envMsPerPoint, y }));
    const t0 = traces.timesMs[0] ?? 0;
    const t1 = traces.timesMs[traces.timesMs.length - 1] ?? 1;
    const peak = scaleUv;
    const responder = evidence?.sustained === true;
    const baseline = evidence?.baselineUv ?? 0;
    const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = [
      // Train window: shaded from the first pulse to the end of the train.
      { data: [{ x: 0, y: peak }, { x: stimMs, y: peak }], borderWidth: 0, backgroundColor: 'rgba(242,204,96,0.10)', fill: 'origin', pointRadius: 0 },
      { data: [{ x: 0, y: -peak }, { x: stimMs, y: -peak }], borderWidth: 0, backgroundColor: 'rgba(242,204,96,0.10)', fill: 'origin', pointRadius: 0 },
      { data: band(traces.maxUv), borderColor: responder ? '#ff9b94' : '#6e7f91', borderWidth: 1, pointRadius: 0, fill: '+1', backgroundColor: responder ? 'rgba(255,123,114,0.35)' : 'rgba(110,127,145,0.35)' },
      { data: band(traces.minUv), borderColor: responder ? '#ff9b94' : '#6e7f91', borderWidth: 1, pointRadius: 0, fill: false },
      { data: env, borderColor: '#58a6ff', borderWidth: 1.5, pointRadius: 0, fill: false },
      { data: [{ x: t0, y: baseline }, { x: t1, y: baseline }], borderColor: '#d29922', borderDash: [4, 3], borderWidth: 1, pointRadius: 0, fill: false },
    ];
    const chart = new Chart<'line', { x: number; y: number }[]>(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        events: [],
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: {
          x: { type: 'linear', min: t0, max: t1, display: false },
          y: { type: 'linear', min: -peak, max: peak, display: false },
        },
      },
    });
    chartRef.current = chart;
    return () => {
      chart.destroy();
      chartRef.current = null;
    };
  }, [traces, evidence, stimMs, envStartMs, envMsPerPoint, scaleUv]);

  return <canvas ref={ref} />;
}

function evidenceNote(e: ChannelEvidence | undefined): string {
  if (!e) return 'no evidence';
  if (e.state !== 'ok') return `EXCLUDED (${e.state}): ${e.notes[0] ?? ''}`;
  const parts = [
    `base ${e.baselineUv.toFixed(0)} \u00b5V`,
    `med ${e.trainMedianUv.toFixed(0)} \u00b5V`,
    `${Math.round(e.fractionAbove * 100)}% above`,
    `L/E ${e.lateEarlyRatio.toFixed(2)}`,
  ];
  if (e.afterDischarge) parts.push('after-discharge');
  return parts.join(' \u00b7 ');
}

export function GradedResponse(props: { train: GradedTrain | null; epoch: { filtered: EpochTraces; envelope: EpochTraces } | null; montage: Montage | null; busy: string | null }) {
  const { train, epoch, montage } = props;
  // Traces are derived once per epoch so the charts are not rebuilt when unrelated state changes.
  const tracesByChannel = useMemo(() => {
    const m = new Map<number, ChannelTraces>();
    if (!epoch) return m;
    for (const c of epoch.filtered.channels) {
      const t = tracesFor(c.channel, epoch.filtered, epoch.envelope);
      if (t) m.set(c.channel, t);
    }
    return m;
  }, [epoch]);
  // One amplitude scale for every muscle of the train, so a silent muscle looks silent next to a
  // responder instead of being blown up to fill its box (floor 50 uV).
  const scaleUv = useMemo(() => {
    let peak = 50;
    // Excluded channels (mains hum, saturation) do not set the scale; they are drawn clipped.
    const excluded = new Set((train?.grade.channels ?? []).filter((c) => c.state !== 'ok').map((c) => c.channel));
    for (const [channel, t] of tracesByChannel) {
      if (excluded.has(channel)) continue;
      for (const v of t.maxUv) if (Math.abs(v) > peak) peak = Math.abs(v);
      for (const v of t.minUv) if (Math.abs(v) > peak) peak = Math.abs(v);
    }
    return peak;
  }, [tracesByChannel, train]);
  if (!train || !montage) {
    return (
      <section className="panel graded" aria-label="Graded response">
        <h2>Graded response</h2>
        <div className="empty-note">{props.busy === 'train' ? 'Train running\u2026' : 'Run a test train (T) to see the stimulus-locked response of every muscle.'}</div>
      </section>
    );
  }
  const g = train.grade;
  const bySide = (side: 'L' | 'R') => montage.channels.filter((c) => c.side === side);
  const envMsPerPoint = epoch ? (epoch.envelope.samplesPerPoint / epoch.envelope.sampleRateHz) * 1000 : 1;
  const renderCard = (ch: Montage['channels'][number]) => {
    const ev = g.channels.find((c) => c.channel === ch.index);
    const traces = tracesByChannel.get(ch.index) ?? null;
    const excluded = ev !== undefined && ev.state !== 'ok';
    const cls = `ch-card${ev?.sustained ? ' responder' : ''}${excluded ? ' excluded' : ''}`;
    const relation = ev?.relation ? ` ${ev.relation}` : '';
    return (
      <div className={cls} key={ch.index} data-testid={`ch-card-${ch.index}`} title={ev?.notes.join('\n') ?? ''}>
        <div className="ch-title">
          <b>{channelName(ch)}</b>
          <span className={ev?.sustained ? 'bad-text' : 'muted'}>
            {excluded ? 'excluded' : ev?.sustained ? `sustained${relation}` : ev?.responding ? 'unsustained' : 'silent'}
          </span>
          {ev && ev.pattern !== 'none' && <span className="muted">{ev.pattern}</span>}
        </div>
        <div className="chart">
          {traces && epoch && <ChannelChart traces={traces} evidence={ev} stimMs={epoch.filtered.stimMs} envStartMs={epoch.envelope.startMs} envMsPerPoint={envMsPerPoint} scaleUv={scaleUv} />}
        </div>
        <div className="ch-note">{evidenceNote(ev)}</div>
      </div>
    );
  };
  return (
    <section className="panel graded" aria-label="Graded response" data-testid="graded-response">
      <div className="graded-head">
        <h2>Graded response</h2>
        <span>{`${g.target.level} ${g.target.side} rootlet ${g.target.rootlet ?? '-'}`}</span>
        <span className="muted num">{`${train.stimulation.intensityMa.toFixed(2)} mA \u00b7 ${train.stimulation.rateHz ?? '-'} Hz \u00b7 ${train.stimulation.durationS} s \u00b7 ${train.stimulation.pulseWidthUs} \u00b5s`}</span>
        <span>grade <b data-testid="graded-grade">{gradeLabel(g.grade)}</b></span>
        <span>pattern <b>{g.pattern}</b></span>
        {train.highIntensity && <span className="pill bad">HIGH INTENSITY: direct motor response likely</span>}
        {train.latencyMs !== null && <span className="muted num">{`graded ${Math.round(train.latencyMs)} ms after last sample`}</span>}
        <span className="muted num">{`scale \u00b1${Math.round(scaleUv)} \u00b5V`}</span>
        <span className="muted">legend: <span className="bad-text">band</span> filtered EMG, <span className="accent-text">&mdash;</span> envelope, <span className="warn-text">- -</span> baseline</span>
      </div>
      <div className="graded-grid">
        {(['L', 'R'] as const).map((side) => (
          <div className="leg" key={side}>
            <div className="leg-title">{side === 'L' ? 'Left leg' : 'Right leg'}{g.target.side === side ? ' (stimulated side)' : ' (contralateral)'}</div>
            {bySide(side).map(renderCard)}
          </div>
        ))}
      </div>
    </section>
  );
}
