/**
 * Mains hum detection for recordings whose mains frequency is not known (EDF+ imports). The band-pass
 * lets 50/60 Hz through, and hum comparable to a small response would hide it in the envelope, so the
 * importer switches the pipeline's notch on at the detected frequency (shared domain notes,
 * "Recording": optional 50/60 Hz notch).
 */
export interface MainsDetection {
  /** Detected mains frequency, or null when no channel carries hum above the noise around it. */
  readonly mainsHz: 50 | 60 | null;
  /** Largest ratio of the power at the mains frequency to the mean power 3-7 Hz either side of it. */
  readonly peakToNeighbours: number;
}

function goertzelPower(x: Float32Array, from: number, to: number, freqHz: number, fs: number): number {
  const w = (2 * Math.PI * freqHz) / fs;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const v = x[i]!;
    const s0 = (Number.isFinite(v) ? v : 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/**
 * Compares, per channel, the power at 50 and 60 Hz with the power at neighbouring frequencies (3-7 Hz
 * away) over up to `maxSeconds` of raw signal; hum is present when the peak stands `minRatio` times
 * above its neighbours on some channel. Pure; channels as separate arrays of uV.
 */
export function detectMains(channels: readonly Float32Array[], sampleRateHz: number, maxSeconds = 5, minRatio = 20): MainsDetection {
  let best: { hz: 50 | 60 | null; ratio: number } = { hz: null, ratio: 0 };
  for (const x of channels) {
    const n = Math.min(x.length, Math.round(maxSeconds * sampleRateHz));
    if (n < sampleRateHz / 5) continue;
    for (const hz of [50, 60] as const) {
      const p = goertzelPower(x, 0, n, hz, sampleRateHz);
      let nb = 0;
      const offs = [-7, -5, -3, 3, 5, 7];
      for (const d of offs) nb += goertzelPower(x, 0, n, hz + d, sampleRateHz);
      nb /= offs.length;
      const ratio = nb > 0 ? p / nb : p > 0 ? Infinity : 0;
      if (ratio > best.ratio) best = { hz, ratio };
    }
  }
  return { mainsHz: best.ratio >= minRatio ? best.hz : null, peakToNeighbours: best.ratio };
}
