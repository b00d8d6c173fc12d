import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import fc from 'fast-check';
import { makeCaseInfo, makeSampleBlock } from '../../../src/domain';
import { openCaseStore, type CaseStore } from '../../../src/storage';
import { encodeInt16Scaled } from '../../../src/storage/raw';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let store: CaseStore;
let sessionId: number;
const RATE = 1000;
const CH = 4;

beforeEach(() => {
  tmp = tempDir();
  store = openCaseStore(path.join(tmp.dir, 'raw.db'));
  const c = store.cases.create(makeCaseInfo({ patientId: 'P1', ageYears: 5 }));
  sessionId = store.sessions.start({ caseId: c.id, source: 'live', sampleRateHz: RATE, channelCount: CH }).id;
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

/** Deterministic test signal: channel-specific sine plus a few large "stimulus artifacts", in uV. */
function signal(channel: number, sample: number): number {
  const base = (50 + 40 * channel) * Math.sin((2 * Math.PI * (7 + channel) * sample) / RATE);
  return sample % 777 === 0 ? 4000 * (channel + 1) : base;
}

function block(start: number, n: number) {
  const data = new Float32Array(n * CH);
  for (let c = 0; c < CH; c++) for (let i = 0; i < n; i++) data[c * n + i] = signal(c, start + i);
  return makeSampleBlock(start, RATE, CH, data);
}

describe('int16-scaled encoding', () => {
  it('round-trips within half a count of each channel\'s own scale, and keeps NaN', () => {
    const src = new Float32Array([0, 1000, -1000, 500.25, NaN, /* ch1 */ 0.001, -0.002, 0.003, 0, 0]);
    const scales = new Float32Array(2);
    const out = new Int16Array(10);
    encodeInt16Scaled(src, 2, 5, 5, scales, out);
    expect(scales[0]).toBeCloseTo(1000 / 32767, 9);
    expect(Array.from(out.subarray(0, 5))).toEqual([0, 32767, -32767, Math.round(500.25 / scales[0]!), -32768]);
    expect(scales[1]).toBeCloseTo(0.003 / 32767, 12);
    expect(out[7]).toBe(32767);
    expect(Math.abs(out[5]! * scales[1]! - 0.001)).toBeLessThanOrEqual(scales[1]! / 2 + 1e-12);
  });
});

describe('raw writer and reader', () => {
  it('stores random-size blocks losslessly up to the quantisation step, in 1 s chunks', () => {
    const w = store.raw.writer(sessionId, { timer: false });
    const sizes = [1, 37, 500, 999, 1000, 64, 2, 897]; // 3500 samples
    let at = 0;
    for (const n of sizes) {
      w.append(block(at, n));
      at += n;
      // the writer never holds a full second unwritten
      expect(w.pendingSamples).toBeLessThan(RATE);
      expect(store.raw.extentOf(sessionId).storedSamples).toBe(at - w.pendingSamples);
    }
    w.close();
    const ext = store.raw.extentOf(sessionId);
    expect(ext).toMatchObject({ firstSample: 0, endSample: 3500, chunkCount: 4, storedSamples: 3500 });
    expect(ext.storedBytes).toBe(3500 * CH * 2 + 4 * CH * 4);

    const r = store.raw.read(sessionId, 0, 3500);
    expect(r.gaps).toEqual([]);
    for (let c = 0; c < CH; c++) {
      for (let chunk = 0; chunk < 4; chunk++) {
        let peak = 0;
        const end = Math.min(3500, (chunk + 1) * RATE);
        for (let i = chunk * RATE; i < end; i++) peak = Math.max(peak, Math.abs(Math.fround(signal(c, i))));
        const tol = peak / 32767 / 2 + peak * 1e-6;
        for (let i = chunk * RATE; i < end; i++) {
          expect(Math.abs(r.data[c * 3500 + i]! - Math.fround(signal(c, i)))).toBeLessThanOrEqual(tol);
        }
      }
    }
  });

  it('reads an arbitrary sub-range exactly as the same samples of a full read (property)', () => {
    const w = store.raw.writer(sessionId, { timer: false, flushIntervalMs: 250 });
    w.append(block(0, 2000));
    w.close();
    const full = store.raw.read(sessionId, 0, 2000);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2000 }), (a, b) => {
      const from = Math.min(a, b);
      const to = Math.max(a, b);
      const part = store.raw.read(sessionId, from, to);
      for (let c = 0; c < CH; c++) {
        const want = full.data.subarray(c * 2000 + from, c * 2000 + to);
        const got = part.data.subarray(c * (to - from), (c + 1) * (to - from));
        if (!want.every((v, i) => v === got[i])) return false;
      }
      return part.gaps.length === 0;
    }), { numRuns: 60 });
  });

  it('reports recorded gaps, unannounced jumps and unstored tails, with NaN samples there', () => {
    const w = store.raw.writer(sessionId, { timer: false });
    w.append(block(0, 300));
    w.appendGap({ startSample: 300, lengthSamples: 100, reason: 'sequence-gap' });
    w.append(block(400, 200));
    w.append(block(650, 100)); // jump of 50 without a gap report
    w.close();
    const r = store.raw.read(sessionId, 250, 800);
    expect(r.gaps).toEqual([
      { startSample: 300, lengthSamples: 100, reason: 'sequence-gap' },
      { startSample: 600, lengthSamples: 50, reason: 'unknown' },
      { startSample: 750, lengthSamples: 50, reason: 'unknown' },
    ]);
    const n = r.samplesPerChannel;
    expect(n).toBe(550);
    expect(Number.isNaN(r.data[2 * n + (300 - 250)]!)).toBe(true);
    expect(Number.isNaN(r.data[2 * n + (620 - 250)]!)).toBe(true);
    expect(r.data[2 * n + (450 - 250)]!).toBeCloseTo(signal(2, 450), 1);
    expect(r.data[2 * n + (700 - 250)]!).toBeCloseTo(signal(2, 700), 1);
  });

  it('refuses overlapping or mismatched blocks and keeps what was written', () => {
    const w = store.raw.writer(sessionId, { timer: false });
    w.append(block(0, 500));
    expect(() => w.append(block(400, 10))).toThrow(/overlaps data already written up to 500/);
    expect(() => w.append(makeSampleBlock(500, RATE, 2, new Float32Array(20)))).toThrow(/block has 2 channels, session .* records 4/);
    expect(() => w.append(makeSampleBlock(500, 2000, CH, new Float32Array(40)))).toThrow(/2000 Hz/);
    w.append(block(500, 10));
    w.close();
    expect(store.raw.extentOf(sessionId).endSample).toBe(510);
    expect(() => w.append(block(510, 1))).toThrow(/closed/);
  });

  it('a new writer for the same session resumes after the stored data (crash recovery)', () => {
    const w1 = store.raw.writer(sessionId, { timer: false });
    w1.append(block(0, 1200));
    w1.close();
    const w2 = store.raw.writer(sessionId, { timer: false });
    expect(w2.endSample).toBe(1200);
    expect(() => w2.append(block(1000, 10))).toThrow(/overlaps/);
    w2.append(block(1200, 100));
    w2.close();
    expect(store.raw.read(sessionId, 0, 1300).gaps).toEqual([]);
  });

  it('flushes on the wall-clock timer when data stops arriving', async () => {
    const w = store.raw.writer(sessionId, { flushIntervalMs: 50 });
    w.append(block(0, 20));
    expect(store.raw.extentOf(sessionId).storedSamples).toBe(0);
    await new Promise((r) => setTimeout(r, 160));
    expect(store.raw.extentOf(sessionId).storedSamples).toBe(20);
    w.close();
  });

  it('rejects unbounded or inverted ranges', () => {
    expect(() => store.raw.read(sessionId, 10, 5)).toThrow(/0 <= from <= to/);
    expect(() => store.raw.read(sessionId, 0, 1e12)).toThrow(/too large/);
    expect(() => store.raw.read(9999, 0, 5)).toThrow(/no session 9999/);
  });
});

