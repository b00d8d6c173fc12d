import os from 'node:os';
import type { SampleBlock, SampleGap } from '../domain';
import type { SqliteDatabase } from './db';
import { StorageError } from './errors';
import { HOT_QUERIES } from './hot-queries';

/**
 * Raw EMG chunk encoding 1 ("int16-scaled"): for each chunk and channel, scale = max|x| / 32767 uV per
 * count (stored as float32), samples = round(x / scale) as little-endian int16, channel-major (planar)
 * like SampleBlock. That is 16-bit resolution relative to each one-second chunk's own peak on each channel,
 * the resolution EDF+ exports carry too, at half the size of float32: quantisation error is at most
 * scale / 2 (e.g. 0.08 uV for a chunk peaking at 5 mV, well under needle-EMG noise). -32768 is reserved
 * for a non-finite input sample and reads back as NaN, so a bad value is never silently turned into 0 uV.
 */
export const RAW_ENCODING_INT16_SCALED = 1;
const NOT_A_NUMBER = -32768;
const FULL_SCALE = 32767;

if (os.endianness() !== 'LE') {
  // Int16Array views are used directly as the stored little-endian bytes
  throw new Error('sdrlog raw storage needs a little-endian platform');
}

export interface RawWriterOptions {
  /** Samples buffered before a write: about this many ms of data. Default 1000 (a crash loses <= 1 s). */
  readonly flushIntervalMs?: number;
  /** Also flush on a wall-clock timer when data stops arriving. Default true. */
  readonly timer?: boolean;
}

interface ChunkRow { start_sample: number; sample_count: number; channel_count: number; encoding: number; scales: Buffer; data: Buffer }
interface GapRow { start_sample: number; length_samples: number; reason: SampleGap['reason'] }

/** Encodes `count` samples per channel from a planar buffer with `stride` samples per channel. */
export function encodeInt16Scaled(src: Float32Array, channelCount: number, stride: number, count: number, scales: Float32Array, out: Int16Array): void {
  for (let c = 0; c < channelCount; c++) {
    const base = c * stride;
    let peak = 0;
    for (let i = 0; i < count; i++) {
      const v = Math.abs(src[base + i]!);
      if (v > peak) peak = v; // NaN compares false and is skipped
    }
    const scale = peak > 0 && Number.isFinite(peak) ? Math.fround(peak / FULL_SCALE) : 1;
    scales[c] = scale;
    const inv = 1 / scale;
    const o = c * count;
    for (let i = 0; i < count; i++) {
      const v = src[base + i]!;
      if (!Number.isFinite(v)) { out[o + i] = NOT_A_NUMBER; continue; }
      let q = Math.round(v * inv);
      if (q > FULL_SCALE) q = FULL_SCALE; else if (q < -FULL_SCALE) q = -FULL_SCALE;
      out[o + i] = q;
    }
  }
}

/**
 * Buffers sample blocks of one session and writes them as chunks, one IMMEDIATE transaction per flush.
 * A flush happens as soon as `flushIntervalMs` worth of samples is buffered (so after any append returns,
 * less than that is unwritten) and on a timer when data stops. Blocks must not overlap; a forward jump
 * without a reported gap is recorded as an 'unknown' gap, never spliced over.
 */
