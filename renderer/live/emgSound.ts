import type { MinMaxFrame } from './traceBuffer';

/**
 * EMG as sound (WebAudio), as neurophysiologists listen to the EMG while the surgeon stimulates. The
 * live stream arrives as min/max points, so each point becomes two audio samples (min, then max), which
 * keeps the crackle of motor-unit discharges audible. Chunks are queued back to back slightly ahead of
 * the audio clock; if the stream stalls, the queue restarts instead of drifting.
 */
export class EmgSound {
  private ctx: AudioContext | null = null;
  private gain: GainNode | null = null;
  private nextTimeS = 0;
  /** Channel to play, or 'mix' for the average of all channels. */
  channel: number | 'mix' = 'mix';
  /** Microvolts mapped to full scale. */
  fullScaleUv = 500;

  get enabled(): boolean {
    return this.ctx !== null;
  }

  /** Must be called from a user gesture (key press or click) for browsers to allow audio. */
  enable(): void {
    if (this.ctx) return;
    const ctx = new AudioContext();
    const gain = ctx.createGain();
    gain.gain.value = 0.6;
    gain.connect(ctx.destination);
    this.ctx = ctx;
    this.gain = gain;
    this.nextTimeS = 0;
  }

  disable(): void {
    void this.ctx?.close();
    this.ctx = null;
    this.gain = null;
  }

  feed(frame: MinMaxFrame, sampleRateHz: number): void {
    const ctx = this.ctx;
    if (!ctx || !this.gain || frame.channels.length === 0) return;
    const points = frame.channels[0]!.minUv.length;
    if (points === 0) return;
    // Two audio samples per point; repeat samples so the buffer rate is one WebAudio accepts (>= 8 kHz).
    const baseRate = (2 * sampleRateHz) / frame.samplesPerPoint;
    const repeat = Math.max(1, Math.ceil(8000 / baseRate));
    const rate = baseRate * repeat;
    const buf = ctx.createBuffer(1, points * 2 * repeat, rate);
    const out = buf.getChannelData(0);
    const chans = this.channel === 'mix' ? frame.channels : frame.channels.filter((c) => c.channel === this.channel);
    if (chans.length === 0) return;
    const k = 1 / (this.fullScaleUv * chans.length);
    for (let i = 0; i < points; i++) {
      let lo = 0;
      let hi = 0;
      for (const c of chans) {
        const a = c.minUv[i]!;
        const b = c.maxUv[i]!;
        if (a === a) lo += a; // NaN (no data) stays silent
        if (b === b) hi += b;
      }
      const vLo = Math.max(-1, Math.min(1, lo * k));
      const vHi = Math.max(-1, Math.min(1, hi * k));
      const o = i * 2 * repeat;
      out.fill(vLo, o, o + repeat);
      out.fill(vHi, o + repeat, o + 2 * repeat);
    }
    const src = ctx.createBufferSource();
    src.buffer = buf;
    src.connect(this.gain);
    const now = ctx.currentTime;
    // Keep ~80 ms of lead; resynchronise if we fell behind or ran too far ahead (stream stalled or burst).
    if (this.nextTimeS < now + 0.02 || this.nextTimeS > now + 0.5) this.nextTimeS = now + 0.08;
    src.start(this.nextTimeS);
    this.nextTimeS += buf.duration;
  }
}
