import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { channelSamples, type StimulationEvent } from '../../src/domain';
import { EdfWriter, fileSink, formatStimAnnotation, openEdfSession } from '../../src/formats';
import { gradeRecording } from '../../src/grading/offline';
import { SUGGESTION_PRESETS } from '../../src/grading/suggestion';
import { blocksOf } from '../corpus/run';
import { makeCase, montageOf, renderCase, truthOf, type RenderedCase, type TruthLine } from '../corpus/synth';

/**
 * `sdrlog grade` on EDF+ written by another tool: EDFlib (Teunis van Beelen's reference EDF+ library,
 * the one EDFbrowser uses; Debian libedf-dev 1.23). A C program (test/fixtures/edflib-writer.c),
 * compiled here, writes a synthetic case with EDFlib: its own data record (1 s, ours 0.1 s), its own
 * physical/digital range and quantisation (a C cast: up to one step of error, ours half a step), its
 * own annotation layout (one TAL per record in a 114-byte annotation signal, written at close).
 *
 * EDFlib 1.23 cuts every annotation text to 40 bytes when writing (EDFLIB_WRITE_MAX_ANNOTATION_LEN,
 * fixed at compile time, no API to change it), and our stimulation annotations are 60-75 bytes. So an
 * EDFlib file cannot carry the stimulations: the tests check that `sdrlog grade` says so for every
 * stimulation instead of grading nothing silently, and check the grading of EDFlib's samples against
 * our writer's file of the same case with the stimulations taken from the case.
 *
 * A missing compiler or EDFlib fails the test naming the Debian package (as edf-crosscheck.test.ts;
 * CI runs .ci/install-system-deps.sh).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BIN = path.join(ROOT, 'bin/sdrlog.mjs');
const WRITER_C = path.join(ROOT, 'test/fixtures/edflib-writer.c');
/** The CLI runs the working tree's sources, like the in-process grading it is compared with. */
const CLI_ENV = { ...process.env, SDRLOG_FROM_SOURCE: '1' };

function requireTool(check: () => boolean, what: string, pkg: string): void {
  if (!check()) throw new Error(`${what} is missing: install the Debian package ${pkg} (bash .ci/install-system-deps.sh)`);
}
const hasCc = () => spawnSync('cc', ['--version'], { encoding: 'utf8' }).status === 0;
const hasFile = (p: string) => () => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

// The case: 6 trains at 5 kHz, about 21 s (seed held out from grader tuning, like grade-cli's 9201).
const SEED = 9301;
const RATE_HZ = 5000;
/** EDFlib's units: data record duration in 10 us, annotation onset/duration in 100 us. */
const RECORD_10US = 100_000; // 1 s, EDFlib's default
const PHYS_MAX_UV = 6000;
const DIG_MAX = 32767;
const DIG_MIN = -32768; // EDFlib's usual asymmetric range, unlike our symmetric one: 0 uV is not a code
const STEP_UV = (2 * PHYS_MAX_UV) / (DIG_MAX - DIG_MIN);
/** EDFlib's maximum annotation text when writing (bytes). */
const EDFLIB_MAX_TEXT = 40;
const NOTES = [
  { onset100us: 12_345, duration100us: -1, text: 'Surgeon: L4 right rootlet 3 split' },
  { onset100us: 150_000, duration100us: 12_345, text: 'suction artefact' },
];
const GRADE_KEYS = ['onset_s', 'root', 'side', 'rootlet', 'grade', 'pattern', 'responding', 'suggest'];

interface Prepared {
  dir: string;
  ours: string;
  theirs: string;
  rc: RenderedCase;
  /** `L TA`, ... by channel. */
  channels: string[];
  truth: TruthLine[];
  stimTexts: string[];
  records: number;
}
let prepared: Prepared | null = null;

