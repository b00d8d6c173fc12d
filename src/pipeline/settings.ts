import { DEFAULT_BLANKING, validateBlanking, type BlankingSettings } from './blanking';
import { DEFAULT_DISPLAY, type DisplaySettings } from './display';
import { DEFAULT_FILTER_SETTINGS, type FilterSettings, type NotchSettings } from './sos-filter';
import { PipelineConfigError, requireNumber } from './stage';

/**
 * Epoch windows (domain notes, "Stimulation" and "Grading"): a pre-stimulus baseline, the stimulation
 * window (the train's length, or a response window after a single pulse), and a post window for
 * after-discharge ("sustained ... continues past the train's end").
 */
export interface EpochSettings {
  /** Pre-stimulus baseline, ms (100-300 ms typical). */
  readonly preMs: number;
  /** Stimulation window of a single pulse (its response window), ms. */
  readonly singleWindowMs: number;
  /** After-discharge window after a train, ms (500-1000 ms typical). */
  readonly postTrainMs: number;
  /** Window after a single pulse's response window, ms (threshold ramps run at about 1 Hz). */
  readonly postSingleMs: number;
  /**
   * Filter warm-up run before each epoch window, ms; null = derived from the filters: long enough for
   * the slowest pole's transient to fall below 1e-6 (capped at 3 s).
   */
  readonly warmupMs: number | null;
  /**
   * How long after its first pulse's samples a stimulation event may arrive and still be blanked in
   * every epoch it overlaps, ms: epochs are emitted this long after their window ends.
   */
  readonly eventLagMs: number;
  /**
   * With `stimulationReports: 'confirmed'` (the source confirms how far its stimulation reports are
   * complete): the longest an epoch whose window has arrived waits for that confirmation, ms, measured in
   * data (samples past the window's end). A source that stops confirming (a stimulation it never
   * recovers) then delays grading by this much instead of stalling it, and the ring never has to hold
   * more. 2000 ms is well past the device's recovery of a lost stimulation report (retransmitted every
   * 150 ms; hardware/PROTOCOL.md).
   */
  readonly maxConfirmWaitMs: number;
}

export const DEFAULT_EPOCH: EpochSettings = { preMs: 200, singleWindowMs: 100, postTrainMs: 1000, postSingleMs: 400, warmupMs: null, eventLagMs: 100, maxConfirmWaitMs: 2000 };

/** Notch fields a user may leave out once they name the mains frequency: Q 30, fundamental only. */
export const DEFAULT_NOTCH: Omit<NotchSettings, 'mainsHz'> = { q: 30, harmonics: 0 };

export interface EnvelopeSettings {
  /** Time constant of each of the two smoothing poles (see envelope.ts), ms. */
  readonly timeConstantMs: number;
}

export const DEFAULT_ENVELOPE: EnvelopeSettings = { timeConstantMs: 10 };

export interface PipelineSettings {
  readonly filter: FilterSettings;
  readonly blanking: BlankingSettings;
  readonly envelope: EnvelopeSettings;
  readonly epoch: EpochSettings;
  readonly display: DisplaySettings;
}

/** Settings as a user or a stored session gives them: any group or field may be left out. */
export interface PipelineSettingsInput {
  readonly filter?: Partial<Omit<FilterSettings, 'notch'>> & { readonly notch?: (Partial<NotchSettings> & Pick<NotchSettings, 'mainsHz'>) | null };
  readonly blanking?: Partial<BlankingSettings>;
  readonly envelope?: Partial<EnvelopeSettings>;
  readonly epoch?: Partial<EpochSettings>;
  readonly display?: Partial<DisplaySettings>;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  filter: DEFAULT_FILTER_SETTINGS,
  blanking: DEFAULT_BLANKING,
  envelope: DEFAULT_ENVELOPE,
  epoch: DEFAULT_EPOCH,
  display: DEFAULT_DISPLAY,
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Fills left-out settings from the documented defaults above and validates every value (values that
 * depend on the sample rate are checked again when the pipeline is created). Unknown keys are refused
 * so a misspelt setting never silently falls back to its default.
 */
export function resolvePipelineSettings(input: PipelineSettingsInput | undefined): PipelineSettings {
  const src: unknown = input ?? {};
  if (!isObject(src)) throw new PipelineConfigError('pipeline settings must be an object');
  const groups = ['filter', 'blanking', 'envelope', 'epoch', 'display'] as const;
  for (const k of Object.keys(src)) {
    if (!(groups as readonly string[]).includes(k)) throw new PipelineConfigError(`unknown pipeline setting group '${k}'`);
  }
  const merged: Record<string, Record<string, unknown>> = {};
  for (const g of groups) {
    const given = src[g];
    if (given !== undefined && !isObject(given)) throw new PipelineConfigError(`pipeline settings '${g}' must be an object`);
    const defaults = DEFAULT_PIPELINE_SETTINGS[g] as unknown as Record<string, unknown>;
    for (const k of Object.keys(given ?? {})) {
      if (!(k in defaults)) throw new PipelineConfigError(`unknown setting '${g}.${k}'`);
    }
    merged[g] = { ...defaults, ...(given ?? {}) };
  }
  const s = merged as unknown as PipelineSettings;
  const e = s.epoch;
  requireNumber(e.preMs, 'epoch.preMs', 0, 5000);
  requireNumber(e.singleWindowMs, 'epoch.singleWindowMs', 1, 5000);
  requireNumber(e.postTrainMs, 'epoch.postTrainMs', 0, 10000);
  requireNumber(e.postSingleMs, 'epoch.postSingleMs', 0, 10000);
  requireNumber(e.eventLagMs, 'epoch.eventLagMs', 0, 10000);
  requireNumber(e.maxConfirmWaitMs, 'epoch.maxConfirmWaitMs', 0, 10000);
  if (e.warmupMs !== null) requireNumber(e.warmupMs, 'epoch.warmupMs', 0, 10000);
  requireNumber(s.envelope.timeConstantMs, 'envelope.timeConstantMs', 0.5, 1000);
  validateBlanking(s.blanking);
  const f = s.filter;
  if (f.notch !== null) {
    if (!isObject(f.notch)) throw new PipelineConfigError('filter.notch must be null or { mainsHz, q, harmonics }');
    if (f.notch.mainsHz === undefined) throw new PipelineConfigError('filter.notch.mainsHz is required (50 or 60; no default)');
    return { ...s, filter: { ...f, notch: { ...DEFAULT_NOTCH, ...f.notch } } };
  }
  return s;
}
