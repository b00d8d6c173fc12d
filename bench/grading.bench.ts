/**
 * Grading benchmark: (1) throughput of the train grader on pipeline epochs, (2) grade latency while
 * streaming at real time (issue 4): from the arrival of the block holding the last sample of a train's
 * analysis window (EpochTiming.windowCompletedAtMs) to the grade event, p50 / p99 / max (target p99 <= 5
 * ms) by wall clock, with the CPU time of this process split into the pipeline finishing the epoch and
 * grading (the machine may be shared), over SDRLOG_BENCH_LATENCY_S (default 60) s of stream (the case
 * looped). Measured with 'confirmed' stimulation reports (how a 1.1 device streams: the epoch is emitted
 * with the block that completes its window) and, for comparison, 'lagging' (epochs held eventLagMs).
 * The stream grades as the app does (pipeline worker, in-thread analyzer): two-phase, the train part of
 * each train prepared (SessionGrader.prepare) from the pipeline's onTrainPartFinal while its post-train
 * window arrives, which is CPU spent before the window completes and not counted in the latency.
 */
import type { Montage, SampleBlock, StimulationEvent } from '../src/domain';
import { createPipeline } from '../src/pipeline';
import type { StimulusEpoch } from '../src/pipeline/epoch';
import { SessionGrader } from '../src/grading/session-grader';
import { gradeTrain, prepareTrain } from '../src/grading/train';
import { blocksOf } from '../test/corpus/run';
import { makeCase, montageOf, renderCase } from '../test/corpus/synth';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function run(): Promise<void> {
  const c = makeCase(4242, { sampleRatesHz: [10000], trains: 12 });
  const rc = renderCase(c);
  const montage = montageOf(c);
  const fs = rc.sampleRateHz;
  const channels = rc.raw.length;

  // (1) throughput: cut every epoch once, then grade them repeatedly
  const epochs: StimulusEpoch[] = [];
  const p = createPipeline({ sampleRateHz: fs, channelCount: channels, unit: 'uV', onEpoch: (e) => epochs.push(e) });
  let ei = 0;
  for (const b of blocksOf(rc, 100)) {
    while (ei < rc.events.length && rc.events[ei]!.sampleIndex < b.startSample + b.samplesPerChannel) p.pushStimulation(rc.events[ei++]!);
    p.pushBlock(b);
  }
  p.flush();
  p.dispose();
  // Warm-up (the latency below is that of a running session, not of the first train's compilation): one
  // way and two-phase, the train part prepared from the epoch with its train final (as onTrainPartFinal shows it).
  const trainPartOf = (e: StimulusEpoch): StimulusEpoch & { finalSamples: number } => ({ ...e, finalSamples: e.preSamples + e.stimSamples + Math.round(0.02 * fs) });
  for (let r = 0; r < 3; r++) for (const e of epochs) {
    gradeTrain(e, { montage });
    gradeTrain(e, { montage }, prepareTrain(trainPartOf(e), { montage }));
  }
  const rounds = 5;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) for (const e of epochs) gradeTrain(e, { montage });
  const per = (performance.now() - t0) / (rounds * epochs.length);
  const cpu1 = process.cpuUsage(cpu0);
  const perCpu = (cpu1.user + cpu1.system) / 1000 / (rounds * epochs.length);
  const epochS = epochs.reduce((s, e) => s + (e.preSamples + e.stimSamples + e.postSamples) / fs, 0) / epochs.length;
  console.log(`train grading: ${epochs.length} epochs of ${channels} ch at ${fs} Hz (${epochS.toFixed(2)} s each): ${per.toFixed(2)} ms per train by wall clock (${perCpu.toFixed(2)} ms CPU), ${(1000 / per).toFixed(0)} trains/s, ${((epochS * 1000) / per).toFixed(0)}x real time`);
  const prepared = epochs.map((e) => prepareTrain(trainPartOf(e), { montage }));
  const t1 = performance.now();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < epochs.length; i++) gradeTrain(epochs[i]!, { montage }, prepared[i]);
  const perGrade = (performance.now() - t1) / (rounds * epochs.length);
  const t2 = performance.now();
  for (let r = 0; r < rounds; r++) for (const e of epochs) prepareTrain(trainPartOf(e), { montage });
  const perPrepare = (performance.now() - t2) / (rounds * epochs.length);
  console.log(`  two-phase: prepareTrain ${perPrepare.toFixed(2)} ms per train (while the post-train window arrives), then gradeTrain with it ${perGrade.toFixed(2)} ms (after the window's last sample; same grade)`);

  // (2) latency while streaming at real time in 10 ms blocks, both ways of taking stimulation reports
  const streamS = Number(process.env.SDRLOG_BENCH_LATENCY_S ?? 60);
  const blockMs = 10;
  const blocks = [...blocksOf(rc, blockMs)];
  for (const mode of ['confirmed', 'lagging'] as const) {
    const r = await streamLatency(mode, streamS, blocks, rc.events, montage, fs, channels);
    const what = mode === 'confirmed'
      ? "'confirmed' stimulation reports (as from a 1.1 device: each block's end confirmed right after it)"
      : "'lagging' stimulation reports (default for sources that do not confirm: epochs wait settings.epoch.eventLagMs)";
    if (r.latencies.length === 0) {
      console.log(`grade latency, ${what}: no train completed within the streamed stretch`);
      continue;
    }
    console.log(`grade latency, ${what}, streaming ${r.streamedS.toFixed(0)} s at real time (${blockMs} ms blocks, ${r.latencies.length} trains):`);
    console.log(`  from the arrival of the block holding the analysis window's last sample to the grade event: p50 ${f(pct(r.latencies, 50))} ms, p99 ${f(pct(r.latencies, 99))} ms, max ${f(Math.max(...r.latencies))} ms by wall clock${mode === 'confirmed' ? ' (target p99 <= 5 ms)' : ''}`);
    console.log(`  CPU time of this process after the input that completed the epoch arrived: pipeline finishing p50 ${f(pct(r.cpuPipeline, 50))} ms, p99 ${f(pct(r.cpuPipeline, 99))} ms; grading p50 ${f(pct(r.cpuGrading, 50))} ms, p99 ${f(pct(r.cpuGrading, 99))} ms (grading by wall clock p50 ${f(pct(r.wallGrading, 50))} ms, p99 ${f(pct(r.wallGrading, 99))} ms)`);
    if (r.prepareCpu.length > 0) console.log(`  two-phase grading: train part prepared ${r.prepareCpu.length} times while the post-train window arrived (not in the latency), CPU p50 ${f(pct(r.prepareCpu, 50))} ms, p99 ${f(pct(r.prepareCpu, 99))} ms`);
    else console.log('  two-phase grading: no train part prepared (the grade above did all the work)');
    if (mode === 'lagging') {
      console.log(`  from the block that completes window + event lag (the pipeline's completedAtMs) to the grade event: p50 ${f(pct(r.fromCompleting, 50))} ms, p99 ${f(pct(r.fromCompleting, 99))} ms: the rest is the ${r.lagMs} ms event lag, waited by construction`);
    }
  }
}

