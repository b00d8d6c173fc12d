/**
 * Tunable working definitions of the train grader (shared domain notes, "Grading": "working definitions,
 * to be tuned"). Every number the grader compares against lives here, with its unit in its name, so a
 * centre can adjust it and a report can print the settings a grade was made with.
 */
export interface TrainGradingOptions {
  /** Envelope bin width, ms. 'pulse' uses one bin per inter-pulse interval when that lies in 10-50 ms, else 20 ms. */
  readonly binMs: number | 'pulse';
  /** Extra exclusion after each artifact-blanking window, ms: artifact tails that outlast the blanking. */
  readonly artifactGuardMs: number;
  /** The onset period excluded from the sustained test, ms (domain: "after the first 200 ms"). */
  readonly onsetSkipMs: number;
  /** For short trains the onset period is at most this fraction of the train. */
  readonly onsetSkipMaxFraction: number;
  /** A bin is "clearly above baseline" when above baseline x this ratio ... */
  readonly aboveBaselineRatio: number;
  /** ... and above baseline + this many robust standard deviations of the baseline bins ... */
  readonly aboveBaselineZ: number;
  /** ... and at least this far above baseline, uV. */
  readonly minExcessUv: number;
  /** Sustained when at least this fraction of the train (after the onset period) is above baseline. */
  readonly sustainedFraction: number;
  /** Also sustained when every third of the judged train holds activity and at least this fraction is above baseline (clonic bursts). */
  readonly spanFraction: number;
  /** A channel responds when at least this many train bins are above baseline. */
  readonly respondingMinBins: number;
  /** After-discharge is judged from this delay after the last pulse (past the reflex to the last pulse), ms ... */
  readonly afterDischargeDelayMs: number;
  /** ... over this window, ms ... */
  readonly afterDischargeWindowMs: number;
  /** ... and needs at least this much time above baseline in it, ms. */
  readonly afterDischargeMinMs: number;
  /** A channel whose raw signal, mains hum removed, has less RMS than this (uV) ... */
  readonly deadResidualUv: number;
  /** ... and less than this fraction of the median of the other channels, is dead (or mains-only). */
  readonly deadRelativeToMedian: number;
  /** Mains hum above this RMS (uV) on a dead channel makes it 'mains-only' rather than 'dead'. */
  readonly mainsOnlyMinUv: number;
  /** A responding channel this correlated (zero lag) with a stronger one is tested for crosstalk. */
  readonly crosstalkMinCorrelation: number;
  /** Late/early envelope ratio above which the pattern is incremental. */
  readonly incrementalRatio: number;
  /** Late/early envelope ratio below which the pattern is decremental. */
  readonly decrementalRatio: number;
  /** Envelope modulation band of clonus, Hz. */
  readonly clonicBandHz: readonly [number, number];
  /** Share of the envelope's modulation power (1.5-20 Hz) that must lie in the clonic band. */
  readonly clonicMinPowerFraction: number;
  /** Minimum depth of modulation (std / mean of the envelope excess) for clonus. */
  readonly clonicMinDepth: number;
  /** Detrended coefficient of variation of the envelope excess above which the pattern is irregular. */
  readonly irregularCv: number;
  /** Phases (sign changes of significant extrema + 1) of the pulse-locked average at or above which the response is multiphasic. */
  readonly multiphasicMinPhases: number;
  /** Only responders at least this fraction as strong as the strongest vote for the train's pattern. */
  readonly patternMinStrengthFraction: number;
}

export const DEFAULT_TRAIN_GRADING: TrainGradingOptions = {
  binMs: 'pulse',
  artifactGuardMs: 3.0,
  onsetSkipMs: 200,
  onsetSkipMaxFraction: 0.3,
  aboveBaselineRatio: 1.8,
  aboveBaselineZ: 5,
  minExcessUv: 2,
  sustainedFraction: 0.7,
  spanFraction: 0.2,
  respondingMinBins: 2,
  afterDischargeDelayMs: 60,
  afterDischargeWindowMs: 300,
  afterDischargeMinMs: 100,
  deadResidualUv: 1.5,
  deadRelativeToMedian: 0.25,
  mainsOnlyMinUv: 3,
  crosstalkMinCorrelation: 0.6,
  incrementalRatio: 1.3,
  decrementalRatio: 0.7,
  clonicBandHz: [3, 8],
  clonicMinPowerFraction: 0.5,
  clonicMinDepth: 0.35,
  irregularCv: 0.6,
  multiphasicMinPhases: 5,
  patternMinStrengthFraction: 0.25,
};

/** Single-pulse (threshold ramp) response criteria (shared domain notes, "Stimulation": threshold). */
export interface PulseResponseOptions {
  /** Response window after the pulse, ms (domain: 5-50 ms after the artifact). */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** A pulse responds when the peak-to-peak amplitude reaches this, uV (some centres: 200 uV) ... */
  readonly criterionUv: number;
  /** ... and this multiple of the baseline peak-to-peak over an equally long pre-stimulus window. */
  readonly baselineMultiple: number;
  /** Pulses that must respond for a reproducible threshold (the pulse at threshold plus the next at >= it). */
  readonly reproducibleCount: number;
}

export const DEFAULT_PULSE_RESPONSE: PulseResponseOptions = {
  windowStartMs: 5,
  windowEndMs: 50,
  criterionUv: 100,
  baselineMultiple: 4,
  reproducibleCount: 2,
};

function positive(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`grading option ${name} must be a positive number, got ${v}`);
}

/** Merges overrides onto the defaults and validates every value; refuses nonsense rather than guessing. */
export function makeTrainGradingOptions(over: Partial<TrainGradingOptions> = {}): TrainGradingOptions {
  const o: TrainGradingOptions = { ...DEFAULT_TRAIN_GRADING, ...over };
  if (o.binMs !== 'pulse') positive('binMs', o.binMs);
  for (const k of ['aboveBaselineRatio', 'aboveBaselineZ', 'deadResidualUv', 'incrementalRatio', 'decrementalRatio', 'irregularCv', 'multiphasicMinPhases', 'afterDischargeWindowMs', 'afterDischargeMinMs'] as const) {
    positive(k, o[k]);
  }
  for (const k of ['sustainedFraction', 'spanFraction', 'onsetSkipMaxFraction', 'crosstalkMinCorrelation', 'clonicMinPowerFraction', 'patternMinStrengthFraction', 'deadRelativeToMedian'] as const) {
    if (!(o[k] >= 0 && o[k] <= 1)) throw new RangeError(`grading option ${k} must lie in 0..1, got ${o[k]}`);
  }
  if (!(o.decrementalRatio < 1 && o.incrementalRatio > 1)) throw new RangeError('grading options: decrementalRatio must be < 1 < incrementalRatio');
  if (!(o.clonicBandHz[0] > 0 && o.clonicBandHz[1] > o.clonicBandHz[0])) throw new RangeError('grading option clonicBandHz must be an increasing positive pair');
  return o;
}

export function makePulseResponseOptions(over: Partial<PulseResponseOptions> = {}): PulseResponseOptions {
  const o: PulseResponseOptions = { ...DEFAULT_PULSE_RESPONSE, ...over };
  positive('criterionUv', o.criterionUv);
  positive('baselineMultiple', o.baselineMultiple);
  if (!(o.windowStartMs >= 0 && o.windowEndMs > o.windowStartMs)) throw new RangeError('pulse response window must satisfy 0 <= start < end (ms)');
  if (!(Number.isInteger(o.reproducibleCount) && o.reproducibleCount >= 1)) throw new RangeError('reproducibleCount must be an integer >= 1');
  return o;
}
