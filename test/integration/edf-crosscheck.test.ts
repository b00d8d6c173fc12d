import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdfWriter, fileSink, formatStimAnnotation, openEdfSession } from '../../src/formats';
import { channelSamples, makeMontage, makeSampleBlock, makeStimulation, type StimulationEvent } from '../../src/domain';

/**
 * Cross-checks our EDF+ files against independent readers: MNE (python3-mne) and biosig
 * (biosig-tools' save2gdf), and reads a file written by biosig. Missing tools fail the test with the
 * Debian package to install (CI runs .ci/install-system-deps.sh).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

function requireTool(check: () => boolean, what: string, pkg: string): void {
  if (!check()) throw new Error(`${what} is missing: install the Debian package ${pkg} (bash .ci/install-system-deps.sh)`);
}
const hasSave2gdf = () => spawnSync('save2gdf', ['--version'], { encoding: 'utf8' }).error === undefined;
const hasMne = () => spawnSync(PYTHON, ['-c', 'import mne'], { encoding: 'utf8' }).status === 0;

const RATE_HZ = 2000;
const TOTAL = 4700; // 2.35 s: the last 0.1 s record is half padding
const montage = makeMontage('crosscheck', [
  { side: 'L', muscle: 'TA' },
  { side: 'R', muscle: 'HAM' },
  { side: 'R', muscle: 'EAS' },
]);
const STEP_UV = 10000 / 32767;

/** Expected signal, uV: distinct per channel, spanning most of the +-10 mV range. */
function expectedUv(c: number, i: number): number {
  return [
    9000 * Math.sin((2 * Math.PI * i) / 400),
    250 * Math.sin((2 * Math.PI * i) / 37) + 40 * Math.cos((2 * Math.PI * i) / 11),
    -3000 + (i % 500) * 12,
  ][c]!;
}

const train = makeStimulation({ mode: 'train', intensityMa: 1.35, pulseWidthUs: 200, rateHz: 50, durationS: 1, target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 3 } });
const single = makeStimulation({ mode: 'single', intensityMa: 0.8, pulseWidthUs: 100, target: { level: 'S1', side: 'L', kind: 'dorsal', rootlet: 12 } });
const ventral = makeStimulation({ mode: 'single', intensityMa: 0.12, pulseWidthUs: 200, target: { level: 'L5', side: 'L', kind: 'ventral', rootlet: null } });
const EVENTS: StimulationEvent[] = [
  { sampleIndex: 201, stimulation: ventral },
  { sampleIndex: 777, stimulation: single },
  { sampleIndex: 1025, stimulation: train },
];
const NOTE = { onsetS: 1.75, durationS: null, text: 'Surgeon: L4 right rootlet 3 split' };

let dir = '';
let ours = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edf-xcheck-'));
  ours = path.join(dir, 'ours.edf');
  const w = new EdfWriter(fileSink(ours), { montage, sampleRateHz: RATE_HZ, start: new Date(2024, 4, 17, 13, 45, 10), patientCode: 'P042' });
  for (const e of EVENTS) w.addStimulation(e);
  w.addAnnotation(NOTE);
  // deliberately odd block sizes
  for (let start = 0; start < TOTAL; start += 333) {
    const n = Math.min(333, TOTAL - start);
    const data = new Float32Array(3 * n);
    for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) data[c * n + i] = expectedUv(c, start + i);
    w.writeBlock(makeSampleBlock(start, RATE_HZ, 3, data));
  }
  w.close();
});

const expectedAnnotations = [
  { onset: 201 / RATE_HZ, duration: 0, description: formatStimAnnotation(ventral) },
  { onset: 777 / RATE_HZ, duration: 0, description: formatStimAnnotation(single) },
  { onset: 1025 / RATE_HZ, duration: 1, description: formatStimAnnotation(train) },
  { onset: 1.75, duration: 0, description: NOTE.text },
  { onset: TOTAL / RATE_HZ, duration: 0, description: 'recording end' },
];

describe('MNE reads our EDF+ files', () => {
  it('labels, sampling rate, sample values within quantisation, annotations', () => {
    requireTool(hasMne, 'MNE for /usr/bin/python3', 'python3-mne');
    const out = execFileSync(PYTHON, [path.join(HERE, 'edf-mne-read.py'), ours], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const mne = JSON.parse(out) as {
      ch_names: string[]; sfreq: number; n_times: number; data_uv: number[][];
      annotations: { onset: number; duration: number; description: string }[];
    };
    expect(mne.ch_names).toEqual(['EMG L TA', 'EMG R HAM', 'EMG R EAS']);
    expect(mne.sfreq).toBe(2000);
    expect(mne.n_times).toBe(4800); // 24 records of 0.1 s
    let maxErr = 0;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 4800; i++) {
        const want = i < TOTAL ? expectedUv(c, i) : 0;
        maxErr = Math.max(maxErr, Math.abs(mne.data_uv[c]![i]! - want));
      }
    }
    expect(maxErr).toBeLessThanOrEqual(STEP_UV / 2 + 1e-6);
    expect(maxErr).toBeGreaterThan(STEP_UV / 10); // really quantised: the comparison is not vacuous
    expect(mne.annotations.length).toBe(expectedAnnotations.length);
    mne.annotations.forEach((a, k) => {
      const want = expectedAnnotations[k]!;
      expect(a.description).toBe(want.description);
      expect(a.onset).toBeCloseTo(want.onset, 9);
      expect(a.duration).toBeCloseTo(want.duration, 9);
    });
  });
});