const f = (x: number): string => x.toFixed(2);

interface LatencyRun {
  readonly streamedS: number;
  readonly lagMs: number;
  /** Wall ms from the arrival of the block holding the window's last sample to the grade event. */
  readonly latencies: number[];
  /** Wall ms from the input that made the epoch emittable (EpochTiming.completedAtMs) to the grade event. */
  readonly fromCompleting: number[];
  /** CPU ms (this process) from that input's arrival to the epoch handed to the grader: the pipeline finishing the epoch. */
  readonly cpuPipeline: number[];
  /** CPU ms of SessionGrader.push for the epoch. */
  readonly cpuGrading: number[];
  readonly wallGrading: number[];
  /** CPU ms of SessionGrader.prepare per train (during an earlier block, not in the latency). */
  readonly prepareCpu: number[];
}

/**
 * Streams the case (looped with continuing sample indices until `streamS` seconds) at real time into a
 * pipeline in `mode` plus a SessionGrader; each stimulation is pushed just before the block holding its
 * first pulse (a 1.1 device's order), and in 'confirmed' mode every block's end is confirmed right after it.
 */
async function streamLatency(
  mode: 'confirmed' | 'lagging', streamS: number, blocks: readonly SampleBlock[], events: readonly StimulationEvent[], montage: Montage, fs: number, channels: number,
): Promise<LatencyRun> {
  const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
  const run = { latencies: [] as number[], fromCompleting: [] as number[], cpuPipeline: [] as number[], cpuGrading: [] as number[], wallGrading: [] as number[] };
  let cpuAtArrival = process.cpuUsage();
  const grader = new SessionGrader({ montage });
  const prepareCpu: number[] = [];
  const live = createPipeline({
    sampleRateHz: fs, channelCount: channels, unit: 'uV', stimulationReports: mode, now: () => performance.now(),
    // as the app: the train part graded early (two-phase grading)
    onTrainPartFinal: (view) => {
      const c0 = process.cpuUsage();
      grader.prepare(view);
      prepareCpu.push(cpuMs(process.cpuUsage(c0)));
    },
    onEpoch: (e, timing) => {
      const pipelineCpu = cpuMs(process.cpuUsage(cpuAtArrival));
      const c0 = process.cpuUsage();
      const g0 = performance.now();
      const out = grader.push(e);
      const g1 = performance.now();
      const gradingCpu = cpuMs(process.cpuUsage(c0));
      if (out.some((x) => x.type === 'train-grade')) {
        run.latencies.push(g1 - timing.windowCompletedAtMs);
        run.fromCompleting.push(g1 - timing.completedAtMs);
        run.cpuPipeline.push(pipelineCpu);
        run.cpuGrading.push(gradingCpu);
        run.wallGrading.push(g1 - g0);
      }
    },
  });
  const caseSamples = blocks.at(-1)!.startSample + blocks.at(-1)!.samplesPerChannel;
  const totalSamples = Math.round(streamS * fs);
  const start = performance.now();
  let streamed = 0;
  for (let offset = 0; offset < totalSamples; offset += caseSamples) {
    let ei = 0;
    for (const b0 of blocks) {
      const b: SampleBlock = { ...b0, startSample: b0.startSample + offset };
      if (b.startSample >= totalSamples) break;
      const due = start + (b.startSample / fs) * 1000;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((res) => setTimeout(res, wait));
      const end = b.startSample + b.samplesPerChannel;
      while (ei < events.length && events[ei]!.sampleIndex + offset < end) {
        const ev = events[ei++]!;
        live.pushStimulation({ ...ev, sampleIndex: ev.sampleIndex + offset });
      }
      cpuAtArrival = process.cpuUsage();
      const t = performance.now();
      live.pushBlock(b, t);
      if (mode === 'confirmed') live.confirmStimulationsTo(end, t);
      streamed = end;
    }
  }
  const lagMs = (live.eventLagSamples * 1000) / fs;
  live.dispose();
  grader.dispose();
  return { ...run, streamedS: streamed / fs, lagMs, prepareCpu };
}
