/**
 * Signal pipeline benchmark: 16 channels x 10 kHz on one core.
 * - throughput (x real time) for the pipeline alone and pipeline + SessionGrader, for three stimulation
 *   patterns: 1 s 50 Hz trains every 10 s (test trains), single pulses at 1 Hz (threshold ramps), and
 *   the realistic mix of a case: a train every 10 s with a 1 Hz single-pulse ramp (rising intensity,
 *   one rootlet per ramp) in between, so epochs cover the whole stream (DENSE, a stress figure), and a
 *   clinically realistic CASE (100 rootlets in 4 h, see `caseEvents`). Target (issue 4): >= 1000x
 *   real time on one core for pipeline + grading, i.e. >= 160 M samples/s at 16 ch x 10 kHz.
 *   Each figure is the best of SDRLOG_BENCH_REPEAT runs (default 3), both per CPU second of this
 *   process (process.cpuUsage: user + system, robust to other load on the machine) and by wall clock;
 *   with the grader's own time per epoch (p50 / p99 / max, wall);
 * - the per-sample cost of each stage measured alone on the same data (ns per sample and x real time per
 *   CPU second, best of max(25, 8 x SDRLOG_BENCH_REPEAT) runs over 10 s of stream, the stages in turn, short runs
 *   so that some fall between bursts of other load): ring write, display decimation (push alone; push + a drain
 *   every 50 ms of stream as a 20 fps view; ring write + push when nobody drains, the decimator idle
 *   over the ring), the default band-pass (HP 10 Hz order 2 + LP 2 kHz order 4) and the envelope,
 *   both over 100-sample blocks as the pipeline advances an epoch's run;
 * - resident memory (RSS) and heap sampled over a simulated stream of SDRLOG_BENCH_HOURS (default 4)
 *   hours of the CASE (repeated after its 4 h), run faster than real time, which must stay flat: RSS after the first simulated
 *   minute, the highest RSS in each simulated hour (sampled every simulated minute; garbage collection
 *   makes it a sawtooth, so peaks are compared), at the end, and the max; flat when no later hour peaks
 *   5 % or more above the first hour's peak.
 * The memory part runs in a fresh child process (SDRLOG_BENCH_MEMORY_ONLY=1 runs only it, in this one).
 * Every run gives each epoch back (Pipeline.releaseEpoch) once graded, as gradeRecording and the pipeline
 * worker do when nothing else keeps it; SDRLOG_BENCH_RELEASE=0 keeps them all (nothing reused).
 * Synthetic input: Gaussian noise with electrode offsets, 100-sample (10 ms) blocks, reused from a pool.
 */
import { DEFAULT_MONTAGE, makeStimulation, type SampleBlock, type StimulationEvent, type StimulationTarget } from '../src/domain';
import { fileURLToPath } from 'node:url';
import { SessionGrader } from '../src/grading/session-grader';
import { createPipeline, type Pipeline, DEFAULT_DISPLAY, DEFAULT_FILTER_SETTINGS, designFilterChain, DisplayDecimator, EnvelopeStage, SampleRing, SosFilter } from '../src/pipeline';

const FS = 10000;
const CH = 16;
const BLOCK = 100;
const POOL_BLOCKS = 500; // 5 s of distinct noise

function makePool(): Float32Array[] {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  const pool: Float32Array[] = [];
  for (let b = 0; b < POOL_BLOCKS; b++) {
    const d = new Float32Array(BLOCK * CH);
    for (let c = 0; c < CH; c++) {
      for (let i = 0; i < BLOCK; i++) d[c * BLOCK + i] = 100 * c + 20 * (rand() + rand() + rand() - 1.5);
    }
    pool.push(d);
  }
  return pool;
}

type Pattern = 'trains' | 'singles' | 'mixed' | 'case';

const LEVELS = ['L2', 'L3', 'L4', 'L5', 'S1'] as const;