/** Little-endian description for edflib-writer.c (format in its header comment). */
function description(rc: RenderedCase, labels: readonly string[], annotations: readonly { onset100us: number; duration100us: number; text: string }[]): Buffer {
  const parts: Buffer[] = [Buffer.from('SDREDFL1', 'ascii')];
  const i32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    parts.push(b);
  };
  const i64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v));
    parts.push(b);
  };
  const f64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    parts.push(b);
  };
  const field = (s: string, width: number) => {
    const b = Buffer.alloc(width);
    b.write(s, 'ascii');
    parts.push(b);
  };
  const n = rc.raw[0]!.length;
  i32(rc.sampleRateHz);
  i32(rc.raw.length);
  i32(n);
  i32(RECORD_10US);
  f64(PHYS_MAX_UV);
  f64(-PHYS_MAX_UV);
  i32(DIG_MAX);
  i32(DIG_MIN);
  i32(annotations.length);
  for (const l of labels) {
    field(l, 16);
    field('uV', 8);
  }
  for (const a of annotations) {
    const text = Buffer.from(a.text, 'utf8');
    i64(a.onset100us);
    i64(a.duration100us);
    i32(text.length);
    parts.push(text);
  }
  for (const ch of rc.raw) parts.push(Buffer.from(ch.buffer, ch.byteOffset, ch.byteLength));
  return Buffer.concat(parts);
}

function prepare(): Prepared {
  requireTool(hasCc, 'a C compiler (cc)', 'gcc');
  requireTool(hasFile('/usr/include/stdio.h'), 'the C library headers (/usr/include/stdio.h)', 'libc6-dev');
  requireTool(hasFile('/usr/include/edflib.h'), 'EDFlib (/usr/include/edflib.h, -ledf)', 'libedf-dev');
  if (prepared) return prepared;
  const dir = mkdtempSync(path.join(tmpdir(), 'sdrlog-edflib-'));
  const exe = path.join(dir, 'edflib-writer');
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', exe, WRITER_C, '-ledf'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  const c = makeCase(SEED, { trains: 6, sampleRatesHz: [RATE_HZ] });
  const rc = renderCase(c);
  const montage = montageOf(c);
  // Ours: the same case through our writer (as test/corpus/edf.ts does).
  const ours = path.join(dir, 'ours.edf');
  const w = new EdfWriter(fileSink(ours), { montage, sampleRateHz: RATE_HZ, start: new Date(2024, 0, 15, 9, 0, 0), patientCode: `SYN${SEED}` });
  for (const e of rc.events) w.addStimulation(e);
  for (const b of blocksOf(rc, 100)) w.writeBlock(b);
  w.close();

  // Theirs: the same samples and stimulation annotations (architecture.md texts) through EDFlib.
  const stimTexts = rc.events.map((e) => formatStimAnnotation(e.stimulation));
  const annotations = rc.events.map((e, k) => {
    // EDFlib takes onsets in 100 us: at 5 kHz every sample time is a whole number of them
    expect((e.sampleIndex * 10_000) % RATE_HZ).toBe(0);
    return { onset100us: (e.sampleIndex * 10_000) / RATE_HZ, duration100us: Math.round((e.stimulation.durationS ?? 0) * 10_000), text: stimTexts[k]! };
  });
  const desc = path.join(dir, 'theirs.bin');
  writeFileSync(desc, description(rc, montage.channels.map((ch) => `EMG ${ch.side} ${ch.muscle}`), [...annotations, ...NOTES]));
  const theirs = path.join(dir, 'theirs.edf');
  const out = execFileSync(exe, [desc, theirs], { encoding: 'utf8' });
  const records = Number(/^records (\d+)$/m.exec(out)?.[1]);
  prepared = { dir, ours, theirs, rc, channels: montage.channels.map((ch) => `${ch.side} ${ch.muscle}`), truth: truthOf(c), stimTexts, records };
  return prepared;
}

afterAll(() => {
  if (prepared) rmSync(prepared.dir, { recursive: true, force: true });
});

function grade(file: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, 'grade', file, '--json'], { encoding: 'utf8', env: CLI_ENV });
}

