import { DomainError } from '../domain';

/** Frames per channel of the staging area behind the ring (blocks up to this size take the fast copy). */
const STAGE_FRAMES = 1024;

/**
 * A planar multichannel ring of the most recent samples, addressed by the session's running sample
 * index. Writing is a copy per channel (no per-sample work); samples older than `capacity` are
 * overwritten. Cost: about 0.7 ns per sample for 100-sample blocks of 16 channels (bench/pipeline.bench.ts,
 * "ring write"), nearly all of it per-call overhead of the copies: a planar block is copied in one `set`
 * into a staging area at the end of the ring's own array and moved into place per channel with
 * `copyWithin`, which allocates nothing (a `subarray` view per channel costs more than copying its
 * 100 samples); reads into a planar buffer go the other way. Missing samples (gaps) are filled by holding each channel's last value, so a filter
 * run over them sees no step; the gap itself is recorded by the caller and travels with the epoch.
 */
export class SampleRing {
  readonly channelCount: number;
  private cap: number;
  /** Channel c's ring at `c * cap`, then the staging area (STAGE_FRAMES per channel) at `stage`. */
  private data: Float32Array;
  private stage: number;
  /** Index one past the newest sample written; -1 before the first write. */
  private end = -1;
  /** Oldest index ever written (the stream's first sample). */
  private first = -1;
  /** Where the last `write` left its block in `data` (planar, stride = its frames), or -1 (see `staged`). */
  private stagedAt = -1;

  constructor(channelCount: number, capacitySamples: number) {
    this.channelCount = channelCount;
    this.cap = Math.max(1, Math.ceil(capacitySamples));
    this.stage = this.cap * channelCount;
    this.data = new Float32Array(this.stage + STAGE_FRAMES * channelCount);
  }

  get capacity(): number {
    return this.cap;
  }

  /** One past the newest sample, or -1 before any sample. */
  get endSample(): number {
    return this.end;
  }

  /** Oldest sample still held, or -1 before any sample. */
  get oldestSample(): number {
    return this.end < 0 ? -1 : Math.max(this.first, this.end - this.cap);
  }

  /**
   * The block of the last `write`, as it lies in the ring's own staging area: planar, channel c at
   * `offset + c * frames` of `samples` (which callers only read); null when that write did not go through
   * the staging area (scaled, strided or longer than 1024 frames). Valid until the next call on the ring
   * (a read uses the staging area too). The display decimator folds the block from there: one long-lived int32 view of `samples`
   * instead of one per incoming block, and the block is still in cache.
   */
  staged(): { readonly samples: Float32Array; readonly offset: number } | null {
    return this.stagedAt < 0 ? null : this.stagedView;
  }

  private stagedView: { samples: Float32Array; offset: number } = { samples: new Float32Array(0), offset: 0 };

  /** Grows the ring to hold at least `capacitySamples`, keeping its content (rare: a train longer than planned). */
  ensureCapacity(capacitySamples: number): void {
    if (capacitySamples <= this.cap) return;
    const newCap = Math.ceil(Math.max(capacitySamples, this.cap * 1.5));
    const next = new Float32Array((newCap + STAGE_FRAMES) * this.channelCount);
    if (this.end >= 0) {
      const from = this.oldestSample;
      this.first = from; // samples the smaller ring had already overwritten stay unavailable
      for (let s = from; s < this.end; s++) {
        const oldPos = s % this.cap;
        const newPos = s % newCap;
        for (let c = 0; c < this.channelCount; c++) next[c * newCap + newPos] = this.data[c * this.cap + oldPos]!;
      }
    }
    this.cap = newCap;
    this.stage = newCap * this.channelCount;
    this.data = next;
    this.stagedAt = -1;
  }

