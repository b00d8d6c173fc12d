import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EdfWriter, fileSink, MemorySink, openEdfSession, parseEdfHeader } from '../../../src/formats';
import { channelSamples, DEFAULT_MONTAGE, makeMontage, makeSampleBlock, makeStimulation, type StimulationEvent } from '../../../src/domain';
import { rng } from './edf-helpers';

const montage = makeMontage('test', [
  { side: 'L', muscle: 'TA' },
  { side: 'R', muscle: 'TA' },
  { side: 'R', muscle: 'HAM', roots: ['L5', 'S1', 'S2'] },
]);
const START = new Date(2025, 2, 14, 9, 5, 7);

/** Planar test signal in uV: channel c, sample i. */
function signal(c: number, i: number): number {
  return 800 * Math.sin((2 * Math.PI * (i + 37 * c)) / 97) + (c - 1) * 1500;
}

function writeCase(chunks: number[], opts: { rateHz?: number; recordDurationS?: number } = {}) {
  const rateHz = opts.rateHz ?? 1000;
  const sink = new MemorySink();
  const w = new EdfWriter(sink, { montage, sampleRateHz: rateHz, start: START, patientCode: 'P 001', ...(opts.recordDurationS ? { recordDurationS: opts.recordDurationS } : {}) });
  let start = 0;
  for (const n of chunks) {
    const data = new Float32Array(3 * n);
    for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) data[c * n + i] = signal(c, start + i);
    w.writeBlock(makeSampleBlock(start, rateHz, 3, data));
    start += n;
  }
  return { sink, w, total: start };
}