describe('EDF+ written by EDFlib', () => {
  it('our reader sees EDFlib\'s header, record layout and samples (within its quantisation)', () => {
    const { theirs, rc, channels, records } = prepare();
    const n = rc.raw[0]!.length;
    expect(records).toBe(Math.ceil(n / RATE_HZ));
    const s = openEdfSession(theirs);
    try {
      expect(s.header.variant).toBe('EDF+C');
      expect(s.header.recordDurationS).toBe(1);
      expect(s.dataRecords).toBe(records);
      expect(s.sampleRateHz).toBe(RATE_HZ);
      expect(s.montage.channels.map((ch) => `${ch.side} ${ch.muscle}`)).toEqual(channels);
      const emg = s.header.signals.filter((g) => g.label.startsWith('EMG'));
      expect(emg).toHaveLength(rc.raw.length);
      for (const g of emg) {
        expect([g.samplesPerRecord, g.physicalDimension, g.physicalMinimum, g.physicalMaximum, g.digitalMinimum, g.digitalMaximum]).toEqual([RATE_HZ, 'uV', -PHYS_MAX_UV, PHYS_MAX_UV, DIG_MIN, DIG_MAX]);
      }
      // EDFlib's annotation signal: 114 bytes per record, after the EMG signals
      const ann = s.header.signals.at(-1)!;
      expect([ann.label, ann.samplesPerRecord * 2]).toEqual(['EDF Annotations', 114]);
      expect(s.warnings.filter((w) => !/^stimulation annotation/.test(w))).toEqual([]);

      const got: number[][] = rc.raw.map(() => []);
      for (const b of s.blocks()) for (let c = 0; c < rc.raw.length; c++) got[c]!.push(...channelSamples(b, c));
      let maxErr = 0;
      for (let c = 0; c < rc.raw.length; c++) {
        expect(got[c]!.length).toBe(records * RATE_HZ);
        for (let i = 0; i < got[c]!.length; i++) {
          // beyond the case EDFlib's last record holds the zeros the writer padded it with
          maxErr = Math.max(maxErr, Math.abs(got[c]![i]! - (i < n ? rc.raw[c]![i]! : 0)));
        }
      }
      // EDFlib 1.23 does not round to the nearest code: it converts with a C cast (truncation toward
      // zero of physical / step - offset), so its error is up to one step (ours: half a step). Measured
      // here at 0.183 uV, just under one step.
      expect(maxErr).toBeLessThan(STEP_UV + 1e-3);
      expect(maxErr).toBeGreaterThan(STEP_UV / 10);
    } finally {
      s.close();
    }
  });

  it('annotations: onsets and durations in 100 us come through exactly; texts are cut to 40 bytes by EDFlib', () => {
    const { theirs, rc, stimTexts } = prepare();
    const s = openEdfSession(theirs);
    try {
      expect(s.stimulations).toEqual([]);
      const expected = [
        ...rc.events.map((e, k) => ({ onsetS: e.sampleIndex / RATE_HZ, durationS: e.stimulation.durationS ?? 0, text: stimTexts[k]!.slice(0, EDFLIB_MAX_TEXT) })),
        // EDFlib writes no duration field for a negative duration
        ...NOTES.map((a) => ({ onsetS: a.onset100us / 10_000, durationS: a.duration100us < 0 ? null : a.duration100us / 10_000, text: a.text })),
      ].sort((a, b) => a.onsetS - b.onsetS);
      expect(s.annotations).toHaveLength(expected.length);
      s.annotations.forEach((a, k) => {
        expect(a.text).toBe(expected[k]!.text);
        expect(a.onsetS).toBeCloseTo(expected[k]!.onsetS, 9);
        if (expected[k]!.durationS === null) expect(a.durationS).toBeNull();
        else expect(a.durationS).toBeCloseTo(expected[k]!.durationS!, 9);
      });
      // every stimulation text really was longer than EDFlib's limit: the test is not vacuous
      for (const t of stimTexts) expect(Buffer.byteLength(t, 'utf8')).toBeGreaterThan(EDFLIB_MAX_TEXT);
      // each cut stimulation is a warning naming it (all cut after "mode=train", before "ma=")
      const stimWarnings = s.warnings.filter((w) => /^stimulation annotation at .* ignored: missing 'ma'$/.test(w));
      expect(stimWarnings).toHaveLength(rc.events.length);
    } finally {
      s.close();
    }
  });

  it('sdrlog grade on the EDFlib file: every stimulation cut, so one error line naming the first, exit 2', () => {
    const { theirs, rc } = prepare();
    const r = grade(theirs);
    // The recording is readable, but not one of its stimulation annotations is: nothing can be graded,
    // which is bad input (architecture.md: a clear error and a non-zero exit), not an empty result.
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`none of its ${rc.events.length} stimulation annotation\\(s\\) could be read, nothing to grade \\(first, at [0-9.]+ s: 'stim root=\\w+ side=[LR] rootlet=\\d+ mode=train': missing 'ma'\\)$`));
  }, 60_000);

  it('EDFlib\'s samples grade like our writer\'s file of the same case, and like the truth', () => {
    const { ours, theirs, rc, truth } = prepare();
    // Ours through the command, as a user runs it.
    const r = grade(ours);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(rc.events.length);
    for (const o of lines) expect(Object.keys(o)).toEqual(GRADE_KEYS);
    // Theirs: EDFlib's samples read by our reader, graded as `sdrlog grade` does (same function and
    // options), with the stimulations of the case, which EDFlib could not store (see above).
    const events: StimulationEvent[] = rc.events;
    const s = openEdfSession(theirs);
    let graded;
    try {
      graded = gradeRecording(
        { sampleRateHz: s.sampleRateHz, channelCount: s.montage.channels.length, blocks: s.blocks(), events, gaps: s.gaps },
        { montage: s.montage, rules: SUGGESTION_PRESETS['phillips-park']!, mains: 'auto' },
      );
    } finally {
      s.close();
    }
    expect(graded.trains).toHaveLength(lines.length);
    graded.trains.forEach((t, k) => {
      const o = lines[k]!;
      const want = truth[k]!;
      expect(o.onset_s).toBeCloseTo(events[k]!.sampleIndex / RATE_HZ, 9);
      expect([t.target.level, t.target.side, t.target.rootlet]).toEqual([o.root, o.side, o.rootlet]);
      // Identical, no tolerance: EDFlib's quantisation (0.18 uV steps, ours 0.31) and its 1 s records
      // change the samples by far less than any grading threshold.
      expect(t.grade).toBe(o.grade);
      expect(t.suggestion).toBe(o.suggest);
      expect(t.pattern).toBe(o.pattern);
      expect([...t.responding].sort()).toEqual([...(o.responding as string[])].sort());
      // and both agree with the rule-defined truth of the case
      expect(o.grade).toBe(want.grade);
      expect(o.suggest).toBe(want.suggest);
      expect([...(o.responding as string[])].sort()).toEqual([...want.responding].sort());
    });
  }, 120_000);

  it('a truncated EDFlib file: cut in the data, a reader warning naming the records; cut in the header, one error line and exit 2', () => {
    const { dir, theirs, records } = prepare();
    const bytes = readFileSync(theirs);
    const headerBytes = Number(bytes.subarray(184, 192).toString('ascii').trim());
    const recordBytes = (bytes.length - headerBytes) / records;
    expect(Number.isInteger(recordBytes)).toBe(true);

    // Crash while recording: 10 complete records and part of the 11th.
    const cut = path.join(dir, 'cut-data.edf');
    writeFileSync(cut, bytes.subarray(0, headerBytes + 10 * recordBytes + 1000));
    const s = openEdfSession(cut);
    try {
      expect(s.dataRecords).toBe(10);
      expect(s.warnings).toContain(`file truncated: header says ${records} data records but only 10 are complete (1000 bytes of a partial record dropped)`);
    } finally {
      s.close();
    }
    // The samples are readable; the command still refuses the file: none of its stimulations can be read (EDFlib cut them).
    const r1 = grade(cut);
    expect(r1.status).toBe(2);
    expect(r1.stderr.trim().split('\n')).toHaveLength(1);
    expect(r1.stderr).toContain('nothing to grade');

    // Cut inside the signal headers.
    const cutHeader = path.join(dir, 'cut-header.edf');
    writeFileSync(cutHeader, bytes.subarray(0, headerBytes - 100));
    const r2 = grade(cutHeader);
    expect(r2.status).toBe(2);
    expect(r2.stdout).toBe('');
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toContain('cut-header.edf');

    // Header complete, not one whole data record.
    const cutRecord = path.join(dir, 'cut-record.edf');
    writeFileSync(cutRecord, bytes.subarray(0, headerBytes + recordBytes - 1));
    const r3 = grade(cutRecord);
    expect(r3.status).toBe(2);
    expect(r3.stdout).toBe('');
    expect(r3.stderr.trim().split('\n')).toHaveLength(1);
    expect(r3.stderr).toMatch(/cut-record\.edf.*no complete data record/);
  }, 120_000);
});
