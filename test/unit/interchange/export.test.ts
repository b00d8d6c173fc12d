import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createDeidentifier, exportRootletCsv, exportSessionEdf, exportTraining, importEdf, InterchangeError,
} from '../../../src/app/interchange';
import { makeCaseInfo, makeDecision, makeMontage, makeSampleBlock, makeStimulation, type TrainGrade } from '../../../src/domain';
import { openEdfSession, parseCsv } from '../../../src/formats';
import { openCaseStore, type CaseStore } from '../../../src/storage';

/**
 * Export of a session built directly in the store (so every detail is known): gaps become zeros plus
 * gap annotations at the right place and come back as gaps on import; stimulations, grades, decisions
 * and events become annotations; the training export drops what identifies the patient.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrlog-export-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FS = 1000;
const ORIGIN = 500; // the device's sample counter when the session started
const MONTAGE = makeMontage('four', [{ side: 'L', muscle: 'TA' }, { side: 'R', muscle: 'TA' }, { side: 'L', muscle: 'HAM', roots: ['L5', 'S1', 'S2'] }, { side: 'R', muscle: 'GAS' }]);
const SEGMENTS = [
  { from: ORIGIN, to: ORIGIN + 2000 }, // data
  { gap: { startSample: ORIGIN + 2000, lengthSamples: 300, reason: 'disconnected' as const } },
  { from: ORIGIN + 2300, to: ORIGIN + 3800 },
  { gap: { startSample: ORIGIN + 3800, lengthSamples: 50, reason: 'sequence-gap' as const } },
  { from: ORIGIN + 3850, to: ORIGIN + 5020 },
];

const signal = (c: number, s: number): number => 200 * Math.sin((2 * Math.PI * (7 + c) * s) / FS) + 30 * c;

function build(store: CaseStore): { caseId: string; sessionId: number } {
  const c = store.cases.create(makeCaseInfo({ patientId: 'EXP-77', ageYears: 6, diagnosis: 'spastic diplegia', notes: 'mother: Jane Roe' }));
  const montageId = store.montages.set(c.id, MONTAGE).id;
  const s = store.sessions.start({ caseId: c.id, source: 'live', sampleRateHz: FS, channelCount: 5, montageId });
  const w = store.raw.writer(s.id, { timer: false });
  for (const seg of SEGMENTS) {
    if ('gap' in seg) {
      w.appendGap(seg.gap!);
      continue;
    }
    for (let a = seg.from!; a < seg.to!; a += 250) {
      const b = Math.min(seg.to!, a + 250);
      const data = new Float32Array(5 * (b - a));
      for (let ch = 0; ch < 5; ch++) for (let i = a; i < b; i++) data[ch * (b - a) + i - a] = signal(ch, i);
      w.append(makeSampleBlock(a, FS, 5, data));
    }
  }
  w.close();
  const target = { level: 'L4' as const, side: 'L' as const, kind: 'dorsal' as const, rootlet: 2 };
  store.stimulations.record(s.id, { sampleIndex: ORIGIN + 800, stimulation: makeStimulation({ mode: 'single', intensityMa: 0.8, pulseWidthUs: 200, target }) });
  const train = store.stimulations.record(s.id, { sampleIndex: ORIGIN + 1000, stimulation: makeStimulation({ mode: 'train', intensityMa: 1.25, pulseWidthUs: 100, rateHz: 50, durationS: 1, target }) });
  const grade: TrainGrade = {
    target, onsetSample: ORIGIN + 1000, onsetS: (ORIGIN + 1000) / FS, intensityMa: 1.25, grade: 3, pattern: 'sustained',
    responding: ['L TA', 'L HAM'], suggestion: 'cut', suggestionReason: 'grade 3+', channels: [], warnings: [],
  };
  store.grades.record(train.id, grade, 'test');
  const at = new Date(Date.parse(s.startedAt) + 1500).toISOString();
  store.decisions.recordFor(c.id, { level: 'L4', side: 'L', index: 2 }, { decision: makeDecision({ kind: 'cut', decidedBy: 'Dr Jane Roe', decidedAt: at, reason: 'as planned, see chart of Jane' }) });
  store.rootlets.comment(store.rootlets.find(c.id, 'L4', 'L', 2)!.id, 'looked thin; Jane Roe agreed');
  store.events.record(s.id, { kind: 'electrode-off', channel: 1, sampleIndex: ORIGIN + 1200, message: 'channel 1 electrode off' });
  store.events.record(s.id, { kind: 'note', sampleIndex: ORIGIN + 1300, message: 'call Jane Roe' });
  store.sessions.end(s.id);
  return { caseId: c.id, sessionId: s.id };
}

describe('EDF+ export of a stored session', () => {
  const db = path.join(dir, 'cases.db');
  const store = openCaseStore(db);
  const { caseId, sessionId } = build(store);
  afterAll(() => store.close());

  it('writes samples, gaps as zeros + gap annotations, stims, grades, decisions and events', () => {
    const out = path.join(dir, 'session.edf');
    const r = exportSessionEdf(store, { caseId, out });
    expect(r).toMatchObject({ sessionId, channels: 4, sampleRateHz: FS, durationS: 5.02, stimulations: 2, grades: 1, decisions: 1, gaps: 2, gapSamples: 350, clippedSamples: 0 });
    expect(r.warnings).toEqual(['1 recorded channels outside the montage were not exported']);
    expect(r.montageFile).toBe(path.join(dir, 'session.montage.json'));
    expect(JSON.parse(fs.readFileSync(r.montageFile!, 'utf8')).channels[2]).toEqual({ label: 'EMG L HAM', side: 'L', muscle: 'HAM', roots: ['L5', 'S1', 'S2'] });
    expect(fs.existsSync(`${out}.part`)).toBe(false);

    const f = openEdfSession(out, { montageFile: r.montageFile });
    try {
      expect(f.channelLabels).toEqual(['EMG L TA', 'EMG R TA', 'EMG L HAM', 'EMG R GAS']);
      expect(f.header.patientId.trim()).toBe('EXP-77 X X X');
      const texts = f.annotations.map((a) => [a.onsetS, a.durationS, a.text]);
      expect(texts).toEqual([
        [1, null, 'grade root=L4 side=L rootlet=2 grade=3 pattern=sustained suggest=cut responding=L_TA,L_HAM ma=1.25'],
        [1.2, null, 'event kind=electrode-off channel=1 message=channel_1_electrode_off'],
        [1.3, null, 'event kind=note message=call_Jane_Roe'],
        [1.5, null, expect.stringMatching(/^decision root=L4 side=L rootlet=2 kind=cut fraction=1 by=Dr_Jane_Roe at=\S+ reason=as_planned,_see_chart_of_Jane$/)],
        [2, 0.3, 'gap samples=300 reason=disconnected'],
        [3.8, 0.05, 'gap samples=50 reason=sequence-gap'],
        [5.02, null, 'recording end'],
      ]);
      expect(f.stimulationAnnotations.map((s) => [s.annotation.onsetS, s.annotation.text])).toEqual([
        [0.8, 'stim root=L4 side=L rootlet=2 mode=single ma=0.8 pw_us=200'],
        [1, 'stim root=L4 side=L rootlet=2 mode=train ma=1.25 rate_hz=50 pw_us=100'],
      ]);
      const blocks = [...f.blocks()];
      const all = (ch: number, s: number): number => {
        const b = blocks.find((x) => s >= x.startSample && s < x.startSample + x.samplesPerChannel)!;
        return b.data[ch * b.samplesPerChannel + s - b.startSample]!;
      };
      const step = 10000 / 32767;
      for (const s of [0, 1999, 2300, 3799, 3850, 5019]) for (let ch = 0; ch < 4; ch++) expect(Math.abs(all(ch, s) - signal(ch, s + ORIGIN))).toBeLessThan(step);
      for (const s of [2000, 2150, 2299, 3800, 3849]) expect(all(0, s)).toBe(0);
    } finally {
      f.close();
    }
  });

  it('imports the export back with the gaps as gaps, not as zeros', () => {
    const other = store.cases.create(makeCaseInfo({ patientId: 'EXP-78', ageYears: 6 }));
    const out = path.join(dir, 'session.edf');
    const r = importEdf(store, { file: out, caseId: other.id, montageFile: `${dir}/session.montage.json` });
    expect(r).toMatchObject({ durationS: 5.02, storedSamples: 5020 - 350, gaps: 2, gapSamples: 350, stimulations: 2, trains: 1 });
    const back = store.raw.read(r.sessionId, 0, 5020);
    expect(back.gaps).toEqual([
      { startSample: 2000, lengthSamples: 300, reason: 'disconnected' },
      { startSample: 3800, lengthSamples: 50, reason: 'sequence-gap' },
    ]);
    const orig = store.raw.read(sessionId, ORIGIN, ORIGIN + 5020);
    expect(orig.gaps.map((g) => ({ ...g, startSample: g.startSample - ORIGIN }))).toEqual(back.gaps);
    expect(store.raw.extentOf(r.sessionId)).toMatchObject({ firstSample: 0, endSample: 5020 });
    const stims = store.stimulations.forSession(r.sessionId);
    expect(stims.map((s) => s.onsetSample)).toEqual([800, 1000]);
  });

  it('exports the rootlet table with thresholds, the graded train and the decision', () => {
    const out = path.join(dir, 'rootlets.csv');
    expect(exportRootletCsv(store, { caseId, out })).toEqual({ file: out, rows: 1 });
    const rows = parseCsv(fs.readFileSync(out, 'utf8'));
    expect(rows[1]).toEqual(['L4', 'L', 'dorsal', '2', '', '', '', '1.25', '3', 'sustained', 'L TA; L HAM', 'cut', 'cut', '1', 'Dr Jane Roe', expect.any(String), 'looked thin; Jane Roe agreed']);
  });

  it('training export: header X X X X, shifted dates, numbered clinicians, no free text', () => {
    const out = path.join(dir, 'training');
    // a fixed "random" source: code letters index 0, shift 30 + 100 days, direction +1
    const picks = [0, 0, 0, 0, 0, 0, 0, 0, 100, 1];
    const r = exportTraining(store, { caseId, outDir: out, random: () => picks.shift() ?? 0 });
    expect(r.trainingCode).toBe('TR-AAAAAAAA');
    const files = fs.readdirSync(out).sort();
    expect(files).toEqual(['rootlets.csv', 'session-1.edf', 'session-1.montage.json', 'training.json']);
    const blob = files.map((f) => fs.readFileSync(path.join(out, f)).toString('latin1')).join('\n');
    for (const secret of ['EXP-77', caseId, 'Jane', 'Roe', 'spastic', 'chart', 'thin']) expect(blob).not.toContain(secret);
    const f = openEdfSession(path.join(out, 'session-1.edf'), { montageFile: path.join(out, 'session-1.montage.json') });
    try {
      expect(f.header.patientId.trim()).toBe('X X X X');
      expect(f.header.recordingId.trim()).toBe('Startdate X X X X');
      const started = new Date(store.sessions.get(sessionId)!.startedAt);
      const shifted = new Date(started.getTime() + 130 * 86_400_000);
      expect(f.header.start).toMatchObject({ year: shifted.getFullYear(), month: shifted.getMonth() + 1, day: shifted.getDate(), hour: shifted.getHours() });
      const texts = f.annotations.map((a) => a.text);
      expect(texts).toContain('event kind=electrode-off channel=1');
      expect(texts.some((t) => t.startsWith('event kind=note'))).toBe(false);
      const decision = texts.find((t) => t.startsWith('decision'))!;
      const decidedAt = store.decisions.currentForCase(caseId)[0]!.decision.decidedAt;
      expect(decision).toBe(`decision root=L4 side=L rootlet=2 kind=cut fraction=1 by=clinician-1 at=${new Date(Date.parse(decidedAt) + 130 * 86_400_000).toISOString()}`);
    } finally {
      f.close();
    }
    const csv = parseCsv(fs.readFileSync(path.join(out, 'rootlets.csv'), 'utf8'));
    expect(csv[1]!.slice(14)).toEqual(['clinician-1', new Date(Date.parse(store.decisions.currentForCase(caseId)[0]!.decision.decidedAt) + 130 * 86_400_000).toISOString(), '']);
    expect(() => exportTraining(store, { caseId, outDir: out })).toThrow(/is not empty/);
  });

  it('refuses unknown cases and sessions by name, and leaves no partial file', () => {
    expect(() => exportSessionEdf(store, { caseId: 'nope-nope', out: path.join(dir, 'x.edf') })).toThrow(/no case with id 'nope-nope'/);
    expect(() => exportSessionEdf(store, { caseId, sessionId: 999, out: path.join(dir, 'x.edf') })).toThrow(InterchangeError);
    expect(() => exportSessionEdf(store, { caseId, out: path.join(dir, 'no-such-folder', 'x.edf') })).toThrow();
    expect(fs.existsSync(path.join(dir, 'x.edf'))).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});

describe('de-identifier', () => {
  it('shifts by 30..3650 whole days, keeps inside EDF years, numbers clinicians in order', () => {
    for (let k = 0; k < 50; k++) {
      const d = createDeidentifier(new Date('2024-05-01T10:00:00Z'));
      const shifted = d.shiftDate(new Date('2024-05-01T10:00:00Z'));
      const days = Math.abs(shifted.getTime() - Date.parse('2024-05-01T10:00:00Z')) / 86_400_000;
      expect(Number.isInteger(days) && days >= 30 && days <= 3650).toBe(true);
      expect(shifted.getFullYear()).toBeGreaterThanOrEqual(1986);
    }
    const early = createDeidentifier(new Date('1987-01-01T00:00:00Z'), (n) => (n === 2 ? 0 : n - 1)); // wants -3650 days
    expect(early.shiftDate(new Date('1987-01-01T00:00:00Z')).getFullYear()).toBe(1996);
    const d = createDeidentifier(new Date());
    expect([d.person('Dr A'), d.person('Dr B'), d.person(' dr a ')]).toEqual(['clinician-1', 'clinician-2', 'clinician-1']);
    expect(d.trainingCode).toMatch(/^TR-[A-HJ-NP-Z2-9]{8}$/);
  });
});
