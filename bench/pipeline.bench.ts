/**
 * Signal pipeline benchmark: 16 channels x 10 kHz on one core.
 * - throughput (x real time) for the pipeline alone and pipeline + SessionGrader, for two stimulation
 *   patterns: 1 s 50 Hz trains every 10 s (test trains) and single pulses at 1 Hz (threshold ramps,
 *   the worst case: epochs cover most of the stream);
 * - resident memory (RSS) and heap sampled over a simulated 4-hour stream run faster than real time,
 *   which must stay flat (printed start / end / max).
 * Synthetic input: Gaussian noise with electrode offsets, 100-sample (10 ms) blocks, reused from a pool.
 */
import { DEFAULT_MONTAGE, makeStimulation, type SampleBlock, type StimulationEvent } from '../src/domain';
import { SessionGrader } from '../src/grading/session-grader';
import { createPipeline } from '../src/pipeline';

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

type Pattern = 'trains' | 'singles';

function eventAt(pattern: Pattern, sampleIndex: number): StimulationEvent | null {
  if (pattern === 'trains') {
    if (sampleIndex % (10 * FS) !== 5 * FS) return null;
    return { sampleIndex, stimulation: makeStimulation({ mode: 'train', intensityMa: 1.5, pulseWidthUs: 100, rateHz: 50, durationS: 1, target: { level: 'L5', side: 'L', kind: 'dorsal', rootlet: 1 } }) };
  }
  if (sampleIndex % FS !== FS / 2) return null;
  return { sampleIndex, stimulation: makeStimulation({ mode: 'single', intensityMa: 0.5, pulseWidthUs: 200, target: { level: 'L5', side: 'L', kind: 'dorsal', rootlet: 1 } }) };
}

interface RunResult {
  seconds: number;
  wallMs: number;
  /** CPU time of this process (user + system): less sensitive than wall time to other load on the machine. */
  cpuMs: number;
  epochs: number;
  mem?: { rssStart: number; rssEnd: number; rssMax: number; heapStart: number; heapEnd: number; heapMax: number };
}

function run1(pool: Float32Array[], pattern: Pattern, seconds: number, grade: boolean, sampleMemory: boolean): RunResult {
  let epochs = 0;
  const grader = grade ? new SessionGrader({ montage: DEFAULT_MONTAGE }) : null;
  const pipeline = createPipeline({
    sampleRateHz: FS,
    channelCount: CH,
    unit: 'uV',
    onEpoch: (e) => {
      epochs++;
      grader?.push(e);
    },
  });
  const totalBlocks = Math.round((seconds * FS) / BLOCK);
  const mb = (n: number): number => Math.round(n / 1048576);
  let rssStart = 0;
  let heapStart = 0;
  let rssMax = 0;
  let heapMax = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let b = 0; b < totalBlocks; b++) {
    const start = b * BLOCK;
    const block: SampleBlock = { startSample: start, sampleRateHz: FS, channelCount: CH, samplesPerChannel: BLOCK, data: pool[b % POOL_BLOCKS]! };
    pipeline.pushBlock(block, 0);
    for (let i = start; i < start + BLOCK; i++) {
      if (i % (FS / 2) !== 0) continue; // events only fall on half-second marks
      const ev = eventAt(pattern, i);
      if (ev) pipeline.pushStimulation(ev);
    }
    if (b % 5 === 0) pipeline.drainDisplay(); // a UI at ~20 fps of stream time
    if (sampleMemory && b % (60 * 100) === 0) {
      const m = process.memoryUsage();
      if (b === 6000) {
        // first sample after one simulated minute: buffers and JIT warmed up
        rssStart = m.rss;
        heapStart = m.heapUsed;
      }
      rssMax = Math.max(rssMax, m.rss);
      heapMax = Math.max(heapMax, m.heapUsed);
    }
  }
  pipeline.flush(0);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const m = process.memoryUsage();
  pipeline.dispose();
  grader?.dispose();
  const res: RunResult = { seconds, wallMs, cpuMs, epochs };
  if (sampleMemory) res.mem = { rssStart: mb(rssStart), rssEnd: mb(m.rss), rssMax: mb(rssMax), heapStart: mb(heapStart), heapEnd: mb(m.heapUsed), heapMax: mb(heapMax) };
  return res;
}

export async function run(): Promise<void> {
  const pool = makePool();
  const load = (await import('node:os')).loadavg()[0]!;
  console.log(`(machine load average ${load.toFixed(1)}: wall-clock figures suffer when it exceeds the core count)`);
  run1(pool, 'trains', 30, true, false); // warm-up (JIT)
  console.log(`pipeline, ${CH} ch x ${FS / 1000} kHz, ${BLOCK}-sample blocks, one core`);
  for (const pattern of ['trains', 'singles'] as const) {
    for (const grade of [false, true]) {
      const r = run1(pool, pattern, 300, grade, false);
      const xCpu = r.seconds / (r.cpuMs / 1000);
      const xWall = r.seconds / (r.wallMs / 1000);
      const samplesPerCpuS = (r.seconds * FS * CH) / (r.cpuMs / 1000);
      console.log(
        `  ${pattern === 'trains' ? '1 s 50 Hz train every 10 s' : 'single pulse every 1 s   '} ${grade ? 'pipeline + grading' : 'pipeline alone    '}: ` +
          `${xCpu.toFixed(0)}x real time per CPU second (${(samplesPerCpuS / 1e6).toFixed(0)} M samples/s), ${xWall.toFixed(0)}x by wall clock; ${r.epochs} epochs`,
      );
    }
  }
  const hours = Number(process.env.SDRLOG_BENCH_HOURS ?? 4);
  const r = run1(pool, 'trains', hours * 3600, true, true);
  const m = r.mem!;
  console.log(
    `  memory over a simulated ${hours} h stream (trains every 10 s, with grading, ${(r.wallMs / 1000).toFixed(1)} s wall, ${r.epochs} epochs): ` +
      `RSS start ${m.rssStart} MB, end ${m.rssEnd} MB, max ${m.rssMax} MB; heap start ${m.heapStart} MB, end ${m.heapEnd} MB, max ${m.heapMax} MB`,
  );
}