describe('EdfWriter', () => {
  it('writes an EDF+C header per the conventions', () => {
    const { sink, w } = writeCase([250]);
    const summary = w.close();
    const bytes = sink.bytes();
    const text = new TextDecoder().decode(bytes.subarray(0, 256 * 5));
    expect(text.slice(0, 8)).toBe('0       ');
    expect(text.slice(8, 88).trimEnd()).toBe('P_001 X X X');
    expect(text.slice(88, 168).trimEnd()).toBe('Startdate 14-MAR-2025 X X sdrlog');
    expect(text.slice(168, 184)).toBe('14.03.2509.05.07');
    expect(text.slice(184, 192)).toBe('1280    ');
    expect(text.slice(192, 236).trimEnd()).toBe('EDF+C');
    expect(text.slice(236, 244)).toBe('3       ');
    expect(text.slice(244, 252)).toBe('0.1     ');
    const h = parseEdfHeader(bytes);
    expect(h.signals.map((s) => [s.label, s.physicalDimension, s.physicalMinimum, s.physicalMaximum, s.digitalMinimum, s.digitalMaximum, s.samplesPerRecord])).toEqual([
      ['EMG L TA', 'uV', -10000, 10000, -32767, 32767, 100],
      ['EMG R TA', 'uV', -10000, 10000, -32767, 32767, 100],
      ['EMG R HAM', 'uV', -10000, 10000, -32767, 32767, 100],
      ['EDF Annotations', '', -1, 1, -32768, 32767, 256],
    ]);
    expect(summary).toEqual({ dataRecords: 3, recordedS: 0.25, clippedSamples: 0, paddedSamples: 50, annotations: 1, bytes: 1280 + 3 * (600 + 512) });
    expect(bytes.length).toBe(summary.bytes);
  });

  it('round-trips samples within half a quantisation step, whatever the block sizes (property)', () => {
    const step = 10000 / 32767;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), (chunks) => {
        const { sink, w, total } = writeCase(chunks);
        w.close();
        const s = openEdfSession(sink.bytes());
        expect(s.sampleRateHz).toBe(1000);
        let seen = 0;
        let maxErr = 0;
        for (const b of s.blocks()) {
          expect(b.startSample).toBe(seen);
          for (let c = 0; c < 3; c++) {
            const ch = channelSamples(b, c);
            for (let i = 0; i < ch.length; i++) {
              const idx = b.startSample + i;
              const expected = idx < total ? signal(c, idx) : 0; // last record zero-padded
              maxErr = Math.max(maxErr, Math.abs(ch[i]! - expected));
            }
          }
          seen += b.samplesPerChannel;
        }
        expect(seen).toBe(Math.ceil(total / 100) * 100);
        expect(maxErr).toBeLessThanOrEqual(step / 2 + 1e-3);
        const end = s.annotations.find((a) => a.text === 'recording end');
        if (total % 100 !== 0) expect(end?.onsetS).toBeCloseTo(total / 1000, 9);
        else expect(end).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });

  it('clips beyond the physical range and counts it', () => {
    const sink = new MemorySink();
    const w = new EdfWriter(sink, { montage, sampleRateHz: 1000, start: START, physicalRangeUv: 500 });
    const data = new Float32Array(300);
    data[0] = 600;
    data[1] = -9000;
    data[2] = 499.9;
    w.writeBlock(makeSampleBlock(0, 1000, 3, data));
    expect(w.close().clippedSamples).toBe(2);
    const b = [...openEdfSession(sink.bytes()).blocks()][0]!;
    expect(b.data[0]).toBeCloseTo(500, 3);
    expect(b.data[1]).toBeCloseTo(-500, 3);
    expect(Math.abs(b.data[2]! - 499.9)).toBeLessThan(500 / 32767);
  });

  it('writes stimulations and annotations that the reader returns with exact sample indices', () => {
    const rateHz = 10000;
    const sink = new MemorySink();
    const w = new EdfWriter(sink, { montage: DEFAULT_MONTAGE, sampleRateHz: rateHz, start: START });
    const events: StimulationEvent[] = [];
    const r = rng(7);
    // 40 stimulations within 3 s, several in the same 0.1 s record, to force spilling into later records
    for (let k = 0; k < 40; k++) {
      const sampleIndex = Math.floor(r() * 30000);
      const stimulation =
        k % 3 === 0
          ? makeStimulation({ mode: 'single', intensityMa: Math.round(r() * 500) / 100, pulseWidthUs: 100, target: { level: 'L5', side: 'L', kind: 'dorsal', rootlet: 1 + (k % 8) } })
          : makeStimulation({ mode: 'train', intensityMa: Math.round(r() * 500) / 100, pulseWidthUs: 200, rateHz: 50, durationS: 1, target: { level: 'S1', side: 'R', kind: 'dorsal', rootlet: 1 + (k % 6) } });
      events.push({ sampleIndex, stimulation });
    }
    events.sort((a, b) => a.sampleIndex - b.sampleIndex);
    for (const e of events.slice(0, 20)) w.addStimulation(e);
    w.addAnnotation({ onsetS: 1.5, durationS: null, text: 'Surgeon: L5 left exposed, ünïcode ok' });
    for (let b = 0; b < 20; b++) w.writeBlock(makeSampleBlock(b * 1000, rateHz, 16, new Float32Array(16 * 1000)));
    for (const e of events.slice(20)) w.addStimulation(e);
    for (let b = 20; b < 30; b++) w.writeBlock(makeSampleBlock(b * 1000, rateHz, 16, new Float32Array(16 * 1000)));
    const summary = w.close();
    expect(summary.dataRecords).toBe(30);
    const s = openEdfSession(sink.bytes());
    expect(s.stimulations).toEqual(events);
    expect(s.annotations).toEqual([{ onsetS: 1.5, durationS: null, text: 'Surgeon: L5 left exposed, ünïcode ok' }]);
    expect(s.warnings).toEqual([]);
    expect(s.montage).toEqual({ ...DEFAULT_MONTAGE, name: 'EDF (bytes)' });
  });

  it('adds zero records when annotations remain queued at the end', () => {
    const sink = new MemorySink();
    const w = new EdfWriter(sink, { montage, sampleRateHz: 1000, start: START, annotationBytesPerRecord: 128 });
    w.writeBlock(makeSampleBlock(0, 1000, 3, new Float32Array(3 * 100))); // one record
    const stim = makeStimulation({ mode: 'train', intensityMa: 1, pulseWidthUs: 100, rateHz: 50, durationS: 1, target: { level: 'L4', side: 'L', kind: 'dorsal', rootlet: 2 } });
    for (let k = 0; k < 3; k++) w.addStimulation({ sampleIndex: 10 * k, stimulation: stim });
    // 128 bytes hold the time-keeping TAL and one stimulation TAL: three more (zero) records
    const summary = w.close();
    expect(summary.dataRecords).toBe(4);
    expect(summary.paddedSamples).toBe(300);
    expect(openEdfSession(sink.bytes()).stimulations.map((e) => e.sampleIndex)).toEqual([0, 10, 20]);
  });

  it('marks a gap with zeros and an annotation, and refuses a silent splice', () => {
    const sink = new MemorySink();
    const w = new EdfWriter(sink, { montage, sampleRateHz: 1000, start: START });
    w.writeBlock(makeSampleBlock(0, 1000, 3, new Float32Array(3 * 150).fill(100)));
    expect(() => w.writeBlock(makeSampleBlock(200, 1000, 3, new Float32Array(3 * 100)))).toThrow('expected 150 (EDF+C is continuous');
    w.writeGap({ startSample: 150, lengthSamples: 50, reason: 'sequence-gap' });
    w.writeBlock(makeSampleBlock(200, 1000, 3, new Float32Array(3 * 100).fill(100)));
    w.close();
    const s = openEdfSession(sink.bytes());
    expect(s.annotations).toEqual([{ onsetS: 0.15, durationS: 0.05, text: 'gap samples=50 reason=sequence-gap' }]);
    const ch = [...s.blocks()].flatMap((b) => [...channelSamples(b, 0)]);
    expect(ch.slice(148, 152).map((x) => Math.round(x))).toEqual([100, 100, 0, 0]);
    expect(Math.round(ch[200]!)).toBe(100);
  });

  it('chooses 1 s records when 0.1 s is not a whole number of samples, and rejects impossible ones', () => {
    const { sink, w } = writeCase([2048], { rateHz: 2048 });
    w.close();
    expect(parseEdfHeader(sink.bytes()).recordDurationS).toBe(1);
    expect(() => new EdfWriter(new MemorySink(), { montage, sampleRateHz: 1000.5 })).toThrow('not a whole number of samples');
  });

  it('leaves a readable in-progress file (-1 records) before close', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edfw-'));
    const p = path.join(dir, 'live.edf');
    const w = new EdfWriter(fileSink(p), { montage, sampleRateHz: 1000, start: START });
    w.writeBlock(makeSampleBlock(0, 1000, 3, new Float32Array(3 * 250).fill(5)));
    w.flush();
    const live = openEdfSession(readFileSync(p));
    expect(live.dataRecords).toBe(2);
    expect(live.warnings[0]).toContain("'number of data records' is -1");
    w.close();
    const done = openEdfSession(p);
    expect(done.dataRecords).toBe(3);
    expect(done.warnings).toEqual([]);
    done.close();
  });
});
