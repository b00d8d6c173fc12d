/**
 * Grading benchmark: (1) throughput of the train grader on pipeline epochs, (2) grade latency while
 * streaming at real time: from the arrival of the block that completes a train's analysis window
 * (the pipeline's `completedAtMs`) to the grade event, p50 / p99 (target p99 <= 5 ms), by wall clock and
 * as CPU time of this process (the machine may be shared), over SDRLOG_BENCH_LATENCY_S (default 60) s.
 */
import { DEFAULT_MONTAGE } from '../src/domain';
import { createPipeline } from '../src/pipeline';
import type { StimulusEpoch } from '../src/pipeline/epoch';
import { SessionGrader } from '../src/grading/session-grader';
import { gradeTrain } from '../src/grading/train';
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
  for (const e of epochs) gradeTrain(e, { montage }); // warm-up
  const rounds = 5;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) for (const e of epochs) gradeTrain(e, { montage });
  const per = (performance.now() - t0) / (rounds * epochs.length);
  const cpu1 = process.cpuUsage(cpu0);
  const perCpu = (cpu1.user + cpu1.system) / 1000 / (rounds * epochs.length);
  const epochS = epochs.reduce((s, e) => s + (e.preSamples + e.stimSamples + e.postSamples) / fs, 0) / epochs.length;
  console.log(`train grading: ${epochs.length} epochs of ${channels} ch at ${fs} Hz (${epochS.toFixed(2)} s each): ${per.toFixed(2)} ms per train by wall clock (${perCpu.toFixed(2)} ms CPU), ${(1000 / per).toFixed(0)} trains/s, ${((epochS * 1000) / per).toFixed(0)}x real time`);

  // (2) latency while streaming at real time in 10 ms blocks
  const latencies: number[] = [];
  const gradingOnly: number[] = [];
  /** CPU time (this process, user + system) of the work after the completing block arrived: cut + grading, ms. */
  const cpuAfter: number[] = [];
  let blockCpu0 = process.cpuUsage();
  const grader = new SessionGrader({ montage: DEFAULT_MONTAGE.channels.length === channels ? montage : montage });
  const live = createPipeline({
    sampleRateHz: fs, channelCount: channels, unit: 'uV', now: () => performance.now(),
    onEpoch: (e, timing) => {
      const g0 = performance.now();
      const out = grader.push(e);
      const g1 = performance.now();
      if (out.some((x) => x.type === 'train-grade')) {
        const cpu = process.cpuUsage(blockCpu0);
        latencies.push(g1 - timing.completedAtMs);
        gradingOnly.push(g1 - g0);
        cpuAfter.push((cpu.user + cpu.system) / 1000);
      }
    },
  });
  const blockMs = 10;
  const streamS = Math.min(rc.raw[0]!.length / fs, Number(process.env.SDRLOG_BENCH_LATENCY_S ?? 60));
  const start = performance.now();
  ei = 0;
  for (const b of blocksOf(rc, blockMs)) {
    if (b.startSample / fs > streamS) break;
    const due = start + (b.startSample / fs) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((res) => setTimeout(res, wait));
    while (ei < rc.events.length && rc.events[ei]!.sampleIndex < b.startSample + b.samplesPerChannel) live.pushStimulation(rc.events[ei++]!);
    blockCpu0 = process.cpuUsage();
    live.pushBlock(b, performance.now());
  }
  const lagMs = (live.eventLagSamples * 1000) / fs;
  live.dispose();
  grader.dispose();
  if (latencies.length === 0) {
    console.log('grade latency: no train completed within the streamed stretch');
    return;
  }
  console.log(`grade latency streaming ${streamS.toFixed(0)} s at real time (${blockMs} ms blocks, ${latencies.length} trains): p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms (target p99 <= 5 ms)`);
  console.log(`  of which grading: p50 ${pct(gradingOnly, 50).toFixed(2)} ms, p99 ${pct(gradingOnly, 99).toFixed(2)} ms; the rest is the pipeline finishing the epoch (its last block)`);
  console.log(`  CPU time after the completing block arrived (cut + grading, this process): p50 ${pct(cpuAfter, 50).toFixed(2)} ms, p99 ${pct(cpuAfter, 99).toFixed(2)} ms (wall figures include waiting for the CPU on a shared machine)`);
  console.log(`  (the window is complete ${lagMs} ms before that block: the pipeline waits settings.epoch.eventLagMs for late stimulation reports)`);
}
