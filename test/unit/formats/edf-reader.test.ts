import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEdfSession, type EdfSession } from '../../../src/formats';
import { channelSamples } from '../../../src/domain';
import { buildEdf, patchField, tals, type HandFile } from './edf-helpers';

const TA_DIG = (r: number, i: number) => r * 100 + i * 7 - 50;
const VL_DIG = (r: number, i: number) => (r * 5 + i) * 10 - 100;

function fixture(overrides: Partial<HandFile> = {}): HandFile {
  const recs = 3;
  const ann = [
    tals([
      ['+0', null, ['']],
      ['+0.7', '1', ['stim root=L4 side=R rootlet=3 mode=train ma=1.25 rate_hz=50 pw_us=100']],
    ]),
    tals([
      ['+0.5', null, ['']],
      ['+0.6', null, ['Patient moved']],
      ['+0.9', '0', ['STIM  pw_us=200 mode=single Side=l root=l5   rootlet=2 ma=0.8']],
    ]),
    tals([
      ['+1', null, ['']],
      ['+1.2', null, ['stim root=L9 side=R rootlet=1 mode=single ma=1 pw_us=100']],
    ]),
  ];
  return {
    reserved: 'EDF+C',
    records: recs,
    durationS: '0.5',
    signals: [
      { label: 'EMG L TA', dim: 'uV', physMin: -3276.8, physMax: 3276.7, digMin: -32768, digMax: 32767, spr: 5 },
      { label: 'EMG R VL', dim: 'mV', physMin: -5, physMax: 5, digMin: -1000, digMax: 1000, spr: 5 },
      { label: 'Temp', dim: 'degC', physMin: 0, physMax: 50, digMin: 0, digMax: 500, spr: 1 },
      { label: 'EDF Annotations', dim: '', physMin: -1, physMax: 1, digMin: -32768, digMax: 32767, spr: 60 },
    ],
    data: Array.from({ length: recs }, (_, r) => [
      Int16Array.from({ length: 5 }, (_, i) => TA_DIG(r, i)),
      Int16Array.from({ length: 5 }, (_, i) => VL_DIG(r, i)),
      Int16Array.from([370]),
      ann[r]!,
    ]),
    ...overrides,
  };
}

function allSamples(s: EdfSession): Float32Array[] {
  const chans = s.montage.channels.map(() => [] as number[]);
  for (const b of s.blocks()) for (let c = 0; c < b.channelCount; c++) chans[c]!.push(...channelSamples(b, c));
  return chans.map((c) => Float32Array.from(c));
}

describe('openEdfSession on a hand-built EDF+C file', () => {
  const bytes = buildEdf(fixture());
  const s = openEdfSession(bytes, { name: 'hand.edf' });

  it('reads header, rate, duration and montage from the labels', () => {
    expect(s.header.variant).toBe('EDF+C');
    expect(s.header.start).toEqual({ year: 2024, month: 2, day: 1, hour: 10, minute: 20, second: 30 });
    expect(s.sampleRateHz).toBe(10);
    expect(s.durationS).toBe(1.5);
    expect(s.dataRecords).toBe(3);
    expect(s.montage.channels.map((c) => `${c.side} ${c.muscle} ${c.roots.join('/')}`)).toEqual(['L TA L4/L5', 'R VL L3/L4']);
    expect(s.channelLabels).toEqual(['EMG L TA', 'EMG R VL']);
    expect(s.notes.some((n) => n.includes("'Temp' ignored"))).toBe(true);
    expect(s.notes.some((n) => n.includes("'EMG R VL' in mV"))).toBe(true);
  });

  it('scales digital values to uV, converting mV', () => {
    const [ta, vl] = allSamples(s);
    expect(ta!.length).toBe(15);
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < 5; i++) {
        expect(ta![r * 5 + i]).toBeCloseTo(TA_DIG(r, i) * 0.1, 3);
        expect(vl![r * 5 + i]).toBeCloseTo(VL_DIG(r, i) * 5, 3);
      }
    }
  });

  it('yields blocks with continuous startSample', () => {
    const blocks = [...openEdfSession(bytes, { maxBlockSamples: 5 }).blocks()];
    expect(blocks.map((b) => [b.startSample, b.samplesPerChannel])).toEqual([[0, 5], [5, 5], [10, 5]]);
    const merged = [...s.blocks()];
    expect(merged.map((b) => [b.startSample, b.samplesPerChannel])).toEqual([[0, 10], [10, 5]]);
  });

  it('reads stimulations (tolerantly) with sample indices at the EMG rate', () => {
    expect(s.stimulations).toHaveLength(2);
    const [train, single] = s.stimulations;
    expect(train!.sampleIndex).toBe(7);
    expect(train!.stimulation).toEqual({
      mode: 'train', intensityMa: 1.25, pulseWidthUs: 100, rateHz: 50, durationS: 1,
      target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 3 },
    });
    expect(single!.sampleIndex).toBe(9);
    expect(single!.stimulation).toEqual({
      mode: 'single', intensityMa: 0.8, pulseWidthUs: 200, rateHz: null, durationS: 0,
      target: { level: 'L5', side: 'L', kind: 'dorsal', rootlet: 2 },
    });
  });

  it('keeps other annotations and reports a malformed stim annotation as a warning naming it', () => {
    expect(s.annotations.map((a) => [a.onsetS, a.durationS, a.text])).toEqual([
      [0.6, null, 'Patient moved'],
      [1.2, null, 'stim root=L9 side=R rootlet=1 mode=single ma=1 pw_us=100'],
    ]);
    const w = s.warnings.filter((x) => x.includes('stimulation annotation'));
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("'stim root=L9 side=R rootlet=1 mode=single ma=1 pw_us=100'");
    expect(w[0]).toContain("root must be one of L1..S2, got 'L9'");
  });

  it('reads from a file path the same as from bytes', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edf-'));
    const p = path.join(dir, 'hand.edf');
    writeFileSync(p, bytes);
    const f = openEdfSession(p);
    expect(allSamples(f)).toEqual(allSamples(s));
    expect(f.stimulations).toEqual(s.stimulations);
    f.close();
  });
});

