import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCaseInfo, type StimulationEvent } from '../../src/domain';
import { openCaseStore } from '../../src/storage';

/**
 * End to end over the real serial stack: `sdrlog simulate --pty` with corruption and an unplug, and
 * `sdrlog record --port` driving threshold ramps and a train into a case store. Then the store is
 * checked against what the simulator says it delivered.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'sdrlog.mjs');
const hasSocat = spawnSync('socat', ['-V']).status === 0;
const FS = 10_000;

function waitForLine(proc: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${text}`)), timeoutMs);
    proc[stream]!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    proc.once('exit', (code) => reject(new Error(`exited (${code}) before ${pattern}: ${text}`)));
  });
}

function collect(proc: ChildProcess, stream: 'stdout' | 'stderr'): () => string {
  let text = '';
  proc[stream]!.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

describe.skipIf(!hasSocat)('simulate --pty and record --port', () => {
  let dir = '';
  let sim: ChildProcess | null = null;
  let simErr: () => string = () => '';
  let recordOut = '';
  let recordCode: number | null = null;
  let caseId = '';
  const db = (): string => path.join(dir, 'cases.db');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sdrlog-pty-record-'));
    const store = openCaseStore(db(), { create: true });
    caseId = store.cases.create(makeCaseInfo({ patientId: 'SIM007', ageYears: 7, diagnosis: 'spastic diplegia' })).id;
    store.close();
    const link = path.join(dir, 'device');
    // Unplug 4 s into the recording (fault times count from the host's first START).
    sim = spawn(process.execPath, [BIN, 'simulate', '--pty', '--seed', '7', '--link', link, '--faults', 'corrupt=1e-5,unplug=4:2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    simErr = collect(sim, 'stderr');
    const ready = await waitForLine(sim, 'stdout', /device: (\S+)/, 20_000);
    expect(ready[1]).toBe(link);
    const rec = spawn(process.execPath, [BIN, 'record', '--port', link, '--db', db(), '--case', caseId, '--seconds', '13', '--levels', 'L4', '--sides', 'L', '--rootlets', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = collect(rec, 'stdout');
    const err = collect(rec, 'stderr');
    recordCode = await new Promise<number | null>((resolve) => rec.once('exit', (code) => resolve(code)));
    recordOut = out() + err();
    const exited = new Promise<void>((resolve) => sim!.once('exit', () => resolve()));
    sim.kill('SIGTERM');
    await exited;
    sim = null;
  }, 60_000);

  afterAll(async () => {
    if (sim) sim.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('records the session cleanly with link counters showing the faults', () => {
    expect(recordCode, recordOut).toBe(0);
    expect(simErr()).toContain('fault: unplugged for 2 s');
    expect(simErr()).toContain('fault: plugged back in');
    const store = openCaseStore(db(), { create: false });
    try {
      const sessions = store.sessions.forCaseId(caseId);
      expect(sessions).toHaveLength(1);
      const s = sessions[0]!;
      expect(s).toMatchObject({ source: 'live', sampleRateHz: FS, channelCount: 16, cleanShutdown: true });
      expect(s.endedAt).not.toBeNull();
      const events = store.events.forSession(s.id);
      const end = events.find((e) => e.message.startsWith('session ended'))!;
      const counters = end.data.counters as Record<string, number>;
      expect(counters.framesDecoded).toBeGreaterThan(500);
      expect(counters.bytesReceived).toBeGreaterThan(1_000_000);
      expect(counters.crcFailures).toBeGreaterThan(0);
      expect(counters.sequenceGaps).toBeGreaterThan(0);
      expect(events.some((e) => e.message.startsWith('connection disconnected'))).toBe(true);
      expect(events.some((e) => e.message.includes('reconnected'))).toBe(true);
    } finally {
      store.close();
    }
  });

  it('stores exactly the stimulations the device delivered, aligned with their artifacts in the raw EMG', () => {
    const delivered: StimulationEvent[] = simErr().split('\n').filter((l) => l.startsWith('stimulation ')).map((l) => JSON.parse(l.slice('stimulation '.length)) as StimulationEvent);
    expect(delivered.length).toBeGreaterThanOrEqual(4);
    const store = openCaseStore(db(), { create: false });
    try {
      const session = store.sessions.forCaseId(caseId)[0]!;
      const stored = store.stimulations.forSession(session.id);
      // Stimulation records are lossless: frames destroyed by corruption are retransmitted until
      // acknowledged (PROTOCOL.md, "Reliable stimulation records"); none is lost, invented, altered or doubled.
      expect(stored.map((x) => x.onsetSample)).toEqual(delivered.map((d) => d.sampleIndex));
      for (const st of stored) {
        const d = delivered.find((x) => x.sampleIndex === st.onsetSample);
        expect(d, `stored stimulation at ${st.onsetSample}`).toBeDefined();
        expect(st.stimulation).toEqual(d!.stimulation);
        expect(st.stimulation.target).toEqual({ level: 'L4', side: 'L', kind: 'dorsal', rootlet: 1 });
      }
      // The ramp steps up by x1.25 from 0.2 mA; a train follows when a response was seen.
      const singles = stored.filter((x) => x.stimulation.mode === 'single').map((x) => x.stimulation.intensityMa);
      expect(singles[0]).toBe(0.2);
      for (let i = 1; i < singles.length; i++) expect(singles[i]!).toBeGreaterThan(singles[i - 1]!);
      // Every stored pulse shows its artifact on every channel at the stored sample (unless inside a gap).
      const extent = store.raw.extentOf(session.id);
      let checked = 0;
      for (const st of stored) {
        const r = store.raw.read(session.id, st.onsetSample, st.onsetSample + 1);
        if (r.gaps.length > 0) continue;
        for (let c = 0; c < 16; c++) expect(Math.abs(r.data[c]!)).toBeGreaterThan(100);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(stored.length - 2);
      expect(extent.storedSamples).toBeGreaterThan(8 * FS);
    } finally {
      store.close();
    }
  });

  it('marks the unplug and the corrupted frames as gaps: blocks and gaps tile the stream, nothing spliced', () => {
    const store = openCaseStore(db(), { create: false });
    try {
      const session = store.sessions.forCaseId(caseId)[0]!;
      const extent = store.raw.extentOf(session.id);
      const from = extent.firstSample!;
      const to = extent.endSample!;
      const range = store.raw.read(session.id, from, to);
      const disconnected = range.gaps.filter((g) => g.reason === 'disconnected');
      expect(disconnected).toHaveLength(1);
      // Two seconds unplugged plus the time to reconnect; the device kept counting, so the length is exact.
      expect(disconnected[0]!.lengthSamples).toBeGreaterThanOrEqual(2 * FS);
      expect(disconnected[0]!.lengthSamples).toBeLessThan(5 * FS);
      const sequence = range.gaps.filter((g) => g.reason === 'sequence-gap');
      expect(sequence.length).toBeGreaterThan(0);
      const gapSamples = range.gaps.reduce((s, g) => s + g.lengthSamples, 0);
      expect(extent.storedSamples + gapSamples).toBe(to - from);
      // Samples are missing (NaN) exactly inside gaps.
      const n = to - from;
      for (let c = 0; c < 16; c += 5) {
        for (let i = 0; i < n; i += 97) {
          const inGap = range.gaps.some((g) => from + i >= g.startSample && from + i < g.startSample + g.lengthSamples);
          expect(Number.isNaN(range.data[c * n + i]!)).toBe(inGap);
        }
      }
    } finally {
      store.close();
    }
  });
});
