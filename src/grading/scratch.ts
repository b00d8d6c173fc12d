/**
 * Reusable work buffers for grading a train. A 16-channel 10 kHz train is about 350 000 samples per
 * signal; allocating per-sample buffers on every train (the cleaned copy of the filtered signal alone is
 * 1.4 MB) costs page faults and zeroing on each call and, as external memory, drives full garbage
 * collections that showed up as the grade latency's tail. A pool keeps those buffers across trains.
 *
 * Buffers are handed out by slot: each caller owns its slots for the duration of one grading call, and a
 * slot's contents are undefined when handed out (callers fill what they read). The views returned are
 * exactly the requested length. Nothing a grader returns may alias a pooled buffer.
 *
 * Slot ranges per user: artifact.ts f64 0-9 and 13, i32 0-9, f32 0 (the cleaned signal); features.ts f64 10-11; train.ts f64 12.
 */
export class GradingScratch {
  private readonly f64s: Float64Array[] = [];
  private readonly f32s: Float32Array[] = [];
  private readonly i32s: Int32Array[] = [];

  /** Float64 work buffer number `slot`, `n` long. */
  f64(slot: number, n: number): Float64Array {
    let b = this.f64s[slot];
    if (b === undefined || b.length < n) {
      b = new Float64Array(grown(n));
      this.f64s[slot] = b;
    }
    return b.subarray(0, n);
  }

  /** Float32 work buffer number `slot`, `n` long. */
  f32(slot: number, n: number): Float32Array {
    let b = this.f32s[slot];
    if (b === undefined || b.length < n) {
      b = new Float32Array(grown(n));
      this.f32s[slot] = b;
    }
    return b.subarray(0, n);
  }

  /** Int32 work buffer number `slot`, `n` long. */
  i32(slot: number, n: number): Int32Array {
    let b = this.i32s[slot];
    if (b === undefined || b.length < n) {
      b = new Int32Array(grown(n));
      this.i32s[slot] = b;
    }
    return b.subarray(0, n);
  }
}

/** Some headroom so slightly longer epochs do not reallocate. */
function grown(n: number): number {
  return Math.max(16, Math.ceil(n * 1.25));
}