export class RawWriter {
  private readonly capacity: number;
  private readonly buffer: Float32Array;
  private readonly encoded: Int16Array;
  private readonly scales: Float32Array;
  private buffered = 0;
  private bufferStart = 0;
  private pendingGaps: SampleGap[] = [];
  private nextSample: number | null;
  private timerHandle: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  private timerError: Error | null = null;
  private readonly writeTx;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly session: { readonly id: number; readonly sampleRateHz: number; readonly channelCount: number },
    resumeAt: number | null,
    private readonly insertChunk: { run(...args: unknown[]): unknown },
    private readonly insertGap: { run(...args: unknown[]): unknown },
    options: RawWriterOptions = {},
    private readonly onClose: (w: RawWriter) => void = () => {},
  ) {
    const intervalMs = options.flushIntervalMs ?? 1000;
    if (!(intervalMs > 0 && intervalMs <= 60_000)) throw new StorageError('invalid-raw-writer', `flush interval must be 1..60000 ms, got ${intervalMs}`);
    this.capacity = Math.max(1, Math.floor((session.sampleRateHz * intervalMs) / 1000));
    this.buffer = new Float32Array(this.capacity * session.channelCount);
    this.encoded = new Int16Array(this.capacity * session.channelCount);
    this.scales = new Float32Array(session.channelCount);
    this.nextSample = resumeAt;
    this.writeTx = db.transaction((gaps: readonly SampleGap[]) => {
      if (this.buffered > 0) {
        encodeInt16Scaled(this.buffer, session.channelCount, this.capacity, this.buffered, this.scales, this.encoded);
        const n = this.buffered * session.channelCount;
        this.insertChunk.run(session.id, this.bufferStart, this.buffered, session.channelCount, RAW_ENCODING_INT16_SCALED,
          Buffer.from(this.scales.buffer, this.scales.byteOffset, this.scales.byteLength),
          Buffer.from(this.encoded.buffer, this.encoded.byteOffset, n * 2));
      }
      for (const g of gaps) this.insertGap.run(session.id, g.startSample, g.lengthSamples, g.reason);
    });
    if (options.timer ?? true) {
      this.timerHandle = setInterval(() => {
        // never throw from a timer (it would take the process down): keep the error for the owner,
        // who gets it from the next append/flush; the samples stay buffered for the retry
        try {
          this.flush();
        } catch (e) {
          this.timerError ??= e instanceof Error ? e : new Error(String(e));
        }
      }, intervalMs);
      this.timerHandle.unref?.();
    }
  }

  /** One past the last sample handed to the writer (the next expected sample index). */
  get endSample(): number | null {
    return this.nextSample;
  }

  /** Samples handed over but not yet committed. */
  get pendingSamples(): number {
    return this.buffered;
  }

  append(block: SampleBlock): void {
    this.assertOpen();
    if (block.channelCount !== this.session.channelCount) throw new StorageError('raw-mismatch', `block has ${block.channelCount} channels, session ${this.session.id} records ${this.session.channelCount}`);
    if (block.sampleRateHz !== this.session.sampleRateHz) throw new StorageError('raw-mismatch', `block is at ${block.sampleRateHz} Hz, session ${this.session.id} records at ${this.session.sampleRateHz} Hz`);
    if (block.data.length !== block.channelCount * block.samplesPerChannel) throw new StorageError('raw-mismatch', 'block data length does not match its channel and sample counts');
    if (block.samplesPerChannel === 0) return;
    if (this.nextSample !== null && block.startSample < this.nextSample) {
      throw new StorageError('raw-overlap', `block starting at sample ${block.startSample} overlaps data already written up to ${this.nextSample}`);
    }
    if (this.nextSample !== null && block.startSample > this.nextSample) {
      this.flushWith([{ startSample: this.nextSample, lengthSamples: block.startSample - this.nextSample, reason: 'unknown' }]);
    }
    if (this.buffered === 0) this.bufferStart = block.startSample;
    const n = block.samplesPerChannel;
    let done = 0;
    while (done < n) {
      if (this.buffered === this.capacity) {
        // a previous flush failed (the error went to the caller); retry before taking more
        try {
          this.flush();
        } catch (e) {
          throw new StorageError('raw-write-failed', `raw EMG of session ${this.session.id} accepted up to sample ${this.nextSample ?? block.startSample}, not beyond: ${(e as Error).message}`);
        }
        this.bufferStart = block.startSample + done;
      }
      const take = Math.min(n - done, this.capacity - this.buffered);
      for (let c = 0; c < this.session.channelCount; c++) {
        this.buffer.set(block.data.subarray(c * n + done, c * n + done + take), c * this.capacity + this.buffered);
      }
      this.buffered += take;
      done += take;
      this.nextSample = block.startSample + done;
      if (this.buffered === this.capacity) {
        this.flushWith([]); // if this throws, the whole block is buffered and the next call retries
        this.bufferStart = block.startSample + done;
      }
    }
  }

  /** Records missing samples. Buffered data is written first so every chunk stays contiguous. */
  appendGap(gap: SampleGap): void {
    this.assertOpen();
    if (!(Number.isInteger(gap.startSample) && gap.startSample >= 0 && Number.isInteger(gap.lengthSamples) && gap.lengthSamples > 0)) {
      throw new StorageError('invalid-gap', `gap must have a non-negative start and positive length, got ${gap.startSample}+${gap.lengthSamples}`);
    }
    if (this.nextSample !== null && gap.startSample < this.nextSample) {
      throw new StorageError('raw-overlap', `gap starting at sample ${gap.startSample} overlaps data already written up to ${this.nextSample}`);
    }
    const gaps: SampleGap[] = [];
    if (this.nextSample !== null && gap.startSample > this.nextSample) {
      gaps.push({ startSample: this.nextSample, lengthSamples: gap.startSample - this.nextSample, reason: 'unknown' });
    }
    gaps.push({ startSample: gap.startSample, lengthSamples: gap.lengthSamples, reason: gap.reason });
    this.flushWith(gaps);
    this.nextSample = gap.startSample + gap.lengthSamples;
  }

  /** Writes everything buffered now (one transaction). */
  flush(): void {
    if (this.closed) return;
    this.assertOpen();
    this.flushWith([]);
  }

  private flushWith(gaps: SampleGap[]): void {
    const all = this.pendingGaps.length ? [...this.pendingGaps, ...gaps] : gaps;
    if (this.buffered === 0 && all.length === 0) return;
    this.writeTx.immediate(all);
    this.pendingGaps = [];
    this.buffered = 0;
  }

  /** Flushes and stops the timer. The writer cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      if (this.timerHandle) clearInterval(this.timerHandle);
      this.timerHandle = null;
      this.onClose(this);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('raw-writer-closed', `raw writer of session ${this.session.id} is closed`);
    const e = this.timerError;
    if (e) {
      this.timerError = null;
      throw new StorageError('raw-write-failed', `writing raw EMG of session ${this.session.id} failed: ${e.message}`);
    }
  }
}

/** Samples read back for a range, planar like SampleBlock; samples not stored are NaN and listed in `gaps`. */
export interface RawRange {
  readonly sessionId: number;
  readonly fromSample: number;
  readonly toSample: number;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly samplesPerChannel: number;
  /** Planar: sample i of channel c at data[c * samplesPerChannel + i], uV. */
  readonly data: Float32Array;
  /** Recorded gaps, plus ranges with no stored data as reason 'unknown', clipped to the range, in order. */
  readonly gaps: readonly SampleGap[];
}