/** Target of ramp (or train) number k: cycles through 5 levels x 2 sides x rootlets 1-8 (80 targets). */
function targetOf(k: number): StimulationTarget {
  return { level: LEVELS[k % 5]!, side: Math.floor(k / 5) % 2 === 0 ? 'L' : 'R', kind: 'dorsal', rootlet: 1 + (Math.floor(k / 10) % 8) };
}

/**
 * A clinically realistic case (shared domain notes): 100 rootlets over 4 hours, one every 144 s. Per
 * rootlet a threshold ramp of 6-10 single pulses at 1 Hz (0.2 mA steps), then a 1 s 50 Hz train at
 * threshold 5 s after the ramp, a repeat train 10 s later for one rootlet in three, and a ventral-root
 * check (4 pulses at 1 Hz, 0.05 mA steps) every 10th rootlet; quiet in between while the surgeon
 * dissects the next rootlet. Events start on whole milliseconds (not on block boundaries).
 */
const CASE_ROOTLET_S = 144;
let caseSchedule: Map<number, StimulationEvent> | null = null;
function caseEvents(): Map<number, StimulationEvent> {
  if (caseSchedule) return caseSchedule;
  const out = new Map<number, StimulationEvent>();
  let seed = 777;
  const rand = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  const at = (s: number, ev: Omit<StimulationEvent, 'sampleIndex'>): void => {
    const i = Math.round(s * 1000) * (FS / 1000);
    out.set(i, { ...ev, sampleIndex: i });
  };
  for (let k = 0; k < 100; k++) {
    const t0 = k * CASE_ROOTLET_S + 20 + Math.floor(rand() * 20) + 0.137;
    const target = targetOf(k);
    const steps = 6 + Math.floor(rand() * 5);
    for (let j = 0; j < steps; j++) at(t0 + j, { stimulation: makeStimulation({ mode: 'single', intensityMa: 0.2 + 0.2 * j, pulseWidthUs: 200, target }) });
    const tt = t0 + steps + 5;
    const train = makeStimulation({ mode: 'train', intensityMa: 0.2 * steps, pulseWidthUs: 100, rateHz: 50, durationS: 1, target });
    at(tt, { stimulation: train });
    if (k % 3 === 1) at(tt + 10, { stimulation: train });
    if (k % 10 === 5) {
      const ventral: StimulationTarget = { ...target, kind: 'ventral', rootlet: null };
      for (let j = 0; j < 4; j++) at(tt + 30 + j, { stimulation: makeStimulation({ mode: 'single', intensityMa: 0.05 + 0.05 * j, pulseWidthUs: 200, target: ventral }) });
    }
  }
  caseSchedule = out;
  return out;
}

function eventAt(pattern: Pattern, sampleIndex: number): StimulationEvent | null {
  const s = sampleIndex / FS; // events fall on half-second marks only
  const train = (target: StimulationTarget): StimulationEvent => ({
    sampleIndex,
    stimulation: makeStimulation({ mode: 'train', intensityMa: 1.5, pulseWidthUs: 100, rateHz: 50, durationS: 1, target }),
  });
  const single = (target: StimulationTarget, intensityMa: number): StimulationEvent => ({
    sampleIndex,
    stimulation: makeStimulation({ mode: 'single', intensityMa, pulseWidthUs: 200, target }),
  });
  if (pattern === 'trains') return s % 10 === 5 ? train(targetOf(3)) : null;
  if (pattern === 'singles') return s % 1 === 0.5 ? single(targetOf(3), 0.5) : null;
  // mixed: per 10 s cycle c, a train at 5 s (epoch to 7.2 s), then a ramp of 7 single pulses at 7.5 .. 13.5 s
  // on the next target, intensity rising 0.2 mA a pulse.
  const cycle = Math.floor(s / 10);
  const inCycle = s - cycle * 10;
  if (inCycle === 5) return train(targetOf(cycle));
  if (s >= 7.5 && inCycle % 1 === 0.5 && (inCycle >= 7.5 || inCycle <= 3.5)) {
    const k = inCycle >= 7.5 ? inCycle - 7.5 : inCycle + 2.5;
    return single(targetOf(inCycle >= 7.5 ? cycle + 1 : cycle), 0.2 + 0.2 * k);
  }
  return null;
}

