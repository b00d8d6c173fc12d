import fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { makeCaseInfo, makeDecision, makeSampleBlock } from '../src/domain';
import { openCaseStore } from '../src/storage';

/**
 * Case-store figures for a realistic session: 16 channels at 10 kHz written in 10 ms blocks through
 * the raw writer (one transaction per second of data, synchronous=FULL), the disk size per hour of
 * recording, read-back speed, and the latency of a durable decision write (decision + audit entry,
 * committed). Real time needs 160,000 samples/s; a 5-hour case is what the size per hour x 5 says.
 */
export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'sdrlog-bench-'));
  try {
    const file = path.join(dir, 'bench.db');
    const store = openCaseStore(file);
    const c = store.cases.create(makeCaseInfo({ patientId: 'BENCH', ageYears: 6 }));
    const rateHz = 10_000;
    const channels = 16;
    const seconds = 120;
    const blockSamples = 100;
    const session = store.sessions.start({ caseId: c.id, source: 'live', sampleRateHz: rateHz, channelCount: channels });

    // EMG-like test signal: noise, bursts and 50 Hz stimulus artifacts; 10 s of distinct blocks reused
    const distinct = (10 * rateHz) / blockSamples;
    const blocks: Float32Array[] = [];
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    for (let b = 0; b < distinct; b++) {
      const d = new Float32Array(channels * blockSamples);
      for (let ch = 0; ch < channels; ch++) {
        for (let i = 0; i < blockSamples; i++) {
          const t = b * blockSamples + i;
          const burst = Math.sin((2 * Math.PI * t) / 20_000) > 0.6 ? 300 : 0;
          d[ch * blockSamples + i] = 20 * rnd() + burst * rnd() + (t % 200 < 3 ? 3000 : 0);
        }
      }
      blocks.push(d);
    }

    const writer = store.raw.writer(session.id, { timer: false });
    const total = (seconds * rateHz) / blockSamples;
    const t0 = performance.now();
    for (let b = 0; b < total; b++) writer.append(makeSampleBlock(b * blockSamples, rateHz, channels, blocks[b % distinct]!));
    writer.close();
    const writeMs = performance.now() - t0;
    const samplesPerS = (seconds * rateHz * channels) / (writeMs / 1000);
    console.log(`raw write: ${seconds} s of ${channels} ch x ${rateHz} Hz in ${writeMs.toFixed(0)} ms = ${(samplesPerS / 1e6).toFixed(1)} M samples/s (${((seconds * 1000) / writeMs).toFixed(0)}x real time)`);

    const t1 = performance.now();
    let readSamples = 0;
    for (let s = 0; s < seconds; s += 1) readSamples += store.raw.read(session.id, s * rateHz, (s + 1) * rateHz).samplesPerChannel * channels;
    const readMs = performance.now() - t1;
    console.log(`raw read (1 s windows): ${(readSamples / (readMs / 1000) / 1e6).toFixed(1)} M samples/s`);

    const ext = store.raw.extentOf(session.id);
    store.checkpoint(); // the main file holds everything: measure it
    store.close();
    const bytes = fs.statSync(file).size;
    const perHour = (bytes / seconds) * 3600;
    console.log(`disk: ${(bytes / 1e6).toFixed(1)} MB for ${seconds} s (chunk payload ${(ext.storedBytes / 1e6).toFixed(1)} MB) -> ${(perHour / 1e9).toFixed(2)} GB per hour, ${((5 * perHour) / 1e9).toFixed(1)} GB for a 5-hour case`);

    const store2 = openCaseStore(file);
    const lat: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      store2.decisions.recordFor(c.id, { level: 'L5', side: i % 2 ? 'L' : 'R', index: 1 + (i % 6) }, {
        decision: makeDecision({ kind: i % 3 ? 'spare' : 'cut', decidedBy: 'Dr Bench', decidedAt: new Date().toISOString() }),
      });
      lat.push(performance.now() - t);
    }
    const sorted = lat.sort((a, b) => a - b);
    const q = (p: number): string => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2);
    console.log(`durable decision write (decision + audit, synchronous=FULL): median ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
    const tv = performance.now();
    const chain = store2.audit.verifyChain();
    console.log(`audit chain verify: ${chain.entries} entries in ${(performance.now() - tv).toFixed(1)} ms`);
    store2.close();
    console.log(`(load average ${loadavg()[0]!.toFixed(1)} on this machine while measuring)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