  /**
   * Appends `frames` samples per channel starting at `startSample`, taken from the planar `src`
   * (channel c at `c * srcStride + srcOffset`), multiplied by `scale`. A start beyond the current end
   * fills the hole by holding the last values. Going back in time is refused.
   */
  write(src: Float32Array, srcStride: number, srcOffset: number, frames: number, startSample: number, scale = 1): void {
    if (this.end >= 0 && startSample < this.end) {
      throw new DomainError('invalid-block', `block starts at sample ${startSample}, before the end of data already received (${this.end})`);
    }
    if (this.end < 0) {
      this.first = startSample;
      this.end = startSample;
    }
    if (startSample > this.end) this.holdTo(startSample);
    const cap = this.cap;
    let written = 0;
    // Skip what would be overwritten anyway in the same call.
    if (frames > cap) {
      written = frames - cap;
      this.end += written;
    }
    const data = this.data;
    const ch = this.channelCount;
    this.stagedAt = -1;
    if (scale === 1 && srcStride === frames && frames <= STAGE_FRAMES) {
      // Fast path: the planar block in one copy to the staging area, then each channel moved into place.
      const stage = this.stage;
      const len = frames * ch;
      if (srcOffset === 0 && src.length === len) data.set(src, stage);
      else data.set(src.subarray(srcOffset, srcOffset + len), stage);
      this.stagedAt = stage;
      this.stagedView.samples = data;
      this.stagedView.offset = stage;
      while (written < frames) {
        const pos = this.end % cap;
        const n = Math.min(frames - written, cap - pos);
        for (let c = 0; c < ch; c++) {
          const s0 = stage + c * frames + written;
          data.copyWithin(c * cap + pos, s0, s0 + n);
        }
        written += n;
        this.end += n;
      }
      return;
    }
    while (written < frames) {
      const pos = this.end % cap;
      const n = Math.min(frames - written, cap - pos);
      for (let c = 0; c < this.channelCount; c++) {
        const s0 = c * srcStride + srcOffset + written;
        const d0 = c * cap + pos;
        if (scale === 1) this.data.set(src.subarray(s0, s0 + n), d0);
        else for (let i = 0; i < n; i++) this.data[d0 + i] = src[s0 + i]! * scale;
      }
      written += n;
      this.end += n;
    }
  }

  /** Advances the end to `sampleIndex`, holding each channel's last value (used for gaps). */
  holdTo(sampleIndex: number): void {
    if (this.end < 0) {
      this.first = sampleIndex;
      this.end = sampleIndex;
      return;
    }
    if (sampleIndex <= this.end) return;
    const cap = this.cap;
    const lastPos = (this.end - 1 + cap) % cap;
    const from = Math.max(this.end, sampleIndex - cap);
    for (let c = 0; c < this.channelCount; c++) {
      const v = this.first < this.end ? this.data[c * cap + lastPos]! : 0;
      let s = from;
      while (s < sampleIndex) {
        const pos = s % cap;
        const n = Math.min(sampleIndex - s, cap - pos);
        this.data.fill(v, c * cap + pos, c * cap + pos + n);
        s += n;
      }
    }
    this.end = sampleIndex;
  }

  /**
   * Copies samples `[fromSample, fromSample + frames)` into the planar `dst` (channel c at
   * `c * dstStride + dstOffset`). Samples outside what the ring holds take the nearest held value;
   * returns how many leading samples were unavailable (before the oldest held sample).
   */
  read(dst: Float32Array, dstStride: number, dstOffset: number, fromSample: number, frames: number): number {
    if (this.end < 0) {
      for (let c = 0; c < this.channelCount; c++) dst.fill(0, c * dstStride + dstOffset, c * dstStride + dstOffset + frames);
      return frames;
    }
    const cap = this.cap;
    const oldest = this.oldestSample;
    const lead = Math.min(frames, Math.max(0, oldest - fromSample));
    const availEnd = Math.min(fromSample + frames, this.end);
    if (lead === 0 && availEnd === fromSample + frames && dstStride === frames && frames <= STAGE_FRAMES) {
      // Fast path (see write): each channel moved to the staging area, then one copy out.
      this.stagedAt = -1;
      const data = this.data;
      const stage = this.stage;
      const ch = this.channelCount;
      for (let s = fromSample; s < availEnd; ) {
        const pos = s % cap;
        const n = Math.min(availEnd - s, cap - pos);
        for (let c = 0; c < ch; c++) data.copyWithin(stage + c * frames + (s - fromSample), c * cap + pos, c * cap + pos + n);
        s += n;
      }
      dst.set(data.subarray(stage, stage + ch * frames), dstOffset);
      return 0;
    }
    for (let c = 0; c < this.channelCount; c++) {
      const base = c * dstStride + dstOffset;
      const ring = c * cap;
      let s = fromSample + lead;
      while (s < availEnd) {
        const pos = s % cap;
        const n = Math.min(availEnd - s, cap - pos);
        dst.set(this.data.subarray(ring + pos, ring + pos + n), base + (s - fromSample));
        s += n;
      }
      const firstVal = this.data[ring + (oldest % cap)]!;
      if (lead > 0) dst.fill(firstVal, base, base + lead);
      const tail = fromSample + frames - Math.max(availEnd, fromSample + lead);
      if (tail > 0) {
        const lastVal = this.data[ring + ((this.end - 1) % cap)]!;
        dst.fill(lastVal, base + frames - tail, base + frames);
      }
    }
    return lead;
  }

  reset(): void {
    this.end = -1;
    this.first = -1;
    this.stagedAt = -1;
    this.data.fill(0);
  }
}