interface RunResult {
  seconds: number;
  wallMs: number;
  /** CPU time of this process (user + system): less sensitive than wall time to other load on the machine. */
  cpuMs: number;
  epochs: number;
  /** Wall time of SessionGrader.push per epoch, ms. */
  gradeMs: number[];
  mem?: {
    rssStart: number;
    rssEnd: number;
    rssMax: number;
    heapStart: number;
    heapEnd: number;
    heapMax: number;
    /** ArrayBuffer memory (typed arrays: epochs, ring, display frames), MB. */
    buffersStart: number;
    buffersEnd: number;
    buffersMax: number;
    /** Highest RSS sampled in each simulated hour, MB. */
    rssHourly: number[];
    /** (max RSS after the first hour - max RSS in the first hour) / the latter (NaN for runs of an hour or less). */
    growthAfterHour1: number;
  };
}

/**
 * How the display is drained during a run: 'wall', 20 times per wall-clock second, as a view open during
 * offline grading or a replay at full speed drains it (the throughput figures); 'stream', every 50 ms of
 * stream time, as a live view at real time does (what the display costs when it must follow every sample).
 */
type Drain = 'wall' | 'stream';

const RELEASE = process.env.SDRLOG_BENCH_RELEASE !== '0';

function run1(pool: Float32Array[], pattern: Pattern, seconds: number, grade: boolean, sampleMemory: boolean, drain: Drain = 'wall'): RunResult {
  let epochs = 0;
  const gradeMs: number[] = [];
  const grader = grade ? new SessionGrader({ montage: DEFAULT_MONTAGE }) : null;
  const pipeline: Pipeline = createPipeline({
    sampleRateHz: FS,
    channelCount: CH,
    unit: 'uV',
    onEpoch: (e) => {
      epochs++;
      if (grader) {
        const g0 = performance.now();
        grader.push(e);
        if (!sampleMemory) gradeMs.push(performance.now() - g0);
      }
      if (RELEASE) pipeline.releaseEpoch(e);
    },
  });
  const totalBlocks = Math.round((seconds * FS) / BLOCK);
  // The case's events in time order, walked with a cursor (the harness should cost next to nothing); a run
  // longer than the case (100 rootlets, 4 h) repeats it.
  let schedule: StimulationEvent[] | null = null;
  if (pattern === 'case') {
    const one = [...caseEvents().values()].sort((a, b) => a.sampleIndex - b.sampleIndex);
    const periodSamples = 100 * CASE_ROOTLET_S * FS;
    schedule = [];
    for (let k = 0; k * periodSamples < seconds * FS; k++) for (const e of one) schedule.push(k === 0 ? e : { ...e, sampleIndex: e.sampleIndex + k * periodSamples });
  }
  let nextEvent = 0;
  const mb = (n: number): number => Math.round(n / 1048576);
  let rssStart = 0;
  let heapStart = 0;
  let rssMax = 0;
  let heapMax = 0;
  let buffersStart = 0;
  let buffersMax = 0;
  const rssHourly: number[] = [];
  const t0 = performance.now();
  let lastDrainMs = t0;
  const cpu0 = process.cpuUsage();
  for (let b = 0; b < totalBlocks; b++) {
    const start = b * BLOCK;
    const block: SampleBlock = { startSample: start, sampleRateHz: FS, channelCount: CH, samplesPerChannel: BLOCK, data: pool[b % POOL_BLOCKS]! };
    pipeline.pushBlock(block, 0);
    if (schedule !== null) {
      while (nextEvent < schedule.length && schedule[nextEvent]!.sampleIndex < start + BLOCK) pipeline.pushStimulation(schedule[nextEvent++]!);
    } else {
      for (let i = start; i < start + BLOCK; i++) {
        if (i % (FS / 2) !== 0) continue; // events only fall on half-second marks
        const ev = eventAt(pattern, i);
        if (ev) pipeline.pushStimulation(ev);
      }
    }
    if (drain === 'stream') {
      if (b % 5 === 0) pipeline.drainDisplay(); // a live view at 20 fps of stream time
    } else if (b % 5 === 0) {
      const t = performance.now();
      if (t - lastDrainMs >= 50) {
        pipeline.drainDisplay(); // a view at 20 fps of wall-clock time
        lastDrainMs = t;
      }
    }
    if (sampleMemory && b % (60 * 100) === 0) {
      const m = process.memoryUsage();
      if (b === 6000) {
        // first sample after one simulated minute: buffers and JIT warmed up
        rssStart = m.rss;
        heapStart = m.heapUsed;
        buffersStart = m.arrayBuffers;
      }
      rssMax = Math.max(rssMax, m.rss);
      heapMax = Math.max(heapMax, m.heapUsed);
      buffersMax = Math.max(buffersMax, m.arrayBuffers);
      const hour = Math.floor(b / (3600 * 100));
      rssHourly[hour] = Math.max(rssHourly[hour] ?? 0, m.rss);
    }
  }
  pipeline.flush(0);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const m = process.memoryUsage();
  pipeline.dispose();
  grader?.dispose();
  const res: RunResult = { seconds, wallMs, cpuMs, epochs, gradeMs };
  if (sampleMemory) {
    const hour1 = rssHourly.length > 1 ? rssHourly[0]! : Number.NaN;
    const after = Math.max(m.rss, ...rssHourly.slice(1));
    res.mem = {
      rssStart: mb(rssStart),
      rssEnd: mb(m.rss),
      rssMax: mb(rssMax),
      heapStart: mb(heapStart),
      heapEnd: mb(m.heapUsed),
      heapMax: mb(heapMax),
      buffersStart: mb(buffersStart),
      buffersEnd: mb(m.arrayBuffers),
      buffersMax: mb(buffersMax),
      rssHourly: rssHourly.map(mb),
      growthAfterHour1: (after - hour1) / hour1,
    };
  }
  return res;
}

