import type { SampleBlock } from '../domain';
import type { TraceFrame } from '../contracts';

export interface TraceFramerOptions {
  /** Display resolution: points per second per channel (each point a min/max pair). */
  readonly pointsPerSecond?: number;
  /** Signal time per frame, ms. */
  readonly frameMs?: number;
}

/**
 * Turns the sample stream into live trace frames for the UI: min/max per display point, one frame per
 * `frameMs` of signal. State carries across blocks, so any block size gives the same frames; a jump in
 * startSample (a gap) ends the current frame early, never splices across the gap.
 */
export class TraceFramer {
  private samplesPerPoint = 1;
  private pointsPerFrame = 1;
  private channelCount = 0;
  private sampleRateHz = 0;
  private mins: number[][] = [];
  private maxs: number[][] = [];
  private curMin: Float64Array = new Float64Array(0);
  private curMax: Float64Array = new Float64Array(0);
  private inPoint = 0;
  private frameStart = -1;
  private expectedNext = -1;

  constructor(private readonly emit: (frame: Omit<TraceFrame, 'droppedFrames'>) => void, private readonly options: TraceFramerOptions = {}) {}

  private configure(b: SampleBlock): void {
    this.channelCount = b.channelCount;
    this.sampleRateHz = b.sampleRateHz;
    const pps = this.options.pointsPerSecond ?? 1000;
    this.samplesPerPoint = Math.max(1, Math.round(b.sampleRateHz / pps));
    const frameSamples = (b.sampleRateHz * (this.options.frameMs ?? 50)) / 1000;
    this.pointsPerFrame = Math.max(1, Math.round(frameSamples / this.samplesPerPoint));
    this.curMin = new Float64Array(b.channelCount).fill(Infinity);
    this.curMax = new Float64Array(b.channelCount).fill(-Infinity);
    this.resetFrame(b.startSample);
  }

  private resetFrame(start: number): void {
    this.mins = Array.from({ length: this.channelCount }, () => []);
    this.maxs = Array.from({ length: this.channelCount }, () => []);
    this.curMin.fill(Infinity);
    this.curMax.fill(-Infinity);
    this.inPoint = 0;
    this.frameStart = start;
  }

  private flush(): void {
    const points = this.mins[0]?.length ?? 0;
    if (points > 0) {
      this.emit({
        startSample: this.frameStart,
        sampleRateHz: this.sampleRateHz,
        samplesPerPoint: this.samplesPerPoint,
        channels: this.mins.map((m, channel) => ({ channel, minUv: m, maxUv: this.maxs[channel]! })),
      });
    }
  }

  push(b: SampleBlock): void {
    if (b.channelCount !== this.channelCount || b.sampleRateHz !== this.sampleRateHz) {
      this.flush();
      this.configure(b);
    } else if (b.startSample !== this.expectedNext) {
      // gap: close what we have (a partial point is dropped rather than spliced across the gap)
      this.flush();
      this.resetFrame(b.startSample);
    }
    const n = b.samplesPerChannel;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < this.channelCount; c++) {
        const v = b.data[c * n + i]!;
        if (v < this.curMin[c]!) this.curMin[c] = v;
        if (v > this.curMax[c]!) this.curMax[c] = v;
      }
      if (++this.inPoint === this.samplesPerPoint) {
        for (let c = 0; c < this.channelCount; c++) {
          this.mins[c]!.push(Math.round(this.curMin[c]! * 100) / 100);
          this.maxs[c]!.push(Math.round(this.curMax[c]! * 100) / 100);
        }
        this.curMin.fill(Infinity);
        this.curMax.fill(-Infinity);
        this.inPoint = 0;
        if (this.mins[0]!.length === this.pointsPerFrame) {
          this.flush();
          this.resetFrame(b.startSample + i + 1);
        }
      }
    }
    this.expectedNext = b.startSample + n;
  }
}