describe('raw writer ownership', () => {
  it('closing the store flushes open writers and stops their timers', async () => {
    const file = path.join(tmp.dir, 'own.db');
    const s2 = openCaseStore(file);
    const c = s2.cases.create(makeCaseInfo({ patientId: 'P2', ageYears: 5 }));
    const sid = s2.sessions.start({ caseId: c.id, source: 'replay', sampleRateHz: RATE, channelCount: CH }).id;
    const w = s2.raw.writer(sid, { flushIntervalMs: 20 });
    w.append(block(0, 15));
    s2.close();
    await new Promise((r) => setTimeout(r, 60)); // a leaked timer would throw on the closed database here
    expect(() => w.append(block(15, 1))).toThrow(/closed/);
    const s3 = openCaseStore(file);
    expect(s3.raw.extentOf(sid).storedSamples).toBe(15);
    s3.close();
  });
});

describe('raw writer failures', () => {
  it('a failed timed flush never throws from the timer; the owner gets it next and nothing buffered is lost', async () => {
    const file = path.join(tmp.dir, 'busy.db');
    const s2 = openCaseStore(file, { busyTimeoutMs: 0 });
    const c = s2.cases.create(makeCaseInfo({ patientId: 'P3', ageYears: 5 }));
    const sid = s2.sessions.start({ caseId: c.id, source: 'live', sampleRateHz: RATE, channelCount: CH }).id;
    const w = s2.raw.writer(sid, { flushIntervalMs: 20 });
    w.append(block(0, 10));
    // another process holds the write lock: the timed flush fails with SQLITE_BUSY
    const blocker = new (await import('better-sqlite3')).default(file);
    blocker.exec('BEGIN IMMEDIATE');
    await new Promise((r) => setTimeout(r, 80));
    expect(() => w.append(block(10, 5))).toThrow(/writing raw EMG of session \d+ failed: database is locked/);
    blocker.exec('ROLLBACK');
    blocker.close();
    w.append(block(10, 5));
    w.close();
    expect(s2.raw.read(sid, 0, 15).gaps).toEqual([]);
    s2.close();
  });
});
