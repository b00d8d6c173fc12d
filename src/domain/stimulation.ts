import { check, checkFinite } from './errors';
import { checkRootletIndex, isLevel, isRootKind, isSide, type StimulationTarget } from './anatomy';

export const STIM_MODES = ['single', 'train'] as const;
export type StimMode = (typeof STIM_MODES)[number];

/**
 * Stimulator settings for one stimulation: a single square pulse (threshold ramps, about 1 Hz) or a
 * tetanic train (usually 50 Hz for about 1 s at threshold intensity). All settings are logged with every
 * event (shared domain notes, "Stimulation").
 */
export interface Stimulation {
  readonly mode: StimMode;
  readonly intensityMa: number;
  readonly pulseWidthUs: number;
  /** Pulse rate of a train; null for a single pulse. */
  readonly rateHz: number | null;
  /** Train length in seconds; 0 for a single pulse. */
  readonly durationS: number;
  readonly target: StimulationTarget | null;
}

/** Intensities this far above the rootlet's threshold spread to the ventral root (direct M response). */
export const HIGH_INTENSITY_THRESHOLD_MULTIPLE = 20;
/** Safety ceiling on stimulator output accepted by the software. */
export const MAX_INTENSITY_MA = 100;

export function makeStimulation(input: {
  mode: StimMode;
  intensityMa: number;
  pulseWidthUs: number;
  rateHz?: number | null;
  durationS?: number;
  target?: StimulationTarget | null;
}): Stimulation {
  check(input.mode === 'single' || input.mode === 'train', 'invalid-stimulation', `mode must be single or train, got '${String(input.mode)}'`);
  checkFinite(input.intensityMa, 'intensityMa', 0, MAX_INTENSITY_MA);
  checkFinite(input.pulseWidthUs, 'pulseWidthUs', 10, 2000);
  check(Number.isInteger(input.pulseWidthUs), 'invalid-stimulation', 'pulseWidthUs must be an integer');
  let rateHz: number | null = null;
  let durationS = 0;
  if (input.mode === 'train') {
    check(input.rateHz != null, 'invalid-stimulation', 'a train needs rateHz');
    rateHz = checkFinite(input.rateHz, 'rateHz', 0.1, 500);
    durationS = checkFinite(input.durationS ?? NaN, 'durationS', 0.01, 30);
  } else {
    check(input.rateHz == null, 'invalid-stimulation', 'a single pulse has no rateHz');
    check(input.durationS === undefined || input.durationS === 0, 'invalid-stimulation', 'a single pulse has durationS 0');
  }
  const t = input.target ?? null;
  if (t) {
    check(isLevel(t.level), 'invalid-stimulation', `target level invalid: ${String(t.level)}`);
    check(isSide(t.side), 'invalid-stimulation', `target side invalid: ${String(t.side)}`);
    check(isRootKind(t.kind), 'invalid-stimulation', `target kind invalid: ${String(t.kind)}`);
    if (t.rootlet !== null) checkRootletIndex(t.rootlet);
  }
  return {
    mode: input.mode,
    intensityMa: input.intensityMa,
    pulseWidthUs: input.pulseWidthUs,
    rateHz,
    durationS,
    target: t ? { level: t.level, side: t.side, kind: t.kind, rootlet: t.rootlet } : null,
  };
}

/** Number of pulses a stimulation delivers. */
export function pulseCount(s: Stimulation): number {
  return s.mode === 'single' ? 1 : Math.max(1, Math.round((s.rateHz ?? 0) * s.durationS));
}

/** A stimulation placed in time on the sample stream: first pulse at sample index `sampleIndex`. */
export interface StimulationEvent {
  /** Sample index (at the stream's sample rate) of the first pulse. */
  readonly sampleIndex: number;
  readonly stimulation: Stimulation;
}