describe('header validation names the field', () => {
  const good = buildEdf(fixture());
  const cases: [string, number, number, string, string][] = [
    ['records', 236, 8, '-x', "EDF header: 'number of data records' is '-x' (expected an integer)"],
    ['version', 0, 8, '1', "EDF header: 'version' is '1' (expected '0')"],
    ['startdate', 168, 8, '32.01.24', "'startdate' is '32.01.24' (not a calendar date)"],
    ['starttime', 176, 8, '25:00:00', "'starttime' is '25:00:00' (expected hh.mm.ss)"],
    ['header bytes', 184, 8, '512', "'number of bytes in header record' is 512 (expected 1280"],
    ['duration', 244, 8, '0', "'duration of a data record' is 0"],
    ['ns', 252, 4, 'abc', "'number of signals' is 'abc' (expected an integer)"],
    ['reserved', 192, 44, 'EDF+X', "'reserved' is 'EDF+X'"],
  ];
  for (const [name, off, width, text, msg] of cases) {
    it(`rejects a bad ${name}`, () => {
      expect(() => openEdfSession(patchField(good, off, width, text))).toThrow(msg);
    });
  }
  // Per-signal fields start at 256; with 4 signals: labels 256.., transducer +64, dim +384, physMin +416,
  // physMax +448, digMin +480, digMax +512, prefilter +544, spr +864.
  it('rejects a bad physical minimum, naming the signal', () => {
    expect(() => openEdfSession(patchField(good, 256 + 16 * 4 + 80 * 4 + 8 * 4, 8, '1,5'))).toThrow(
      "EDF header: 'physical minimum' of signal 1 ('EMG L TA') is '1,5' (expected a number)",
    );
  });
  it('rejects a digital maximum beyond 16 bits', () => {
    expect(() => openEdfSession(patchField(good, 256 + 64 + 320 + 32 * 4 + 8, 8, '40000'))).toThrow(
      "'digital maximum' of signal 2 ('EMG R VL') is 40000 (expected -32768..32767",
    );
  });
  it('rejects a non-ASCII byte, naming the field', () => {
    const b = good.slice();
    b[8 + 5] = 0xe9;
    expect(() => openEdfSession(b)).toThrow("'local patient identification' contains a non-ASCII or control byte 0xe9");
  });
  it('rejects an EMG signal in an unknown unit', () => {
    expect(() => openEdfSession(patchField(good, 256 + 64 + 320, 8, 'mA'))).toThrow(
      "'physical dimension' of signal 1 ('EMG L TA') is 'mA' (expected uV, mV or V for EMG)",
    );
  });
  it('rejects EMG signals at different rates, naming them', () => {
    const f = fixture();
    f.signals[1]!.spr = 10;
    f.data.forEach((rec) => (rec[1] = new Int16Array(10)));
    expect(() => openEdfSession(buildEdf(f))).toThrow("EMG signals have different sample rates ('EMG L TA' 10 Hz, 'EMG R VL' 20 Hz)");
  });
  it('rejects a file with no EMG label, saying how to map it', () => {
    const f = fixture();
    f.signals[0]!.label = 'Chan 1';
    f.signals[1]!.label = 'Chan 2';
    expect(() => openEdfSession(buildEdf(f))).toThrow("labels must read 'EMG <side> <muscle>'");
  });
  it('rejects a BDF file', () => {
    const b = good.slice();
    b[0] = 0xff;
    expect(() => openEdfSession(b)).toThrow('BDF');
  });
  it('rejects a file shorter than its header', () => {
    expect(() => openEdfSession(good.slice(0, 600))).toThrow('shorter than its 1280-byte header');
  });
});

