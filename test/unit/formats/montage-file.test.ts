import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { montageFileFor, montageForLabels, openEdfSession, parseMontageFile, readMontageFile } from '../../../src/formats';
import { DEFAULT_MONTAGE } from '../../../src/domain';
import { buildEdf, tals } from './edf-helpers';

describe('montage file', () => {
  it('validates and normalises', () => {
    const f = parseMontageFile(
      { format: 'sdrlog-montage', version: 1, name: 'OR 2', channels: [{ label: ' Chan 1 ', side: 'l', muscle: 'ta' }, { label: 'Chan 2', side: 'R', muscle: 'HAM', roots: ['l5', 'S1', 'S2'] }] },
      'or2.json',
    );
    expect(f).toEqual({ name: 'OR 2', channels: [{ label: 'Chan 1', side: 'L', muscle: 'TA' }, { label: 'Chan 2', side: 'R', muscle: 'HAM', roots: ['L5', 'S1', 'S2'] }] });
  });
  const bad: [unknown, string][] = [
    [{ channels: [] }, 'montage file m.json: channels: at least one channel'],
    [{ channels: [{ label: 'a', side: 'X', muscle: 'TA' }] }, 'channels[0].side: side must be L or R'],
    [{ channels: [{ label: 'a', side: 'L', muscle: 'BICEPS' }] }, 'channels[0].muscle: muscle must be one of ILIO'],
    [{ channels: [{ label: 'a', side: 'L', muscle: 'TA', roots: ['T12'] }] }, 'channels[0].roots[0]: root must be one of L1..S4'],
    [{ channels: [{ label: 'a', side: 'L', muscle: 'TA', colour: 'red' }] }, 'channels[0]'],
    [{ channels: [{ label: 'a', side: 'L', muscle: 'TA' }, { label: 'A', side: 'R', muscle: 'TA' }] }, "channels[1].label 'A' repeats channels[0]"],
    [{ channels: [{ label: 'a', side: 'L', muscle: 'TA' }, { label: 'b', side: 'L', muscle: 'TA' }] }, 'L TA appears twice'],
    [{ version: 2, channels: [{ label: 'a', side: 'L', muscle: 'TA' }] }, 'version'],
  ];
  for (const [json, msg] of bad) {
    it(`rejects ${JSON.stringify(json).slice(0, 70)}`, () => {
      expect(() => parseMontageFile(json, 'm.json')).toThrow(msg);
    });
  }
  it('reads from disk with clear errors for bad JSON', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mont-'));
    const p = path.join(dir, 'm.json');
    writeFileSync(p, '{"channels": [');
    expect(() => readMontageFile(p)).toThrow(`montage file ${p}: not valid JSON`);
    expect(() => readMontageFile(path.join(dir, 'none.json'))).toThrow('ENOENT');
    writeFileSync(p, JSON.stringify(montageFileFor(DEFAULT_MONTAGE)));
    expect(readMontageFile(p).channels).toHaveLength(16);
  });
  it('maps labels by the convention, ignoring others with a reason', () => {
    const m = montageForLabels(['EMG L TA', 'ECG', 'emg r gas', 'EMG L TA', 'EDF Annotations'], (i) => i !== 4, null, 'x');
    expect(m.montage.channels.map((c) => `${c.side} ${c.muscle}`)).toEqual(['L TA', 'R GAS']);
    expect(m.signalIndex).toEqual([0, 2]);
    expect(m.ignored.map((x) => [x.index, x.reason.slice(0, 20)])).toEqual([[1, "label is not 'EMG <s"], [3, "same muscle as signa"]]);
  });
  it('maps a foreign EDF through the montage file, in signal order, with roots overrides', () => {
    const spr = 4;
    const bytes = buildEdf({
      reserved: 'EDF+C', records: 1, durationS: '1',
      signals: [
        { label: '1 R-HAM', dim: 'uV', physMin: -100, physMax: 100, digMin: -100, digMax: 100, spr },
        { label: '2 L-TA', dim: 'uV', physMin: -100, physMax: 100, digMin: -100, digMax: 100, spr },
        { label: 'EMG L VL', dim: 'uV', physMin: -100, physMax: 100, digMin: -100, digMax: 100, spr },
        { label: 'EDF Annotations', dim: '', physMin: -1, physMax: 1, digMin: -32768, digMax: 32767, spr: 8 },
      ],
      data: [[Int16Array.from([1, 2, 3, 4]), Int16Array.from([5, 6, 7, 8]), Int16Array.from([9, 9, 9, 9]), tals([['+0', null, ['']]])]],
    });
    const s = openEdfSession(bytes, {
      montageFile: { name: 'foreign', channels: [{ label: '2 l-ta', side: 'L', muscle: 'TA' }, { label: '1 R-HAM', side: 'R', muscle: 'HAM', roots: ['S1'] }, { label: 'missing', side: 'L', muscle: 'AH' }] },
    });
    expect(s.montage).toEqual({ name: 'foreign', channels: [{ index: 0, side: 'R', muscle: 'HAM', roots: ['S1'] }, { index: 1, side: 'L', muscle: 'TA', roots: ['L4', 'L5'] }] });
    expect(s.channelLabels).toEqual(['1 R-HAM', '2 L-TA']);
    expect([...s.blocks()][0]!.data).toEqual(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(s.warnings).toContain("montage file foreign: no signal labelled 'missing' in the recording");
    expect(s.notes).toContain("signal 3 'EMG L VL' ignored: not in montage file foreign");
  });
});
