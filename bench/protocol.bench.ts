import { DeviceEncoder, DeviceStreamDecoder, FrameDecoder, type DeviceMessage } from '../src/protocol';
import type { SampleBlock } from '../src/domain';
import { loadavg } from 'node:os';

function loadAverage(): string {
  return loadavg()[0]!.toFixed(1);
}

/**
 * Decoder throughput on a realistic stream: 16 channels at 10 kHz, int16, 100 samples per channel
 * per SAMPLES frame (10 ms), a stimulation event every second, delivered in 4 KiB chunks as a USB
 * serial adapter would. Target: >= 100 MB/s for the full decode to microvolt blocks.
 */
export async function run(): Promise<void> {
  const channels = 16;
  const rateHz = 10_000;
  const perFrame = 100;
  const seconds = 10;
  const enc = new DeviceEncoder();
  const parts: Uint8Array[] = [];
  let sample = 0;
  for (let f = 0; f < (seconds * rateHz) / perFrame; f++) {
    const data = new Float32Array(channels * perFrame);
    for (let c = 0; c < channels; c++) for (let i = 0; i < perFrame; i++) data[c * perFrame + i] = 300 * Math.sin((sample + i) * 0.01 * (c + 1)) + ((i * 7919 + c) % 13);
    const block: SampleBlock = { startSample: sample, sampleRateHz: rateHz, channelCount: channels, samplesPerChannel: perFrame, data };
    parts.push(enc.samples(block, 0.1, 'int16'));
    if (f % 100 === 0) parts.push(enc.stimulation({ sampleIndex: sample, stimulation: { mode: 'train', intensityMa: 1.5, pulseWidthUs: 100, rateHz: 50, durationS: 1, target: null } }));
    sample += perFrame;
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const stream = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    stream.set(p, o);
    o += p.length;
  }
  const chunk = 4096;
  const streamSeconds = seconds;

  function measure(name: string, runOnce: () => number): void {
    runOnce(); // warm-up
    const repeats = 30;
    let units = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let r = 0; r < repeats; r++) units += runOnce();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const mb = (total * repeats) / 1e6;
    // CPU time as well as wall time: on a shared, loaded machine wall time mostly measures waiting
    console.log(
      `${name}: ${(mb / (ms / 1000)).toFixed(0)} MB/s wall, ${(mb / (cpuMs / 1000)).toFixed(0)} MB/s per CPU second, ` +
        `${((streamSeconds * repeats) / (ms / 1000)).toFixed(0)}x real time (${units / repeats} items and ${(total / 1e6).toFixed(1)} MB per pass)`,
    );
  }

  measure('frame layer only (sync, CRC-8, CRC-32, sequence)', () => {
    const dec = new FrameDecoder();
    let frames = 0;
    const on = (): void => {
      frames++;
    };
    for (let i = 0; i < stream.length; i += chunk) dec.push(stream.subarray(i, i + chunk), on);
    return frames;
  });

  measure('full decode to planar uV SampleBlocks + events', () => {
    const dec = new DeviceStreamDecoder();
    let blocks = 0;
    const on = (m: DeviceMessage): void => {
      if (m.kind === 'block') blocks++;
    };
    for (let i = 0; i < stream.length; i += chunk) dec.push(stream.subarray(i, i + chunk), on);
    const c = dec.counters();
    if (c.crcFailures !== 0 || c.bytesDropped !== 0) throw new Error('benchmark stream did not decode cleanly');
    return blocks;
  });
  const bytesPerSecond = total / streamSeconds;
  console.log(`stream rate of the device itself: ${(bytesPerSecond / 1e3).toFixed(0)} kB/s; target >= 100 MB/s; load average now ${loadAverage()}`);
}