export interface RawExtent {
  readonly firstSample: number | null;
  /** One past the last stored sample. */
  readonly endSample: number | null;
  readonly chunkCount: number;
  readonly storedSamples: number;
  readonly storedBytes: number;
}

/** Read access to raw chunks, and the factory for writers. */
export class RawRepository {
  /** Largest range one read may return (values across all channels): keeps a typo from allocating GBs. */
  static readonly MAX_READ_VALUES = 64 * 1024 * 1024;
  private readonly insertChunk;
  private readonly insertGap;
  private readonly chunksInRange;
  private readonly gapsInRange;
  private readonly extent;
  private readonly lastGapEnd;
  private readonly sessionInfo;
  private readonly allGaps;
  private readonly openWriters = new Set<RawWriter>();

  constructor(private readonly db: SqliteDatabase) {
    this.insertChunk = db.prepare('INSERT INTO raw_chunks (session_id, start_sample, sample_count, channel_count, encoding, scales, data) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.insertGap = db.prepare('INSERT INTO raw_gaps (session_id, start_sample, length_samples, reason) VALUES (?, ?, ?, ?)');
    this.chunksInRange = db.prepare<[{ session: number; from: number; to: number }], ChunkRow>(HOT_QUERIES.rawChunksInRange);
    this.gapsInRange = db.prepare<[{ session: number; from: number; to: number }], GapRow>(`SELECT start_sample, length_samples, reason FROM raw_gaps
      WHERE session_id = @session AND start_sample < @to AND start_sample + length_samples > @from ORDER BY start_sample`);
    this.extent = db.prepare<[number], { first: number | null; end: number | null; n: number; samples: number | null; bytes: number | null }>(`SELECT MIN(start_sample) AS first,
      MAX(start_sample + sample_count) AS "end", COUNT(*) AS n, SUM(sample_count) AS samples, SUM(LENGTH(data) + LENGTH(scales)) AS bytes
      FROM raw_chunks WHERE session_id = ?`);
    this.lastGapEnd = db.prepare<[number], { end: number | null }>('SELECT MAX(start_sample + length_samples) AS "end" FROM raw_gaps WHERE session_id = ?');
    this.sessionInfo = db.prepare<[number], { id: number; sample_rate_hz: number; channel_count: number }>('SELECT id, sample_rate_hz, channel_count FROM sessions WHERE id = ?');
    this.allGaps = db.prepare<[number], GapRow>('SELECT start_sample, length_samples, reason FROM raw_gaps WHERE session_id = ? ORDER BY start_sample');
  }

  private session(sessionId: number): { id: number; sampleRateHz: number; channelCount: number } {
    const s = this.sessionInfo.get(sessionId);
    if (!s) throw new StorageError('unknown-session', `no session ${sessionId}`);
    return { id: s.id, sampleRateHz: s.sample_rate_hz, channelCount: s.channel_count };
  }

  /** A writer for the session; it continues after whatever the session already holds (crash recovery). */
  writer(sessionId: number, options: RawWriterOptions = {}): RawWriter {
    const s = this.session(sessionId);
    const ext = this.extent.get(sessionId)!;
    const gapEnd = this.lastGapEnd.get(sessionId)?.end ?? null;
    const resume = ext.end === null && gapEnd === null ? null : Math.max(ext.end ?? 0, gapEnd ?? 0);
    const w = new RawWriter(this.db, s, resume, this.insertChunk, this.insertGap, options, (closed) => this.openWriters.delete(closed));
    this.openWriters.add(w);
    return w;
  }

  /** Flushes and closes every writer still open (the store does this before closing the database). */
  closeWriters(): void {
    for (const w of [...this.openWriters]) w.close();
  }

  /** Every recorded gap of the session (sequence gaps, disconnections, ...), in sample order; no sample data is read. */
  gapsOf(sessionId: number): SampleGap[] {
    return this.allGaps.all(sessionId).map((g) => ({ startSample: g.start_sample, lengthSamples: g.length_samples, reason: g.reason }));
  }

  extentOf(sessionId: number): RawExtent {
    const e = this.extent.get(sessionId)!;
    return { firstSample: e.first, endSample: e.end, chunkCount: e.n, storedSamples: e.samples ?? 0, storedBytes: e.bytes ?? 0 };
  }

  /** Reads samples [fromSample, toSample) of every channel. */
  read(sessionId: number, fromSample: number, toSample: number): RawRange {
    const s = this.session(sessionId);
    if (!(Number.isInteger(fromSample) && Number.isInteger(toSample) && fromSample >= 0 && toSample >= fromSample)) {
      throw new StorageError('invalid-range', `sample range must be integers with 0 <= from <= to, got ${fromSample}..${toSample}`);
    }
    const n = toSample - fromSample;
    if (n * s.channelCount > RawRepository.MAX_READ_VALUES) throw new StorageError('range-too-large', `range of ${n} samples x ${s.channelCount} channels is too large for one read`);
    const data = new Float32Array(n * s.channelCount).fill(NaN);
    const covered: [number, number][] = [];
    for (const ch of this.chunksInRange.all({ session: sessionId, from: fromSample, to: toSample })) {
      const a = Math.max(fromSample, ch.start_sample);
      const b = Math.min(toSample, ch.start_sample + ch.sample_count);
      if (b <= a) continue;
      if (ch.encoding !== RAW_ENCODING_INT16_SCALED) throw new StorageError('raw-encoding', `raw chunk at sample ${ch.start_sample} has unknown encoding ${ch.encoding}`);
      if (ch.channel_count !== s.channelCount || ch.data.byteLength !== ch.sample_count * ch.channel_count * 2 || ch.scales.byteLength !== ch.channel_count * 4) {
        throw new StorageError('raw-corrupt', `raw chunk at sample ${ch.start_sample} of session ${sessionId} has inconsistent sizes`);
      }
      // copy out of the row buffers: they may not be 2/4-byte aligned for typed-array views
      const samples = new Int16Array(ch.data.buffer.slice(ch.data.byteOffset, ch.data.byteOffset + ch.data.byteLength));
      const scales = new Float32Array(ch.scales.buffer.slice(ch.scales.byteOffset, ch.scales.byteOffset + ch.scales.byteLength));
      for (let c = 0; c < s.channelCount; c++) {
        const scale = scales[c]!;
        const src = c * ch.sample_count - ch.start_sample;
        const dst = c * n - fromSample;
        for (let i = a; i < b; i++) {
          const q = samples[src + i]!;
          data[dst + i] = q === NOT_A_NUMBER ? NaN : q * scale;
        }
      }
      covered.push([a, b]);
    }
    const recorded = this.gapsInRange.all({ session: sessionId, from: fromSample, to: toSample }).map((g) => ({
      startSample: Math.max(fromSample, g.start_sample),
      end: Math.min(toSample, g.start_sample + g.length_samples),
      reason: g.reason,
    }));
    const intervals = [
      ...covered.map(([a, b]) => ({ start: a, end: b, gap: null as SampleGap['reason'] | null })),
      ...recorded.map((g) => ({ start: g.startSample, end: g.end, gap: g.reason as SampleGap['reason'] | null })),
    ].sort((x, y) => x.start - y.start);
    const gaps: SampleGap[] = [];
    let cursor = fromSample;
    for (const iv of intervals) {
      if (iv.start > cursor) gaps.push({ startSample: cursor, lengthSamples: iv.start - cursor, reason: 'unknown' });
      if (iv.gap !== null && iv.end > Math.max(cursor, iv.start)) {
        const start = Math.max(cursor, iv.start);
        gaps.push({ startSample: start, lengthSamples: iv.end - start, reason: iv.gap });
      }
      cursor = Math.max(cursor, iv.end);
    }
    if (cursor < toSample) gaps.push({ startSample: cursor, lengthSamples: toSample - cursor, reason: 'unknown' });
    return { sessionId, fromSample, toSample, sampleRateHz: s.sampleRateHz, channelCount: s.channelCount, samplesPerChannel: n, data, gaps };
  }
}
