/**
 * Grade latency measured in the product (architecture.md, "Real time"): the time from the arrival of
 * the bytes carrying the last sample a grade needs to the moment the grade is emitted. Arrival times are
 * noted per received block (the device emits a block synchronously from its byte handler, so the block
 * event time is the byte arrival time to within the decode cost).
 */
export class GradeLatencyTracker {
  /** Ring of (last sample index of a block, arrival ms). */
  private readonly endSamples: Float64Array;
  private readonly arrivals: Float64Array;
  private next = 0;
  private filled = 0;
  private readonly samples: number[] = [];

  constructor(private readonly blockHistory = 4096, private readonly latencyHistory = 200) {
    this.endSamples = new Float64Array(blockHistory);
    this.arrivals = new Float64Array(blockHistory);
  }

  /** A block covering samples up to `endSampleExclusive` arrived at `nowMs`. */
  noteArrival(endSampleExclusive: number, nowMs: number): void {
    this.endSamples[this.next] = endSampleExclusive;
    this.arrivals[this.next] = nowMs;
    this.next = (this.next + 1) % this.blockHistory;
    if (this.filled < this.blockHistory) this.filled++;
  }

  /** Arrival time of the first block that completed sample `sampleIndex`, or null if not remembered. */
  arrivalOf(sampleIndex: number): number | null {
    let best: number | null = null;
    let bestEnd = Infinity;
    for (let k = 0; k < this.filled; k++) {
      const end = this.endSamples[k]!;
      if (end > sampleIndex && end < bestEnd) {
        bestEnd = end;
        best = this.arrivals[k]!;
      }
    }
    return best;
  }

  /** Records a grade emitted at `nowMs` that needed samples up to `lastSampleIndex`; returns the latency. */
  gradeEmitted(lastSampleIndex: number, nowMs: number): number | null {
    const arrival = this.arrivalOf(lastSampleIndex);
    if (arrival === null) return null;
    const ms = Math.max(0, nowMs - arrival);
    this.samples.push(ms);
    if (this.samples.length > this.latencyHistory) this.samples.shift();
    return ms;
  }

  /** Records a latency measured elsewhere (e.g. by the pipeline's epoch timing). */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples.push(ms);
    if (this.samples.length > this.latencyHistory) this.samples.shift();
  }

  stats(): { count: number; lastMs: number | null; p50Ms: number | null; p95Ms: number | null; maxMs: number | null } {
    const n = this.samples.length;
    if (n === 0) return { count: 0, lastMs: null, p50Ms: null, p95Ms: null, maxMs: null };
    const sorted = [...this.samples].sort((a, b) => a - b);
    // nearest-rank percentiles
    const rank = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!;
    return { count: n, lastMs: this.samples[n - 1]!, p50Ms: rank(0.5), p95Ms: rank(0.95), maxMs: sorted[n - 1]! };
  }

  reset(): void {
    this.filled = 0;
    this.next = 0;
    this.samples.length = 0;
  }
}