describe('file size against the header', () => {
  const good = buildEdf(fixture());
  const rec = 2 * (5 + 5 + 1 + 60);
  it('reads the complete records of a truncated file with a warning', () => {
    const s = openEdfSession(good.slice(0, good.length - 30));
    expect(s.dataRecords).toBe(2);
    expect(s.warnings[0]).toBe(`file truncated: header says 3 data records but only 2 are complete (${rec - 30} bytes of a partial record dropped)`);
    expect([...s.blocks()].reduce((n, b) => n + b.samplesPerChannel, 0)).toBe(10);
    expect(s.stimulations.map((e) => e.sampleIndex)).toEqual([7, 9]);
  });
  it('derives the record count of an unfinalised file (-1)', () => {
    const s = openEdfSession(patchField(good, 236, 8, '-1'));
    expect(s.dataRecords).toBe(3);
    expect(s.warnings[0]).toContain("'number of data records' is -1");
  });
  it('rejects a file without a complete record', () => {
    expect(() => openEdfSession(good.slice(0, 1280 + 10))).toThrow('no complete data record');
  });
  it('warns about trailing bytes', () => {
    const b = new Uint8Array(good.length + 4);
    b.set(good);
    expect(openEdfSession(b).warnings).toContain('4 bytes after the last data record ignored');
  });
});

describe('EDF+D and plain EDF', () => {
  it('places EDF+D records by their time-keeping TAL and reports the gap', () => {
    const f = fixture({ reserved: 'EDF+D' });
    // second record starts at 2.0 s instead of 0.5 s: gap of 1.5 s = 15 samples
    f.data[1]![3] = tals([['+2', null, ['']]]);
    f.data[2]![3] = tals([['+2.5', null, ['']], ['+2.6', '0', ['stim root=S1 side=L rootlet=4 mode=single ma=2 pw_us=100']]]);
    const s = openEdfSession(buildEdf(f));
    expect(s.gaps).toEqual([{ startSample: 5, lengthSamples: 15, reason: 'unknown' }]);
    expect([...s.blocks()].map((b) => b.startSample)).toEqual([0, 20]);
    expect(s.durationS).toBe(3);
    expect(s.stimulations.map((e) => e.sampleIndex)).toEqual([7, 26]);
  });
  it('reads plain EDF without annotations, with a warning', () => {
    const f = fixture({ reserved: '' });
    f.signals.pop();
    f.data.forEach((r) => r.pop());
    const s = openEdfSession(buildEdf(f));
    expect(s.header.variant).toBe('EDF');
    expect(s.stimulations).toEqual([]);
    expect(s.warnings).toContain('plain EDF file (not EDF+): no annotations, so no stimulation events');
    expect(allSamples(s)[0]![14]).toBeCloseTo(TA_DIG(2, 4) * 0.1, 3);
  });
  it('warns about a malformed TAL and keeps reading other records', () => {
    const f = fixture();
    f.data[1]![3] = new TextEncoder().encode('+0.5\x14\x14\x00x0.6\x14bad\x14\x00');
    const s = openEdfSession(buildEdf(f));
    expect(s.warnings.some((w) => w.startsWith("data record 2: annotation onset 'x0.6' is not a signed number"))).toBe(true);
    expect(s.stimulations.map((e) => e.sampleIndex)).toEqual([7]);
  });
});