describe('biosig reads our EDF+ files', () => {
  it('save2gdf -JSON sees the header and the events', () => {
    requireTool(hasSave2gdf, 'save2gdf', 'biosig-tools');
    const out = execFileSync('save2gdf', ['-JSON', ours], { encoding: 'utf8' });
    const json = JSON.parse(out.slice(out.indexOf('{'))) as {
      TYPE: string; NumberOfRecords: number; Samplingrate: number; NumberOfSamples: number;
      Patient: { Id: string };
      CHANNEL: { Label: string; Samplingrate: number; PhysicalUnit: string; PhysicalMaximum: number; PhysicalMinimum: number; DigitalMaximum: number; DigitalMinimum: number }[];
      EVENT: { POS: number; DUR: number; Description: string }[];
    };
    expect(json.TYPE).toBe('EDF');
    expect(json.NumberOfRecords).toBe(24);
    expect(json.Samplingrate).toBe(2000);
    expect(json.Patient.Id).toBe('P042');
    const emg = json.CHANNEL.filter((c) => c.Label.startsWith('EMG'));
    expect(emg.map((c) => [c.Label, c.Samplingrate, c.PhysicalUnit, c.PhysicalMinimum, c.PhysicalMaximum, c.DigitalMinimum, c.DigitalMaximum])).toEqual([
      ['EMG L TA', 2000, 'uV', -10000, 10000, -32767, 32767],
      ['EMG R HAM', 2000, 'uV', -10000, 10000, -32767, 32767],
      ['EMG R EAS', 2000, 'uV', -10000, 10000, -32767, 32767],
    ]);
    expect(json.EVENT.map((e) => e.Description)).toEqual(expectedAnnotations.map((a) => a.description));
    json.EVENT.forEach((e, k) => {
      // biosig reports positions in seconds, rounded to the sample
      expect(e.POS).toBeCloseTo(expectedAnnotations[k]!.onset, 6);
      expect(e.DUR).toBeCloseTo(expectedAnnotations[k]!.duration, 6);
    });
  });

  it('our reader reads an EDF file written by biosig (save2gdf -f=EDF)', () => {
    requireTool(hasSave2gdf, 'save2gdf', 'biosig-tools');
    const theirs = path.join(dir, 'biosig.edf');
    execFileSync('save2gdf', ['-f=EDF', ours, theirs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const s = openEdfSession(theirs);
    // biosig writes its own record layout and its own physical range per channel
    expect(s.montage.channels.map((c) => `${c.side} ${c.muscle}`)).toEqual(['L TA', 'R HAM', 'R EAS']);
    expect(s.sampleRateHz).toBe(2000);
    expect(s.header.signals[0]!.samplesPerRecord).not.toBe(200);
    const got: number[][] = [[], [], []];
    for (const b of s.blocks()) for (let c = 0; c < 3; c++) got[c]!.push(...channelSamples(b, c));
    expect(got[0]!.length).toBe(4800);
    let maxErr = 0;
    for (let c = 0; c < 3; c++) {
      const sig = s.header.signals[c]!;
      // Our half step, plus biosig's own error: measured at up to about one of its steps (it does
      // not round to nearest, and rounds the physical range to 8 characters): allow 1.2 steps.
      const theirStep = (sig.physicalMaximum - sig.physicalMinimum) / (sig.digitalMaximum - sig.digitalMinimum);
      const tol = STEP_UV / 2 + 1.2 * theirStep;
      for (let i = 0; i < 4800; i++) {
        const err = Math.abs(got[c]![i]! - (i < TOTAL ? expectedUv(c, i) : 0));
        expect(err).toBeLessThanOrEqual(tol);
        maxErr = Math.max(maxErr, err);
      }
    }
    expect(maxErr).toBeLessThan(1);
  });

  it('our reader reads a foreign file with non-standard labels through a montage file', () => {
    requireTool(hasSave2gdf, 'save2gdf', 'biosig-tools');
    const theirs = path.join(dir, 'biosig.edf');
    const m = path.join(dir, 'montage.json');
    writeFileSync(m, JSON.stringify({ channels: [{ label: 'EMG R HAM', side: 'L', muscle: 'GAS', roots: ['S1'] }] }));
    const s = openEdfSession(theirs, { montageFile: m });
    expect(s.montage.channels).toEqual([{ index: 0, side: 'L', muscle: 'GAS', roots: ['S1'] }]);
    expect(s.notes.filter((n) => n.includes('not in montage file'))).toHaveLength(2);
  });
});