type StageStep = (block: Float32Array, startSample: number, b: number) => void;

/** CPU nanoseconds per sample of one run of `step(block, startSample, b)` over `seconds` of the pool. */
function stageRun(pool: Float32Array[], seconds: number, step: StageStep): number {
  const blocks = Math.round((seconds * FS) / BLOCK);
  const cpu0 = process.cpuUsage();
  for (let b = 0; b < blocks; b++) step(pool[b % POOL_BLOCKS]!, b * BLOCK, b);
  const cpu = process.cpuUsage(cpu0);
  return ((cpu.user + cpu.system) * 1000) / (blocks * BLOCK * CH);
}

function printStageCosts(pool: Float32Array[], repeat: number): void {
  const seconds = 10;
  const runs = Math.max(25, 8 * repeat);
  const out = new Float32Array(BLOCK * CH);
  const stages: [string, () => StageStep][] = [
    [
      'ring write                 ',
      () => {
        const ring = new SampleRing(CH, 9 * FS);
        return (block, start) => ring.write(block, BLOCK, 0, BLOCK, start);
      },
    ],
    [
      'display push               ',
      () => {
        const d = new DisplayDecimator(CH, FS, DEFAULT_DISPLAY);
        return (block, start, b) => {
          d.push(block, BLOCK, 0, BLOCK, start);
          if (b % 200 === 199) d.drain(); // keep the buffer from overflowing (2 s)
        };
      },
    ],
    [
      'display push + 20 fps drain',
      () => {
        const d = new DisplayDecimator(CH, FS, DEFAULT_DISPLAY);
        return (block, start, b) => {
          d.push(block, BLOCK, 0, BLOCK, start);
          if (b % 5 === 0) d.drain();
        };
      },
    ],
    [
      'ring write + display, no drain',
      () => {
        // Nobody drains (offline grading, replay without a view): after bufferSeconds the decimator
        // only notes the spans; it is idle before the timing starts.
        const ring = new SampleRing(CH, 9 * FS);
        const d = new DisplayDecimator(CH, FS, DEFAULT_DISPLAY, ring);
        let at = 0;
        const step = (block: Float32Array): void => {
          ring.write(block, BLOCK, 0, BLOCK, at);
          d.push(block, BLOCK, 0, BLOCK, at);
          at += BLOCK;
        };
        for (let b = 0; b < (DEFAULT_DISPLAY.bufferSeconds * FS) / BLOCK + 1; b++) step(pool[b % POOL_BLOCKS]!);
        return step;
      },
    ],
    [
      'SOS filter (HP 10/2 + LP 2k/4)',
      () => {
        const f = new SosFilter();
        f.configure({ sampleRateHz: FS, channelCount: CH, sos: designFilterChain(DEFAULT_FILTER_SETTINGS, FS).sos });
        f.primeFrom(pool[0]!, BLOCK);
        return (block) => f.process(block, out, BLOCK);
      },
    ],
    [
      'envelope (2 x one-pole, 10 ms)',
      () => {
        const e = new EnvelopeStage();
        e.configure({ sampleRateHz: FS, channelCount: CH, timeConstantMs: 10 });
        return (block) => e.process(block, out, BLOCK);
      },
    ],
  ];
  console.log(`per-stage cost alone, ${CH} ch x ${FS / 1000} kHz, ${BLOCK}-sample blocks of noise with offsets, best of ${runs} x ${seconds} s, per CPU second:`);
  // Round robin, so a burst of other load on the machine hits every stage alike; best run of each.
  const best = stages.map(() => Infinity);
  for (let k = 0; k < runs; k++) stages.forEach(([, setup], i) => (best[i] = Math.min(best[i]!, stageRun(pool, seconds, setup()))));
  stages.forEach(([label], i) => {
    const ns = best[i]!;
    console.log(`  ${label.padEnd(31)}: ${ns.toFixed(2)} ns/sample, ${(1e9 / (ns * FS * CH)).toFixed(0)}x real time`);
  });
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

const LABEL: Record<Pattern, string> = {
  trains: '1 s 50 Hz train every 10 s          ',
  singles: 'single pulse every 1 s              ',
  mixed: 'DENSE: train every 10 s + 1 Hz ramps',
  case: 'CASE: 100 rootlets in 4 h (realistic)',
};

export async function run(): Promise<void> {
  const pool = makePool();
  const load = (await import('node:os')).loadavg()[0]!;
  const repeat = Math.max(1, Number(process.env.SDRLOG_BENCH_REPEAT ?? 3));
  const seconds = Number(process.env.SDRLOG_BENCH_SECONDS ?? 300);
  console.log(`(machine load average ${load.toFixed(1)}: wall-clock figures suffer when it exceeds the core count)`);
  run1(pool, 'mixed', 30, true, false); // warm-up (JIT)
  if (process.env.SDRLOG_BENCH_MEMORY_ONLY === '1') {
    printMemory(pool);
    return;
  }
  printThroughput(pool, repeat, seconds);
  // Memory in a fresh process, as a session's pipeline worker starts: not on top of what the throughput
  // runs above left in this one's heap and allocator.
  const { spawnSync } = await import('node:child_process');
  const bench = fileURLToPath(new URL('../bin/bench.mjs', import.meta.url));
  const child = spawnSync(process.execPath, [bench, 'pipeline.bench'], { env: { ...process.env, SDRLOG_BENCH_MEMORY_ONLY: '1' }, encoding: 'utf8' });
  const lines = (child.stdout ?? '').split('\n').filter((l) => l.startsWith('  memory'));
  if (child.status !== 0 || lines.length === 0) console.log(`  memory run failed (exit ${child.status}): ${(child.stderr ?? '').slice(-400)}`);
  for (const l of lines) console.log(`${l} [fresh process]`);
}

function printThroughput(pool: Float32Array[], repeat: number, seconds: number): void {
  printStageCosts(pool, repeat);
  console.log(
    `pipeline, ${CH} ch x ${FS / 1000} kHz, ${BLOCK}-sample blocks, one core, ${seconds} s streams, best of ${repeat} (target: 1000x real time per CPU second with grading); ` +
      'display drained 20 times per wall-clock second (a view open while a recording is graded or replayed at full speed); ' +
      "the last line drains it every 50 ms of stream (a live view, which only has to keep up with real time)",
  );
  const runs: [Pattern, boolean, Drain][] = [];
  for (const pattern of ['trains', 'singles', 'mixed', 'case'] as const) for (const grade of [false, true]) runs.push([pattern, grade, 'wall']);
  runs.push(['case', true, 'stream']);
  for (const [pattern, grade, drain] of runs) {
    {
      // The case runs one simulated hour (its first 25 rootlets); the others `seconds`.
      const secs = pattern === 'case' ? Math.max(seconds, 3600) : seconds;
      let best: RunResult | null = null;
      let bestWallMs = Infinity;
      for (let k = 0; k < repeat; k++) {
        const r = run1(pool, pattern, secs, grade, false, drain);
        if (!best || r.cpuMs < best.cpuMs) best = r;
        bestWallMs = Math.min(bestWallMs, r.wallMs);
      }
      const r = best!;
      const xCpu = r.seconds / (r.cpuMs / 1000);
      const xWall = r.seconds / (bestWallMs / 1000);
      const samplesPerCpuS = (r.seconds * FS * CH) / (r.cpuMs / 1000);
      const g = grade && r.gradeMs.length > 0 ? `; grading p50 ${pct(r.gradeMs, 50).toFixed(2)} ms, p99 ${pct(r.gradeMs, 99).toFixed(2)} ms per epoch` : '';
      console.log(
        `  ${LABEL[pattern]} ${grade ? 'pipeline + grading' : 'pipeline alone    '}${drain === 'stream' ? ', live view' : ''}: ` +
          `${xCpu.toFixed(0)}x real time per CPU second (${(samplesPerCpuS / 1e6).toFixed(0)} M samples/s), ${xWall.toFixed(0)}x by wall clock; ${r.epochs} epochs${g}`,
      );
    }
  }
}

function printMemory(pool: Float32Array[]): void {
  const hours = Number(process.env.SDRLOG_BENCH_HOURS ?? 4);
  // The realistic case over its 4 hours; the dense mix too with SDRLOG_BENCH_DENSE_MEMORY=1 (slow).
  const memPatterns: Pattern[] = process.env.SDRLOG_BENCH_DENSE_MEMORY === '1' ? ['case', 'mixed'] : ['case'];
  for (const pattern of memPatterns) {
    const r = run1(pool, pattern, hours * 3600, true, true);
    const m = r.mem!;
    const flat = Number.isFinite(m.growthAfterHour1)
      ? `${m.growthAfterHour1 < 0.05 ? 'FLAT' : 'NOT FLAT'} (later hours peak ${(100 * m.growthAfterHour1).toFixed(1)} % above the first hour's peak; flat: under 5 %)`
      : 'flatness needs over 1 h';
    console.log(
      `  memory over a simulated ${hours} h ${pattern === 'case' ? 'CASE (100 rootlets)' : 'DENSE mix'} with grading, epochs ${RELEASE ? 'released' : 'kept (SDRLOG_BENCH_RELEASE=0)'} (${(r.wallMs / 1000).toFixed(1)} s wall, ${(r.cpuMs / 1000).toFixed(1)} s CPU = ${((hours * 3600) / (r.cpuMs / 1000)).toFixed(0)}x real time, ${r.epochs} epochs): ` +
        `RSS start ${m.rssStart} MB, peak per hour ${m.rssHourly.map((x, i) => `h${i + 1} ${x}`).join(' / ')} MB, end ${m.rssEnd} MB, max ${m.rssMax} MB: ${flat}; ` +
        `heap start ${m.heapStart} MB, end ${m.heapEnd} MB, max ${m.heapMax} MB; ArrayBuffers start ${m.buffersStart} MB, end ${m.buffersEnd} MB, max ${m.buffersMax} MB (start = after the first simulated minute)`,
    );
  }
}
