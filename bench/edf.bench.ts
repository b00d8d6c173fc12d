import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { EdfWriter, fileSink, MemorySink, openEdfSession } from '../src/formats';
import { DEFAULT_MONTAGE, makeSampleBlock, makeStimulation } from '../src/domain';

/**
 * EDF+ throughput on a realistic session: the default 16-channel montage at 10 kHz (320 kB/s of
 * samples), 0.1 s data records, a stimulation annotation every second, written in 0.1 s blocks and
 * read back as 1 s blocks. Figures in MB/s of EDF file; a real-time session needs 0.33 MB/s, and
 * importing a 5-hour case (about 5.8 GB) at 200 MB/s takes about 30 s.
 */
export async function run(): Promise<void> {
  const rateHz = 10_000;
  const channels = DEFAULT_MONTAGE.channels.length;
  const seconds = 120;
  const blockSamples = 1000;
  // One pre-computed 0.1 s block reused (generation cost stays out of the figure).
  const data = new Float32Array(channels * blockSamples);
  for (let c = 0; c < channels; c++) for (let i = 0; i < blockSamples; i++) data[c * blockSamples + i] = 400 * Math.sin(i * 0.013 * (c + 1)) + ((i * 7919 + c) % 17) - 8;
  const stim = makeStimulation({ mode: 'train', intensityMa: 1.2, pulseWidthUs: 200, rateHz: 50, durationS: 1, target: { level: 'L5', side: 'R', kind: 'dorsal', rootlet: 3 } });

  const write = (sinkFor: () => { sink: MemorySink | ReturnType<typeof fileSink>; done: () => number }) => {
    const { sink, done } = sinkFor();
    const w = new EdfWriter(sink, { montage: DEFAULT_MONTAGE, sampleRateHz: rateHz, start: new Date(2024, 0, 1) });
    const t0 = performance.now();
    for (let b = 0; b < (seconds * rateHz) / blockSamples; b++) {
      if (b % 10 === 0) w.addStimulation({ sampleIndex: b * blockSamples, stimulation: stim });
      w.writeBlock(makeSampleBlock(b * blockSamples, rateHz, channels, data));
    }
    w.close();
    const ms = performance.now() - t0;
    return { ms, bytes: done() };
  };

  const mem = new MemorySink();
  const wm = write(() => ({ sink: mem, done: () => mem.bytes().length }));
  const bytes = mem.bytes();
  console.log(`load average ${loadavg()[0]!.toFixed(1)}; ${seconds} s of 16 ch x 10 kHz = ${(bytes.length / 1e6).toFixed(1)} MB EDF+`);
  console.log(`write to memory:  ${(wm.bytes / 1e6 / (wm.ms / 1000)).toFixed(0)} MB/s (${(seconds / (wm.ms / 1000)).toFixed(0)}x real time)`);

  const dir = mkdtempSync(path.join(tmpdir(), 'edf-bench-'));
  const file = path.join(dir, 'bench.edf');
  try {
    const wf = write(() => ({ sink: fileSink(file), done: () => statSync(file).size }));
    console.log(`write to file:    ${(wf.bytes / 1e6 / (wf.ms / 1000)).toFixed(0)} MB/s (including one fsync at close)`);

    for (const [what, input] of [['read from memory', bytes], ['read from file', file]] as const) {
      const t0 = performance.now();
      const s = openEdfSession(input);
      const tOpen = performance.now() - t0;
      let samples = 0;
      let checksum = 0;
      for (const b of s.blocks()) {
        samples += b.samplesPerChannel;
        checksum += b.data[0]!;
      }
      const ms = performance.now() - t0;
      s.close();
      if (samples !== seconds * rateHz || s.stimulations.length !== seconds) throw new Error(`bench read back ${samples} samples, ${s.stimulations.length} stimulations`);
      console.log(
        `${what.padEnd(17)} ${(bytes.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s to Float32 uV blocks ` +
          `(open + annotation scan ${tOpen.toFixed(0)} ms for ${s.dataRecords} records; checksum ${checksum.toFixed(1)})`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
