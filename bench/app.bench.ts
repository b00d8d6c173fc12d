import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSdrApp } from '../src/app/sdr-app';
import { defaultDeviceFactory } from '../src/app/devices';
import { startSdrServer } from '../src/server/server';
import { createWsClient, type WebSocketLike } from '../src/contracts';
import WebSocket from 'ws';

/**
 * The product end to end at real time: the simulated device over the wire protocol, the recorder, the
 * pipeline worker and the grader, driven through the browser host's WebSocket. Prints the grade latency
 * the product measures itself (arrival of the bytes that complete a train's epoch -> grade emission),
 * the round trip of a recorded decision (durable commit included), and request round trips.
 */
export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdr-bench-app-'));
  const app = await createSdrApp({ dbPath: path.join(dir, 'cases.db'), createDevice: defaultDeviceFactory({ simulatorSpeed: 1, defaultSeed: 3 }) });
  const server = await startSdrServer({ app, port: 0 });
  const client = createWsClient(`ws://127.0.0.1:${server.port}/ws`, { createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike });
  const must = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  try {
    const c = must(await client.createCase({ patientId: 'BENCH', ageYears: 6 }));
    must(await client.openCase({ caseId: c.id }));
    must(await client.connectDevice({ source: 'simulator', seed: 3 }));
    let frames = 0;
    const off = client.subscribe('trace', () => { frames++; });
    const trains = 6;
    const t0 = performance.now();
    for (let k = 1; k <= trains; k++) {
      must(await client.setStimulation({ settings: { intensityMa: 2 }, target: { level: 'L5', side: k % 2 ? 'L' : 'R', kind: 'dorsal', rootlet: k } }));
      must(await client.runTrain({}));
    }
    const wallS = (performance.now() - t0) / 1000;
    off();
    const st = must(await client.getDeviceStatus({}));
    const g = st.gradeLatency;
    console.log(`grade latency over ${g.count} trains (device bytes -> grade, worker thread): p50 ${g.p50Ms?.toFixed(1)} ms, p95 ${g.p95Ms?.toFixed(1)} ms, max ${g.maxMs?.toFixed(1)} ms`);
    console.log(`live trace: ${(frames / wallS).toFixed(1)} frames/s received over ${wallS.toFixed(1)} s, ${st.liveFramesDropped} dropped; link: ${st.counters.framesDecoded} frames, ${st.counters.crcFailures} CRC failures`);
    const decisionMs: number[] = [];
    for (let k = 1; k <= 20; k++) {
      const t = performance.now();
      must(await client.recordDecision({ caseId: c.id, level: 'S1', side: 'L', rootlet: (k % 8) + 1, kind: 'spare', decidedBy: 'bench', correctsId: undefined }).then((r) => r));
      decisionMs.push(performance.now() - t);
    }
    decisionMs.sort((a, b) => a - b);
    console.log(`recordDecision round trip incl. durable commit (synchronous=FULL): median ${decisionMs[10]!.toFixed(2)} ms, max ${decisionMs[19]!.toFixed(2)} ms`);
    const rt: number[] = [];
    for (let k = 0; k < 50; k++) {
      const t = performance.now();
      must(await client.getRootletMap({ caseId: c.id }));
      rt.push(performance.now() - t);
    }
    rt.sort((a, b) => a - b);
    console.log(`getRootletMap round trip over WebSocket: median ${rt[25]!.toFixed(2)} ms`);
  } finally {
    client.close();
    await server.close();
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
